/**
 * The one evaluator of EventBridge Scheduler expressions: when does a compiled schedule fire? It drives
 * `multinode schedules` and the local scheduler, so the local clock fires what AWS would fire.
 *
 * `fireTimes` is what EventBridge fires for one expression. An expression with a day filter (every N days on a wall
 * clock with DST: a daily or weekly cron) fires on more days than the schedule runs; `gridFireTimes` and the
 * schedule-wide `nextFireTimes` / `fireTimesBetween` list only the schedule's own times, stepping from grid day to
 * grid day rather than filtering every day.
 *
 * cron: evaluated on the wall clock of the schedule's time zone with EventBridge's DST rules: a wall-clock time that
 *   does not exist (clocks jump forward) is skipped; one that occurs twice (clocks go back) fires once, at its first
 *   occurrence.
 * rate: elapsed time, every period from StartDate on (a day is 24 hours, whatever the zone).
 * StartDate: nothing fires before it.
 */
import { DAY_MS, daysInMonth, fieldsOf, HOUR_MS, LAST_YEAR, MINUTE_MS, startOfDay, weekdayOf } from './calendar.js';
import { ScheduleExpressionError } from './errors.js';
import { type CronExpression, type DayOfMonthRule, type DayOfWeekRule, parseScheduleExpression, type RateExpression } from './expression.js';
import { type DayGrid, dayGridOf, isGridDay, nextGridDay } from './grid-filter.js';
import type { CompiledExpression } from './spec-types.js';
import { resolveTimeZone, Zone } from './zone.js';

/** Nothing fires from 2200 on: EventBridge's cron years end with 2199. */
export const END_OF_TIME = Date.UTC(LAST_YEAR + 1, 0, 1);

export interface FireTimeOptions {
  /** For a rate without StartDate: when the schedule was created (its phase). */
  readonly createdAt?: number;
}

/** The times EventBridge fires one expression at or after `from`, ascending (ms since the epoch); its filter is ignored. */
export function fireTimes(compiled: CompiledExpression, from: Date | number, options: FireTimeOptions = {}): Generator<number> {
  return expressionTimes(compiled, from, options, undefined);
}

/** The schedule's own times among one expression's fire times at or after `from`: those its filter keeps. */
export function* gridFireTimes(compiled: CompiledExpression, from: Date | number, options: FireTimeOptions = {}): Generator<number> {
  const grid = dayGridOf(compiled);
  if (grid === undefined || parseScheduleExpression(compiled.expression).kind === 'cron') {
    yield* expressionTimes(compiled, from, options, grid);
    return;
  }
  // A filtered rate (never compiled, but a manifest may say so): filter each time.
  const zone = zoneOf(compiled);
  for (const time of expressionTimes(compiled, from, options, undefined)) if (isGridDay(grid, zone.wallClock(time))) yield time;
}

/** Whether EventBridge fires `compiled` at `instant` (its filter is ignored): what `fireTimes` lists, decided directly. */
export function firesAt(compiled: CompiledExpression, instant: number, options: FireTimeOptions = {}): boolean {
  const expression = parseScheduleExpression(compiled.expression);
  const start = compiled.startDate === undefined ? undefined : parseStartDate(compiled);
  if (instant < (start ?? -Infinity) || instant >= END_OF_TIME) return false;
  if (expression.kind === 'rate') {
    const anchor = start ?? options.createdAt;
    if (anchor === undefined) throw noStartDate(compiled);
    return instant >= anchor && (instant - anchor) % expression.periodMs === 0;
  }
  const zone = zoneOf(compiled);
  const naive = zone.wallClock(instant);
  if (naive % MINUTE_MS !== 0) return false;
  const { year, month, day, hour, minute } = fieldsOf(naive);
  return (
    expression.years[year] === true &&
    expression.months[month] === true &&
    expression.hours[hour] === true &&
    expression.minutes[minute] === true &&
    dayMatches(expression, year, month, day) &&
    // Only the first occurrence of a repeated wall-clock time fires.
    zone.resolve(naive) === instant
  );
}

/** Whether the expression's filter (if any) keeps `instant`. */
export function passesFilter(compiled: CompiledExpression, instant: number): boolean {
  const grid = dayGridOf(compiled);
  return grid === undefined || isGridDay(grid, zoneOf(compiled).wallClock(instant));
}

function* expressionTimes(compiled: CompiledExpression, from: Date | number, options: FireTimeOptions, grid: DayGrid | undefined): Generator<number> {
  const expression = parseScheduleExpression(compiled.expression);
  const start = compiled.startDate === undefined ? undefined : parseStartDate(compiled);
  const earliest = Math.max(+from, start ?? -Infinity);
  if (expression.kind === 'rate') {
    const anchor = start ?? options.createdAt;
    if (anchor === undefined) throw noStartDate(compiled);
    yield* rateTimes(expression, anchor, earliest);
    return;
  }
  yield* cronTimes(expression, zoneOf(compiled), earliest, grid);
}

function noStartDate(compiled: CompiledExpression): ScheduleExpressionError {
  return new ScheduleExpressionError(`${compiled.expression} has no startDate: a rate schedule without one starts when it is created; pass createdAt`);
}

