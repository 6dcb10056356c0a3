/**
 * Secrets: values a handler needs that must not be in the code, the template or the logs (API keys, passwords).
 *
 *   export const openaiKey = mn.secret('OPENAI_API_KEY');
 *   export const summarise = mn.fn({ secrets: [openaiKey] }, async (text: string) => {
 *     const key = await openaiKey.value();
 *   });
 *
 * A secret is read only by the definitions that declare it in their `secrets` option: in AWS each one's role may
 * read exactly its secrets, and the runtime refuses a read by any other definition, locally too. In AWS a secret is
 * a Secrets Manager secret; in `multinode dev` its value comes from the app's `.env` file, through a local Secrets
 * Manager endpoint read by the same runtime code.
 */
import { currentRuntime } from '../runtime-port.js';
import { callerSite, type SourceSite } from '../site.js';
import { checkSettingName } from './label.js';
import { registeredSetting, registerSetting } from './registry.js';

const SECRET = Symbol.for('multinode.secret');

/** Options of `secret.value()`. */
export interface SecretValueOptions {
  /**
   * Read the value again from its source instead of the copy kept since the first read (for a key that was
   * rotated while the process runs, say after the third party refused the old one).
   */
  readonly refresh?: boolean;
}

export class SecretDefinition {
  readonly [SECRET] = true;
  readonly kind = 'secret' as const;

  /** @internal Use `secret(name)`. */
  constructor(
    readonly name: string,
    readonly site: SourceSite | undefined,
  ) {}

  /**
   * The secret's value. Read at the first call and kept for the life of the process (a Lambda execution
   * environment, a Batch container, a local worker); `{ refresh: true }` reads it again. Only handlers of
   * definitions that declare the secret in `secrets` may call it.
   */
  async value(options?: SecretValueOptions): Promise<string> {
    return currentRuntime(`secret "${this.name}".value()`).secret(this.name, options);
  }

  toJSON(): { secret: string } {
    return { secret: this.name };
  }
}

export function isSecret(value: unknown): value is SecretDefinition {
  return typeof value === 'object' && value !== null && (value as { [SECRET]?: unknown })[SECRET] === true;
}

/**
 * Declares a secret: `export const openaiKey = secret("OPENAI_API_KEY")`. Definitions that read it list it in their
 * options: `fn({ secrets: [openaiKey] }, ...)`.
 */
export function secret(name: string): SecretDefinition {
  const site = callerSite(secret);
  checkSettingName('secret', site, name);
  const existing = registeredSetting(name);
  if (existing?.kind === 'secret') return existing;
  const declared = new SecretDefinition(name, site);
  registerSetting(declared);
  return declared;
}
