/**
 * Golden tests: the original Multinode's examples and the named cases compile to these exact EventBridge schedules and
 * fire at these exact instants.
 */
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { compileSchedule, START_LEAD_MS } from '../../lib/schedule/compile.js';
import { fireTimesBetween, nextFireTimes } from '../../lib/schedule/evaluate.js';
import { isFireTime, isOffGrid } from '../../lib/schedule/fire-time.js';
import { normalizeScheduleSpec, type ScheduleManifest } from '../../lib/schedule/spec.js';

const HOUR = 3_600_000;

function compile(options: Record<string, unknown>, now = Date.parse('2026-05-01T10:07:00Z')): ScheduleManifest {
  return compileSchedule(normalizeScheduleSpec(options), { now });
}

function next(manifest: ScheduleManifest, from: string, count: number): string[] {
  return nextFireTimes(manifest.expressions, Date.parse(from), count).map((date) => date.toISOString().replace(':00.000Z', 'Z'));
}

describe("the original Multinode's examples", () => {
  it('"0 23 * * 1-5" in Europe/London: weekdays at 23:00 London time, across both DST changes', () => {
    const manifest = compile({ cron: '0 23 * * 1-5', timezone: 'Europe/London' });
    expect(manifest).toEqual({
      spec: { type: 'cron', cron: '0 23 * * 1-5', timezone: 'Europe/London' },
      expressions: [{ expression: 'cron(0 23 ? * MON-FRI *)', timezone: 'Europe/London' }],
    });
    // Clocks go forward on Sunday 2024-03-31: Friday is 23:00 GMT, Monday 23:00 BST (22:00 UTC).
    expect(next(manifest, '2024-03-28T00:00Z', 4)).toEqual(['2024-03-28T23:00Z', '2024-03-29T23:00Z', '2024-04-01T22:00Z', '2024-04-02T22:00Z']);
    // Clocks go back on Sunday 2024-10-27.
    expect(next(manifest, '2024-10-24T00:00Z', 3)).toEqual(['2024-10-24T22:00Z', '2024-10-25T22:00Z', '2024-10-28T23:00Z']);
  });

  it('reference 2023-09-08 23:00 + 1 day in Europe/London: 23:00 on the wall clock every day', () => {
    const manifest = compile({ referenceTime: '2023-09-08T23:00', interval: '1d', timezone: 'Europe/London' });
    expect(manifest).toEqual({
      spec: {
        type: 'interval',
        intervalSeconds: 86400,
        referenceTime: '2023-09-08T22:00:00.000Z',
        localReferenceTime: '2023-09-08T23:00',
        grid: 'wall-clock',
        timezone: 'Europe/London',
      },
      expressions: [{ expression: 'cron(0 23 * * ? *)', timezone: 'Europe/London' }],
    });
    expect(next(manifest, '2024-03-30T00:00Z', 3)).toEqual(['2024-03-30T23:00Z', '2024-03-31T22:00Z', '2024-04-01T22:00Z']);
  });

  it('reference 2023-09-08 23:00 + 1 day in UTC (country-report), and "1d" from the default reference (tweet-summaries)', () => {
    expect(compile({ referenceTime: '2023-09-08T23:00', interval: '1d' }).expressions).toEqual([{ expression: 'cron(0 23 * * ? *)', timezone: 'UTC' }]);
    expect(compile({ interval: '1d' }).expressions).toEqual([{ expression: 'cron(0 0 * * ? *)', timezone: 'UTC' }]);
  });

  it('every 15 minutes from :05', () => {
    const manifest = compile({ interval: '15m', referenceTime: '2024-01-01T00:05Z' });
    expect(manifest.expressions).toEqual([{ expression: 'cron(5,20,35,50 * * * ? *)', timezone: 'UTC' }]);
    expect(next(manifest, '2024-01-01T00:00Z', 5)).toEqual([
      '2024-01-01T00:05Z',
      '2024-01-01T00:20Z',
      '2024-01-01T00:35Z',
      '2024-01-01T00:50Z',
      '2024-01-01T01:05Z',
    ]);
  });

  it('every 90 minutes: two crons, because one minute list cannot hold both phases', () => {
    const manifest = compile({ interval: '90m' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(0 0,3,6,9,12,15,18,21 * * ? *)', timezone: 'UTC' },
      { expression: 'cron(30 1,4,7,10,13,16,19,22 * * ? *)', timezone: 'UTC' },
    ]);
    expect(next(manifest, '2024-01-01T22:00Z', 4)).toEqual(['2024-01-01T22:30Z', '2024-01-02T00:00Z', '2024-01-02T01:30Z', '2024-01-02T03:00Z']);
  });

  it('every 36 hours: rate(36 hours) starting at the first grid point at least 15 minutes after the manifest is built', () => {
    const now = Date.parse('2026-05-01T10:07:00Z');
    const manifest = compile({ interval: '36h' }, now);
    expect(manifest.spec).toMatchObject({ grid: 'elapsed', referenceTime: '2000-01-01T00:00:00.000Z' });
    expect(manifest.expressions).toEqual([{ expression: 'rate(36 hours)', timezone: 'UTC', startDate: '2026-05-02T00:00:00.000Z' }]);
    const start = Date.parse(manifest.expressions[0]!.startDate!);
    expect((start - Date.parse('2000-01-01T00:00:00Z')) % (36 * HOUR)).toBe(0);
    expect(start).toBeGreaterThanOrEqual(now + START_LEAD_MS);
    expect(start - 36 * HOUR).toBeLessThan(now + START_LEAD_MS);
    expect(next(manifest, '2026-05-01T00:00Z', 3)).toEqual(['2026-05-02T00:00Z', '2026-05-03T12:00Z', '2026-05-05T00:00Z']);
  });

  it('every 36 hours from 23:00 London time: elapsed time from the reference instant, unaffected by DST', () => {
    const manifest = compile({ interval: '36h', referenceTime: '2023-09-08T23:00', timezone: 'Europe/London' }, Date.parse('2024-03-29T00:00Z'));
    expect(manifest.expressions).toEqual([{ expression: 'rate(36 hours)', timezone: 'UTC', startDate: '2024-03-29T10:00:00.000Z' }]);
    expect(next(manifest, '2024-03-29T00:00Z', 3)).toEqual(['2024-03-29T10:00Z', '2024-03-30T22:00Z', '2024-04-01T10:00Z']);
  });
});

