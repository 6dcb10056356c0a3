/**
 * The one evaluator of EventBridge Scheduler expressions: when does a compiled schedule fire? It drives
 * `multinode schedules` and the local scheduler, so the local clock fires what AWS would fire.
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
import type { CompiledExpression } from './spec-types.js';
import { resolveTimeZone, Zone } from './zone.js';

/** Nothing fires from 2200 on: EventBridge's cron years end with 2199. */
export const END_OF_TIME = Date.UTC(LAST_YEAR + 1, 0, 1);

export interface FireTimeOptions {
  /** For a rate without StartDate: when the schedule was created (its phase). */
  readonly createdAt?: number;
}

/** The fire times of one schedule at or after `from`, ascending (ms since the epoch). */
export function* fireTimes(compiled: CompiledExpression, from: Date | number, options: FireTimeOptions = {}): Generator<number> {
  const expression = parseScheduleExpression(compiled.expression);
  const start = compiled.startDate === undefined ? undefined : parseStartDate(compiled);
  const earliest = Math.max(+from, start ?? -Infinity);
  if (expression.kind === 'rate') {
    const anchor = start ?? options.createdAt;
    if (anchor === undefined) {
      throw new ScheduleExpressionError(`${compiled.expression} has no startDate: a rate schedule without one starts when it is created; pass createdAt`);
    }
    yield* rateTimes(expression, anchor, earliest);
    return;
  }
  const timezone = resolveTimeZone(compiled.timezone);
  if (timezone === undefined) throw new ScheduleExpressionError(`${JSON.stringify(compiled.timezone)} is not an IANA time zone`);
  yield* cronTimes(expression, Zone.of(timezone), earliest);
}

/** The next `count` fire times at or after `from` of a schedule compiled to several expressions (their union, each time once). */
export function nextFireTimes(expressions: readonly CompiledExpression[], from: Date | number, count: number, options: FireTimeOptions = {}): Date[] {
  const result: Date[] = [];
  for (const time of mergedFireTimes(expressions, from, options)) {
    if (result.length >= count) break;
    result.push(new Date(time));
  }
  return result;
}

/** The fire times in [from, to) of a schedule compiled to several expressions (their union, each time once). */
export function fireTimesBetween(expressions: readonly CompiledExpression[], from: Date | number, to: Date | number, options: FireTimeOptions = {}): Date[] {
  const result: Date[] = [];
  for (const time of mergedFireTimes(expressions, from, options)) {
    if (time >= +to) break;
    result.push(new Date(time));
  }
  return result;
}

function* mergedFireTimes(expressions: readonly CompiledExpression[], from: Date | number, options: FireTimeOptions): Generator<number> {
  const heads = expressions.map((compiled) => {
    const times = fireTimes(compiled, from, options);
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

function* cronTimes(cron: CronExpression, zone: Zone, earliest: number): Generator<number> {
  const hours = indexes(cron.hours);
  const minutes = indexes(cron.minutes);
  // Start a day early: a time on the previous local date may still lie at or after `earliest`.
  let day = startOfDay(zone.wallClock(Math.max(earliest, Date.UTC(1970, 0, 1)))) - DAY_MS;
  while (day < END_OF_TIME) {
    const { year, month, day: date } = fieldsOf(day);
    if (!cron.years[year]) {
      day = Date.UTC(year + 1, 0, 1);
      continue;
    }
    if (!cron.months[month]) {
      day = Date.UTC(year, month, 1);
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
    day += DAY_MS;
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
