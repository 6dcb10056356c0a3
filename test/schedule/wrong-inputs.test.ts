/**
 * Every kind of wrong schedule input, through the public `schedule(...)` call: the error is a
 * DefinitionError naming the definition, the option, the value given, what is wrong and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';

const noop = async () => undefined;

function scheduleError(options: Record<string, unknown>): string {
  try {
    mn.schedule({ name: 'nightly', ...options } as mn.ScheduleOptions, noop);
  } catch (error) {
    expect(error).toBeInstanceOf(mn.DefinitionError);
    return (error as Error).message;
  }
  throw new Error(`expected schedule(${JSON.stringify(options)}) to throw`);
}

const WRONG: ReadonlyArray<readonly [string, Record<string, unknown>, readonly (string | RegExp)[]]> = [
  // bad field values
  ['minute out of range', { cron: '60 0 * * *' }, ['option "cron" is "60 0 * * *"', 'the minute field "60" has 60, outside 0-59; allowed: 0-59']],
  ['hour out of range', { cron: '0 24 * * *' }, ['the hour field "24" has 24, outside 0-23']],
  ['day-of-month 0', { cron: '0 0 0 * *' }, ['the day-of-month field "0" has 0, outside 1-31']],
  ['month 13', { cron: '0 0 1 13 *' }, ['the month field "13" has 13, outside 1-12; allowed: 1-12 or JAN-DEC']],
  ['day-of-week 8', { cron: '0 0 * * 8' }, ['the day-of-week field "8" has 8, outside 0-7; allowed: 0-7 or SUN-SAT (0 and 7 are both Sunday)']],
  ['unknown month name', { cron: '0 0 1 JAM *' }, ['the month field "JAM" has "JAM", which is not a month name']],
  ['weekday name in the month field', { cron: '0 0 1 MON *' }, ['the month field "MON" has "MON", which is not a month name']],
  ['not a number', { cron: '5m * * * *' }, ['the minute field "5m" has "5m", which is not a whole number']],
  ['backwards range', { cron: '0 5-1 * * *' }, ['the hour field "5-1" has the range 5-1, which runs backwards']],
  ['step 0', { cron: '*/0 * * * *' }, ['the minute field "*/0" has the step "/0"; a step is a whole number from 1 to 59']],
  [
    'step beyond the field',
    { cron: '*/90 * * * *' },
    ['the minute field "*/90" steps by 90, but the field has only 60 values (0-59), so it would match only 0', 'use the "interval" option'],
  ],
  ['empty list item', { cron: '1,,2 * * * *' }, ['the minute field "1,,2" has an empty list item']],
  ['Quartz L', { cron: '0 0 L * *' }, ['the day-of-month field "L" uses "L", an EventBridge/Quartz extension']],
  ['Quartz ?', { cron: '0 0 ? * MON' }, ['the day-of-month field "?" uses "?"']],
  ['Quartz #', { cron: '0 0 * * 1#2' }, ['the day-of-week field "1#2" uses "#"']],
  ['unknown macro', { cron: '@every 5m' }, ['unknown macro "@every"', 'allowed macros: @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly']],
  ['@reboot', { cron: '@reboot' }, ['@reboot is not a schedule']],
  ['empty cron', { cron: '   ' }, ['it is empty; allowed: 5 fields']],
  ['cron not a string', { cron: 5 }, ['option "cron" is 5: allowed: a 5-field cron expression']],
  ['EventBridge syntax', { cron: 'cron(0 23 ? * MON-FRI *)' }, ['this is an EventBridge Scheduler expression; write the 5-field Unix form']],
  // 6-field or seconds forms
  [
    '6 fields (seconds)',
    { cron: '0 0 23 * * 1-5' },
    ['it has 6 fields, but a Unix cron has 5', 'seconds and year fields are not supported (EventBridge Scheduler fires at minute precision)'],
  ],
  ['7 fields (seconds and year)', { cron: '0 0 23 * * ? 2025' }, ['it has 7 fields, but a Unix cron has 5']],
  ['4 fields', { cron: '0 23 * *' }, ['it has 4 fields, but a Unix cron has 5: minute hour day-of-month month day-of-week']],
  // unknown time zone
  [
    'unknown zone',
    { cron: '0 0 * * *', timezone: 'Mars/Olympus' },
    ['option "timezone" is "Mars/Olympus": it is not a time zone', 'allowed: an IANA time zone name such as "UTC"'],
  ],
  ['misspelt zone', { interval: '1d', timezone: 'Europe/Londn' }, ['(did you mean "Europe/London"?)']],
  ['offset instead of zone', { cron: '0 0 * * *', timezone: '+01:00' }, ['option "timezone" is "+01:00"']],
  ['zone not a string', { cron: '0 0 * * *', timezone: 1 }, ['option "timezone" is 1: allowed: an IANA time zone name']],
  // intervals under 15 minutes, non-positive, not whole minutes
  [
    'interval under 15 minutes',
    { interval: '10m' },
    ['option "interval" is "10m": 10m is shorter than the minimum interval of 15 minutes', 'from 15m to 366d'],
  ],
  ['interval of 14m59s', { interval: { minutes: 14, seconds: 59 } }, ['is not a whole number of minutes']],
  ['zero interval', { interval: '0m' }, ['option "interval" is "0m": an interval must be positive']],
  ['negative interval', { interval: { minutes: -30 } }, ['option "interval" is {"minutes":-30}: minutes must be a non-negative number']],
  ['negative interval string', { interval: '-1h' }, ['option "interval" is "-1h": expected a duration']],
  ['fractional minutes', { interval: '15.5m' }, ['15m30s is not a whole number of minutes (EventBridge Scheduler fires at minute precision)']],
  ['interval without unit', { interval: 900 }, ['a bare number has no unit']],
  ['interval over a year', { interval: '400d' }, ['400d is longer than 366d']],
  // both, neither
  [
    'both cron and interval',
    { cron: '0 0 * * *', interval: '1d' },
    ['schedule "nightly" at', 'give either "cron" (e.g. "0 23 * * 1-5") or "interval" (e.g. "1d"), not both'],
  ],
  ['neither', {}, ['a schedule needs "cron" (e.g. "0 23 * * 1-5") or "interval" (e.g. "1d")']],
  [
    'referenceTime with cron',
    { cron: '0 0 * * *', referenceTime: '2023-09-08T23:00' },
    ['option "referenceTime" is "2023-09-08T23:00": it applies only to "interval" schedules'],
  ],
  // reference times
  [
    'reference not a date',
    { interval: '1d', referenceTime: 'tomorrow' },
    ['option "referenceTime" is "tomorrow": allowed: a Date, an ISO date-time with an offset'],
  ],
  ['reference as a number', { interval: '1d', referenceTime: 1_700_000_000_000 }, ['option "referenceTime" is 1700000000000: a bare number is ambiguous']],
  ['reference on Feb 30', { interval: '1d', referenceTime: '2023-02-30T10:00' }, ['it is not a real date-time']],
  ['reference with seconds', { interval: '1d', referenceTime: '2023-09-08T23:00:30' }, ['it does not fall on a whole minute']],
  ['reference Date with milliseconds', { interval: '1d', referenceTime: new Date(Date.UTC(2023, 8, 8, 23, 0, 0, 5)) }, ['it does not fall on a whole minute']],
  ['invalid Date', { interval: '1d', referenceTime: new Date(NaN) }, ['it is an invalid Date']],
  ['reference before 1970', { interval: '1d', referenceTime: '1969-12-31T00:00Z' }, ['its year 1969 is outside 1970-2199']],
  [
    'reference in the spring-forward gap',
    { interval: '1d', referenceTime: '2024-03-31T01:30', timezone: 'Europe/London' },
    ['2024-03-31T01:30 does not exist in Europe/London: clocks go forward from 01:00 to 02:00 that day'],
  ],
  [
    "reference in Lord Howe's 30-minute gap",
    { interval: '1d', referenceTime: '2024-10-06T02:10', timezone: 'Australia/Lord_Howe' },
    ['clocks go forward from 02:00 to 02:30 that day'],
  ],
  // unrepresentable forms: which and why
  [
    'both day fields with a starred one (Unix AND)',
    { cron: '0 0 */2 * 1' },
    [
      'the day-of-month field "*/2" starts with "*", so Unix cron runs only on days that match both day fields',
      'EventBridge Scheduler cannot restrict the day of the month and the day of the week in one schedule',
    ],
  ],
  ['starred day-of-week with day-of-month', { cron: '0 0 1,15 * */2' }, ['the day-of-week field "*/2" starts with "*"', '(e.g. "0-6/2" instead of "*/2")']],
  ['never runs', { cron: '0 0 30 2 *' }, ['it never runs: none of the months 2 has day 30']],
  // overlap policy: the value given and every allowed one
  [
    'unknown overlap policy',
    { cron: '0 0 * * *', overlap: 'queue' },
    ['option "overlap" is "queue"', '"skip" (the default', '"bufferOne"', '"allow"', '"cancelOther"'],
  ],
  ['overlap in the wrong case', { cron: '0 0 * * *', overlap: 'Skip' }, ['option "overlap" is "Skip"', '"skip" (the default']],
  ['overlap not a string', { cron: '0 0 * * *', overlap: true }, ['option "overlap" is true', '"cancelOther"']],
  ['overlapPolicy spelling', { cron: '0 0 * * *', overlapPolicy: 'skip' }, ['overlapPolicy', 'overlap']],
  // every N days on a DST wall clock compiles (a filtered cron), but its other options are still checked
  ['2 days and 30 seconds in Europe/Berlin', { interval: { days: 2, seconds: 30 }, timezone: 'Europe/Berlin' }, ['2d30s is not a whole number of minutes']],
  [
    'every 2 days from a time the clock skips',
    { interval: '2d', referenceTime: '2024-03-31T02:30', timezone: 'Europe/Berlin' },
    ['2024-03-31T02:30 does not exist in Europe/Berlin: clocks go forward from 02:00 to 03:00 that day'],
  ],
];

