import { DefinitionError } from '../errors.js';
import { showValue } from '../format.js';
import { formatSite, type SourceSite } from '../site.js';
import { SETTING_NAME_PATTERN, SETTING_NAME_RULE } from './names.js';
import { registeredSetting } from './registry.js';

/** Checks the name given to `secret(name)` or `config(name)`; throws naming the call, its site and the rule. */
export function checkSettingName(call: 'secret' | 'config', site: SourceSite | undefined, name: unknown): string {
  if (typeof name !== 'string' || !SETTING_NAME_PATTERN.test(name)) {
    throw new DefinitionError(`${call}() at ${formatSite(site)}: the name ${showValue(name)} is not valid; a ${call} name is ${SETTING_NAME_RULE}.`);
  }
  const existing = registeredSetting(name);
  if (existing && existing.kind !== call) {
    throw new DefinitionError(
      `${call}() at ${formatSite(site)}: "${name}" is already declared as a ${existing.kind} at ${formatSite(existing.site)}; ` +
        'a name is either a secret or a config setting.',
    );
  }
  return name;
}
