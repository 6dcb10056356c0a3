/**
 * `multinode schedules pause | resume | trigger | backfill <task>`: acting on a scheduled task of a running app (the
 * control plane's `pause`, `resume`, `trigger`, `backfill`). One Command per action, by name: `multinode schedules`
 * hands its arguments to the action its first argument (after the entry) names.
 */
import os from 'node:os';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import type { BackfillResult, BackfillRun } from '../../runtime/control/types.js';
import { expectArguments, parseCount, parseInstant } from '../args.js';
import { UsageError } from '../io.js';
import { operatingCommand } from '../operate.js';
import { isoTime, plural, printJson, when } from '../output.js';
import type { Command } from './types.js';

/** Longest `--reason` / `--by` note (the control plane's limit). */
const NOTE_LIMIT = 256;
/** The control plane's limit on `--concurrency`. */
const BACKFILL_CONCURRENCY_MAX = 100;
/** Statuses of a backfilled fire time that make the command exit 1. */
const NOT_DONE = new Set<BackfillRun['status']>(['FAILED', 'TIMED_OUT', 'CANCELLED', 'UNDELIVERED']);

export const SCHEDULE_ACTIONS_USAGE = `       multinode schedules [<entry>] pause <task> [--reason TEXT] [--by NAME] [--json] [--stack NAME ...]
       multinode schedules [<entry>] resume <task> [--json] [--stack NAME ...]
       multinode schedules [<entry>] trigger <task> [--json] [--stack NAME ...]
       multinode schedules [<entry>] backfill <task> --from ISO --to ISO [--concurrency N] [--dry-run] [--yes] [--json] [--stack NAME ...]`;

export const SCHEDULE_ACTIONS_HELP = `Acting on a scheduled task of the running app (a running multinode dev, or --stack):
  pause <task>     its fire times are recorded PAUSED and do not run, until resume (on Lambda and
                   on Batch; the pause is kept in the app's state table, so deploys keep it)
  resume <task>    its next fire times run again
  trigger <task>   a manual run now (it runs even while the task is paused; it goes through the
                   task's overlap policy); prints its run id, to follow with multinode runs <id>
                   or multinode logs <id>
  backfill <task>  runs each fire time in [--from, --to) that has no recorded run (or was recorded
                   SKIPPED or PAUSED), oldest first, under the task's overlap policy, marked
                   backfill; a second backfill of the same window runs nothing again

${TARGET_USAGE}

Options of pause:
  --reason TEXT    why, kept with the pause (at most ${NOTE_LIMIT} characters)
  --by NAME        who paused it; default the user name of this machine's account
Options of backfill:
  --from ISO       the window's start, included (e.g. 2024-03-01T00:00Z; without an offset: UTC)
  --to ISO         the window's end, excluded, not in the future
  --concurrency N  fire times run at once, 1 to ${BACKFILL_CONCURRENCY_MAX} (default 1; above 1 only for a task
                   declared with overlap: "allow")
  --dry-run        list the fire times it would run, run nothing
  --yes            needed to run a window of more than 1,000 fire times
Options of pause, resume, trigger and backfill:
  --json           pause and resume: { "where", "name", "paused", "changed", "pause"? };
                   trigger: { "where", "id", "name", "scheduledTime" };
                   backfill --dry-run: the fire times it would run, an array of ISO UTC strings;
                   backfill: { "where", "name", "from", "to", "fireTimes", "alreadyRecorded",
                   "concurrency", "runs": [{ "id", "scheduledTime", "status" }] }`;

function taskArgument(action: string, args: string[]): string {
  const [, task] = expectArguments('schedules', args, [action, 'task: the name of a scheduled task']);
  return task!;
}

const pauseCommand = operatingCommand({
  name: 'schedules',
  summary: 'pause a scheduled task',
  usage: `Usage: multinode schedules [<entry>] pause <task> [--reason TEXT] [--by NAME] [--json]\n\n${SCHEDULE_ACTIONS_HELP}`,
  options: { reason: { type: 'string' }, by: { type: 'string' } },
  parse(args, flags) {
    for (const flag of ['reason', 'by'] as const) {
      const value = flags[flag];
      if (value !== undefined && (value.trim() === '' || value.length > NOTE_LIMIT))
        throw new UsageError(`--${flag} must be 1 to ${NOTE_LIMIT} characters.`, 'schedules');
    }
    return { task: taskArgument('pause', args), reason: flags.reason, by: flags.by ?? userName() };
  },
  async run({ io, plane, target, request, json }) {
    const result = await plane.pause(request.task, {
      ...(request.by !== undefined ? { pausedBy: request.by } : {}),
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
    });
    if (json) printJson(io, { where: targetJson(target), ...result });
    else if (result.changed)
      io.stdout(`Paused ${result.name}: its fire times are recorded PAUSED and do not run until: multinode schedules resume ${result.name}\n`);
    else io.stdout(`${result.name} was paused already, since ${result.pause ? when(result.pause.pausedAt, Date.now()) : '?'}.\n`);
    return 0;
  },
});

const resumeCommand = operatingCommand({
  name: 'schedules',
  summary: 'resume a paused scheduled task',
  usage: `Usage: multinode schedules [<entry>] resume <task> [--json]\n\n${SCHEDULE_ACTIONS_HELP}`,
  options: {},
  parse(args) {
    return { task: taskArgument('resume', args) };
  },
  async run({ io, plane, target, request, json }) {
    const result = await plane.resume(request.task);
    if (json) printJson(io, { where: targetJson(target), ...result });
    else io.stdout(result.changed ? `Resumed ${result.name}: its next fire times run.\n` : `${result.name} was not paused.\n`);
    return 0;
  },
});

