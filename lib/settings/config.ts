/**
 * Config settings: plain values that are not secret (a model name, a third party's region), set per environment
 * rather than in the code.
 *
 *   export const model = mn.config('SUMMARY_MODEL', { default: 'small' });
 *   ... model.value() ...   // in any handler
 *
 * In `multinode dev` a value comes from the app's `.env` file; in AWS from the `config` prop of MultinodeApp. Either
 * way the runtime reads it from the environment of the Lambda function or Batch container (`MULTINODE_CONFIG_<name>`),
 * else the default. Config values are not secret: they are visible in the template and the function's settings.
 */
import { DefinitionError } from '../errors.js';
import { showValue } from '../format.js';
import { currentRuntime } from '../runtime-port.js';
import { callerSite, formatSite, type SourceSite } from '../site.js';
import { checkSettingName } from './label.js';
import { registeredSetting, registerSetting } from './registry.js';

/** Options of `config(name, options)`. */
export interface ConfigOptions {
  /** The value when none is set. Without one, reading the setting before a value is set is an error. */
  readonly default?: string;
}

export class ConfigDefinition {
  readonly kind = 'config' as const;

  /** @internal Use `config(name, options)`. */
  constructor(
    readonly name: string,
    readonly site: SourceSite | undefined,
    /** The default value, if any. */
    readonly defaultValue: string | undefined,
  ) {}

  /** The setting's value: the one set for this environment, else the default. Read it in handlers. */
  value(): string {
    return currentRuntime(`config "${this.name}".value()`).config(this.name);
  }

  toJSON(): { config: string } {
    return { config: this.name };
  }
}

/** Declares a config setting: `export const model = config("SUMMARY_MODEL", { default: "small" })`. */
export function config(name: string, options?: ConfigOptions): ConfigDefinition {
  const site = callerSite(config);
  checkSettingName('config', site, name);
  const defaultValue = parseDefault(site, name, options);
  const existing = registeredSetting(name);
  if (existing?.kind === 'config') {
    if (existing.defaultValue !== defaultValue) {
      const had = existing.defaultValue === undefined ? 'no default' : `the default ${showValue(existing.defaultValue)}`;
      throw new DefinitionError(
        `config() at ${formatSite(site)}: "${name}" is already declared at ${formatSite(existing.site)} with ${had}; ` +
          'declare it once, or with the same default.',
      );
    }
    return existing;
  }
  const declared = new ConfigDefinition(name, site, defaultValue);
  registerSetting(declared);
  return declared;
}

function parseDefault(site: SourceSite | undefined, name: string, options: unknown): string | undefined {
  const where = `config "${name}" at ${formatSite(site)}`;
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new DefinitionError(`${where}: options must be an object such as { default: "small" }, not ${showValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'default') throw new DefinitionError(`${where}: unknown option "${key}"; config() accepts "default".`);
  }
  const value = (options as { default?: unknown }).default;
  if (value !== undefined && typeof value !== 'string') {
    throw new DefinitionError(`${where}: option "default" is ${showValue(value)}; allowed: a string (values are text, as in a .env file).`);
  }
  return value;
}
