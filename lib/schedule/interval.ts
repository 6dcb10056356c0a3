/**
 * `interval` of a schedule: a duration of whole minutes, at least 15 minutes, and the grid it runs on.
 *
 * The grid rule (README): an interval that divides a day or is a whole number of days runs on the zone's wall clock
 * (reference + k x interval read on the wall clock, so "daily at 23:00" stays 23:00 across DST); any other interval
 * runs in elapsed time (reference instant + k x interval).
 */
import { DURATION_FORMS, formatSeconds, parseDurationSeconds } from '../units/duration.js';
import { ScheduleError } from './errors.js';

export const MIN_INTERVAL_SECONDS = 15 * 60;
export const MAX_INTERVAL_SECONDS = 366 * 86400;
const DAY_SECONDS = 86400;

export type GridKind = 'wall-clock' | 'elapsed';

const ALLOWED = `${DURATION_FORMS}, a whole number of minutes from ${formatSeconds(MIN_INTERVAL_SECONDS)} to ${formatSeconds(MAX_INTERVAL_SECONDS)}`;

/** The interval in whole seconds (a multiple of 60); throws ScheduleError('interval', ...). */
export function parseIntervalSeconds(value: unknown): number {
  const parsed = parseDurationSeconds(value);
  if ('problem' in parsed) throw intervalError(value, `${parsed.problem}; allowed: ${ALLOWED}`);
  const seconds = parsed.seconds;
  if (seconds <= 0) throw intervalError(value, `an interval must be positive; allowed: ${ALLOWED}`);
  if (seconds % 60 !== 0)
    throw intervalError(
      value,
      `${formatSeconds(Math.ceil(seconds))} is not a whole number of minutes (EventBridge Scheduler fires at minute precision); allowed: ${ALLOWED}`,
    );
  if (seconds < MIN_INTERVAL_SECONDS)
    throw intervalError(value, `${formatSeconds(seconds)} is shorter than the minimum interval of 15 minutes; allowed: ${ALLOWED}`);
  if (seconds > MAX_INTERVAL_SECONDS)
    throw intervalError(
      value,
      `${formatSeconds(seconds)} is longer than ${formatSeconds(MAX_INTERVAL_SECONDS)} (for yearly runs use cron "@yearly"); allowed: ${ALLOWED}`,
    );
  return seconds;
}

export function gridKindOf(intervalSeconds: number): GridKind {
  return DAY_SECONDS % intervalSeconds === 0 || intervalSeconds % DAY_SECONDS === 0 ? 'wall-clock' : 'elapsed';
}

function intervalError(value: unknown, problem: string): ScheduleError {
  return new ScheduleError('interval', value, problem);
}
