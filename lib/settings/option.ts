/** The `secrets` option of functions, jobs, scheduled tasks and services: the secrets its handler may read. */
import type { OptionContext } from '../options/context.js';
import { isSecret, type SecretDefinition } from './secret.js';

/** Options of every definition that runs code. */
export interface SecretsOption {
  /** The secrets the handler reads (declared with `secret(name)`); it may read no others. Default: none. */
  secrets?: readonly SecretDefinition[];
}

const SECRETS_FORMS = 'an array of secrets declared with secret(name), such as [openaiKey]';

/** The names of the secrets given, in order, without repeats. */
export function parseSecrets(ctx: OptionContext, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return ctx.invalid('secrets', value, SECRETS_FORMS);
  const names: string[] = [];
  for (const item of value) {
    if (!isSecret(item)) {
      const hint = typeof item === 'string' ? ` (the string "${item}" names no secret object: pass the value secret("${item}") returned)` : '';
      return ctx.invalid('secrets', value, `${SECRETS_FORMS}${hint}`);
    }
    if (!names.includes(item.name)) names.push(item.name);
  }
  return names;
}
