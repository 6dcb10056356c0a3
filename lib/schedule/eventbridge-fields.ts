/**
 * Writing EventBridge cron fields: explicit lists compressed into ranges (never "/" steps, whose meaning differs
 * between cron dialects), and weekdays by name (SUN-SAT mean the same in every dialect, unlike numbers: EventBridge counts 1 = SUN, Unix 0 = SUN).
 */
import { WEEKDAY_NAMES } from './calendar.js';

/** `*` when `values` covers min..max, else `0,15,30,45` / `1-5,10`. */
export function formatValues(values: readonly number[], min: number, max: number): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length === max - min + 1) return '*';
  return compress(sorted, String);
}

/** Weekdays (0 = Sunday ... 6 = Saturday) as EventBridge names in its order SUN(1)..SAT(7): `MON-FRI`, `SUN,SAT`. */
export function formatWeekdays(days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  return compress(sorted, (day) => WEEKDAY_NAMES[day]!);
}

/** Runs of three or more consecutive values become `a-b`. */
function compress(sorted: readonly number[], show: (value: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${show(sorted[i]!)}-${show(sorted[j]!)}`);
    else for (let k = i; k <= j; k++) parts.push(show(sorted[k]!));
    i = j + 1;
  }
  return parts.join(',');
}
