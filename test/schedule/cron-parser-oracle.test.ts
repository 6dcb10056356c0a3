/**
 * cron-parser as a second, independent oracle: for random Unix crons in several zones, over three-week windows that
 * cross DST changes, the fire times of our compiled EventBridge expressions (through lib/schedule/evaluate.ts, the
 * evaluator behind `multinode schedules` and the local scheduler) must equal cron-parser's iteration
 * (`CronExpressionParser.parse(cron, { tz, currentDate })`), wherever cron-parser's semantics are EventBridge's.
 *
 * Where they are not, a stated rule below decides (as code, with its reason), never a list of failing cases:
 *   (a) spring forward: a wall-clock time in the gap does not run on EventBridge; cron-parser moves it forward by the
 *       gap's length (02:30 -> 03:30). Rule: a cron-parser time whose wall clock is not one of its own minute and hour
 *       values must be such a moved time (within one gap-length after a forward change, and its wall clock minus the
 *       gap matches the fields), and is dropped.
 *   (b) an offset change that is not a whole number of hours (Australia/Lord_Howe moves 30 minutes, both ways):
 *       cron-parser handles DST in whole hours. Going forward (02:00 -> 02:30) it skips 02:30, which exists; going
 *       back (02:00 -> 01:30) it fires the repeated half hour twice, or its search through that day gives up ("loop
 *       limit exceeded" after 10,000 steps, half a second each time; `5 4 * * 0` from 2024-04-01). Rule: cron-parser
 *       is never asked about the local day of such a change (a compared stretch ends before it and another starts
 *       after it); the brute-force property tests cover those days.
 *   (c) day fields: Vixie cron (and our compiler) treats a day field that *starts* with "*" (`*`, `*\/2`) as
 *       unrestricted and requires both day fields to match; cron-parser treats only a bare "*" as unrestricted and ORs
 *       two restricted fields. Rule: when neither day field is a bare "*" and one starts with "*", the cron is not
 *       compared (`0 0 *\/2 * 0-6`: odd days for Vixie, every day for cron-parser).
 *   (d) fall back: EventBridge runs a repeated wall-clock time once, at its first occurrence; cron-parser, like Vixie,
 *       runs a cron whose hour field is every hour again through the repeated hour. Rule: a cron-parser time whose wall
 *       clock was already read earlier (it lies within one shift-length after a backward change) is dropped.
 *   (e) cron-parser refuses a field whose list items overlap (`0-5,3`, `0,7`: both Sunday), which Vixie cron and our
 *       parser accept. Rule: a cron cron-parser refuses with "duplicate values found" is not compared (the random crons
 *       are drawn among those it accepts, as about half of them have such a list); any other refusal fails the test.
 *   (f) cron-parser lacks the `@midnight` macro; crontab(5) defines it as `@daily`, which cron-parser is given.
 *
 * Zone facts used by the rules (offset changes) come from Intl here, not from lib/schedule/zone.ts.
 */
import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../lib/schedule/compile.js';
import { ScheduleError } from '../../lib/schedule/errors.js';
import { fireTimesBetween } from '../../lib/schedule/evaluate.js';
import { normalizeScheduleSpec } from '../../lib/schedule/spec.js';
import type { CompiledExpression } from '../../lib/schedule/spec-types.js';
import { cronArb } from './cron-arbitrary.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WINDOW_DAYS = 21;
/** cron-parser costs tens of microseconds per time: each compared stretch stops after this many of its times. */
const TIMES_PER_STRETCH = 120;
/** A stretch also starts this long before each offset change, so dense crons reach the change. */
const BEFORE_CHANGE = HOUR;

