/**
 * Property tests: for random Unix crons and intervals in several zones, over windows that cross DST changes, the fire
 * times of the compiled EventBridge expressions (run through our evaluator) equal those of the brute-force reference
 * (reference.ts: minute-by-minute through UTC, wall clock from Intl, Unix cron matching or the interval grid).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchedule, START_LEAD_MS } from '../../lib/schedule/compile.js';
import { ScheduleError } from '../../lib/schedule/errors.js';
import { fireTimes, fireTimesBetween, passesFilter } from '../../lib/schedule/evaluate.js';
import { isFireTime, isOffGrid } from '../../lib/schedule/fire-time.js';
import { normalizeScheduleSpec } from '../../lib/schedule/spec.js';
import { cronArb } from './cron-arbitrary.js';
import {
  cronFireTimes,
  intervalFireTimes,
  minuteTable,
  offsetChanges,
  referenceCron,
  referenceInstant,
  referenceRefusal,
  wholeDayFireTimes,
} from './reference.js';

const DAY = 86_400_000;
const WINDOW_DAYS = 21;

/** 21-day windows starting a week before a DST change (or another calendar edge) of each zone. */
const WINDOWS: ReadonlyArray<readonly [zone: string, start: string]> = [
  ['UTC', '2024-02-22'], // leap day
  ['UTC', '2023-12-25'], // year end
  ['Europe/London', '2024-03-24'], // clocks forward 2024-03-31 01:00 -> 02:00
  ['Europe/London', '2024-10-20'], // clocks back 2024-10-27 02:00 -> 01:00
  ['America/New_York', '2024-03-03'], // forward 2024-03-10 02:00 -> 03:00
  ['America/New_York', '2024-10-27'], // back 2024-11-03 02:00 -> 01:00
  ['Australia/Lord_Howe', '2024-03-31'], // back 30 minutes 2024-04-07 02:00 -> 01:30
  ['Australia/Lord_Howe', '2024-09-29'], // forward 30 minutes 2024-10-06 02:00 -> 02:30
  ['Asia/Kathmandu', '1985-12-25'], // +05:30 -> +05:45 on 1986-01-01: 00:00-00:14 never happen
  ['Asia/Kathmandu', '2024-06-01'],
];

/** A window by name (short counterexamples); its minute table is built once, outside the generated value. */
const windowArb = fc.constantFrom(...WINDOWS).map(([zone, start]) => `${zone} from ${start}`);

function windowOf(label: string) {
  const [zone, start] = label.split(' from ') as [string, string];
  const from = Date.parse(`${start}T00:00:00Z`);
  return { zone, from, to: from + WINDOW_DAYS * DAY, table: minuteTable(zone, from, from + WINDOW_DAYS * DAY) };
}

describe('compiled crons fire exactly when Unix cron says (brute-force reference)', () => {
  it('random crons in UTC, London, New York, Lord Howe and Kathmandu across DST changes', () => {
    fc.assert(
      fc.property(cronArb, windowArb, (cron, label) => {
        const window = windowOf(label);
        // Five days around the change in the middle of the window.
        const from = window.from + 5 * DAY;
        const to = window.from + 10 * DAY;
        const refusal = referenceRefusal(referenceCron(cron));
        let expressions: ReturnType<typeof compileSchedule>['expressions'];
        try {
          expressions = compileSchedule(normalizeScheduleSpec({ cron, timezone: window.zone })).expressions;
        } catch (error) {
          expect(error).toBeInstanceOf(ScheduleError);
          expect(refusal, `${cron} was refused: ${(error as Error).message}`).not.toBeNull();
          expect((error as Error).message).toMatch(refusal === 'both-day-fields' ? /both day fields/ : /never runs/);
          return;
        }
        expect(refusal, `${cron} compiled although the reference refuses it (${refusal})`).toBeNull();
        for (const { expression, timezone } of expressions) {
          expect(timezone).toBe(window.zone);
          expect(expression.length).toBeLessThanOrEqual(256);
        }
        const actual = fireTimesBetween(expressions, from, to).map((date) => date.getTime());
        expect(actual).toEqual(cronFireTimes(cron, window.table, from, to));
      }),
      { numRuns: 2500 },
    );
  });
});

