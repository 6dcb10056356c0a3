/**
 * Expressing a set of times in a week as few EventBridge crons as we can: each cron is a product
 * minutes x hours x weekdays, so the set is cut into such rectangles. Exact by construction: every rectangle lies
 * inside the set and every point of the set lies in one rectangle.
 */
import { formatValues, formatWeekdays } from './eventbridge-fields.js';

export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

interface Rectangle {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly weekdays: number[];
}

/**
 * `points`: minutes of the week, 0 = Sunday 00:00 ... 10079 = Saturday 23:59. Returns the EventBridge crons whose
 * union fires exactly at those wall-clock times, every week.
 */
export function coverWeek(points: Iterable<number>): string[] {
  const byDay: number[][] = Array.from({ length: 7 }, () => []);
  for (const point of points) byDay[Math.floor(point / MINUTES_PER_DAY)]!.push(point % MINUTES_PER_DAY);
  const byHour = mergeDays(byDay.map((day) => cutDay(day, 'by-hour')));
  const byMinute = mergeDays(byDay.map((day) => cutDay(day, 'by-minute')));
  return (byMinute.length < byHour.length ? byMinute : byHour).map(render);
}

/** Cuts one day's minutes-of-day into rectangles minutes x hours: grouping hours that share a minute list, or minutes that share an hour list. */
function cutDay(minutesOfDay: readonly number[], mode: 'by-hour' | 'by-minute'): Array<{ minutes: number[]; hours: number[] }> {
  const rows = new Map<number, number[]>();
  for (const point of minutesOfDay) {
    const [row, column] = mode === 'by-hour' ? [Math.floor(point / 60), point % 60] : [point % 60, Math.floor(point / 60)];
    rows.set(row, [...(rows.get(row) ?? []), column]);
  }
  const groups = new Map<string, { columns: number[]; rows: number[] }>();
  for (const [row, columns] of rows) {
    const sorted = [...new Set(columns)].sort((a, b) => a - b);
    const key = sorted.join(',');
    const group = groups.get(key) ?? { columns: sorted, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ columns, rows: grouped }) =>
    mode === 'by-hour' ? { minutes: columns, hours: grouped.sort((a, b) => a - b) } : { minutes: grouped.sort((a, b) => a - b), hours: columns },
  );
}

/** Joins the same rectangle found on several days into one with a weekday list. */
function mergeDays(days: ReadonlyArray<ReadonlyArray<{ minutes: number[]; hours: number[] }>>): Rectangle[] {
  const merged = new Map<string, Rectangle>();
  days.forEach((rectangles, weekday) => {
    for (const { minutes, hours } of rectangles) {
      const key = `${minutes.join(',')}|${hours.join(',')}`;
      const rectangle = merged.get(key) ?? { minutes, hours, weekdays: [] };
      rectangle.weekdays.push(weekday);
      merged.set(key, rectangle);
    }
  });
  return [...merged.values()];
}

function render({ minutes, hours, weekdays }: Rectangle): string {
  const m = formatValues(minutes, 0, 59);
  const h = formatValues(hours, 0, 23);
  return weekdays.length === 7 ? `cron(${m} ${h} * * ? *)` : `cron(${m} ${h} ? * ${formatWeekdays(weekdays)} *)`;
}