/** Three-week windows, each crossing an offset change (or, in zones without DST, a leap day or a year end). */
const WINDOWS: ReadonlyArray<readonly [zone: string, start: string]> = [
  ['UTC', '2024-02-20'], // leap day
  ['Europe/London', '2024-03-24'], // forward 2024-03-31 01:00 -> 02:00
  ['Europe/London', '2024-10-20'], // back 2024-10-27 02:00 -> 01:00
  ['America/New_York', '2024-03-03'], // forward 2024-03-10 02:00 -> 03:00
  ['America/New_York', '2024-10-27'], // back 2024-11-03 02:00 -> 01:00
  ['Australia/Lord_Howe', '2024-03-31'], // back 30 minutes 2024-04-07 02:00 -> 01:30
  ['Australia/Lord_Howe', '2024-09-29'], // forward 30 minutes 2024-10-06 02:00 -> 02:30
  ['Asia/Kolkata', '2024-12-20'], // +05:30 all year; year end
];

// ---- the zone, read with Intl ----

interface Change {
  /** First instant (ms) of the new offset. */
  readonly at: number;
  /** New offset minus old offset, ms: positive forward (a gap), negative back (a repeat). */
  readonly shift: number;
}

interface ZoneWindow {
  readonly zone: string;
  readonly from: number;
  readonly to: number;
  /** The wall-clock reading of an instant, as naive ms (the reading written as if it were UTC). */
  readonly wallClock: (instant: number) => number;
  readonly changes: readonly Change[];
  /** [start, end) of the local days on which cron-parser is not asked (rule b). */
  readonly blackouts: ReadonlyArray<readonly [number, number]>;
}

const windows = new Map<string, ZoneWindow>();

function zoneWindow(zone: string, start: string): ZoneWindow {
  const key = `${zone} from ${start}`;
  const cached = windows.get(key);
  if (cached) return cached;
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const wallClock = (instant: number) => {
    const text = format.format(instant); // "2024-03-31 01:59"
    return Date.UTC(+text.slice(0, 4), +text.slice(5, 7) - 1, +text.slice(8, 10), +text.slice(11, 13), +text.slice(14, 16));
  };
  const offset = (minute: number) => wallClock(minute) - minute;
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = from + WINDOW_DAYS * DAY;
  const changes: Change[] = [];
  for (let t = from; t < to; t += HOUR) {
    if (offset(t) === offset(t + HOUR)) continue;
    let low = t; // old offset
    let high = t + HOUR; // new offset
    while (high - low > MIN) {
      const middle = low + Math.floor((high - low) / 2 / MIN) * MIN;
      if (offset(middle) === offset(low)) low = middle;
      else high = middle;
    }
    changes.push({ at: high, shift: offset(high) - offset(low) });
  }
  // Rule (b): the local day of a change that is not a whole number of hours.
  const blackouts = changes
    .filter((change) => change.shift % HOUR !== 0)
    .map((change) => {
      const before = offset(change.at - MIN);
      const after = offset(change.at);
      const midnight = Math.floor(wallClock(change.at - MIN) / DAY) * DAY;
      return [midnight - before, midnight + DAY - after] as const;
    });
  const window = { zone, from, to, wallClock, changes, blackouts };
  windows.set(key, window);
  return window;
}

/** The change `instant` lies within one |shift| after, in the given direction, if any. */
function changeJustBefore(window: ZoneWindow, instant: number, direction: 'forward' | 'back'): Change | undefined {
  return window.changes.find(
    (change) => (direction === 'forward' ? change.shift > 0 : change.shift < 0) && instant >= change.at && instant < change.at + Math.abs(change.shift),
  );
}

/** An instant for messages: UTC and the wall clock. */
const show = (window: ZoneWindow) => (time: number) => `${new Date(time).toISOString()} (${new Date(window.wallClock(time)).toISOString().slice(0, 16)} local)`;

// ---- the rules, as code ----

/** Rule (c): Vixie's and cron-parser's readings of the day fields differ. */
function dayFieldsDiffer(cron: string): boolean {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return false; // a macro: its day fields are bare "*" or numbers
  const [dayOfMonth, dayOfWeek] = [fields[2]!, fields[4]!];
  return dayOfMonth !== '*' && dayOfWeek !== '*' && (dayOfMonth.startsWith('*') || dayOfWeek.startsWith('*'));
}

