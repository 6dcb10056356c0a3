/**
 * EventBridge Scheduler expressions, parsed strictly by AWS's rules so that whatever passes here is what AWS accepts:
 *
 *   cron(minutes hours day-of-month month day-of-week year)
 *     minutes 0-59, hours 0-23, month 1-12 or JAN-DEC, year 1970-2199: `, - * /`
 *     day-of-month 1-31: `, - * ? / L W` (L = last day, LW = last weekday, nW = weekday nearest day n)
 *     day-of-week 1-7 or SUN-SAT (1 = Sunday): `, - * ? L #` (L = Saturday, nL = last weekday n of the month,
 *       n#k = k-th weekday n of the month); no `/`; `#` only alone
 *     exactly one of day-of-month and day-of-week is `?`
 *   rate(value unit): value a positive whole number; unit minute|hour|day, plural exactly when value > 1
 */
import { FIRST_YEAR, LAST_YEAR, MONTH_NAMES, WEEKDAY_NAMES } from './calendar.js';
import { ScheduleExpressionError } from './errors.js';

export type DayOfMonthRule =
  | { readonly kind: 'days'; readonly days: readonly boolean[] }
  | { readonly kind: 'last' }
  | { readonly kind: 'last-weekday' }
  | { readonly kind: 'nearest-weekday'; readonly day: number };

export type DayOfWeekRule =
  /** `days[1..7]`, 1 = Sunday. */
  | { readonly kind: 'days'; readonly days: readonly boolean[] }
  /** The last such weekday of the month (`6L`). */
  | { readonly kind: 'last-of-month'; readonly weekday: number }
  /** The n-th such weekday of the month (`6#3`). */
  | { readonly kind: 'nth-of-month'; readonly weekday: number; readonly n: number };

export interface CronExpression {
  readonly kind: 'cron';
  /** Indexed by value: minutes[0..59], hours[0..23], months[1..12], years[1970..2199]. */
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly months: readonly boolean[];
  readonly years: readonly boolean[];
  /** null where the field is `?`. */
  readonly dayOfMonth: DayOfMonthRule | null;
  readonly dayOfWeek: DayOfWeekRule | null;
}

export interface RateExpression {
  readonly kind: 'rate';
  readonly value: number;
  readonly unit: 'minute' | 'hour' | 'day';
  readonly periodMs: number;
}

export type ScheduleExpression = CronExpression | RateExpression;

interface Range {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MINUTES: Range = { label: 'minutes', min: 0, max: 59 };
const HOURS: Range = { label: 'hours', min: 0, max: 23 };
const DAYS_OF_MONTH: Range = { label: 'day-of-month', min: 1, max: 31 };
const MONTHS: Range = { label: 'month', min: 1, max: 12, names: MONTH_NAMES };
const DAYS_OF_WEEK: Range = { label: 'day-of-week', min: 1, max: 7, names: WEEKDAY_NAMES };
const YEARS: Range = { label: 'year', min: FIRST_YEAR, max: LAST_YEAR };
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function parseScheduleExpression(text: string): ScheduleExpression {
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) return parseRate(text, rate[1]!);
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseCron(text, cron[1]!);
  throw new ScheduleExpressionError(
    `${JSON.stringify(text)} is not an EventBridge Scheduler expression; allowed: "cron(minutes hours day-of-month month day-of-week year)" or ` +
      `"rate(value unit)"`,
  );
}

function parseRate(text: string, body: string): RateExpression {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  const value = match ? Number(match[1]) : NaN;
  if (!match || value < 1) {
    throw new ScheduleExpressionError(
      `${JSON.stringify(text)}: a rate is "rate(value unit)" with a positive whole value and a unit of minute(s), hour(s) or day(s)`,
    );
  }
  const plural = match[2]!.endsWith('s');
  if (plural !== value > 1)
    throw new ScheduleExpressionError(`${JSON.stringify(text)}: the unit must be singular for 1 and plural otherwise ("rate(1 hour)", "rate(5 hours)")`);
  const unit = (plural ? match[2]!.slice(0, -1) : match[2]!) as RateExpression['unit'];
  return { kind: 'rate', value, unit, periodMs: value * UNIT_MS[unit] };
}

