/** The shapes of a schedule: what users write, its normalized spec, and the manifest's `schedule` object. */
import type { GridKind } from './interval.js';

/** What a user writes on `schedule({...})`, besides compute options. */
export interface ScheduleTimingOptions {
  /** A Unix 5-field cron expression (`"0 23 * * 1-5"`) or a macro (`"@daily"`). Give `cron` or `interval`. */
  cron?: string;
  /** Runs at `referenceTime + k * interval` for every integer k; a whole number of minutes, at least 15 minutes. */
  interval?: string | { days?: number; hours?: number; minutes?: number; seconds?: number };
  /** A Date, an ISO string with offset, or a wall-clock string read in `timezone`. Default: 2000-01-01 00:00 in `timezone`. */
  referenceTime?: Date | string;
  /** IANA time zone name; default `"UTC"`. */
  timezone?: string;
}

export interface CronSpec {
  readonly type: 'cron';
  /** The expression as written (trimmed, single spaces). */
  readonly cron: string;
  readonly timezone: string;
}

export interface IntervalSpec {
  readonly type: 'interval';
  readonly intervalSeconds: number;
  /** The reference instant, ISO UTC (`2023-09-08T22:00:00.000Z`). */
  readonly referenceTime: string;
  /** Its wall-clock reading in `timezone` (`2023-09-08T23:00`). */
  readonly localReferenceTime: string;
  /** Wall-clock grid (the interval divides a day or is whole days) or elapsed-time grid. */
  readonly grid: GridKind;
  readonly timezone: string;
}

export type ScheduleSpec = CronSpec | IntervalSpec;

/**
 * Which fire times of an expression are the schedule's: only those on the dates `referenceDay + k x everyDays` (k any
 * integer) of the expression's wall clock. EventBridge fires the expression on the other dates too; the runtime
 * ignores those deliveries (lib/schedule/fire-time.ts), and the evaluator does not list them.
 */
export interface DayGridFilter {
  /** Whole days from one fire date to the next, 1 to 366. */
  readonly everyDays: number;
  /** A date on the grid, `YYYY-MM-DD` on the expression's wall clock (the reference time's date). */
  readonly referenceDay: string;
}

/** One EventBridge Scheduler schedule: its expression, time zone, optional start (ISO UTC) and optional day filter. */
export interface CompiledExpression {
  readonly expression: string;
  readonly timezone: string;
  readonly startDate?: string;
  /** Present when the expression fires on more days than the schedule runs (every N days on a wall clock with DST). */
  readonly filter?: DayGridFilter;
}

/** The manifest's `schedule` object: the spec and the schedules whose union fires exactly at its times. */
export interface ScheduleManifest {
  readonly spec: ScheduleSpec;
  readonly expressions: readonly CompiledExpression[];
}
