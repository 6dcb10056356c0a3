import { parseArgs } from 'node:util';
import { definitionsOf, type ScheduledTaskManifest } from '../../lib/manifest.js';
import { describeFilter, describeScheduleSpec, formatLocalTime } from '../../lib/schedule/describe.js';
import { nextFireTimes } from '../../lib/schedule/evaluate.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { checkTargetFlags, chooseApp, entryAndArguments, meantAsEntry, TARGET_OPTIONS } from '../app-target.js';
import { parseCommandArgs, parseCount, parseInstant } from '../args.js';
import { UsageError } from '../io.js';
import { entryPath } from './manifest.js';
import { SCHEDULE_ACTIONS, SCHEDULE_ACTIONS_HELP, SCHEDULE_ACTIONS_USAGE } from './schedule-actions.js';
import { compareDeployed } from './schedules-deployed.js';
import type { Command } from './types.js';

/** One entry of `multinode schedules --json`. */
export interface ScheduleListing {
  readonly name: string;
  readonly timezone: string;
  readonly expressions: readonly CompiledExpression[];
  /** The next fire times, ISO UTC. */
  readonly next: readonly string[];
}

const MAX_COUNT = 1000;
const LISTING_OPTIONS = { count: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } as const;
/** The actions' own flags: known here only to find the action among the arguments. */
const ACTION_OPTIONS = {
  reason: { type: 'string' },
  by: { type: 'string' },
  to: { type: 'string' },
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
} as const;

export const schedulesCommand: Command = {
  summary: "each scheduled task's expressions and next fire times, or deployed vs code; pause, resume, trigger or backfill one",
  usage: `Usage: multinode schedules [<entry>] [--count N] [--from ISO] [--json]
       multinode schedules [<entry>] --stack NAME [--app PREFIX] [--region R] [--profile P] [--json]
       multinode schedules [<entry>] --state-dir DIR [--json]
${SCHEDULE_ACTIONS_USAGE}

Without an action: loads the app module <entry> (without it: the app whose multinode dev runs in
this folder's package, else the package's only app) and prints, for each scheduled task, its source (cron or interval), time zone,
the EventBridge Scheduler expressions it compiles to, and its next N fire times in UTC and local time.
The times come from the compiled expressions, evaluated as EventBridge Scheduler does (DST rules included);
an expression with a day filter (every N days on a wall clock with DST) lists only the days the task runs.

Options:
  --count N    how many fire times per schedule, 1 to ${MAX_COUNT} (default 5)
  --from ISO   list fire times at or after this instant, e.g. 2024-03-30T00:00Z (default: now;
               without an offset the time is read as UTC)
  --json       print [{ "name", "timezone", "expressions": [{ "expression", "timezone", "startDate"?, "filter"? }], "next": [...] }]
  --help       show this help

Deployed versus code: with --stack (the deployed app) or --state-dir (a running multinode dev, whose
local EventBridge Scheduler holds the schedules a deploy would make), reads the app's schedules with
ListSchedules and GetSchedule and prints each task's state (ENABLED, DISABLED, NOT_DEPLOYED), its pause,
and every difference between the deployed expression, time zone, start date, target and input and what
the code compiles to now: a change not yet deployed, or a schedule edited by hand. The code is <entry>,
else this folder's app, else the manifest the app was deployed with (then only hand edits show).
  --json       print { "where", "code", "group", "inSync", "tasks": [{ "name", "state", "paused"?, "code",
               "deployed", "differences": [{ "schedule", "field", "deployed"?, "code"?, "message" }] }], "unknown" }

${SCHEDULE_ACTIONS_HELP}`,
  async run(argv, io) {
    // An action (pause, resume, trigger) is the first argument after the entry; its own command parses the rest.
    const words = parseArgs({
      args: argv,
      options: { ...LISTING_OPTIONS, ...ACTION_OPTIONS, ...TARGET_OPTIONS },
      strict: false,
      allowPositionals: true,
    }).positionals;
    const action = SCHEDULE_ACTIONS[(words[0] !== undefined && meantAsEntry(words[0], io.cwd) ? words[1] : words[0]) ?? ''];
    if (action && !argv.includes('--help')) return action.run(argv, io);
    const { values, positionals } = parseCommandArgs('schedules', argv, { ...LISTING_OPTIONS, ...TARGET_OPTIONS });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const deployed = values.stack !== undefined || values['state-dir'] !== undefined;
    const where = (['app', 'region', 'profile'] as const).find((flag) => values[flag] !== undefined);
    if (where && !deployed) throw new UsageError(`--${where} goes with --stack <name> (the deployed app).`, 'schedules');
    if (deployed) {
      const listingFlag = (['count', 'from'] as const).find((flag) => values[flag] !== undefined);
      if (listingFlag) {
        throw new UsageError(
          `--${listingFlag} goes with the listing of fire times; with --stack or --state-dir the command compares deployed and code.`,
          'schedules',
        );
      }
      checkTargetFlags('schedules', values);
      const split = entryAndArguments('schedules', positionals, io.cwd, []);
      return compareDeployed(io, { ...(split.entry !== undefined ? { entry: split.entry } : {}), flags: values, json: values.json === true });
    }
    if (positionals.length === 1 && !meantAsEntry(positionals[0]!, io.cwd)) {
      throw new UsageError(
        `unknown action "${positionals[0]}": give one of ${Object.keys(SCHEDULE_ACTIONS).join(', ')}, or none for the listing.`,
        'schedules',
      );
    }
    const count = parseCount('schedules', 'count', values.count, 5, MAX_COUNT);
    const from = values.from === undefined ? new Date() : parseFrom(values.from);
    const split = entryAndArguments('schedules', positionals, io.cwd, []);
    const { entry } = await chooseApp('schedules', { ...(split.entry !== undefined ? { entry: split.entry } : {}), cwd: io.cwd });
    const { manifest, logs } = await loadManifest(entryPath(io.cwd, entry));
    if (logs) io.stderr(logs);
    const schedules = definitionsOf(manifest, 'schedule');
    const listings = schedules.map((definition) => listing(definition, from, count));
    io.stdout(values.json ? `${JSON.stringify(listings, null, 2)}\n` : formatListings(schedules, listings, from));
    return 0;
  },
};