// ---- random intervals ----

const DIVISORS_OF_A_DAY = Array.from({ length: 1440 - 14 }, (_, i) => i + 15).filter((m) => 1440 % m === 0);

const intervalMinutesArb = fc.oneof(
  fc.constantFrom(...DIVISORS_OF_A_DAY),
  fc.constantFrom(1440, 2880, 4320, 5760, 10080),
  // Elapsed-time intervals that divide a week (weekly cron lists or, when too many, rate).
  fc.constantFrom(21, 28, 35, 420, 840, 1008, 1260, 1680, 2016, 2520, 3360, 5040),
  fc.integer({ min: 15, max: 5760 }),
);

const pad = (n: number) => String(n).padStart(2, '0');
const wallClockArb = fc
  .record({
    y: fc.integer({ min: 1995, max: 2030 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
  })
  .map(({ y, mo, d, h, mi }) => `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}`);
/** Reference times on a DST-change day, where some are skipped or repeated. */
const dstDayWallClockArb = fc
  .tuple(
    fc.constantFrom('2024-03-31', '2024-10-27', '2024-03-10', '2024-11-03', '2024-04-07', '2024-10-06', '1986-01-01'),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 59 }),
  )
  .map(([date, h, mi]) => `${date}T${pad(h)}:${pad(mi)}`);

