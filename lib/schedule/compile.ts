/**
 * The compiler: a normalized schedule spec -> the EventBridge Scheduler schedules whose union fires exactly at the
 * spec's times. Pure: the only input besides the spec is `now`, which places the start of rate-based schedules.
 *
 * - Unix cron -> `cron(min hour dom month dow *)` in the spec's zone (never pre-converted to UTC); two crons when
 *   both day fields are restricted (Unix ORs them; EventBridge allows only one day field per cron).
 * - An interval whose grid repeats every week (it divides a day, is 7 days, or in elapsed time divides a week)
 *   -> cron lists: in the zone for wall-clock grids, in UTC for elapsed grids.
 * - Every N whole days on the wall clock of a zone whose UTC offset changes -> the cron of the grid's time of day,
 *   daily (weekly on the grid's weekday when N is a multiple of 7), with a day filter `{ everyDays, referenceDay }`:
 *   a cron cannot count days across month ends, and `rate(N days)` counts 24-hour periods, which drift by the DST
 *   shift. EventBridge fires the cron on the other days too; the runtime ignores those deliveries.
 * - Any other interval -> `rate(...)` with a StartDate on the grid, the first grid point at least `startLeadMs` after
 *   `now`: the time the manifest is built (synth time), and again at deploy time in AWS (the constructs recompute
 *   it in a custom resource, runtime/schedules/start-date-event.ts). See docs/schedules.md.
 */
import { daysInMonth, formatNaive, MINUTE_MS, startOfDay } from './calendar.js';
import { ScheduleError } from './errors.js';
import { formatValues, formatWeekdays } from './eventbridge-fields.js';
import type { CompiledExpression, CronSpec, IntervalSpec, ScheduleManifest, ScheduleSpec } from './spec-types.js';
import { parseUnixCron, type UnixCron } from './unix-cron.js';
import { coverWeek, MINUTES_PER_DAY, MINUTES_PER_WEEK } from './week-cover.js';
import { offsetChangesWithin, Zone } from './zone.js';

/** A rate schedule's StartDate is the first grid point at least this long after the manifest is built. */
export const START_LEAD_MS = 15 * MINUTE_MS;
/** An elapsed-time grid that repeats weekly becomes crons only when this many suffice; otherwise one rate schedule. */
export const MAX_WEEKLY_CRONS = 8;
/** How far ahead a zone must keep one UTC offset for `rate(N days)` to stay on its wall clock. */
export const FIXED_OFFSET_HORIZON_DAYS = 2 * 366;

export interface CompileOptions {
  /** ms since the epoch; default Date.now(). Only rate-based schedules depend on it. */
  readonly now?: number;
  /** A rate schedule starts at the first grid point at least this long after `now`, ms; default START_LEAD_MS. */
  readonly startLeadMs?: number;
}

export function compileSchedule(spec: ScheduleSpec, options: CompileOptions = {}): ScheduleManifest {
  const expressions = spec.type === 'cron' ? compileCron(spec) : compileInterval(spec, options.now ?? Date.now(), options.startLeadMs ?? START_LEAD_MS);
  return { spec, expressions };
}

function compileCron(spec: CronSpec): CompiledExpression[] {
  const cron = parseUnixCron(spec.cron);
  const minute = formatValues(cron.minutes, 0, 59);
  const hour = formatValues(cron.hours, 0, 23);
  const month = formatValues(cron.months, 1, 12);
  const everyDayOfMonth = cron.daysOfMonth.length === 31;
  const everyDayOfWeek = cron.daysOfWeek.length === 7;
  const byDayOfMonth = `cron(${minute} ${hour} ${formatValues(cron.daysOfMonth, 1, 31)} ${month} ? *)`;
  const byDayOfWeek = `cron(${minute} ${hour} ? ${month} ${formatWeekdays(cron.daysOfWeek)} *)`;
  const everyDay = `cron(${minute} ${hour} * ${month} ? *)`;
  const bothMustMatch = cron.dayOfMonthStar || cron.dayOfWeekStar;
  let expressions: string[];
  if (everyDayOfMonth && everyDayOfWeek) expressions = [everyDay];
  else if (bothMustMatch) {
    if (everyDayOfMonth) expressions = [byDayOfWeek];
    else if (everyDayOfWeek) expressions = [byDayOfMonth];
    else throw bothDayFieldsError(spec.cron, cron);
  } else if (everyDayOfMonth || everyDayOfWeek) expressions = [everyDay];
  else expressions = runsOnSomeDay(cron) ? [byDayOfMonth, byDayOfWeek] : [byDayOfWeek];
  if (expressions.length === 1 && expressions[0] === byDayOfMonth && !runsOnSomeDay(cron)) throw neverRunsError(spec.cron, cron);
  return expressions.map((expression) => ({ expression, timezone: spec.timezone }));
}

