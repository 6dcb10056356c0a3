/**
 * `multinode schedules pause | resume | trigger <task>`: acting on a scheduled task of a running app (the control
 * plane's `pause`, `resume`, `trigger`). One Command per action, by name: `multinode schedules` hands its arguments
 * to the action its first argument (after the entry) names.
 */
import os from 'node:os';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments } from '../args.js';
import { UsageError } from '../io.js';
import { operatingCommand } from '../operate.js';
import { isoTime, printJson, when } from '../output.js';
import type { Command } from './types.js';

/** Longest `--reason` / `--by` note (the control plane's limit). */
const NOTE_LIMIT = 256;

export const SCHEDULE_ACTIONS_USAGE = `       multinode schedules [<entry>] pause <task> [--reason TEXT] [--by NAME] [--json] [--stack NAME ...]
       multinode schedules [<entry>] resume <task> [--json] [--stack NAME ...]
       multinode schedules [<entry>] trigger <task> [--json] [--stack NAME ...]`;

export const SCHEDULE_ACTIONS_HELP = `Acting on a scheduled task of the running app (a running multinode dev, or --stack):
  pause <task>     its fire times are recorded PAUSED and do not run, until resume (on Lambda and
                   on Batch; the pause is kept in the app's state table, so deploys keep it)
  resume <task>    its next fire times run again
  trigger <task>   a manual run now (it runs even while the task is paused); prints its run id, to
                   follow with multinode runs <id> or multinode logs <id>

${TARGET_USAGE}

Options of pause:
  --reason TEXT    why, kept with the pause (at most ${NOTE_LIMIT} characters)
  --by NAME        who paused it; default the user name of this machine's account
Options of pause, resume and trigger:
  --json           pause and resume: { "where", "name", "paused", "changed", "pause"? };
                   trigger: { "where", "id", "name", "scheduledTime" }`;

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

/** The actions of `multinode schedules`, by their first argument. */
export const SCHEDULE_ACTIONS: Readonly<Record<string, Command>> = {
  pause: pauseCommand,
  resume: resumeCommand,
  trigger: triggerCommand,
};

function userName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
