/** The Unix cron parser: values, names, ranges, steps, macros and Vixie's day-field flags. */
import { describe, expect, it } from 'vitest';
import { ScheduleError } from '../../lib/schedule/errors.js';
import { parseUnixCron } from '../../lib/schedule/unix-cron.js';

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('Unix cron parsing', () => {
  it('expands values, lists, ranges and steps', () => {
    const cron = parseUnixCron('*/15 9-17/4 1,15,31 */3 1-5');
    expect(cron.minutes).toEqual([0, 15, 30, 45]);
    expect(cron.hours).toEqual([9, 13, 17]);
    expect(cron.daysOfMonth).toEqual([1, 15, 31]);
    expect(cron.months).toEqual([1, 4, 7, 10]);
    expect(cron.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads "a/n" as a through the maximum, every n', () => {
    expect(parseUnixCron('5/20 * * * *').minutes).toEqual([5, 25, 45]);
  });

  it('folds day-of-week 7 into Sunday 0 and accepts names in any case, in ranges too', () => {
    expect(parseUnixCron('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseUnixCron('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseUnixCron('0 0 * * 0-7').daysOfWeek).toEqual(range(0, 6));
    expect(parseUnixCron('0 0 * jan-Mar,DEC sat,Sun').months).toEqual([1, 2, 3, 12]);
    expect(parseUnixCron('0 0 * jan-Mar,DEC sat,Sun').daysOfWeek).toEqual([0, 6]);
  });

  it("sets Vixie's star flags from the first character of each day field", () => {
    expect(parseUnixCron('0 0 */2 * 1')).toMatchObject({ dayOfMonthStar: true, dayOfWeekStar: false });
    expect(parseUnixCron('0 0 1-31/2 * 1')).toMatchObject({ dayOfMonthStar: false, dayOfWeekStar: false });
    expect(parseUnixCron('0 0 * * *')).toMatchObject({ dayOfMonthStar: true, dayOfWeekStar: true });
  });

  it('expands macros', () => {
    expect(parseUnixCron('@hourly').fields).toEqual(['0', '*', '*', '*', '*']);
    expect(parseUnixCron('@weekly').fields).toEqual(['0', '0', '*', '*', '0']);
    expect(parseUnixCron(' @Yearly ').fields).toEqual(['0', '0', '1', '1', '*']);
  });

  it('throws ScheduleError for the cron option, quoting the text', () => {
    let error: unknown;
    try {
      parseUnixCron('0 0 * * 9');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScheduleError);
    expect(error).toMatchObject({ option: 'cron', value: '0 0 * * 9' });
    expect((error as Error).message).toBe(
      'option "cron" is "0 0 * * 9": the day-of-week field "9" has 9, outside 0-7; allowed: 0-7 or SUN-SAT (0 and 7 are both Sunday)',
    );
  });
});
