/**
 * Managing the values of a deployed app's secrets from outside it (what `multinode secrets ... --stack` runs): which
 * secrets have a value (DescribeSecret: versions, never values), setting one (PutSecretValue). Node-side tooling, not
 * app code: the app's own roles may only read its secrets. The local counterparts (a `.env` file, a running
 * `multinode dev`) implement the same `SecretsTarget` (runtime/local/settings/manage.ts).
 */
import { DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MultinodeError } from '../../lib/errors.js';
import type { Manifest } from '../../lib/manifest.js';
import { resourceNames } from '../../lib/naming.js';
import { secretValueProblem } from '../../lib/settings/limits.js';
import type { RuntimeConfig } from '../core/config.js';
import { secretsClientConfig } from '../settings/secrets-client.js';

/** A secret of the app, and whether it has a value (never the value). */
export interface SecretListing {
  readonly name: string;
  readonly hasValue: boolean;
  /** Where it is: the Secrets Manager secret (`<prefix>/<name>` or its ARN), or the `.env` file. */
  readonly where: string;
  /** False when the secret itself does not exist (a deployed app not deployed yet with this secret). */
  readonly exists: boolean;
}

/** Where an app's secret values live, and the three things done with them. */
export interface SecretsTarget {
  /** For messages: `the .env file <path>`, `multinode dev of <app>`, `stack <prefix> (Secrets Manager)`. */
  readonly description: string;
  /** Every secret the app declares, in declaration order. */
  list(): Promise<SecretListing[]>;
  /** Sets a declared secret's value (1 to 65,536 bytes of text). */
  set(name: string, value: string): Promise<void>;
  /** Removes a declared secret's value; false when it had none. Deployed secrets refuse (see deployedSecrets). */
  delete(name: string): Promise<boolean>;
  /** Closes clients. */
  close(): void;
}

/** A secrets operation was refused or failed. The message names the secret and never holds a value. */
export class SecretsAdminError extends MultinodeError {}

export interface DeployedSecretsOptions {
  /** The app's manifest (its declared secrets). */
  readonly manifest: Manifest;
  /** The app's resource prefix (the stack's MULTINODE_PREFIX). */
  readonly prefix: string;
  /** Region and credentials (default: the SDK's chain); `endpoints.secretsmanager` for another endpoint. */
  readonly config?: Pick<RuntimeConfig, 'region' | 'credentials' | 'endpoints'>;
  /**
   * Secrets that are not named by the prefix (existing secrets given to MultinodeApp's `secrets` prop): ARN or name
   * by secret name.
   */
  readonly secretIds?: Readonly<Record<string, string>>;
}

/** The secrets of a deployed app, in Secrets Manager. */
export function deployedSecrets(options: DeployedSecretsOptions): SecretsTarget {
  const names = resourceNames(options.prefix);
  const declared = options.manifest.secrets.map((s) => s.name);
  const idOf = (name: string) => options.secretIds?.[name] ?? names.secret(name);
  const config = { app: options.manifest.app.name, prefix: options.prefix, bucket: 'unused', region: options.config?.region ?? '', ...options.config };
  const clientOptions = secretsClientConfig(config as RuntimeConfig);
  // No region given: the SDK's own resolution (AWS_REGION, the profile).
  const client = new SecretsManagerClient(options.config?.region ? clientOptions : { ...clientOptions, region: undefined });
  const require = (name: string) => requireDeclared(options.manifest, name);
  return {
    description: `the deployed app ${options.manifest.app.name} (prefix ${options.prefix}, Secrets Manager)`,
    async list() {
      return Promise.all(
        declared.map(async (name): Promise<SecretListing> => {
          const where = idOf(name);
          try {
            const described = await client.send(new DescribeSecretCommand({ SecretId: where }));
            const hasValue = Object.values(described.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
            return { name, hasValue, where, exists: true };
          } catch (error) {
            if ((error as Error).name === 'ResourceNotFoundException') return { name, hasValue: false, where, exists: false };
            throw failure(`describing secret ${name} (${where})`, error);
          }
        }),
      );
    },
    async set(name, value) {
      require(name);
      const problem = secretValueProblem(name, value);
      if (problem) throw new SecretsAdminError(`${problem}.`);
      try {
        await client.send(new PutSecretValueCommand({ SecretId: idOf(name), SecretString: value }));
      } catch (error) {
        throw failure(`setting secret ${name} (${idOf(name)})`, error);
      }
    },
    async delete(name) {
      require(name);
      throw new SecretsAdminError(
        `the value of the deployed secret ${name} (${idOf(name)}) can be replaced (multinode secrets set ${name} --stack ...) but not removed: ` +
          `Secrets Manager has no empty value, and the secret belongs to the stack. To remove it, remove secret("${name}") from the app and deploy.`,
      );
    },
    close() {
      client.destroy();
    },
  };
}

/** Throws unless the app declares secret `name`, listing the ones it declares. */
export function requireDeclared(manifest: Manifest, name: string): void {
  if (manifest.secrets.some((s) => s.name === name)) return;
  const known = manifest.secrets.map((s) => s.name);
  throw new SecretsAdminError(`the app ${manifest.app.name} declares no secret "${name}"; its secrets: ${known.join(', ') || '(none)'}.`);
}

/** An SDK failure in words: AWS's error name and message (never the request, which carries the value), without the error as cause. */
function failure(what: string, error: unknown): SecretsAdminError {
  const { name = 'Error', message = String(error) } = (error ?? {}) as { name?: string; message?: string };
  return new SecretsAdminError(`${what} failed: ${name}: ${message}`);
}
