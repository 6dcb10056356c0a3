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
import { END_OF_TIME, firesAt, mergedFireTimes } from './evaluate.js';
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

/**
 * The schedule's fire times in [from, to), ascending, at most `limit` of them: what `isFireTime` says, enumerated. A
 * backfill plans with it. Decided from the spec like `isFireTime`, not from what the schedule compiled to: a rate
 * schedule's StartDate (placed after the manifest was built) says nothing about the grid's past.
 */
export function fireTimesInWindow(schedule: ScheduleManifest, from: Date | number, to: Date | number, limit = Number.POSITIVE_INFINITY): number[] {
  const start = Math.max(+from, 0);
  const end = Math.min(+to, END_OF_TIME);
  const times: number[] = [];
  if (!(start < end) || limit <= 0) return times;
  const { spec } = schedule;
  if (spec.type === 'cron') {
    // Crons compile exactly, without a start date or a filter.
    for (const time of mergedFireTimes(schedule.expressions, start)) {
      if (time >= end || times.length >= limit) break;
      times.push(time);
    }
    return times;
  }
  const period = spec.intervalSeconds * 1000;
  if (spec.grid === 'elapsed') {
    const reference = Date.parse(spec.referenceTime);
    for (let time = reference + Math.ceil((start - reference) / period) * period; time < end && times.length < limit; time += period) times.push(time);
    return times;
  }
  // On the wall clock: each grid reading is at most one instant (none in a gap, the first of a repeated reading), and
  // readings a day either side of the window cover every offset.
  const zone = Zone.of(spec.timezone);
  const reference = referenceNaive(spec);
  const lastReading = zone.wallClock(end) + DAY_MS;
  for (let naive = reference + Math.ceil((zone.wallClock(start) - DAY_MS - reference) / period) * period; naive <= lastReading; naive += period) {
    const time = zone.resolve(naive);
    if (time === undefined || time < start) continue;
    if (time >= end) break;
    times.push(time);
    if (times.length >= limit) break;
  }
  return times;
}

function referenceNaive(spec: IntervalSpec): number {
  return Date.parse(`${spec.localReferenceTime}Z`);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
