/** Human-readable schedules, for `multinode manifest` and `multinode schedules`. */
import { formatSeconds } from '../units/duration.js';
import type { DayGridFilter, ScheduleSpec } from './spec-types.js';

/** `cron "0 23 * * 1-5" in Europe/London`, `every 1d from 2023-09-08T23:00 in Europe/London (wall clock)`. */
export function describeScheduleSpec(spec: ScheduleSpec): string {
  if (spec.type === 'cron') return `cron "${spec.cron}" in ${spec.timezone}`;
  const grid = spec.grid === 'wall-clock' ? 'wall clock' : 'elapsed time';
  return `every ${formatSeconds(spec.intervalSeconds)} from ${spec.localReferenceTime} in ${spec.timezone} (${grid})`;
}

/** `only every 2 days from 2024-03-29 (other days ignored)`: which of an expression's days are fire times. */
export function describeFilter(filter: DayGridFilter): string {
  return `only every ${filter.everyDays} days from ${filter.referenceDay} (other days ignored)`;
}

/**
 * `Mon 2024-01-01 23:00 GMT`, `Tue 2024-07-16 00:00 CEST`, `Tue 2024-01-16 08:00 Asia/Tokyo`: an instant on the
 * wall clock of `timezone`, with the zone's abbreviation when one exists, else the zone's name (never a bare offset
 * such as "GMT+1", which says less than "BST" or "Europe/London").
 */
export function formatLocalTime(instant: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  ) as Record<string, string>;
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zoneLabel(instant, timezone)}`;
}

/** English locales whose time-zone data hold the abbreviations people use (EST in en-US, BST and CET in en-GB, ...). */
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN'];

/** The zone's abbreviation at `instant` in the first locale that has a real one; else its name (or offset, for Etc/ zones). */
function zoneLabel(instant: Date, timezone: string): string {
  let offset = '';
  for (const locale of ABBREVIATION_LOCALES) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: timezone, timeZoneName: 'short' })
      .formatToParts(instant)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (!name) continue;
    if (!/^(GMT|UTC)[+-]/.test(name)) return name;
    offset = name;
  }
  // "Etc/GMT+5" means five hours behind GMT: its offset reads better than its name.
  return timezone.startsWith('Etc/') && offset ? offset : timezone;
}
