/**
 * Schedule options -> a normalized schedule spec -> the manifest's `schedule` object (spec + compiled EventBridge
 * Scheduler expressions). `schedule({...})` calls `scheduleFromOptions` at definition time, so every mistake is
 * reported where the schedule is declared.
 */
import { closest } from '../format.js';
import type { OptionContext } from '../options/context.js';
import { formatNaive } from './calendar.js';
import { compileSchedule } from './compile.js';
import { ScheduleError } from './errors.js';
import { gridKindOf, parseIntervalSeconds } from './interval.js';
import { defaultReferenceTime, parseReferenceTime } from './reference-time.js';
import type { ScheduleManifest, ScheduleSpec } from './spec-types.js';
import { parseUnixCron } from './unix-cron.js';
import { resolveTimeZone, Zone } from './zone.js';

export type { CompiledExpression, CronSpec, IntervalSpec, ScheduleManifest, ScheduleSpec, ScheduleTimingOptions } from './spec-types.js';
export { compileSchedule } from './compile.js';
export { MIN_INTERVAL_SECONDS } from './interval.js';

const CRON_FORMS = 'a 5-field cron expression such as "0 23 * * 1-5", or a macro such as "@daily"';
const TIMEZONE_FORMS = 'an IANA time zone name such as "UTC", "Europe/London" or "America/New_York"';

/** Validates and normalizes the timing options (`cron`, `interval`, `referenceTime`, `timezone`); throws ScheduleError. */
export function normalizeScheduleSpec(options: Readonly<Record<string, unknown>>): ScheduleSpec {
  const timezone = parseTimeZone(options.timezone);
  const { cron, interval, referenceTime } = options;
  if (cron !== undefined && interval !== undefined) {
    throw new ScheduleError(null, undefined, 'give either "cron" (e.g. "0 23 * * 1-5") or "interval" (e.g. "1d"), not both');
  }
  if (cron !== undefined) {
    if (referenceTime !== undefined) {
      throw new ScheduleError(
        'referenceTime',
        referenceTime,
        'it applies only to "interval" schedules (a cron expression fixes its own times); remove it or use "interval"',
      );
    }
    if (typeof cron !== 'string') throw new ScheduleError('cron', cron, `allowed: ${CRON_FORMS}`);
    parseUnixCron(cron);
    return { type: 'cron', cron: cron.trim().split(/\s+/).join(' '), timezone };
  }
  if (interval !== undefined) {
    const intervalSeconds = parseIntervalSeconds(interval);
    const zone = Zone.of(timezone);
    const reference = referenceTime === undefined ? defaultReferenceTime(zone) : parseReferenceTime(referenceTime, zone);
    return {
      type: 'interval',
      intervalSeconds,
      referenceTime: new Date(reference.instant).toISOString(),
      localReferenceTime: formatNaive(reference.naive),
      grid: gridKindOf(intervalSeconds),
      timezone,
    };
  }
  throw new ScheduleError(null, undefined, 'a schedule needs "cron" (e.g. "0 23 * * 1-5") or "interval" (e.g. "1d")');
}

function parseTimeZone(value: unknown): string {
  if (value === undefined) return 'UTC';
  if (typeof value !== 'string') throw new ScheduleError('timezone', value, `allowed: ${TIMEZONE_FORMS}`);
  const zone = resolveTimeZone(value.trim());
  if (zone) return zone;
  const suggestion = closest(value, [...Intl.supportedValuesOf('timeZone'), 'UTC']);
  throw new ScheduleError(
    'timezone',
    value,
    `it is not a time zone Node's Intl knows${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; allowed: ${TIMEZONE_FORMS}`,
  );
}

/** The spec, with mistakes reported through the definition's context (`schedule "x" at src/app.ts:3:5: ...`). */
export function parseScheduleSpec(ctx: OptionContext, options: Readonly<Record<string, unknown>>): ScheduleSpec {
  return reported(ctx, () => normalizeScheduleSpec(options));
}

/** What `schedule({...})` records: the spec and its compiled expressions (rate starts placed after `now`). */
export function scheduleFromOptions(ctx: OptionContext, options: Readonly<Record<string, unknown>>, now: number = Date.now()): ScheduleManifest {
  return reported(ctx, () => compileSchedule(normalizeScheduleSpec(options), { now }));
}

function reported<T>(ctx: OptionContext, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ScheduleError) ctx.fail(`${error.message}.`);
    throw error;
  }
}
