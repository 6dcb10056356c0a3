/**
 * The day filter of a compiled expression (`filter: { everyDays, referenceDay }`): of the expression's fire times,
 * the schedule's are those whose date on the expression's wall clock is `referenceDay + k x everyDays`. Days are
 * calendar days of the wall clock, so the grid keeps its time of day across DST changes, as the interval rule says.
 */
import { DAY_MS, naiveFrom, daysInMonth, startOfDay } from './calendar.js';
import { MAX_INTERVAL_SECONDS } from './interval.js';
import { ScheduleExpressionError } from './errors.js';
import type { CompiledExpression } from './spec-types.js';

const MAX_EVERY_DAYS = MAX_INTERVAL_SECONDS / 86400;

/** A parsed filter: the period in days and a grid date as a naive midnight (calendar.ts). */
export interface DayGrid {
  readonly everyDays: number;
  readonly referenceDay: number;
}

/** The expression's day grid, or undefined when it has no filter; throws ScheduleExpressionError for a malformed one. */
export function dayGridOf(compiled: CompiledExpression): DayGrid | undefined {
  const filter = compiled.filter as unknown;
  if (filter === undefined) return undefined;
  const problem = (what: string) => new ScheduleExpressionError(`the filter ${JSON.stringify(filter)} of ${compiled.expression} is malformed: ${what}`);
  if (typeof filter !== 'object' || filter === null) throw problem('expected { "everyDays": N, "referenceDay": "YYYY-MM-DD" }');
  const { everyDays, referenceDay } = filter as Record<string, unknown>;
  if (typeof everyDays !== 'number' || !Number.isInteger(everyDays) || everyDays < 1 || everyDays > MAX_EVERY_DAYS) {
    throw problem(`"everyDays" must be a whole number from 1 to ${MAX_EVERY_DAYS}`);
  }
  const date = typeof referenceDay === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(referenceDay) : null;
  const [year, month, day] = date ? date.slice(1).map(Number) : [];
  if (!date || month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!)) {
    throw problem('"referenceDay" must be a date such as "2024-01-31"');
  }
  return { everyDays, referenceDay: naiveFrom(year!, month!, day!) };
}

/** Whether the day of the naive time `naive` is on the grid. */
export function isGridDay(grid: DayGrid, naive: number): boolean {
  return mod(Math.round((startOfDay(naive) - grid.referenceDay) / DAY_MS), grid.everyDays) === 0;
}

/** The first grid day at or after the naive midnight `day`. */
export function nextGridDay(grid: DayGrid, day: number): number {
  return day + mod(Math.round((grid.referenceDay - day) / DAY_MS), grid.everyDays) * DAY_MS;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
