/**
 * The config settings of an app in AWS: each setting's value comes from MultinodeApp's `config` prop, else the CDK
 * context `multinode:config` (an object in cdk.json, for apps deployed with `multinode cdk`), else the default in the
 * code (which needs nothing here). Values reach every Lambda function and Batch container of the app as
 * `MULTINODE_CONFIG_<name>`: they are not secret, and visible in the template and the functions' settings.
 */
import type { IConstruct } from 'constructs';
import { closest, showValue } from '../lib/format.js';
import type { ConfigManifest } from '../lib/manifest.js';
import { configEnvironment } from '../runtime/settings/environment.js';
import { SynthError } from './errors.js';

/** The CDK context key holding config values: `{ "multinode:config": { "REGION": "eu-west-1" } }`. */
export const CONFIG_CONTEXT = 'multinode:config';

/**
 * The environment that gives the app's config settings their values here. Fails, naming them, for a value given to a
 * setting the app does not declare, a value that is not a string, and settings with no value and no default.
 */
export function configEnvironmentFor(
  scope: IConstruct,
  declared: readonly ConfigManifest[],
  given: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const names = declared.map((c) => c.name);
  const fromContext = contextValues(scope);
  const values: Record<string, string> = {};
  for (const [source, entries] of [
    ['the config prop', given ?? {}],
    [`the context "${CONFIG_CONTEXT}"`, fromContext],
  ] as const) {
    for (const [name, value] of Object.entries(entries)) {
      if (!names.includes(name)) {
        const suggestion = closest(name, names);
        throw new SynthError(
          `${source} sets "${name}", which the app does not declare as a config setting${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ` +
            `its config settings are: ${names.join(', ') || '(none)'}.`,
          scope,
        );
      }
      if (typeof value !== 'string') throw new SynthError(`${source} sets "${name}" to ${showValue(value)}; config values are strings.`, scope);
      values[name] ??= value;
    }
  }
  const missing = declared.filter((c) => values[c.name] === undefined && c.default === null).map((c) => c.name);
  if (missing.length > 0) {
    const one = missing.length === 1;
    throw new SynthError(
      `config ${missing.map((n) => `"${n}"`).join(', ')} ${one ? 'has' : 'have'} no value and no default: give ${one ? 'it a value' : 'them values'} ` +
        `in the config prop ({ config: { ${missing[0]}: '...' } }) or in cdk.json's context ("${CONFIG_CONTEXT}": { "${missing[0]}": "..." }), ` +
        'or a default in the code.',
      scope,
    );
  }
  return configEnvironment(values);
}

function contextValues(scope: IConstruct): Readonly<Record<string, unknown>> {
  const value: unknown = scope.node.tryGetContext(CONFIG_CONTEXT);
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SynthError(`the context "${CONFIG_CONTEXT}" must be an object of config values ({ "NAME": "value" }), got ${showValue(value)}.`, scope);
  }
  return value as Record<string, unknown>;
}
