/**
 * The environment variables through which secrets and config settings reach the runtime, besides Secrets Manager
 * itself. Which source serves a setting depends on what the environment holds, never on where the code runs:
 *
 * - `MULTINODE_SECRET_<name>`: the value, put there by ECS from the job definition's container `secrets` (a Batch
 *   container; the local Batch does the same). Only inside the container: never in a template.
 * - `MULTINODE_SECRET_ID_<name>`: the secret to read from Secrets Manager when it is not the one named by the prefix
 *   (an existing secret given to MultinodeApp); an ARN or a name, never a value.
 * - `MULTINODE_CONFIG_<name>`: a config setting's value (set by MultinodeApp's `config` prop, or from `.env` locally).
 */
export const SETTINGS_ENV = {
  secretValue: 'MULTINODE_SECRET_',
  secretId: 'MULTINODE_SECRET_ID_',
  config: 'MULTINODE_CONFIG_',
} as const;

export function secretValueEnv(name: string): string {
  return `${SETTINGS_ENV.secretValue}${name}`;
}

export function secretIdEnv(name: string): string {
  return `${SETTINGS_ENV.secretId}${name}`;
}

export function configEnv(name: string): string {
  return `${SETTINGS_ENV.config}${name}`;
}

/** The environment that gives config settings their values: one variable per setting that has a value. */
export function configEnvironment(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [configEnv(name), value]));
}