describe('wrong schedule inputs', () => {
  it.each(WRONG)('%s', (_label, options, expected) => {
    const message = scheduleError(options);
    expect(message).toMatch(/^schedule "nightly" at .+: /);
    for (const part of expected) expect(message).toContain(part);
  });

  it('no longer refuses every N days in a zone with DST (2d in Berlin, 3d in New York, 14d in London, 10d in Lord Howe)', () => {
    for (const [interval, timezone] of [
      ['2d', 'Europe/Berlin'],
      ['3d', 'America/New_York'],
      ['14d', 'Europe/London'],
      ['10d', 'Australia/Lord_Howe'],
    ] as const) {
      const task = mn.schedule({ name: 'everyFewDays', interval, timezone }, noop);
      expect(task.schedule.expressions[0]!.filter).toMatchObject({ everyDays: Number.parseInt(interval, 10) });
    }
  });

  it('takes every overlap policy, and skip when none is given', () => {
    for (const overlap of mn.OVERLAP_POLICIES) expect(mn.schedule({ name: 'each', cron: '0 0 * * *', overlap }, noop).options.overlap).toBe(overlap);
    expect(mn.schedule({ name: 'plain', cron: '0 0 * * *' }, noop).options.overlap).toBe(mn.DEFAULT_OVERLAP);
    expect(mn.DEFAULT_OVERLAP).toBe('skip');
  });

  it('names the variable when there is no explicit name', () => {
    let message = '';
    try {
      const everyFiveMinutes = mn.schedule({ interval: '5m' }, noop);
      void everyFiveMinutes;
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^schedule "everyFiveMinutes" at test\/schedule\/wrong-inputs\.test\.ts:\d+:\d+: option "interval" is "5m"/);
  });

  it('refuses a handler that is not a function', () => {
    expect(() => mn.schedule({ cron: '0 0 * * *' }, 'run' as never)).toThrow('expected a function as the handler');
  });
});