describe('cron compilation', () => {
  it.each([
    ['0 0 * * 0', 'cron(0 0 ? * SUN *)'],
    ['0 0 * * 7', 'cron(0 0 ? * SUN *)'],
    ['0 0 * * 0,7', 'cron(0 0 ? * SUN *)'],
    ['0 0 * * 5-7', 'cron(0 0 ? * SUN,FRI,SAT *)'],
    ['0 12 * * 1-7', 'cron(0 12 * * ? *)'],
    ['30 4 * 1-6 0,6', 'cron(30 4 ? 1-6 SUN,SAT *)'],
    ['*/15 9-17 * * mon-fri', 'cron(0,15,30,45 9-17 ? * MON-FRI *)'],
    ['5-59/15 * * * *', 'cron(5,20,35,50 * * * ? *)'],
    ['0 0 */2 * *', 'cron(0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * ? *)'],
    ['0 0 1-31 * 1', 'cron(0 0 * * ? *)'],
    ['0 0 1 JAN,jul *', 'cron(0 0 1 1,7 ? *)'],
    ['0 0 * * */2', 'cron(0 0 ? * SUN,TUE,THU,SAT *)'],
    ['0 0 29 2 *', 'cron(0 0 29 2 ? *)'],
    ['@hourly', 'cron(0 * * * ? *)'],
    ['@daily', 'cron(0 0 * * ? *)'],
    ['@midnight', 'cron(0 0 * * ? *)'],
    ['@weekly', 'cron(0 0 ? * SUN *)'],
    ['@monthly', 'cron(0 0 1 * ? *)'],
    ['@yearly', 'cron(0 0 1 1 ? *)'],
    ['@ANNUALLY', 'cron(0 0 1 1 ? *)'],
  ])('%s -> %s', (cron, expression) => {
    expect(compile({ cron }).expressions).toEqual([{ expression, timezone: 'UTC' }]);
  });

  it('both day fields restricted (Unix OR): two schedules whose union fires once per time', () => {
    const manifest = compile({ cron: '0 0 1,15 * 5', timezone: 'America/New_York' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(0 0 1,15 * ? *)', timezone: 'America/New_York' },
      { expression: 'cron(0 0 ? * FRI *)', timezone: 'America/New_York' },
    ]);
    // 2024-03-15 is a Friday: both schedules fire, the union lists it once.
    expect(next(manifest, '2024-03-01T05:00Z', 6)).toEqual([
      '2024-03-01T05:00Z',
      '2024-03-08T05:00Z',
      '2024-03-15T04:00Z',
      '2024-03-22T04:00Z',
      '2024-03-29T04:00Z',
      '2024-04-01T04:00Z',
    ]);
  });

  it('drops the day-of-month half of an OR that can never match', () => {
    expect(compile({ cron: '0 0 31 2 MON' }).expressions).toEqual([{ expression: 'cron(0 0 ? 2 MON *)', timezone: 'UTC' }]);
  });

  it('keeps the cron as written, with single spaces', () => {
    expect(compile({ cron: '  0   23 *\t* 1-5 ' }).spec).toEqual({ type: 'cron', cron: '0 23 * * 1-5', timezone: 'UTC' });
  });
});