function zoneOf(compiled: CompiledExpression): Zone {
  const timezone = resolveTimeZone(compiled.timezone);
  if (timezone === undefined) throw new ScheduleExpressionError(`${JSON.stringify(compiled.timezone)} is not an IANA time zone`);
  return Zone.of(timezone);
}

/** The next `count` fire times at or after `from` of a schedule compiled to several expressions (their union, each time once, filters applied). */
export function nextFireTimes(expressions: readonly CompiledExpression[], from: Date | number, count: number, options: FireTimeOptions = {}): Date[] {
  const result: Date[] = [];
  for (const time of mergedFireTimes(expressions, from, options)) {
    if (result.length >= count) break;
    result.push(new Date(time));
  }
  return result;
}

/** The fire times in [from, to) of a schedule compiled to several expressions (their union, each time once, filters applied). */
export function fireTimesBetween(expressions: readonly CompiledExpression[], from: Date | number, to: Date | number, options: FireTimeOptions = {}): Date[] {
  const result: Date[] = [];
  for (const time of mergedFireTimes(expressions, from, options)) {
    if (time >= +to) break;
    result.push(new Date(time));
  }
  return result;
}

/** The fire times at or after `from` of a schedule compiled to several expressions, ascending (their union, each time once, filters applied). */
export function* mergedFireTimes(expressions: readonly CompiledExpression[], from: Date | number, options: FireTimeOptions = {}): Generator<number> {
  const heads = expressions.map((compiled) => {
    const times = gridFireTimes(compiled, from, options);
    return { times, next: times.next() };
  });
  let last = -Infinity;
  for (;;) {
    let earliest: (typeof heads)[number] | undefined;
    for (const head of heads) if (!head.next.done && (!earliest || head.next.value < (earliest.next.value as number))) earliest = head;
    if (!earliest) return;
    const time = earliest.next.value as number;
    earliest.next = earliest.times.next();
    if (time !== last) yield time;
    last = time;
  }
}

function parseStartDate(compiled: CompiledExpression): number {
  const start = Date.parse(compiled.startDate!);
  if (Number.isNaN(start))
    throw new ScheduleExpressionError(`startDate ${JSON.stringify(compiled.startDate)} of ${compiled.expression} is not an ISO date-time`);
  return start;
}

function* rateTimes(rate: RateExpression, anchor: number, earliest: number): Generator<number> {
  const skipped = Math.max(0, Math.ceil((earliest - anchor) / rate.periodMs));
  for (let time = anchor + skipped * rate.periodMs; time < END_OF_TIME; time += rate.periodMs) yield time;
}

/** A cron's times from `earliest` on; with a day grid, only on grid days (the others are never visited). */
function* cronTimes(cron: CronExpression, zone: Zone, earliest: number, grid: DayGrid | undefined): Generator<number> {
  const hours = indexes(cron.hours);
  const minutes = indexes(cron.minutes);
  const onGrid = grid === undefined ? (day: number) => day : (day: number) => nextGridDay(grid, day);
  // Start a day early: a time on the previous local date may still lie at or after `earliest`.
  let day = onGrid(startOfDay(zone.wallClock(Math.max(earliest, Date.UTC(1970, 0, 1)))) - DAY_MS);
  while (day < END_OF_TIME) {
    const { year, month, day: date } = fieldsOf(day);
    if (!cron.years[year]) {
      day = onGrid(Date.UTC(year + 1, 0, 1));
      continue;
    }
    if (!cron.months[month]) {
      day = onGrid(Date.UTC(year, month, 1));
      continue;
    }
    if (dayMatches(cron, year, month, date)) {
      const times: number[] = [];
      for (const hour of hours) {
        for (const minute of minutes) {
          const time = zone.resolve(day + hour * HOUR_MS + minute * MINUTE_MS);
          if (time !== undefined && time >= earliest) times.push(time);
        }
      }
      yield* times.sort((a, b) => a - b);
    }
    day = onGrid(day + DAY_MS);
  }
}

function indexes(flags: readonly boolean[]): number[] {
  const result: number[] = [];
  for (const [index, set] of flags.entries()) if (set) result.push(index);
  return result;
}

function dayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  return cron.dayOfMonth ? dayOfMonthMatches(cron.dayOfMonth, year, month, day) : dayOfWeekMatches(cron.dayOfWeek!, year, month, day);
}

function dayOfMonthMatches(rule: DayOfMonthRule, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  switch (rule.kind) {
    case 'days':
      return rule.days[day] === true;
    case 'last':
      return day === last;
    case 'last-weekday':
      return day === nearestWeekday(year, month, last, last);
    case 'nearest-weekday':
      // A day the month does not have (31W in April) never matches.
      return rule.day <= last && day === nearestWeekday(year, month, rule.day, last);
  }
}

/** The weekday (Monday-Friday) nearest `target` within the same month (Quartz's W). */
function nearestWeekday(year: number, month: number, target: number, last: number): number {
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfWeekMatches(rule: DayOfWeekRule, year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day) + 1; // EventBridge numbering: 1 = Sunday
  switch (rule.kind) {
    case 'days':
      return rule.days[weekday] === true;
    case 'last-of-month':
      return weekday === rule.weekday && day + 7 > daysInMonth(year, month);
    case 'nth-of-month':
      return weekday === rule.weekday && Math.ceil(day / 7) === rule.n;
  }
}
