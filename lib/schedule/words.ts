/**
 * A schedule in plain English, for people reading a dashboard: `at 23:00, Monday to Friday`, `every 15 minutes`,
 * `every day at 23:00 (wall clock), counted from 2023-09-08`. The time zone is said separately by the caller. The
 * cron is read with the same parser that compiles it, so the words describe exactly what fires.
 */
import type { ScheduleSpec } from './spec-types.js';
import { parseUnixCron, type UnixCron } from './unix-cron.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The schedule in words, without its time zone. */
export function scheduleInWords(spec: ScheduleSpec): string {
  if (spec.type === 'interval') return intervalInWords(spec.intervalSeconds, spec.localReferenceTime, spec.grid === 'wall-clock');
  return cronInWords(parseUnixCron(spec.cron));
}

function intervalInWords(seconds: number, localReference: string, wallClock: boolean): string {
  const [day, time] = localReference.split('T') as [string, string | undefined];
  const clock = wallClock ? ' (wall clock)' : ' (elapsed time)';
  if (seconds % 86_400 === 0) {
    const days = seconds / 86_400;
    return `${days === 1 ? 'every day' : `every ${days} days`} at ${time ?? '00:00'}${clock}, counted from ${day}`;
  }
  return `every ${durationWords(seconds)}${clock}, counted from ${localReference.replace('T', ' ')}`;
}

function durationWords(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
    rest -= count * size;
  }
  return parts.length === 1 && parts[0]!.startsWith('1 ') ? parts[0]!.slice(2) : parts.join(' ');
}

/** `at 23:00, Monday to Friday`; `every hour at minute 5`; `every 15 minutes from 09:00 to 17:45`. */
export function cronInWords(cron: UnixCron): string {
  const times = timesInWords(cron.minutes, cron.hours);
  const days = daysInWords(cron);
  const months = monthsInWords(cron.months);
  // "every 15 minutes" needs no "every day"; "at 04:30" does.
  const when = days === 'every day' ? (times.startsWith('every') ? times : `${times} every day`) : `${times}, ${days}`;
  return months ? `${when}, ${months}` : when;
}

function timesInWords(minutes: readonly number[], hours: readonly number[]): string {
  const allHours = hours.length === 24;
  const step = regularStep(minutes, 60);
  const hourSpan = allHours
    ? ''
    : isRun(hours)
      ? ` from ${clock(hours[0]!, minutes[0]!)} to ${clock(hours[hours.length - 1]!, minutes[minutes.length - 1]!)}`
      : '';
  if (minutes.length === 60) return allHours ? 'every minute' : `every minute${hourSpan || ` of hours ${listInWords(hours, String)}`}`;
  if (step !== undefined && minutes.length > 1) {
    const every = `every ${step} minutes${minutes[0] === 0 ? '' : ` from minute ${minutes[0]}`}`;
    return allHours ? every : `${every}${hourSpan || ` in hours ${listInWords(hours, String)}`}`;
  }
  if (allHours) return `every hour at minute ${listInWords(minutes, String)}`;
  if (minutes.length * hours.length <= 6) return `at ${listWords(hours.flatMap((h) => minutes.map((m) => clock(h, m))))}`;
  const hourStep = regularStep(hours, 24);
  if (minutes.length === 1 && hourStep !== undefined) {
    return `every ${hourStep} hours at minute ${minutes[0]}${hours[0] === 0 ? '' : ` from ${clock(hours[0]!, minutes[0]!)}`}`;
  }
  return `at minute ${listInWords(minutes, String)} of hours ${listInWords(hours, String)}`;
}

function daysInWords(cron: UnixCron): string {
  const weekdays = `on ${listInWords(cron.daysOfWeek, (d) => WEEKDAYS[d]!)}`;
  const days = `on day${cron.daysOfMonth.length === 1 ? '' : 's'} ${listInWords(cron.daysOfMonth, String)} of the month`;
  const allWeek = cron.daysOfWeek.length === 7;
  const allMonth = cron.daysOfMonth.length === 31;
  // Vixie cron: a field written "*..." leaves the other in charge; both restricted, a day matching either fires.
  if (cron.dayOfMonthStar && cron.dayOfWeekStar) return allWeek && allMonth ? 'every day' : allWeek ? days : weekdays;
  if (cron.dayOfMonthStar) return allWeek ? 'every day' : weekdays;
  if (cron.dayOfWeekStar) return allMonth ? 'every day' : days;
  return `${days} or ${weekdays}`;
}

function monthsInWords(months: readonly number[]): string {
  return months.length === 12 ? '' : `in ${listInWords(months, (m) => MONTHS[m - 1]!)}`;
}

function clock(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** The step of `values` when they are 0-aligned or start-aligned multiples covering the whole cycle. */
function regularStep(values: readonly number[], cycle: number): number | undefined {
  if (values.length < 2) return undefined;
  const step = values[1]! - values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! - values[i - 1]! !== step) return undefined;
  return values[0]! < step && values[values.length - 1]! + step >= cycle ? step : undefined;
}

function isRun(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
}

/** Sorted values in words, runs of three or more as ranges: `Monday to Friday`, `1, 15 and 28`. */
function listInWords(values: readonly number[], name: (value: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${name(values[i]!)} to ${name(values[j]!)}`);
    else for (let k = i; k <= j; k++) parts.push(name(values[k]!));
    i = j + 1;
  }
  return listWords(parts);
}

function listWords(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
