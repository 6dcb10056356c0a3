/**
 * The functions `multinode secrets` calls, one `SecretsTarget` per place values live (runtime/build/deployed-secrets.ts
 * has the interface and the deployed app's):
 *
 * - `envFileSecrets`: the app's `.env` file when no `multinode dev` runs: listing reads it, `set` writes the name's
 *   line (other lines and comments kept, a new file made with mode 0600), `delete` removes the line;
 * - `devSecrets`: a running `multinode dev`, through its local Secrets Manager endpoint (DescribeSecret, PutSecretValue,
 *   which write its `.env` file); `delete` removes the line from that file, which the running cloud reads again;
 * - `readSecretValue`: reads a value from standard input, without echoing it on a terminal.
 *
 * None of them prints, logs or returns a value.
 */
import { DescribeSecretCommand, type DescribeSecretCommandOutput, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Manifest } from '../../../lib/manifest.js';
import { secretValueProblem } from '../../../lib/settings/limits.js';
import { type SecretListing, SecretsAdminError, type SecretsTarget, requireDeclared } from '../../build/deployed-secrets.js';
import type { RuntimeConfig } from '../../core/config.js';
import { ConnectError, readLocal } from '../../entry/connect.js';
import { resourceNames } from '../../../lib/naming.js';
import { secretsClientConfig } from '../../settings/secrets-client.js';
import { readEnvFile, removeEnvValue, setEnvValue } from './env-file.js';

export type { SecretListing, SecretsTarget } from '../../build/deployed-secrets.js';
export { deployedSecrets, SecretsAdminError } from '../../build/deployed-secrets.js';
export type { DeployedSecretsOptions } from '../../build/deployed-secrets.js';

/** The secrets of an app whose values are in `envFile` (no local cloud needed). */
export function envFileSecrets(options: { manifest: Manifest; envFile: string }): SecretsTarget {
  const { manifest, envFile } = options;
  return {
    description: `the .env file ${envFile}`,
    async list() {
      const file = readEnvFile(envFile);
      return manifest.secrets.map(({ name }) => ({ name, hasValue: Boolean(file.get(name)?.value), where: envFile, exists: true }));
    },
    async set(name, value) {
      requireDeclared(manifest, name);
      const problem = secretValueProblem(name, value);
      if (problem) throw new SecretsAdminError(`${problem}.`);
      setEnvValue(envFile, name, value);
    },
    async delete(name) {
      requireDeclared(manifest, name);
      return removeEnvValue(envFile, name);
    },
    close() {},
  };
}

/** What `devSecrets` needs of a running `multinode dev`: its configuration, manifest and `.env` file (its cloud.json). */
export interface RunningDev {
  readonly config: RuntimeConfig;
  readonly manifest: Manifest;
  readonly envFile: string;
}

/**
 * The running `multinode dev` whose state directory (or app folder) is `where`; undefined when none runs there (no
 * cloud.json, or one left by a cloud that no longer answers).
 */
export async function runningDev(where: string): Promise<RunningDev | undefined> {
  let found: ReturnType<typeof readLocal>;
  try {
    found = readLocal(where);
  } catch (error) {
    if (error instanceof ConnectError) return undefined;
    throw error;
  }
  const endpoint = found.config.endpoints?.secretsmanager;
  if (!endpoint || !found.settings) return undefined;
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
  } catch {
    return undefined;
  }
  return { config: found.config, manifest: found.manifest, envFile: found.settings.envFile };
}

/** The secrets of a running `multinode dev`, through its Secrets Manager endpoint. */
export function devSecrets(dev: RunningDev): SecretsTarget {
  const client = new SecretsManagerClient({ ...secretsClientConfig(dev.config), maxAttempts: 1 });
  const names = resourceNames(dev.config.prefix);
  const { manifest } = dev;
  const unreachable = (error: unknown) => {
    const { name, message } = error as Error;
    return new SecretsAdminError(
      `multinode dev of ${manifest.app.name} did not answer at ${dev.config.endpoints?.secretsmanager} (${name}: ${message}); is it still running?`,
    );
  };
  return {
    description: `multinode dev of ${manifest.app.name} (values in ${dev.envFile})`,
    async list() {
      return Promise.all(
        manifest.secrets.map(async ({ name }): Promise<SecretListing> => {
          let described: DescribeSecretCommandOutput;
          try {
            described = await client.send(new DescribeSecretCommand({ SecretId: names.secret(name) }));
          } catch (error) {
            throw (error as Error).name === 'InvalidRequestException' ? new SecretsAdminError((error as Error).message) : unreachable(error);
          }
          return { name, hasValue: Object.keys(described.VersionIdsToStages ?? {}).length > 0, where: dev.envFile, exists: true };
        }),
      );
    },
    async set(name, value) {
      requireDeclared(manifest, name);
      const problem = secretValueProblem(name, value);
      if (problem) throw new SecretsAdminError(`${problem}.`);
      try {
        await client.send(new PutSecretValueCommand({ SecretId: names.secret(name), SecretString: value }));
      } catch (error) {
        const type = (error as Error).name;
        if (type === 'ResourceNotFoundException')
          throw new SecretsAdminError(`multinode dev of ${manifest.app.name} has no secret ${name}: restart it to load the app again.`);
        throw type === 'InvalidRequestException' || type === 'ValidationException' ? new SecretsAdminError((error as Error).message) : unreachable(error);
      }
    },
    async delete(name) {
      requireDeclared(manifest, name);
      return removeEnvValue(dev.envFile, name);
    },
    close() {
      client.destroy();
    },
  };
}

/** What `readSecretValue` reads from: standard input, a terminal or not. */
export interface ValueInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * A secret's value from `input`: on a terminal, one line typed without echo (raw mode; Enter ends it, Backspace
 * erases, Ctrl-C or Ctrl-D with nothing typed cancels); otherwise everything until the end of input, less one final
 * line break (so `echo "$KEY" | ...` and `< key.txt` give the key itself). Empty input is refused.
 */
export async function readSecretValue(input: ValueInput): Promise<string> {
  const value = input.isTTY && input.setRawMode ? await readTyped(input) : (await readAll(input)).replace(/\r?\n$/, '');
  if (value === '') throw new SecretsAdminError('no value given: type it, or pipe it in on standard input.');
  return value;
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function readTyped(input: ValueInput): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    input.setRawMode!(true);
    const done = (outcome: () => void) => {
      input.removeListener('data', onData);
      input.setRawMode!(false);
      input.pause();
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return done(() => resolve(typed));
        if (char === '\u0003' || (char === '\u0004' && typed === '')) return done(() => reject(new SecretsAdminError('cancelled: no value was set.')));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