function parseFrom(text: string): Date {
  const ms = parseInstant(text);
  if (ms === undefined) {
    throw new UsageError(`--from must be an ISO date-time such as 2024-03-30T00:00Z or 2024-03-30T00:00+01:00, got "${text}".`, 'schedules');
  }
  return new Date(ms);
}

function listing(definition: ScheduledTaskManifest, from: Date, count: number): ScheduleListing {
  const { spec, expressions } = definition.schedule;
  return { name: definition.name, timezone: spec.timezone, expressions, next: nextFireTimes(expressions, from, count).map((time) => time.toISOString()) };
}

function formatListings(definitions: readonly ScheduledTaskManifest[], listings: readonly ScheduleListing[], from: Date): string {
  if (listings.length === 0) return 'The app has no scheduled tasks.\n';
  const blocks = listings.map((entry, i) => {
    const lines = [`${entry.name}: ${describeScheduleSpec(definitions[i]!.schedule.spec)}`, '  EventBridge Scheduler:'];
    for (const { expression, timezone, startDate, filter } of entry.expressions) {
      lines.push(`    ${expression}  ${timezone}${startDate ? `  start ${startDate}` : ''}${filter ? `  ${describeFilter(filter)}` : ''}`);
    }
    lines.push(`  next from ${from.toISOString()}:`);
    if (entry.next.length === 0) lines.push('    (never)');
    for (const time of entry.next) lines.push(`    ${time}  ${formatLocalTime(new Date(time), entry.timezone)}`);
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
