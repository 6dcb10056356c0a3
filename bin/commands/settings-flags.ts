/** `--env-file` of `multinode dev` and `multinode run`, and the lines `multinode dev` prints about secrets and config. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SettingsStatus } from '../../runtime/local/settings/local-settings.js';
import { UsageError } from '../io.js';

/** The absolute path of `--env-file`, which must be an existing file; undefined without the flag. */
export function envFileFlag(command: string, value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  const file = path.resolve(cwd, value);
  if (!existsSync(file)) throw new UsageError(`--env-file ${value}: no such file (looked for ${file}).`, command);
  if (!statSync(file).isFile()) throw new UsageError(`--env-file ${value} is not a file.`, command);
  return file;
}

/** Where values come from, the secrets without a value and the config settings that would fail; names only. */
export function settingsSummary(status: SettingsStatus, cwd: string): string[] {
  if (status.secrets.length === 0 && status.config.length === 0) return [];
  const relative = path.relative(cwd, status.envFile);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : status.envFile;
  const lines = [`  secrets and config: from ${shown}${existsSync(status.envFile) ? '' : ' (no such file yet)'}`];
  const unset = status.secrets.filter((s) => !s.hasValue).map((s) => s.name);
  if (unset.length > 0) lines.push(`  secrets with no value: ${unset.join(', ')} (set each as a NAME=value line in ${shown})`);
  const none = status.config.filter((c) => c.source === 'none').map((c) => c.name);
  if (none.length > 0) lines.push(`  config with no value and no default: ${none.join(', ')}`);
  if (status.undeclared.length > 0) lines.push(`  ${shown} also sets ${status.undeclared.join(', ')}, which the app does not declare`);
  return lines;
}