/** Rule (f): the text cron-parser is given. */
function cronParserText(cron: string): string {
  return cron.trim().toLowerCase() === '@midnight' ? '@daily' : cron;
}

type Oracle = ReturnType<typeof CronExpressionParser.parse>;

/** Rule (e): cron-parser's parse, or undefined when it refuses overlapping list items. */
function parseWithCronParser(cron: string, zone: string, currentDate: number, endDate: number): Oracle | undefined {
  try {
    return CronExpressionParser.parse(cronParserText(cron), { tz: zone, currentDate: new Date(currentDate), endDate: new Date(endDate) });
  } catch (error) {
    expect((error as Error).message, `cron-parser refused ${cron}`).toMatch(/duplicate values found/);
    return undefined;
  }
}

/**
 * cron-parser's times in [from, to), at most TIMES_PER_STRETCH of them, with rules (a) and (d) applied; `end` is where
 * the stretch stopped (to, or just after the last time when the cap was reached).
 */
function oracleTimes(oracle: Oracle, window: ZoneWindow, to: number): { times: number[]; end: number } {
  const minutes = new Set(oracle.fields.minute.values as number[]);
  const hours = new Set(oracle.fields.hour.values as number[]);
  const times: number[] = [];
  for (let count = 1; ; count++) {
    let time: number;
    try {
      time = oracle.next().getTime();
    } catch (error) {
      // endDate (the stretch's end) reached before the next time.
      expect((error as Error).message).toMatch(/Out of the time span range/);
      return { times, end: to };
    }
    if (time >= to) return { times, end: to };
    const matches = (wallClock: number) => minutes.has(new Date(wallClock).getUTCMinutes()) && hours.has(new Date(wallClock).getUTCHours());
    const reading = window.wallClock(time);
    if (!matches(reading)) {
      // Rule (a): a time that misses the fields must be a wall-clock time of the fields, in a spring-forward gap,
      // moved forward by the gap's length; EventBridge skips it.
      const gap = changeJustBefore(window, time, 'forward');
      expect(gap && matches(reading - gap.shift), `cron-parser's ${show(window)(time)} does not match its own fields`).toBe(true);
    } else if (!changeJustBefore(window, time, 'back')) {
      times.push(time);
    } // else rule (d): the second occurrence of a repeated wall-clock time; EventBridge runs it once.
    if (count === TIMES_PER_STRETCH) return { times, end: time + 1 };
  }
}

/** The starts of the compared stretches: the window's start and shortly before each change, none inside a blackout (rule b). */
function stretches(window: ZoneWindow): Array<readonly [number, number]> {
  const starts = [window.from, ...window.changes.map((change) => change.at - BEFORE_CHANGE), ...window.blackouts.map(([, end]) => end)];
  const result: Array<readonly [number, number]> = [];
  for (const start of starts) {
    if (start >= window.to || window.blackouts.some(([from, to]) => start >= from && start < to)) continue;
    const end = Math.min(window.to, ...window.blackouts.map(([from]) => from).filter((from) => from > start));
    result.push([start, end]);
  }
  return result;
}

function compiled(cron: string, zone: string): readonly CompiledExpression[] | undefined {
  try {
    return compileSchedule(normalizeScheduleSpec({ cron, timezone: zone })).expressions;
  } catch (error) {
    // The compiler refuses crons EventBridge cannot run exactly (the property and wrong-input tests check which).
    expect(error).toBeInstanceOf(ScheduleError);
    return undefined;
  }
}

type Outcome = 'compared' | 'refused by us' | 'rule c' | 'rule e';

