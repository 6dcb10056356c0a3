/**
 * Calendar arithmetic on "naive" wall-clock times: a wall-clock reading (year, month, day, hour, minute) encoded as
 * the milliseconds it would be if it were UTC. Naive times add and compare like wall clocks do, with no zone.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** The earliest and latest years EventBridge Scheduler's cron year field accepts; our calendar stays inside them. */
export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2199;

export interface WallClockFields {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** 0 = Sunday ... 6 = Saturday */
  readonly weekday: number;
}

export function naiveFrom(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute);
}

export function fieldsOf(naive: number): WallClockFields {
  const date = new Date(naive);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    weekday: date.getUTCDay(),
  };
}

/** Midnight of the naive time's day. */
export function startOfDay(naive: number): number {
  return Math.floor(naive / DAY_MS) * DAY_MS;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** `2023-09-08T23:00` (seconds only when not zero). */
export function formatNaive(naive: number): string {
  const iso = new Date(naive).toISOString();
  return iso.endsWith(':00.000Z') ? iso.slice(0, 16) : iso.slice(0, 19);
}

/** `2023-09-08T22:00:00Z`: the instant format of EventBridge's `<aws.scheduler.scheduled-time>`. */
export function formatInstantSeconds(instant: number): string {
  return `${new Date(instant).toISOString().slice(0, 19)}Z`;
}

export const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
