/**
 * Schedule options -> a normalized schedule spec, and the manifest's `schedule` object.
 *
 * FOUNDATION STUB: the schedules issue replaces the validation here with exact cron/interval semantics and fills
 * `expressions` with compiled EventBridge Scheduler expressions. The shapes below are the contract.
 */
import type { OptionContext } from '../options/context.js';
import { parseDuration } from '../options/fields.js';

/** What a user writes on `schedule({...})`, besides compute options. */
export interface ScheduleTimingOptions {
  /** A Unix 5-field cron expression (`"0 23 * * 1-5"`) or a macro (`"@daily"`). Give `cron` or `interval`. */
  cron?: string;
  /** Runs at `referenceTime + k * interval` for every integer k; at least 15 minutes. */
  interval?: string | { days?: number; hours?: number; minutes?: number; seconds?: number };
  /** A Date, an ISO string with offset, or a wall-clock string read in `timezone`. Default: 2000-01-01 00:00 in `timezone`. */
  referenceTime?: Date | string;
  /** IANA time zone name; default `"UTC"`. */
  timezone?: string;
}

export type ScheduleSpec =
  | { readonly type: 'cron'; readonly cron: string; readonly timezone: string }
  | { readonly type: 'interval'; readonly intervalSeconds: number; readonly referenceTime: string; readonly timezone: string };

/** One EventBridge Scheduler schedule: its expression, time zone and optional start. */
export interface CompiledExpression {
  readonly expression: string;
  readonly timezone: string;
  readonly startDate?: string;
}

/** The manifest's `schedule` object. */
export interface ScheduleManifest {
  readonly spec: ScheduleSpec;
  readonly expressions: readonly CompiledExpression[];
}

export const MIN_INTERVAL_SECONDS = 15 * 60;

export function parseScheduleSpec(ctx: OptionContext, options: ScheduleTimingOptions): ScheduleSpec {
  const timezone = options.timezone ?? 'UTC';
  if (typeof timezone !== 'string' || !isTimeZone(timezone)) ctx.invalid('timezone', timezone, 'an IANA time zone name such as "UTC" or "Europe/London"');
  if (options.cron !== undefined && options.interval !== undefined) ctx.fail('give either "cron" or "interval", not both.');
  if (options.cron !== undefined) {
    if (typeof options.cron !== 'string') ctx.invalid('cron', options.cron, 'a 5-field cron expression such as "0 23 * * 1-5"');
    return { type: 'cron', cron: options.cron.trim(), timezone };
  }
  if (options.interval !== undefined) {
    const intervalSeconds = parseDuration(ctx, 'interval', options.interval, { min: MIN_INTERVAL_SECONDS, max: 366 * 86400 });
    const reference = options.referenceTime ?? '2000-01-01T00:00:00Z';
    const date = reference instanceof Date ? reference : new Date(reference);
    if (Number.isNaN(date.getTime())) ctx.invalid('referenceTime', reference, 'a Date or an ISO date-time string');
    return { type: 'interval', intervalSeconds, referenceTime: date.toISOString(), timezone };
  }
  return ctx.fail('a schedule needs "cron" (e.g. "0 23 * * 1-5") or "interval" (e.g. "1d").');
}

export function compileSchedule(spec: ScheduleSpec): ScheduleManifest {
  return { spec, expressions: [] };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