describe('compiled intervals fire exactly on the reference + k x interval grid (brute-force reference)', () => {
  it('random intervals and reference times in five zones across DST changes', () => {
    fc.assert(
      fc.property(
        intervalMinutesArb,
        fc.oneof({ weight: 4, arbitrary: wallClockArb }, { weight: 1, arbitrary: dstDayWallClockArb }),
        windowArb,
        (minutes, wallClock, label) => {
          const window = windowOf(label);
          // Rate schedules start at the first grid point at least START_LEAD_MS after the manifest is built.
          const now = window.from - START_LEAD_MS;
          let manifest: ReturnType<typeof compileSchedule>;
          try {
            manifest = compileSchedule(normalizeScheduleSpec({ interval: `${minutes}m`, referenceTime: wallClock, timezone: window.zone }), { now });
          } catch (error) {
            // Only a reference time the clock skips is refused: every interval compiles.
            expect(error).toBeInstanceOf(ScheduleError);
            expect((error as ScheduleError).option).toBe('referenceTime');
            expect(referenceInstant(wallClock, window.zone), `${wallClock} exists in ${window.zone}`).toBeUndefined();
            return;
          }
          const expected = intervalFireTimes({ minutes, wallClock, zone: window.zone }, window.table, window.from, window.to);
          const actual = fireTimesBetween(manifest.expressions, window.from, window.to).map((date) => date.getTime());
          expect(actual).toEqual(expected);
          // isFireTime, from the spec, agrees: the grid's times and their neighbours.
          const grid = new Set(expected);
          const probes = expected.flatMap((time) => [time - 60_000, time, time + 60_000]);
          const wrong = probes.filter((probe) => isFireTime(manifest, probe) !== grid.has(probe)).map((probe) => new Date(probe).toISOString());
          expect(wrong).toEqual([]);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

// ---- every N whole days on a wall clock, over years ----

/**
 * Zones with every kind of offset change: DST at night or at midnight, 30- and 120-minute shifts, negative DST,
 * several changes a year, abolished DST, a skipped day.
 */
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'Europe/Dublin', // "winter time" is the negative DST
  'America/New_York',
  'America/Santiago', // changes at midnight: 00:00 does not exist on the spring day
  'America/Havana', // changes at midnight
  'America/Sao_Paulo', // DST at midnight until 2019, then none
  'America/St_Johns', // -03:30 / -02:30
  'Asia/Tehran', // DST until 2022
  'Asia/Beirut', // changes at midnight
  'Asia/Kathmandu', // +05:45 since 1986
  'Australia/Lord_Howe', // 30-minute shift
  'Australia/Adelaide', // +09:30 / +10:30
  'Pacific/Chatham', // +12:45 / +13:45
  'Antarctica/Troll', // +00 / +02: a two-hour shift
  'Africa/Casablanca', // clocks change around Ramadan: up to four changes a year
  'Pacific/Apia', // skipped 2011-12-30 altogether when it crossed the date line
] as const;

const wholeDaysArb = fc.oneof(fc.integer({ min: 2, max: 40 }), fc.constantFrom(14, 21, 28, 70, 91, 364, 365, 366), fc.integer({ min: 2, max: 366 }));

describe('every N whole days on a wall clock: filtered crons fire exactly at reference + k x N days (date by date reference)', () => {
  it('random N, reference times and two-year windows in 18 zones', () => {
    fc.assert(
      fc.property(
        wholeDaysArb,
        fc.constantFrom(...ZONES),
        fc.oneof({ weight: 3, arbitrary: wallClockArb }, { weight: 1, arbitrary: dstDayWallClockArb }),
        fc.integer({ min: 1996, max: 2028 }),
        fc.integer({ min: 0, max: 11 }),
        (days, zone, wallClock, year, month) => {
          const from = Date.UTC(year, month, 1);
          // Two years: rate(N days) is chosen only for zones that keep one offset for two years after `now`.
          const to = Date.UTC(year + 2, month, 1);
          const now = from - START_LEAD_MS;
          let manifest: ReturnType<typeof compileSchedule>;
          try {
            manifest = compileSchedule(normalizeScheduleSpec({ interval: `${days}d`, referenceTime: wallClock, timezone: zone }), { now });
          } catch (error) {
            expect((error as ScheduleError).option).toBe('referenceTime');
            expect(referenceInstant(wallClock, zone)).toBeUndefined();
            return;
          }
          // rate(N days) where the zone keeps one offset for two years (exact, no ignored deliveries), else a filtered cron.
          const [compiled] = manifest.expressions;
          if (days !== 7) expect(compiled!.expression.startsWith('rate(')).toBe(!offsetChanges(zone, now, 732));
          if (compiled!.expression.startsWith('cron(') && days !== 7)
            expect(compiled!.filter).toEqual({ everyDays: days, referenceDay: wallClock.slice(0, 10) });
          const expected = wholeDayFireTimes(wallClock, days, zone, from, to);
          // The evaluator, stepping from grid day to grid day.
          expect(fireTimesBetween(manifest.expressions, from, to).map((date) => date.getTime())).toEqual(expected);
          // What EventBridge delivers, filtered one by one: the same times; every other delivery is off the grid.
          const delivered = manifest.expressions.flatMap((compiled) => {
            const times: number[] = [];
            for (const time of fireTimes(compiled, from)) {
              if (time >= to) break;
              times.push(time);
            }
            return times.map((time) => ({ time, kept: passesFilter(compiled, time) }));
          });
          expect(delivered.filter((d) => d.kept).map((d) => d.time)).toEqual(expected);
          const misjudged = delivered
            .filter(({ time, kept }) => isFireTime(manifest, time) !== kept || isOffGrid(manifest, time) === kept)
            .map(({ time }) => new Date(time).toISOString());
          expect(misjudged).toEqual([]);
        },
      ),
      {
        numRuns: 300,
        examples: [
          // Apia skipped 2011-12-30, a grid day; Santiago has no 00:00 on 2024-09-08, a grid day; Lord Howe's 01:45 twice on 2024-04-07.
          [2, 'Pacific/Apia', '2011-12-24T10:00', 2011, 0],
          [3, 'America/Santiago', '2024-08-30T00:00', 2024, 0],
          [10, 'Australia/Lord_Howe', '2024-03-28T01:45', 2023, 6],
          [21, 'Africa/Casablanca', '2024-01-05T02:30', 2023, 0],
        ],
      },
    );
  });
});