/** Compares one cron in some stretches of one window (default all); returns what happened. */
function compare(cron: string, window: ZoneWindow, only = stretches(window)): Outcome {
  const expressions = compiled(cron, window.zone);
  if (!expressions) return 'refused by us';
  if (dayFieldsDiffer(cron)) return 'rule c';
  for (const [from, to] of only) {
    // currentDate 1 ms before `from`: cron-parser returns times strictly after it, so `from` itself is included.
    const oracle = parseWithCronParser(cron, window.zone, from - 1, to);
    if (!oracle) return 'rule e';
    const expected = oracleTimes(oracle, window, to);
    const actual = fireTimesBetween(expressions, from, expected.end).map((date) => date.getTime());
    expect(
      actual.map(show(window)),
      `${cron} in ${window.zone} from ${new Date(from).toISOString()}: ${expressions.map((e) => e.expression).join(' + ')}`,
    ).toEqual(expected.times.map(show(window)));
  }
  return 'compared';
}

/** Random crons cron-parser parses (rule e). */
const comparableCronArb = cronArb.filter((cron) => parseWithCronParser(cron, 'UTC', 0, DAY) !== undefined);
/** One stretch of one window per run keeps the cost of cron-parser down (its windows' other stretches in other runs). */
const stretchArb = fc.constantFrom(
  ...WINDOWS.flatMap(([zone, start]) =>
    stretches(zoneWindow(zone, start)).map(([from]) => `${zone} from ${start}, stretch at ${new Date(from).toISOString()}`),
  ),
);
function stretchOf(label: string) {
  const [, zone, start, at] = /^(.+) from (.+), stretch at (.+)$/.exec(label)!;
  const window = zoneWindow(zone!, start!);
  return { window, stretch: stretches(window).find(([from]) => from === Date.parse(at!))! };
}