describe('interval compilation', () => {
  it('7 days on the wall clock: one weekly cron on the reference weekday', () => {
    expect(compile({ interval: '7d', referenceTime: '2023-09-08T23:00', timezone: 'Europe/London' }).expressions).toEqual([
      { expression: 'cron(0 23 ? * FRI *)', timezone: 'Europe/London' },
    ]);
  });

  it('any interval that divides a day, at any phase, needs at most 8 crons', () => {
    let most = 0;
    for (let minutes = 15; minutes <= 1440; minutes++) {
      if (1440 % minutes !== 0) continue;
      for (let phase = 0; phase < minutes; phase++) {
        const referenceTime = new Date(Date.UTC(2024, 0, 1) + phase * 60_000).toISOString();
        most = Math.max(most, compile({ interval: `${minutes}m`, referenceTime }).expressions.length);
      }
    }
    expect(most).toBe(8);
  });

  it('an elapsed-time interval that divides a week: cron lists in UTC', () => {
    const manifest = compile({ interval: '84h', referenceTime: '2024-01-01T00:00Z' });
    expect(manifest.spec).toMatchObject({ grid: 'elapsed' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(0 0 ? * MON *)', timezone: 'UTC' },
      { expression: 'cron(0 12 ? * THU *)', timezone: 'UTC' },
    ]);
  });

  it('an elapsed-time interval needing more than 8 weekly crons: one rate schedule instead', () => {
    expect(compile({ interval: '21m', referenceTime: '2026-05-01T10:00Z' }).expressions).toEqual([
      { expression: 'rate(21 minutes)', timezone: 'UTC', startDate: '2026-05-01T10:42:00.000Z' },
    ]);
  });

  it('whole days other than 1 and 7 in zones with one offset: rate(N days), exact with no ignored deliveries', () => {
    expect(compile({ interval: '2d' }).expressions).toEqual([{ expression: 'rate(2 days)', timezone: 'UTC', startDate: '2026-05-02T00:00:00.000Z' }]);
    // Kathmandu is +05:45 all year: midnight there is 18:15 UTC.
    expect(compile({ interval: '3d', referenceTime: '2026-01-01T00:00', timezone: 'Asia/Kathmandu' }).expressions).toEqual([
      // 2026-05-01 is on the grid but already past; 2026-05-04 00:00 local is 2026-05-03 18:15 UTC.
      { expression: 'rate(3 days)', timezone: 'UTC', startDate: '2026-05-03T18:15:00.000Z' },
    ]);
  });

  it('renders rates in the largest exact unit, singular for 1', () => {
    expect(compile({ interval: '17m' }).expressions[0]!.expression).toBe('rate(17 minutes)');
    expect(compile({ interval: '25h' }).expressions[0]!.expression).toBe('rate(25 hours)');
    expect(compile({ interval: '366d' }).expressions[0]!.expression).toBe('rate(366 days)');
  });

  it('reads referenceTime as a Date, an ISO string with offset, a wall clock in the zone, or a date', () => {
    const spec = (referenceTime: unknown) => normalizeScheduleSpec({ interval: '1d', referenceTime, timezone: 'Europe/London' });
    expect(spec(new Date('2023-09-08T22:00:00Z'))).toMatchObject({ referenceTime: '2023-09-08T22:00:00.000Z', localReferenceTime: '2023-09-08T23:00' });
    expect(spec('2023-09-08T23:00+01:00')).toMatchObject({ referenceTime: '2023-09-08T22:00:00.000Z', localReferenceTime: '2023-09-08T23:00' });
    expect(spec('2023-09-08 23:00+0100')).toMatchObject({ referenceTime: '2023-09-08T22:00:00.000Z' });
    expect(spec('2023-09-08T22:00Z')).toMatchObject({ localReferenceTime: '2023-09-08T23:00' });
    expect(spec('2023-09-08T23:00')).toMatchObject({ referenceTime: '2023-09-08T22:00:00.000Z' });
    expect(spec('2023-12-08')).toMatchObject({ referenceTime: '2023-12-08T00:00:00.000Z', localReferenceTime: '2023-12-08T00:00' });
    // 01:30 happens twice on 2024-10-27 in London: the first occurrence (BST) is meant.
    expect(spec('2024-10-27T01:30')).toMatchObject({ referenceTime: '2024-10-27T00:30:00.000Z' });
  });

  it('defaults to midnight of 2000-01-01 in the zone, and the zone to UTC', () => {
    expect(normalizeScheduleSpec({ interval: '1h' })).toEqual({
      type: 'interval',
      intervalSeconds: 3600,
      referenceTime: '2000-01-01T00:00:00.000Z',
      localReferenceTime: '2000-01-01T00:00',
      grid: 'wall-clock',
      timezone: 'UTC',
    });
    expect(normalizeScheduleSpec({ interval: '1h', timezone: 'Asia/Kathmandu' })).toMatchObject({ referenceTime: '1999-12-31T18:15:00.000Z' });
  });

  it('fixes the case of a time zone name', () => {
    expect(normalizeScheduleSpec({ cron: '@daily', timezone: 'europe/london' }).timezone).toBe('Europe/London');
  });
});