/** Whether some listed month has some listed day of the month (February 29 counts). */
function runsOnSomeDay(cron: UnixCron): boolean {
  return cron.months.some((month) => cron.daysOfMonth.some((day) => day <= daysInMonth(2000, month)));
}

function bothDayFieldsError(text: string, cron: UnixCron): ScheduleError {
  const [starred, field, range] = cron.dayOfMonthStar ? ['day-of-month', cron.fields[2]!, '1-31'] : ['day-of-week', cron.fields[4]!, '0-6'];
  return new ScheduleError(
    'cron',
    text,
    `the ${starred} field ${JSON.stringify(field)} starts with "*", so Unix cron runs only on days that match both day fields, ` +
      'and EventBridge Scheduler cannot restrict the day of the month and the day of the week in one schedule, so this cannot be compiled; ' +
      `allowed: "*" in one day field, or both day fields written without a leading "*" (e.g. ${JSON.stringify(field.replace(/^\*/, range))} instead ` +
      `of ${JSON.stringify(field)}), which runs on days matching either field`,
  );
}

function neverRunsError(text: string, cron: UnixCron): ScheduleError {
  return new ScheduleError(
    'cron',
    text,
    `it never runs: none of the months ${cron.fields[3]} has day ${cron.fields[2]}; allowed: a day of the month that exists in a listed month`,
  );
}

function compileInterval(spec: IntervalSpec, now: number, startLeadMs: number): CompiledExpression[] {
  const minutes = spec.intervalSeconds / 60;
  const zone = Zone.of(spec.timezone);
  const referenceNaive = Date.parse(`${spec.localReferenceTime}Z`);
  const referenceInstant = Date.parse(spec.referenceTime);
  if (spec.grid === 'wall-clock') {
    if (MINUTES_PER_DAY % minutes === 0 || minutes === MINUTES_PER_WEEK) {
      return coverWeek(weekPoints(referenceNaive, minutes)).map((expression) => ({ expression, timezone: spec.timezone }));
    }
    // Whole days other than 1 and 7: rate(N days) counts 24-hour periods, which stay on the wall clock only while
    // the zone keeps one UTC offset; otherwise the cron of the grid's time of day, filtered to the grid's days.
    if (offsetChangesWithin(zone, now, FIXED_OFFSET_HORIZON_DAYS)) return [filteredCron(spec, referenceNaive, minutes / MINUTES_PER_DAY)];
    const earliest = zone.wallClock(now + startLeadMs);
    const startNaive = referenceNaive + Math.ceil((earliest - referenceNaive) / (minutes * MINUTE_MS)) * minutes * MINUTE_MS;
    return [rate(minutes, zone.resolve(startNaive)!)];
  }
  if (MINUTES_PER_WEEK % minutes === 0) {
    const crons = coverWeek(weekPoints(referenceInstant, minutes));
    if (crons.length <= MAX_WEEKLY_CRONS) return crons.map((expression) => ({ expression, timezone: 'UTC' }));
  }
  const period = minutes * MINUTE_MS;
  return [rate(minutes, referenceInstant + Math.ceil((now + startLeadMs - referenceInstant) / period) * period)];
}

/** The minutes of the week (0 = Sunday 00:00) of the grid through `anchor` (naive or UTC ms) with a period dividing a week. */
function weekPoints(anchor: number, periodMinutes: number): number[] {
  // Day 0 of the epoch, 1970-01-01, was a Thursday: 4 days after a Sunday.
  const anchorMinute = (Math.floor(anchor / MINUTE_MS) + 4 * MINUTES_PER_DAY) % MINUTES_PER_WEEK;
  const points: number[] = [];
  for (let point = anchorMinute % periodMinutes; point < MINUTES_PER_WEEK; point += periodMinutes) points.push(point);
  return points;
}

function rate(minutes: number, start: number): CompiledExpression {
  const [value, unit] =
    minutes % MINUTES_PER_DAY === 0 ? [minutes / MINUTES_PER_DAY, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return { expression: `rate(${value} ${unit}${value === 1 ? '' : 's'})`, timezone: 'UTC', startDate: new Date(start).toISOString() };
}

/**
 * Every `days` days at the reference's wall-clock time: the finest cron that fires at every grid point (daily, or
 * weekly on the reference's weekday when `days` is a multiple of 7, so fewer deliveries are ignored), and the filter
 * that keeps the grid's days.
 */
function filteredCron(spec: IntervalSpec, referenceNaive: number, days: number): CompiledExpression {
  const [expression] = coverWeek(weekPoints(referenceNaive, days % 7 === 0 ? MINUTES_PER_WEEK : MINUTES_PER_DAY));
  const referenceDay = formatNaive(startOfDay(referenceNaive)).slice(0, 10);
  return { expression: expression!, timezone: spec.timezone, filter: { everyDays: days, referenceDay } };
}