describe("compiled crons fire when cron-parser says, except where its semantics are not EventBridge Scheduler's", () => {
  it('random crons in UTC, London, New York, Lord Howe and Kolkata, over three weeks across DST changes', () => {
    const outcomes = new Map<Outcome, number>();
    fc.assert(
      fc.property(comparableCronArb, stretchArb, (cron, label) => {
        const { window, stretch } = stretchOf(label);
        const outcome = compare(cron, window, [stretch]);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 250 },
    );
    // The rules must leave most crons compared (at least 80%), or the test would prove little.
    expect(outcomes.get('compared') ?? 0, JSON.stringify(Object.fromEntries(outcomes))).toBeGreaterThanOrEqual(200);
  });

  it.each([
    ['0 23 * * 1-5', 'Europe/London', '2024-03-24'],
    ['30 1 * * *', 'Europe/London', '2024-10-20'],
    ['*/15 9-17 * * mon-fri', 'America/New_York', '2024-03-03'],
    ['0 0 1,15 * 5', 'America/New_York', '2024-10-27'],
    ['59 1 * * *', 'Australia/Lord_Howe', '2024-09-29'],
    ['0 0 * * 0', 'Asia/Kolkata', '2024-12-20'],
    ['0 12 29 2 *', 'UTC', '2024-02-20'],
  ])('%s in %s from %s', (cron, zone, start) => {
    expect(compare(cron, zoneWindow(zone, start))).toBe('compared');
  });
});

describe('the rules exclude real differences (if cron-parser changes, revisit them)', () => {
  const raw = (cron: string, zone: string, from: string, count: number) => {
    const oracle = CronExpressionParser.parse(cron, { tz: zone, currentDate: new Date(from) });
    return Array.from({ length: count }, () => oracle.next().toISOString());
  };

  it('(a) spring forward: cron-parser moves 02:30 to 03:30 EDT; EventBridge and we skip it', () => {
    expect(raw('30 2 * * *', 'America/New_York', '2024-03-09T12:00:00Z', 2)).toEqual(['2024-03-10T07:30:00.000Z', '2024-03-11T06:30:00.000Z']);
    expect(compare('30 2 * * *', zoneWindow('America/New_York', '2024-03-03'))).toBe('compared');
  });

  it('(b) Lord Howe moving 30 minutes: cron-parser skips 02:30 going forward and gives up on "5 4 * * 0" going back', () => {
    // 2024-10-06 02:00 -> 02:30: 02:30 (15:30Z) exists, but cron-parser goes from 01:30 to 03:30.
    expect(raw('30 * * * *', 'Australia/Lord_Howe', '2024-10-05T14:30:00Z', 2)).toEqual(['2024-10-05T15:00:00.000Z', '2024-10-05T16:30:00.000Z']);
    const oracle = CronExpressionParser.parse('5 4 * * 0', { tz: 'Australia/Lord_Howe', currentDate: new Date('2024-04-01T00:00:00Z') });
    expect(() => oracle.next()).toThrow(/loop limit exceeded/);
    // 2024-04-07 02:00 -> 01:30: cron-parser runs the repeated 01:59 twice, at +11:00 and at +10:30.
    expect(raw('59 1 * * *', 'Australia/Lord_Howe', '2024-04-06T12:00:00Z', 2)).toEqual(['2024-04-06T14:59:00.000Z', '2024-04-06T15:29:00.000Z']);
    const back = zoneWindow('Australia/Lord_Howe', '2024-03-31');
    const forward = zoneWindow('Australia/Lord_Howe', '2024-09-29');
    const iso = ([from, to]: readonly [number, number]) => [new Date(from).toISOString(), new Date(to).toISOString()];
    // 2024-04-07 00:00 +11:00 to 2024-04-08 00:00 +10:30; 2024-10-06 00:00 +10:30 to 2024-10-07 00:00 +11:00.
    expect(back.blackouts.map(iso)).toEqual([['2024-04-06T13:00:00.000Z', '2024-04-07T13:30:00.000Z']]);
    expect(forward.blackouts.map(iso)).toEqual([['2024-10-05T13:30:00.000Z', '2024-10-06T13:00:00.000Z']]);
    expect(compare('5 4 * * 0', back)).toBe('compared');
    expect(compare('30 * * * *', forward)).toBe('compared');
  });

  it('(c) "0 0 */2 * 0-6": odd days for Vixie (and us), every day for cron-parser', () => {
    expect(raw('0 0 */2 * 0-6', 'UTC', '2024-01-01T12:00:00Z', 2)).toEqual(['2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
    const window = zoneWindow('UTC', '2024-02-20');
    expect(fireTimesBetween(compiled('0 0 */2 * 0-6', 'UTC')!, window.from, window.from + 4 * DAY).map((d) => d.toISOString())).toEqual([
      '2024-02-21T00:00:00.000Z',
      '2024-02-23T00:00:00.000Z',
    ]);
    expect(compare('0 0 */2 * 0-6', window)).toBe('rule c');
  });

  it('(d) fall back: cron-parser runs "* * * * *" through the repeated hour again; EventBridge and we pause', () => {
    const times = raw('* * * * *', 'America/New_York', '2024-11-03T05:58:30Z', 4);
    // 01:59 EDT, then 01:00 EST (the repeated hour): cron-parser goes on every minute in elapsed time.
    expect(times).toEqual(['2024-11-03T05:59:00.000Z', '2024-11-03T06:00:00.000Z', '2024-11-03T06:01:00.000Z', '2024-11-03T06:02:00.000Z']);
    expect(compare('* * * * *', zoneWindow('America/New_York', '2024-10-27'))).toBe('compared');
  });

  it('(e) cron-parser refuses "0 0 * * 0,7" (Sunday twice), which Vixie cron accepts', () => {
    expect(() => CronExpressionParser.parse('0 0 * * 0,7')).toThrow(/duplicate values found/);
    expect(compare('0 0 * * 0,7', zoneWindow('UTC', '2024-02-20'))).toBe('rule e');
  });

  it('(f) cron-parser does not know @midnight', () => {
    expect(() => CronExpressionParser.parse('@midnight')).toThrow(/cannot resolve alias/);
    expect(compare('@midnight', zoneWindow('Europe/London', '2024-03-24'))).toBe('compared');
  });
});
