/**
 * Every secret and config setting declared in this process, by name, in declaration order. Declaring the same secret
 * twice (two modules of the app each calling `secret("OPENAI_KEY")`) gives the same object; a name declared both as a
 * secret and as a config setting, or as config settings with two defaults, is an error.
 */
import type { ConfigDefinition } from './config.js';
import type { SecretDefinition } from './secret.js';

export type Setting = SecretDefinition | ConfigDefinition;

const SLOT = Symbol.for('multinode.settings');
type Slot = { [SLOT]?: Map<string, Setting> };

function settings(): Map<string, Setting> {
  const slot = globalThis as Slot;
  return (slot[SLOT] ??= new Map());
}

export function registeredSetting(name: string): Setting | undefined {
  return settings().get(name);
}

export function registerSetting(setting: Setting): void {
  settings().set(setting.name, setting);
}

/** Secrets declared so far, in declaration order. */
export function registeredSecrets(): SecretDefinition[] {
  return [...settings().values()].filter((s): s is SecretDefinition => s.kind === 'secret');
}

/** Config settings declared so far, in declaration order. */
export function registeredConfig(): ConfigDefinition[] {
  return [...settings().values()].filter((s): s is ConfigDefinition => s.kind === 'config');
}
