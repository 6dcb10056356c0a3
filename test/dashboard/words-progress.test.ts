/** Schedules in words (read with the same cron parser that compiles them) and how a job's progress reads as a bar. */
import { describe, expect, it } from 'vitest';
import { normalizeScheduleSpec } from '../../lib/schedule/spec.js';
import { scheduleInWords } from '../../lib/schedule/words.js';
import { progressBar } from '../../runtime/dashboard/progress.js';

const cron = (text: string) => scheduleInWords({ type: 'cron', cron: text, timezone: 'UTC' });

describe('scheduleInWords', () => {
  it.each([
    ['0 23 * * 1-5', 'at 23:00, on Monday to Friday'],
    ['30 4 * * *', 'at 04:30 every day'],
    ['0 9,17 * * *', 'at 09:00 and 17:00 every day'],
    ['0 * * * *', 'every hour at minute 0'],
    ['5 * * * *', 'every hour at minute 5'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['* * * * *', 'every minute'],
    ['*/5 9-17 * * 1-5', 'every 5 minutes from 09:00 to 17:55, on Monday to Friday'],
    ['0 */6 * * *', 'at 00:00, 06:00, 12:00 and 18:00 every day'],
    ['0 */3 * * *', 'every 3 hours at minute 0'],
    ['0 0 1 * *', 'at 00:00, on day 1 of the month'],
    ['0 0 * * 0', 'at 00:00, on Sunday'],
    ['0 0 * * 7', 'at 00:00, on Sunday'],
    ['0 0 1,15 * 1', 'at 00:00, on days 1 and 15 of the month or on Monday'],
    ['15 10 * 1,4,7,10 *', 'at 10:15 every day, in January, April, July and October'],
    ['0 12 * * MON,WED,FRI', 'at 12:00, on Monday, Wednesday and Friday'],
    ['@daily', 'at 00:00 every day'],
    ['@weekly', 'at 00:00, on Sunday'],
  ])('cron %s: %s', (expression, words) => {
    expect(cron(expression)).toBe(words);
  });

  it('intervals: whole days at their wall-clock time, others by their length and grid', () => {
    const words = (options: Record<string, unknown>) => scheduleInWords(normalizeScheduleSpec(options));
    expect(words({ interval: '1d', referenceTime: '2023-09-08T23:00', timezone: 'Europe/London' })).toBe(
      'every day at 23:00 (wall clock), counted from 2023-09-08',
    );
    expect(words({ interval: '2d' })).toBe('every 2 days at 00:00 (wall clock), counted from 2000-01-01');
    expect(words({ interval: '90m' })).toMatch(/^every 1 hour 30 minutes \((wall clock|elapsed time)\), counted from 2000-01-01 00:00$/);
  });
});

describe('progressBar', () => {
  it('reads a percent, or a count of a total', () => {
    expect(progressBar({ percent: 42 })).toEqual({ percent: 42, label: '42%' });
    expect(progressBar({ frame: 3, of: 12, percent: 25, checksum: 9 })).toEqual({ percent: 25, label: '25% (3 of 12)' });
    expect(progressBar({ done: 1, of: 3 })).toEqual({ percent: 100 / 3, label: '33.3% (1 of 3)' });
    expect(progressBar({ completed: 5, total: 5 })).toEqual({ percent: 100, label: '100% (5 of 5)' });
  });

  it('anything else is no bar: its value is shown as it is', () => {
    for (const value of [undefined, null, 42, 'half', [1, 2], { stage: 'unpack' }, { percent: 140 }, { percent: '40' }, { done: 3, of: 0 }, { done: 1 }]) {
      expect(progressBar(value)).toBeUndefined();
    }
  });
});
