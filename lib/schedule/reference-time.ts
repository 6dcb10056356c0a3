/**
 * `referenceTime` of an interval schedule: a Date, an ISO date-time with an offset, or a wall-clock date-time read in
 * the schedule's time zone. Normalized to both the instant and the wall-clock reading in that zone.
 */
import { FIRST_YEAR, formatNaive, LAST_YEAR, MINUTE_MS, naiveFrom, daysInMonth, DAY_MS } from './calendar.js';
import { ScheduleError } from './errors.js';
import type { Zone } from './zone.js';

export interface ReferenceTime {
  /** The instant (ms since the epoch). */
  readonly instant: number;
  /** Its wall-clock reading in the schedule's zone (a naive time, see calendar.ts). */
  readonly naive: number;
}

const FORMS =
  'a Date, an ISO date-time with an offset ("2023-09-08T23:00Z", "2023-09-08T23:00+01:00"), or a wall-clock ' +
  'date-time read in "timezone" ("2023-09-08T23:00", "2023-09-08")';
const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})$/i;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

/** The default reference: midnight of 2000-01-01 in the zone (it exists once in every zone). */
export function defaultReferenceTime(zone: Zone): ReferenceTime {
  return wallClockReference(zone, naiveFrom(2000, 1, 1), '2000-01-01T00:00');
}

export function parseReferenceTime(value: unknown, zone: Zone): ReferenceTime {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw referenceError('it is an invalid Date', value);
    return fromInstant(value.getTime(), zone, value);
  }
  if (typeof value === 'number') throw referenceError(`a bare number is ambiguous (write new Date(milliseconds) or an ISO string); allowed: ${FORMS}`, value);
  if (typeof value !== 'string') throw referenceError(`allowed: ${FORMS}`, value);
  const text = value.trim();
  const withOffset = WITH_OFFSET.exec(text);
  if (withOffset) {
    const [, date, time, offset] = withOffset as unknown as [string, string, string, string];
    const normalizedOffset = /^[+-]\d{4}$/.test(offset) ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset.toUpperCase();
    const instant = Date.parse(`${date}T${time}${normalizedOffset}`);
    if (Number.isNaN(instant) || !validDate(date)) throw referenceError(`it is not a real date-time; allowed: ${FORMS}`, value);
    return fromInstant(instant, zone, value);
  }
  const wall = WALL_CLOCK.exec(text);
  if (!wall) throw referenceError(`allowed: ${FORMS}`, value);
  const [year, month, day, hour = 0, minute = 0, second = 0, millis = 0] = wall
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!) || hour > 23 || minute > 59 || second > 59) {
    throw referenceError(`it is not a real date-time; allowed: ${FORMS}`, value);
  }
  if (second !== 0 || millis !== 0) throw referenceError(wholeMinuteProblem(), value);
  checkYear(year!, value);
  return wallClockReference(zone, naiveFrom(year!, month!, day!, hour, minute), text);
}

function fromInstant(instant: number, zone: Zone, value: unknown): ReferenceTime {
  if (instant % MINUTE_MS !== 0) throw referenceError(wholeMinuteProblem(), value);
  checkYear(new Date(instant).getUTCFullYear(), value);
  const naive = zone.wallClock(instant);
  if (naive % MINUTE_MS !== 0) throw referenceError(`its wall-clock time in ${zone.name} (${new Date(naive).toISOString()}) is not a whole minute`, value);
  return { instant, naive };
}

function wallClockReference(zone: Zone, naive: number, written: string): ReferenceTime {
  const instant = zone.resolve(naive);
  if (instant === undefined)
    throw referenceError(`${formatNaive(naive)} does not exist in ${zone.name}: ${describeGap(zone, naive)}; choose a time that exists`, written);
  return { instant, naive };
}

/** "clocks go forward from 01:00 to 02:00 that day" */
function describeGap(zone: Zone, naive: number): string {
  for (const transition of zone.transitionsBetween(naive - 2 * DAY_MS, naive + 2 * DAY_MS)) {
    const before = transition.at + zone.offsetAt(transition.at - 1);
    const after = transition.at + transition.offset;
    if (before <= naive && naive < after) return `clocks go forward from ${formatNaive(before).slice(11)} to ${formatNaive(after).slice(11)} that day`;
  }
  return 'clocks skip it';
}

function validDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function checkYear(year: number, value: unknown): void {
  if (year < FIRST_YEAR || year > LAST_YEAR)
    throw referenceError(`its year ${year} is outside ${FIRST_YEAR}-${LAST_YEAR}, the years EventBridge Scheduler supports`, value);
}

function wholeMinuteProblem(): string {
  return 'it does not fall on a whole minute (seconds must be 0: EventBridge Scheduler fires at minute precision)';
}

function referenceError(problem: string, value: unknown): ScheduleError {
  return new ScheduleError('referenceTime', value, problem);
}
