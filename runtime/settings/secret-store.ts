/**
 * `secret.value()` in the runtime: who may read a secret, where its value comes from, and how long it is kept.
 *
 * - Who: only a handler of a definition that declares the secret in its `secrets` option. The definition running now
 *   is the one of the current invocation's logger (every handler runs inside one, core/invocation-log.ts); a read
 *   outside any handler, or by a definition that does not declare the secret, is refused before any request. In AWS
 *   the definition's role allows exactly its secrets as well (constructs/app-secrets.ts).
 * - Where: the container's `MULTINODE_SECRET_<name>` when the environment has it (ECS put it there from the job
 *   definition's `secrets`), else Secrets Manager's GetSecretValue on the secret named by the prefix (or the one in
 *   `MULTINODE_SECRET_ID_<name>`). The local cloud serves both the same way, so no code here asks where it runs.
 * - How long: the first read's value is kept for the life of the process (a Lambda execution environment, a Batch
 *   container, a local worker), so a secret costs one request per cold start; `value({ refresh: true })` reads again.
 *   New execution environments (every deploy, every scale-out) read the value current when they start.
 */
import { DECLARING_CALL } from '../../lib/options/context.js';
import { secretsOf } from '../../lib/manifest.js';
import { SecretNotDeclaredError, SecretReadError, SecretValueMissingError } from '../../lib/settings/errors.js';
import type { SecretValueOptions } from '../../lib/settings/secret.js';
import type { RuntimeContext } from '../core/context.js';
import { invocationLog } from '../core/invocation-log.js';
import { secretIdEnv, secretValueEnv } from './environment.js';
import { lazySecretsReader, type SecretsReader } from './secrets-client.js';

type Env = Readonly<Record<string, string | undefined>>;

export class SecretStore {
  readonly #context: RuntimeContext;
  readonly #env: Env;
  readonly #reader: SecretsReader;
  readonly #values = new Map<string, Promise<string>>();

  constructor(context: RuntimeContext, env: Env, reader: SecretsReader = lazySecretsReader(context.config)) {
    this.#context = context;
    this.#env = env;
    this.#reader = reader;
  }

  async value(name: string, options: SecretValueOptions = {}): Promise<string> {
    this.#checkAllowed(name);
    const kept = options.refresh ? undefined : this.#values.get(name);
    if (kept) return kept;
    const reading = this.#read(name);
    this.#values.set(name, reading);
    // A failed read is not kept: the next call tries again (the value may have been set meanwhile).
    reading.catch(() => {
      if (this.#values.get(name) === reading) this.#values.delete(name);
    });
    return reading;
  }

  /** The Secrets Manager secret the runtime reads for `name`. */
  secretId(name: string): string {
    return this.#env[secretIdEnv(name)] || this.#context.names.secret(name);
  }

  destroy(): void {
    this.#reader.destroy();
  }

  #checkAllowed(name: string): void {
    const { manifest } = this.#context;
    if (!manifest.secrets.some((s) => s.name === name)) {
      const known = manifest.secrets.map((s) => s.name);
      throw new SecretNotDeclaredError(
        name,
        undefined,
        `The app "${manifest.app.name}" declares no secret "${name}" (its secrets: ${known.join(', ') || '(none)'}); declare it with secret("${name}").`,
      );
    }
    const running = invocationLog()?.fields.definition;
    if (typeof running !== 'string') {
      throw new SecretNotDeclaredError(
        name,
        undefined,
        `secret "${name}" was read outside a handler (at module top level, in fn.local(), or in code outside the app). Secrets are read inside the ` +
          `handlers of the definitions that declare them in "secrets".`,
      );
    }
    const definition = manifest.definitions.find((d) => d.name === running);
    if (definition && secretsOf(definition).includes(name)) return;
    const readers = manifest.definitions.filter((d) => secretsOf(d).includes(name)).map((d) => d.name);
    const label = definition ? `${DECLARING_CALL[definition.kind]} "${running}"` : `"${running}"`;
    throw new SecretNotDeclaredError(
      name,
      running,
      `${label} read secret "${name}" but does not declare it: add it to the definition's options (secrets: [...]), so that it may read it ` +
        `locally and in AWS. Definitions that declare it: ${readers.join(', ') || '(none)'}.`,
    );
  }

  async #read(name: string): Promise<string> {
    const fromContainer = this.#env[secretValueEnv(name)];
    if (fromContainer !== undefined) return fromContainer;
    const secretId = this.secretId(name);
    let output: Awaited<ReturnType<SecretsReader['getSecretString']>>;
    try {
      output = await this.#reader.getSecretString(secretId);
    } catch (error) {
      throw readError(name, secretId, error);
    }
    if (typeof output.SecretString !== 'string') {
      throw new SecretReadError(name, `secret "${name}" (${secretId}) holds binary data (SecretBinary); multinode secrets are text (SecretString).`);
    }
    return output.SecretString;
  }
}

/** What went wrong, in words: never the value (there is none in an error), always the secret and where to set it. */
function readError(name: string, secretId: string, error: unknown): Error {
  const { name: type = 'Error', message = String(error) } = (error ?? {}) as { name?: string; message?: string };
  if (type === 'ResourceNotFoundException' && /secret value/i.test(message)) {
    return new SecretValueMissingError(
      name,
      `secret "${name}" has no value (${message}). Set it: for multinode dev, a line ${name}=<value> in the app's .env file (or the file given ` +
        `with --env-file); for the deployed app, PutSecretValue on ${secretId} (multinode secrets set ${name} --stack <stack>).`,
    );
  }
  if (type === 'ResourceNotFoundException') {
    return new SecretReadError(
      name,
      `secret "${name}" does not exist as ${secretId} (${message}): deploy the app, which creates it, or check MULTINODE_PREFIX.`,
      { cause: error },
    );
  }
  return new SecretReadError(name, `reading secret "${name}" (${secretId}) from Secrets Manager failed: ${type}: ${message}`, { cause: error });
}
