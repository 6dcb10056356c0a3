/**
 * `config.value()` in the runtime: the environment's `MULTINODE_CONFIG_<name>` (set by MultinodeApp's `config` prop
 * in AWS, from `.env` by the local cloud), else the default declared in the code.
 */
import type { Manifest } from '../../lib/manifest.js';
import { ConfigValueMissingError } from '../../lib/settings/errors.js';
import { configEnv } from './environment.js';

export function configValue(manifest: Manifest, env: Readonly<Record<string, string | undefined>>, name: string): string {
  const declared = manifest.config.find((c) => c.name === name);
  if (!declared) {
    const known = manifest.config.map((c) => c.name);
    throw new ConfigValueMissingError(
      name,
      `The app "${manifest.app.name}" declares no config setting "${name}" (its settings: ${known.join(', ') || '(none)'}); declare it with config("${name}").`,
    );
  }
  const value = env[configEnv(name)] ?? declared.default;
  if (value === null || value === undefined) {
    throw new ConfigValueMissingError(
      name,
      `config "${name}" has no value and no default. Set it: for multinode dev, a line ${name}=<value> in the app's .env file (or the file given ` +
        `with --env-file); for AWS, MultinodeApp's config prop ({ config: { ${name}: '...' } }); or give it a default in the code.`,
    );
  }
  return value;
}
