import path from 'node:path';
import { definitionsOf, type ScheduledTaskManifest } from '../../lib/manifest.js';
import { describeFilter, describeScheduleSpec, formatLocalTime } from '../../lib/schedule/describe.js';
import { nextFireTimes } from '../../lib/schedule/evaluate.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { parseCommandArgs, parseCount } from '../args.js';
import { UsageError } from '../io.js';
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

export const schedulesCommand: Command = {
  summary: "print each scheduled task's EventBridge expressions and its next fire times",
  usage: `Usage: multinode schedules <entry> [--count N] [--from ISO] [--json]

Loads the app module <entry> and prints, for each scheduled task, its source (cron or interval), time zone,
the EventBridge Scheduler expressions it compiles to, and its next N fire times in UTC and local time.
The times come from the compiled expressions, evaluated as EventBridge Scheduler does (DST rules included);
an expression with a day filter (every N days on a wall clock with DST) lists only the days the task runs.

Options:
  --count N    how many fire times per schedule, 1 to ${MAX_COUNT} (default 5)
  --from ISO   list fire times at or after this instant, e.g. 2024-03-30T00:00Z (default: now;
               without an offset the time is read as UTC)
  --json       print [{ "name", "timezone", "expressions": [{ "expression", "timezone", "startDate"?, "filter"? }], "next": [...] }]
  --help       show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('schedules', argv, {
      count: { type: 'string' },
      from: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'missing <entry>: the app module, e.g. src/app.ts.'
          : `expected one <entry>, got ${positionals.length}: ${positionals.join(' ')}.`,
        'schedules',
      );
    }
    const count = parseCount('schedules', 'count', values.count, 5, MAX_COUNT);
    const from = values.from === undefined ? new Date() : parseFrom(values.from);
    const { manifest, logs } = await loadManifest(path.resolve(io.cwd, positionals[0]!));
    if (logs) io.stderr(logs);
    const schedules = definitionsOf(manifest, 'schedule');
    const listings = schedules.map((definition) => listing(definition, from, count));
    io.stdout(values.json ? `${JSON.stringify(listings, null, 2)}\n` : formatListings(schedules, listings, from));
    return 0;
  },
};

function parseFrom(text: string): Date {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(text.trim());
  // Date-only strings are UTC in JS; date-times without an offset would be machine-local, so we read them as UTC.
  const date = iso ? new Date(iso[4] === undefined && text.includes('T') ? `${text.trim()}Z` : text.trim()) : new Date(NaN);
  // JS rolls 2024-02-30 over to March 1: check the day exists.
  const realDay = iso !== null && Number(iso[3]) >= 1 && Number(iso[3]) <= new Date(Date.UTC(Number(iso[1]), Number(iso[2]), 0)).getUTCDate();
  if (Number.isNaN(date.getTime()) || !realDay) {
    throw new UsageError(`--from must be an ISO date-time such as 2024-03-30T00:00Z or 2024-03-30T00:00+01:00, got "${text}".`, 'schedules');
  }
  return date;
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
