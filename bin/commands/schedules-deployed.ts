/**
 * `multinode schedules [<entry>] --stack NAME` (or `--state-dir DIR`, a running multinode dev): the app's EventBridge
 * Scheduler schedules as deployed next to what the code compiles to now (the control plane's `deployedSchedules`):
 * each task's state and pause, and every difference (a change not yet deployed, or a schedule edited by hand).
 *
 * The code is the entry given; else the app of this folder's package (the rule of the commands that build the app);
 * else, when there is none here, the manifest the app was deployed with, which shows hand edits only (said so).
 */
import { MultinodeError } from '../../lib/errors.js';
import type { Manifest } from '../../lib/manifest.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import type { DeployedSchedule, DeployedSchedules, TaskSchedules } from '../../runtime/control/types.js';
import { type AppTarget, chooseApp, findTarget, openControlPlane, shownPath, type TargetFlags, targetJson, withAwsProfile } from '../app-target.js';
import { type CliIO, UsageError } from '../io.js';
import { withoutMethod } from '../operate.js';
import { isoTime, plural, printJson, when } from '../output.js';
import { entryPath } from './manifest.js';

export interface DeployedOptions {
  /** The entry argument (absolute), if given. */
  readonly entry?: string;
  readonly flags: TargetFlags;
  readonly json: boolean;
}

export async function compareDeployed(io: CliIO, options: DeployedOptions): Promise<number> {
  const { flags } = options;
  return withAwsProfile(flags.profile, async () => {
    const target = await findTarget('schedules', { ...(options.entry !== undefined ? { entry: options.entry } : {}), flags, cwd: io.cwd });
    const code = await codeOf(io, options, target);
    const plane = openControlPlane(target);
    try {
      const report = await plane.deployedSchedules({ code: code.manifest });
      if (options.json) printJson(io, { where: targetJson(target), code: code.entry ?? null, ...report });
      else io.stdout(formatReport(target, code.entry !== undefined ? shownPath(code.entry, io.cwd) : undefined, report));
      return 0;
    } catch (error) {
      throw withoutMethod(error);
    } finally {
      plane.close();
    }
  });
}

/** The manifest to compare with, and the entry it was built from (none: the deployed app's own manifest). */
async function codeOf(io: CliIO, options: DeployedOptions, target: AppTarget): Promise<{ manifest: Manifest; entry?: string }> {
  let entry = options.entry ?? (target.kind === 'dev' ? target.entry : undefined);
  if (entry === undefined) {
    try {
      entry = (await chooseApp('schedules', { cwd: io.cwd })).entry;
    } catch (error) {
      // No app here (or several, none named): compare with what was deployed.
      if (!(error instanceof UsageError)) throw error;
      return { manifest: target.manifest };
    }
  }
  const { manifest, logs } = await loadManifest(entryPath(io.cwd, entry));
  if (logs) io.stderr(logs);
  if (manifest.app.name !== target.manifest.app.name) {
    throw new MultinodeError(
      `${shownPath(entry, io.cwd)} is the app "${manifest.app.name}", but ${target.description} is "${target.manifest.app.name}": ` +
        'give the entry of the deployed app.',
    );
  }
  return { manifest, entry };
}

function formatReport(target: AppTarget, entry: string | undefined, report: DeployedSchedules): string {
  const lines = [
    `Schedules of ${target.description}, group ${report.group}, compared with ` +
      `${entry ?? 'the manifest it was deployed with (no app code here: give <entry> to compare with your code)'}:`,
    '',
  ];
  const now = Date.now();
  for (const task of report.tasks) lines.push(...taskLines(task, now), '');
  if (report.unknown.length > 0) {
    lines.push('In the group, but no task of the code makes them (a task since removed, or made by hand):');
    for (const schedule of report.unknown) lines.push(`  ${scheduleLine(schedule)}`);
    lines.push('');
  }
  const count = report.tasks.reduce((n, task) => n + task.differences.length, 0) + report.unknown.length;
  lines.push(
    report.inSync
      ? 'In step: what is deployed is what the code compiles to.'
      : `${plural(count, 'difference')}: a change not yet deployed (cdk deploy applies it), or a schedule edited by hand ` +
          '(a deploy that does not change its definition leaves the edit in place).',
  );
  return `${lines.join('\n')}\n`;
}

function taskLines(task: TaskSchedules, now: number): string[] {
  const pause = task.paused
    ? `; paused since ${when(task.paused.pausedAt, now)}${task.paused.pausedBy ? ` by ${task.paused.pausedBy}` : ''}` +
      `${task.paused.reason ? `: ${task.paused.reason}` : ''}`
    : '';
  const lines = [`${task.name}: ${task.state}${pause}${task.differences.length === 0 ? ', in step' : ''}`];
  for (const schedule of task.deployed) lines.push(`  deployed  ${scheduleLine(schedule)}`);
  if (task.differences.length > 0) {
    for (const compiled of task.code) {
      lines.push(`  code      ${compiled.expression}  ${compiled.timezone}${compiled.startDate ? `  start ${compiled.startDate}` : ''}`);
    }
    for (const difference of task.differences) lines.push(`  - ${difference.field}: ${difference.message}`);
  }
  return lines;
}

function scheduleLine(schedule: DeployedSchedule): string {
  const start = schedule.startDate ? `  start ${isoTime(schedule.startDate)}` : '';
  return `${schedule.name}  ${schedule.expression}  ${schedule.timezone}${start}  ${schedule.state}`;
}
