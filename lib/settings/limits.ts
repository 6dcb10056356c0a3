/**
 * The most a secret's value holds: Secrets Manager's limit for a SecretString, 65,536 bytes (docs/aws-behaviour.md,
 * "Secrets Manager values"); and at least one byte, as Secrets Manager has no empty values. The same locally.
 */
export const SECRET_VALUE_MAX_BYTES = 65_536;

/** Why `value` cannot be a secret's value, or undefined when it can. Never quotes the value. */
export function secretValueProblem(name: string, value: string): string | undefined {
  if (typeof value !== 'string') return `a value of secret ${name} must be a string`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0) return `the value of secret ${name} is empty; a secret's value is 1 to ${SECRET_VALUE_MAX_BYTES} bytes`;
  if (bytes > SECRET_VALUE_MAX_BYTES)
    return `the value of secret ${name} is ${bytes} bytes, over the ${SECRET_VALUE_MAX_BYTES} bytes a Secrets Manager secret holds`;
  return undefined;
}