describe('every N days on a wall clock with DST: the cron of the time of day, filtered to the grid days', () => {
  const at = (iso: string) => Date.parse(iso);

  it('2d in Europe/Berlin: daily cron + filter; 02:30 skipped on the spring-forward day, once on the fall-back day', () => {
    const manifest = compile({ interval: '2d', referenceTime: '2024-03-29T02:30', timezone: 'Europe/Berlin' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(30 2 * * ? *)', timezone: 'Europe/Berlin', filter: { everyDays: 2, referenceDay: '2024-03-29' } },
    ]);
    // 2024-03-31 is on the grid, but Berlin goes from 02:00 to 03:00 that day: no 02:30, no run.
    expect(next(manifest, '2024-03-26T00:00Z', 4)).toEqual(['2024-03-27T01:30Z', '2024-03-29T01:30Z', '2024-04-02T00:30Z', '2024-04-04T00:30Z']);
    // 2024-10-27 is 212 days later (on the grid): 02:30 happens twice (CEST, then CET) and runs at the first.
    expect(next(manifest, '2024-10-24T00:00Z', 3)).toEqual(['2024-10-25T00:30Z', '2024-10-27T00:30Z', '2024-10-29T01:30Z']);
    // The cron's delivery on 2024-03-28 is off the grid; a run triggered by hand at another time is no delivery of it.
    expect([isFireTime(manifest, at('2024-03-29T01:30Z')), isOffGrid(manifest, at('2024-03-29T01:30Z'))]).toEqual([true, false]);
    expect([isFireTime(manifest, at('2024-03-28T01:30Z')), isOffGrid(manifest, at('2024-03-28T01:30Z'))]).toEqual([false, true]);
    expect([isFireTime(manifest, at('2024-03-28T10:11:12Z')), isOffGrid(manifest, at('2024-03-28T10:11:12Z'))]).toEqual([false, false]);
    // The second 02:30 of 2024-10-27 (01:30 UTC) is not delivered and is no fire time.
    expect(isFireTime(manifest, at('2024-10-27T01:30Z'))).toBe(false);
  });

  it('3d in America/New_York: 02:30 does not exist on 2024-03-10, a grid day', () => {
    const manifest = compile({ interval: '3d', referenceTime: '2024-03-01T02:30', timezone: 'America/New_York' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(30 2 * * ? *)', timezone: 'America/New_York', filter: { everyDays: 3, referenceDay: '2024-03-01' } },
    ]);
    expect(next(manifest, '2024-03-01T00:00Z', 5)).toEqual([
      '2024-03-01T07:30Z',
      '2024-03-04T07:30Z',
      '2024-03-07T07:30Z',
      '2024-03-13T06:30Z',
      '2024-03-16T06:30Z',
    ]);
    // Across month ends and a leap day the count goes on: 2024-02-27, 2024-03-01 (2024-02-29 is a day).
    expect(next(manifest, '2024-02-25T00:00Z', 2)).toEqual(['2024-02-27T07:30Z', '2024-03-01T07:30Z']);
  });

  it('14d in Europe/London: a weekly cron on the reference weekday + filter (one ignored delivery per run)', () => {
    const manifest = compile({ interval: '14d', referenceTime: '2024-03-17T01:30', timezone: 'Europe/London' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(30 1 ? * SUN *)', timezone: 'Europe/London', filter: { everyDays: 14, referenceDay: '2024-03-17' } },
    ]);
    // 2024-03-31 (clocks forward at 01:00) has no 01:30; 2024-10-27, 16 periods on, has two and runs at the first (BST).
    expect(next(manifest, '2024-03-10T00:00Z', 3)).toEqual(['2024-03-17T01:30Z', '2024-04-14T00:30Z', '2024-04-28T00:30Z']);
    expect(next(manifest, '2024-10-20T00:00Z', 2)).toEqual(['2024-10-27T00:30Z', '2024-11-10T01:30Z']);
    const delivered = fireTimesBetween([{ expression: 'cron(30 1 ? * SUN *)', timezone: 'Europe/London' }], at('2024-04-14T00:00Z'), at('2024-04-28T00:00Z'));
    expect(delivered.map((d) => [d.toISOString(), isOffGrid(manifest, d)])).toEqual([
      ['2024-04-14T00:30:00.000Z', false],
      ['2024-04-21T00:30:00.000Z', true],
    ]);
  });

  it('10d in Australia/Lord_Howe: 30-minute shifts; 01:45 runs once on the day it happens twice', () => {
    const manifest = compile({ interval: '10d', referenceTime: '2024-03-28T01:45', timezone: 'Australia/Lord_Howe' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(45 1 * * ? *)', timezone: 'Australia/Lord_Howe', filter: { everyDays: 10, referenceDay: '2024-03-28' } },
    ]);
    // 2024-04-07: clocks go from 02:00 back to 01:30, so 01:45 is +11 (14:45 UTC the day before) and then +10:30.
    expect(next(manifest, '2024-03-27T00:00Z', 3)).toEqual(['2024-03-27T14:45Z', '2024-04-06T14:45Z', '2024-04-16T15:15Z']);
    // 2024-10-06: clocks go from 02:00 to 02:30; 02:15 on that grid day does not exist.
    const spring = compile({ interval: '10d', referenceTime: '2024-09-26T02:15', timezone: 'Australia/Lord_Howe' });
    expect(next(spring, '2024-09-25T00:00Z', 2)).toEqual(['2024-09-25T15:45Z', '2024-10-15T15:15Z']);
  });

  it('2d in UTC: still rate(2 days), on the grid', () => {
    const manifest = compile({ interval: '2d', referenceTime: '2024-01-01' });
    expect(manifest.expressions).toEqual([{ expression: 'rate(2 days)', timezone: 'UTC', startDate: '2026-05-02T00:00:00.000Z' }]);
    expect(isFireTime(manifest, at('2026-05-04T00:00Z'))).toBe(true);
    expect(isFireTime(manifest, at('2026-05-03T00:00Z'))).toBe(false);
  });

  it('21d in Europe/Berlin: a weekly cron + filter, two ignored deliveries per run', () => {
    const manifest = compile({ interval: '21d', referenceTime: '2024-03-08T12:00', timezone: 'Europe/Berlin' });
    expect(manifest.expressions).toEqual([
      { expression: 'cron(0 12 ? * FRI *)', timezone: 'Europe/Berlin', filter: { everyDays: 21, referenceDay: '2024-03-08' } },
    ]);
    expect(next(manifest, '2024-03-01T00:00Z', 4)).toEqual(['2024-03-08T11:00Z', '2024-03-29T11:00Z', '2024-04-19T10:00Z', '2024-05-10T10:00Z']);
    const offGrid = ['2024-03-15T11:00Z', '2024-03-22T11:00Z', '2024-04-05T10:00Z', '2024-04-12T10:00Z'];
    expect(offGrid.map((iso) => isOffGrid(manifest, at(iso)))).toEqual([true, true, true, true]);
  });

  it('the handler decides by the spec: a filtered cron delivery off the grid is off the grid even where the build compiled rate(N days)', () => {
    // The runtime may compile rate(2 days) where the build that created the schedule compiled the filtered cron.
    const manifest = compile({ interval: '2d', referenceTime: '2024-01-01T23:00', timezone: 'Asia/Kathmandu' });
    expect(manifest.expressions[0]!.expression).toBe('rate(2 days)');
    // 23:00 in Kathmandu is 17:15 UTC; 2026-05-02 is 852 days after the reference, 2026-05-03 is off the grid.
    expect(isFireTime(manifest, at('2026-05-02T17:15Z'))).toBe(true);
    expect(isOffGrid(manifest, at('2026-05-03T17:15Z'))).toBe(true);
  });
});

describe('through schedule(...)', () => {
  it('records the spec and the compiled expressions on the definition and in the manifest table', () => {
    const daily = mn.scheduledTask(
      { name: 'daily', referenceTime: '2023-09-08T23:00', interval: '1d', timezone: 'Europe/London', cpu: 16 },
      async () => undefined,
    );
    expect(daily.schedule.expressions).toEqual([{ expression: 'cron(0 23 * * ? *)', timezone: 'Europe/London' }]);
  });
});
