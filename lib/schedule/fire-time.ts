/**
 * Which instants are a schedule's fire times, decided in one place.
 *
 * - A cron: the instants its compiled expressions fire at (crons compile exactly, without filters).
 * - An interval: the instants on its grid, reference + k x interval: in elapsed time, or on the zone's wall clock by
 *   EventBridge's DST rules (a grid reading the clock skips is no time at all; one it shows twice is its first
 *   occurrence).
 *
 * Intervals are decided from the spec, not from what they compiled to. Whole days compile to `rate(N days)` when the
 * zone keeps one UTC offset for the next two years and to a filtered cron otherwise, and that can differ between the
 * build that created the EventBridge schedules and the runtime receiving their deliveries (a cold start after a
 * zone's last DST change, another Node's time zone data); the grid itself cannot.
 */
import { DAY_MS, MINUTE_MS } from './calendar.js';
import { END_OF_TIME, firesAt } from './evaluate.js';
import type { IntervalSpec, ScheduleManifest } from './spec-types.js';
import { Zone } from './zone.js';

/** Whether `instant` is one of the schedule's fire times. */
export function isFireTime(schedule: ScheduleManifest, instant: Date | number): boolean {
  const time = +instant;
  const { spec } = schedule;
  if (spec.type === 'cron') return schedule.expressions.some((compiled) => firesAt(compiled, time));
  if (time % MINUTE_MS !== 0 || time >= END_OF_TIME) return false;
  const period = spec.intervalSeconds * 1000;
  if (spec.grid === 'elapsed') return mod(time - Date.parse(spec.referenceTime), period) === 0;
  const zone = Zone.of(spec.timezone);
  const naive = zone.wallClock(time);
  return mod(naive - referenceNaive(spec), period) === 0 && zone.resolve(naive) === time;
}

/**
 * Whether a delivery at `instant` is one EventBridge makes only because the compiled cron covers more days than the
 * grid: the schedule runs every N whole days on a wall clock, the instant shows the grid's time of day (its first
 * occurrence), and its date is off the grid. The scheduled-event handler ignores these. Times at any other time of
 * day (a run triggered by hand) are not off the grid: they are no delivery of the schedule at all.
 */
export function isOffGrid(schedule: ScheduleManifest, instant: Date | number): boolean {
  const time = +instant;
  const { spec } = schedule;
  if (spec.type !== 'interval' || spec.grid !== 'wall-clock' || (spec.intervalSeconds * 1000) % DAY_MS !== 0) return false;
  const zone = Zone.of(spec.timezone);
  const naive = zone.wallClock(time);
  return mod(naive - referenceNaive(spec), DAY_MS) === 0 && zone.resolve(naive) === time && !isFireTime(schedule, time);
}

function referenceNaive(spec: IntervalSpec): number {
  return Date.parse(`${spec.localReferenceTime}Z`);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