const triggerCommand = operatingCommand({
  name: 'schedules',
  summary: 'run a scheduled task now',
  usage: `Usage: multinode schedules [<entry>] trigger <task> [--json]\n\n${SCHEDULE_ACTIONS_HELP}`,
  options: {},
  parse(args) {
    return { task: taskArgument('trigger', args) };
  },
  async run({ io, plane, target, request, json }) {
    const result = await plane.trigger(request.task);
    if (json) printJson(io, { where: targetJson(target), ...result });
    else
      io.stdout(
        `Triggered ${result.name}: a manual run scheduled ${isoTime(result.scheduledTime)}, id ${result.id}\n` +
          `  follow it: multinode logs ${result.id} --follow; see how it went: multinode runs ${result.id}\n`,
      );
    return 0;
  },
});

function instantFlag(flag: 'from' | 'to', value: string | undefined): Date {
  if (value === undefined) {
    throw new UsageError(
      `backfill needs --from and --to: the window [from, to) of past fire times to run, e.g. --from 2024-03-01T00:00Z --to 2024-03-08T00:00Z.`,
      'schedules',
    );
  }
  const ms = parseInstant(value);
  if (ms === undefined) {
    throw new UsageError(
      `--${flag} must be an ISO date-time such as 2024-03-01T00:00Z or 2024-03-01T00:00+01:00 (without an offset: UTC), got "${value}".`,
      'schedules',
    );
  }
  return new Date(ms);
}

const backfillCommand = operatingCommand({
  name: 'schedules',
  summary: 'run the past fire times of a scheduled task that did not run',
  usage: `Usage: multinode schedules [<entry>] backfill <task> --from ISO --to ISO [--concurrency N] [--dry-run] [--yes] [--json]\n\n${SCHEDULE_ACTIONS_HELP}`,
  options: { from: { type: 'string' }, to: { type: 'string' }, concurrency: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' } },
  parse(args, flags) {
    const task = taskArgument('backfill', args);
    const from = instantFlag('from', flags.from);
    const to = instantFlag('to', flags.to);
    const concurrency = parseCount('schedules', 'concurrency', flags.concurrency, 1, BACKFILL_CONCURRENCY_MAX);
    return { task, from, to, concurrency, dryRun: flags['dry-run'] === true, yes: flags.yes === true };
  },
  async run({ io, plane, target, request, json }) {
    const { task, from, to, concurrency, dryRun, yes } = request;
    // The heading comes with the first fire time's line: a window the control plane refuses prints only its error.
    let headed = false;
    const heading = () => {
      if (!headed && !json && !dryRun) io.stdout(`Backfilling ${task} from ${isoTime(from)} to ${isoTime(to)}, oldest first:\n`);
      headed = true;
    };
    const onProgress = (run: BackfillRun) => {
      if (json || run.status === 'SENT') return;
      heading();
      io.stdout(`  ${isoTime(run.scheduledTime)}  ${run.status}\n`);
    };
    // Ctrl-C stops sending fire times; those sent are waited for and reported.
    const stop = io.signal ? { signal: io.signal } : {};
    const result = await plane.backfill(task, { from, to, concurrency, dryRun, yes, ...(dryRun ? {} : { onProgress, ...stop }) });
    heading();
    const unsent = dryRun ? 0 : result.toRun.length - result.runs.length;
    if (unsent > 0) {
      io.stderr(`Stopped: ${plural(unsent, 'fire time')} not sent. The same command sends them (a backfill runs only what has no record).\n`);
    }
    if (json) {
      if (dryRun)
        printJson(
          io,
          result.toRun.map((time) => time.toISOString()),
        );
      else printJson(io, { where: targetJson(target), ...withoutDryRun(result) });
    } else io.stdout(dryRun ? formatPlan(result) : formatDone(result));
    return result.runs.some((run) => NOT_DONE.has(run.status)) ? 1 : 0;
  },
});

function withoutDryRun(result: BackfillResult): Omit<BackfillResult, 'dryRun' | 'toRun'> {
  const { dryRun: _dryRun, toRun: _toRun, ...rest } = result;
  return rest;
}

function planLine(result: BackfillResult): string {
  return (
    `${plural(result.fireTimes, 'fire time')} of ${result.name} from ${isoTime(result.from)} to ${isoTime(result.to)}; ` +
    `${result.alreadyRecorded} already ran (or run, or wait)`
  );
}

function formatPlan(result: BackfillResult): string {
  const head = `${planLine(result)}; a backfill would run ${result.toRun.length}, oldest first${result.toRun.length > 0 ? ':' : '.'}\n`;
  return head + result.toRun.map((time) => `  ${isoTime(time)}\n`).join('');
}

function formatDone(result: BackfillResult): string {
  if (result.runs.length === 0) return `${planLine(result)}: nothing to run.\n`;
  const counts = new Map<string, number>();
  for (const run of result.runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  return `${planLine(result)}; ran ${result.runs.length}: ${summary}. See them: multinode runs --name ${result.name}\n`;
}

/** The actions of `multinode schedules`, by their first argument. */
export const SCHEDULE_ACTIONS: Readonly<Record<string, Command>> = {
  pause: pauseCommand,
  resume: resumeCommand,
  trigger: triggerCommand,
  backfill: backfillCommand,
};

function userName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