function parseCron(text: string, body: string): CronExpression {
  const fields = body.split(' ');
  const fail = (problem: string) => new ScheduleExpressionError(`${JSON.stringify(text)}: ${problem}`);
  if (fields.length !== 6 || fields.some((field) => field === '')) {
    throw fail('a cron has 6 fields separated by single spaces: minutes hours day-of-month month day-of-week year');
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) throw fail('exactly one of day-of-month and day-of-week must be "?"');
  return {
    kind: 'cron',
    minutes: parseList(MINUTES, minutes, fail),
    hours: parseList(HOURS, hours, fail),
    months: parseList(MONTHS, month, fail),
    years: parseList(YEARS, year, fail),
    dayOfMonth: dayOfMonth === '?' ? null : parseDayOfMonth(dayOfMonth, fail),
    dayOfWeek: dayOfWeek === '?' ? null : parseDayOfWeek(dayOfWeek, fail),
  };
}

type Fail = (problem: string) => ScheduleExpressionError;

function parseDayOfMonth(field: string, fail: Fail): DayOfMonthRule {
  if (field === 'L') return { kind: 'last' };
  if (field === 'LW') return { kind: 'last-weekday' };
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) return { kind: 'nearest-weekday', day: parseValue(DAYS_OF_MONTH, nearest[1]!, fail) };
  if (/[LW]/.test(field)) throw fail(`day-of-month "${field}": "L" and "W" stand alone ("L", "LW", "15W"), not in lists or ranges`);
  return { kind: 'days', days: parseList(DAYS_OF_MONTH, field, fail) };
}

function parseDayOfWeek(field: string, fail: Fail): DayOfWeekRule {
  if (field.includes('/')) throw fail(`day-of-week "${field}": "/" is not allowed in day-of-week; list the days`);
  if (field === 'L') return { kind: 'days', days: flags(DAYS_OF_WEEK, [7]) };
  const last = /^([^L#,-]+)L$/.exec(field);
  if (last) return { kind: 'last-of-month', weekday: parseValue(DAYS_OF_WEEK, last[1]!, fail) };
  const nth = /^([^L#,-]+)#(\d+)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw fail(`day-of-week "${field}": the week number after "#" must be 1-5`);
    return { kind: 'nth-of-month', weekday: parseValue(DAYS_OF_WEEK, nth[1]!, fail), n };
  }
  if (/[L#]/.test(field)) throw fail(`day-of-week "${field}": "L" and "#" take one weekday ("6L", "2#1") and cannot be combined with lists or ranges`);
  return { kind: 'days', days: parseList(DAYS_OF_WEEK, field, fail) };
}

/** `*`, `v`, `a-b`, `*\/n`, `a/n`, `a-b/n` and comma lists of them, as flags indexed by value. */
function parseList(range: Range, field: string, fail: Fail): boolean[] {
  const values: number[] = [];
  for (const part of field.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!match) throw fail(`${range.label} "${field}": "${part}" is not a value, range or increment`);
    const [, base, stepText] = match as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw fail(`${range.label} "${field}": an increment must be at least 1`);
    let low: number;
    let high: number;
    if (base === '*') [low, high] = [range.min, range.max];
    else if (base.includes('-')) {
      const [from, to, ...rest] = base.split('-');
      if (rest.length > 0) throw fail(`${range.label} "${field}": "${part}" is not a range`);
      [low, high] = [parseValue(range, from!, fail), parseValue(range, to!, fail)];
      if (low > high) throw fail(`${range.label} "${field}": the range ${base} runs backwards`);
    } else {
      low = parseValue(range, base, fail);
      high = stepText === undefined ? low : range.max;
    }
    for (let value = low; value <= high; value += step) values.push(value);
  }
  return flags(range, values);
}

function parseValue(range: Range, text: string, fail: Fail): number {
  const named = range.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + range.min;
  if (!/^\d+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    throw fail(
      `${range.label} "${text}" is not allowed; allowed: ` +
        `${range.min}-${range.max}${range.names ? ` or ${range.names[0]}-${range.names[range.names.length - 1]}` : ''}`,
    );
  }
  return Number(text);
}

function flags(range: Range, values: readonly number[]): boolean[] {
  const result = new Array<boolean>(range.max + 1).fill(false);
  for (const value of values) result[value] = true;
  return result;
}
