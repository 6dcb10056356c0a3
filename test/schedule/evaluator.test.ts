/**
 * The EventBridge expression evaluator: DST rules, ?, L, W, #, year, rate + StartDate, and AWS's syntax rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleExpressionError } from '../../lib/schedule/errors.js';
import { fireTimes, fireTimesBetween, firesAt, gridFireTimes, nextFireTimes, passesFilter } from '../../lib/schedule/evaluate.js';
import { parseScheduleExpression } from '../../lib/schedule/expression.js';

function times(expression: string, timezone: string, from: string, count: number, startDate?: string): string[] {
  return nextFireTimes([{ expression, timezone, ...(startDate ? { startDate } : {}) }], Date.parse(from), count).map((d) =>
    d.toISOString().replace(':00.000Z', 'Z'),
  );
}

describe('DST rules: skipped times do not fire, repeated times fire once at their first occurrence', () => {
  it('Europe/London: 01:30 is skipped on 2024-03-31 and runs once (BST) on 2024-10-27', () => {
    expect(times('cron(30 1 * * ? *)', 'Europe/London', '2024-03-30T00:00Z', 3)).toEqual(['2024-03-30T01:30Z', '2024-04-01T00:30Z', '2024-04-02T00:30Z']);
    expect(times('cron(30 1 * * ? *)', 'Europe/London', '2024-10-26T00:00Z', 3)).toEqual(['2024-10-26T00:30Z', '2024-10-27T00:30Z', '2024-10-28T01:30Z']);
  });

  it('America/New_York: 02:30 does not exist on 2024-03-10; 01:30 on 2024-11-03 is EDT', () => {
    expect(times('cron(30 2 * * ? *)', 'America/New_York', '2024-03-09T00:00Z', 2)).toEqual(['2024-03-09T07:30Z', '2024-03-11T06:30Z']);
    expect(times('cron(30 1 * * ? *)', 'America/New_York', '2024-11-02T12:00Z', 2)).toEqual(['2024-11-03T05:30Z', '2024-11-04T06:30Z']);
  });

  it('an every-minute cron pauses for the repeated hour when clocks go back', () => {
    const fired = fireTimesBetween(
      [{ expression: 'cron(* * * * ? *)', timezone: 'Europe/London' }],
      Date.parse('2024-10-27T00:58Z'),
      Date.parse('2024-10-27T02:02Z'),
    );
    // 00:58Z and 00:59Z are 01:58 and 01:59 BST; 01:00Z-01:59Z read 01:00-01:59 again (GMT) and do not fire; 02:00Z is 02:00 GMT.
    expect(fired.map((d) => d.toISOString().slice(11, 16))).toEqual(['00:58', '00:59', '02:00', '02:01']);
  });

  it('Australia/Lord_Howe: a 30-minute shift both ways', () => {
    // 2024-10-06: clocks go from 02:00 to 02:30 (+10:30 -> +11): 02:15 does not exist.
    expect(times('cron(15 2 * * ? *)', 'Australia/Lord_Howe', '2024-10-04T00:00Z', 2)).toEqual(['2024-10-04T15:45Z', '2024-10-06T15:15Z']);
    // 2024-04-07: clocks go from 02:00 back to 01:30 (+11 -> +10:30): 01:45 happens twice, fires once (+11).
    expect(times('cron(45 1 * * ? *)', 'Australia/Lord_Howe', '2024-04-05T00:00Z', 3)).toEqual(['2024-04-05T14:45Z', '2024-04-06T14:45Z', '2024-04-07T15:15Z']);
  });

  it('Asia/Kathmandu: 00:00-00:14 never happened on 1986-01-01 (+05:30 -> +05:45)', () => {
    expect(times('cron(10 0 * * ? *)', 'Asia/Kathmandu', '1985-12-30T00:00Z', 3)).toEqual(['1985-12-30T18:40Z', '1986-01-01T18:25Z', '1986-01-02T18:25Z']);
  });
});

describe('day-of-month and day-of-week extensions', () => {
  it('L: the last day of the month (February 29 in a leap year)', () => {
    expect(times('cron(0 12 L * ? *)', 'UTC', '2024-01-01T00:00Z', 3)).toEqual(['2024-01-31T12:00Z', '2024-02-29T12:00Z', '2024-03-31T12:00Z']);
  });

  it('LW: the last weekday of the month', () => {
    // March 2024 ends on a Sunday, August 2024 on a Saturday.
    expect(times('cron(0 12 LW 3,8 ? *)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2024-03-29T12:00Z', '2024-08-30T12:00Z']);
  });

  it('nW: the weekday nearest day n, never leaving the month', () => {
    // 2024-06-01 is a Saturday: 1W is Monday the 3rd, not Friday May 31.
    expect(times('cron(0 12 1W 6 ? *)', 'UTC', '2024-01-01T00:00Z', 1)).toEqual(['2024-06-03T12:00Z']);
    // 2024-03-31 is a Sunday: 31W is Friday the 29th, not Monday April 1.
    expect(times('cron(0 12 31W 3 ? *)', 'UTC', '2024-01-01T00:00Z', 1)).toEqual(['2024-03-29T12:00Z']);
    // 2024-09-15 is a Sunday: 15W is Monday the 16th; 2024-06-15 is a Saturday: Friday the 14th.
    expect(times('cron(0 12 15W 6,9 ? *)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2024-06-14T12:00Z', '2024-09-16T12:00Z']);
    // April has no 31st: 31W never matches in April.
    expect(times('cron(0 12 31W 4 ? 2024)', 'UTC', '2024-01-01T00:00Z', 1)).toEqual([]);
  });

  it('nL: the last weekday n of the month; L alone in day-of-week is Saturday', () => {
    expect(times('cron(0 12 ? * 6L *)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2024-01-26T12:00Z', '2024-02-23T12:00Z']);
    expect(times('cron(0 12 ? * L *)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2024-01-06T12:00Z', '2024-01-13T12:00Z']);
  });

  it('n#k: the k-th weekday n of the month; months without a fifth one are skipped', () => {
    expect(times('cron(0 12 ? * 3#2 *)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2024-01-09T12:00Z', '2024-02-13T12:00Z']);
    // Fifth Friday: March, May, August and November in 2024.
    expect(times('cron(0 12 ? * FRI#5 *)', 'UTC', '2024-01-01T00:00Z', 4)).toEqual([
      '2024-03-29T12:00Z',
      '2024-05-31T12:00Z',
      '2024-08-30T12:00Z',
      '2024-11-29T12:00Z',
    ]);
  });

  it('year lists, ranges and increments; nothing after 2199', () => {
    expect(times('cron(0 0 29 2 ? 2025-2030)', 'UTC', '2024-01-01T00:00Z', 3)).toEqual(['2028-02-29T00:00Z']);
    expect(times('cron(0 0 1 1 ? 2030/10)', 'UTC', '2024-01-01T00:00Z', 2)).toEqual(['2030-01-01T00:00Z', '2040-01-01T00:00Z']);
    expect(times('cron(0 0 1 1 ? 2199)', 'UTC', '2199-06-01T00:00Z', 1)).toEqual([]);
    expect(times('cron(59 23 31 12 ? *)', 'UTC', '2199-12-31T00:00Z', 2)).toEqual(['2199-12-31T23:59Z']);
  });

  it('minute and hour increments and names', () => {
    expect(times('cron(0/20 9 ? JAN MON-WED *)', 'UTC', '2024-01-01T00:00Z', 4)).toEqual([
      '2024-01-01T09:00Z',
      '2024-01-01T09:20Z',
      '2024-01-01T09:40Z',
      '2024-01-02T09:00Z',
    ]);
    expect(times('cron(10-40/15 */12 1 * ? *)', 'UTC', '2024-01-01T00:00Z', 4)).toEqual([
      '2024-01-01T00:10Z',
      '2024-01-01T00:25Z',
      '2024-01-01T00:40Z',
      '2024-01-01T12:10Z',
    ]);
  });
});

/** Independent day-level reference for L, LW, nW, nL and n#k, by their definitions rather than by formula. */
function referenceDays(rule: string, year: number): string[] {
  const result: string[] = [];
  const dayOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));
  const inMonth = (y: number, m: number, d: number) => dayOf(y, m, d).getUTCMonth() === m - 1;
  const weekday = (y: number, m: number, d: number) => dayOf(y, m, d).getUTCDay();
  const isWorkday = (y: number, m: number, d: number) => weekday(y, m, d) >= 1 && weekday(y, m, d) <= 5;
  for (let m = 1; m <= 12; m++) {
    const days = Array.from({ length: 31 }, (_, i) => i + 1).filter((d) => inMonth(year, m, d));
    const chosen = (() => {
      if (rule === 'L') return days.filter((d) => !inMonth(year, m, d + 1));
      if (rule === 'LW') return [Math.max(...days.filter((d) => isWorkday(year, m, d)))];
      const nearest = /^(\d+)W$/.exec(rule);
      if (nearest) {
        const n = Number(nearest[1]);
        if (!days.includes(n)) return [];
        const workdays = days.filter((d) => isWorkday(year, m, d));
        return [workdays.reduce((best, d) => (Math.abs(d - n) < Math.abs(best - n) ? d : best))];
      }
      const last = /^(\d)L$/.exec(rule);
      if (last) {
        const wd = Number(last[1]) - 1;
        return days.filter((d) => weekday(year, m, d) === wd && !inMonth(year, m, d + 7));
      }
      const nth = /^(\d)#(\d)$/.exec(rule)!;
      const wd = Number(nth[1]) - 1;
      return [days.filter((d) => weekday(year, m, d) === wd)[Number(nth[2]) - 1]].filter((d) => d !== undefined);
    })();
    for (const d of chosen) result.push(dayOf(year, m, d).toISOString().slice(0, 10));
  }
  return result;
}

describe('L, W and # against their definitions', () => {
  it('random rules over 2023-2028 in UTC', () => {
    const ruleArb = fc.oneof(
      fc.constantFrom('L', 'LW'),
      fc.integer({ min: 1, max: 31 }).map((n) => `${n}W`),
      fc.integer({ min: 1, max: 7 }).map((d) => `${d}L`),
      fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })).map(([d, k]) => `${d}#${k}`),
    );
    fc.assert(
      fc.property(ruleArb, fc.integer({ min: 2023, max: 2028 }), (rule, year) => {
        const inDayOfWeek = /L$|#/.test(rule) && rule !== 'L' && rule !== 'LW';
        const expression = inDayOfWeek ? `cron(0 12 ? * ${rule} ${year})` : `cron(0 12 ${rule} * ? ${year})`;
        const fired = fireTimesBetween([{ expression, timezone: 'UTC' }], Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
        expect(fired.map((d) => d.toISOString().slice(0, 10))).toEqual(referenceDays(rule, year));
      }),
      { numRuns: 400 },
    );
  });
});

describe('rate expressions', () => {
  it('fire every period from StartDate, never before it', () => {
    expect(times('rate(36 hours)', 'UTC', '2024-01-01T00:00Z', 3, '2024-01-02T06:00:00Z')).toEqual([
      '2024-01-02T06:00Z',
      '2024-01-03T18:00Z',
      '2024-01-05T06:00Z',
    ]);
    expect(times('rate(1 day)', 'Europe/London', '2024-03-30T00:00Z', 3, '2024-03-29T23:00:00Z')).toEqual([
      '2024-03-30T23:00Z',
      '2024-03-31T23:00Z',
      '2024-04-01T23:00Z',
    ]);
  });

  it('without StartDate need the creation time, which sets their phase', () => {
    expect(() => nextFireTimes([{ expression: 'rate(5 minutes)', timezone: 'UTC' }], 0, 1)).toThrow(ScheduleExpressionError);
    expect(() => nextFireTimes([{ expression: 'rate(5 minutes)', timezone: 'UTC' }], 0, 1)).toThrow('has no startDate');
    expect(
      nextFireTimes([{ expression: 'rate(5 minutes)', timezone: 'UTC' }], Date.parse('2024-01-01T00:07Z'), 1, { createdAt: Date.parse('2024-01-01T00:01Z') }),
    ).toEqual([new Date('2024-01-01T00:11Z')]);
  });

  it('a cron with StartDate fires only from then on', () => {
    expect(times('cron(0 0 * * ? *)', 'UTC', '2024-01-01T00:00Z', 2, '2024-01-03T00:00:00Z')).toEqual(['2024-01-03T00:00Z', '2024-01-04T00:00Z']);
  });

  it('the fire times of one expression are lazy and ascending', () => {
    const generator = fireTimes({ expression: 'cron(0 * * * ? *)', timezone: 'UTC' }, Date.parse('2024-01-01T00:30Z'));
    expect(generator.next().value).toBe(Date.parse('2024-01-01T01:00Z'));
    expect(generator.next().value).toBe(Date.parse('2024-01-01T02:00Z'));
  });
});

describe('day filters', () => {
  const everyThirdDay = {
    expression: 'cron(0 9 * * ? *)',
    timezone: 'America/New_York',
    filter: { everyDays: 3, referenceDay: '2024-03-01' },
  } as const;

  it('the expression fires every day; the schedule runs on referenceDay + k x everyDays, counting wall-clock dates', () => {
    const from = Date.parse('2024-02-25T00:00Z');
    const delivered: string[] = [];
    for (const time of fireTimes(everyThirdDay, from)) {
      if (delivered.push(new Date(time).toISOString().slice(0, 10)) === 6) break;
    }
    expect(delivered).toEqual(['2024-02-25', '2024-02-26', '2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    const generator = gridFireTimes(everyThirdDay, from);
    const kept = [generator.next().value, generator.next().value, generator.next().value, generator.next().value];
    // 2024-02-27, the leap day counts, 2024-03-01, 2024-03-04, then EDT from 2024-03-10.
    expect(kept.map((time) => new Date(time as number).toISOString())).toEqual([
      '2024-02-27T14:00:00.000Z',
      '2024-03-01T14:00:00.000Z',
      '2024-03-04T14:00:00.000Z',
      '2024-03-07T14:00:00.000Z',
    ]);
    expect(times('cron(0 9 * * ? *)', 'America/New_York', '2024-03-08T00:00Z', 1)).toEqual(['2024-03-08T14:00Z']);
    expect(nextFireTimes([everyThirdDay], Date.parse('2024-03-08T00:00Z'), 2)).toEqual([new Date('2024-03-10T13:00Z'), new Date('2024-03-13T13:00Z')]);
    expect([passesFilter(everyThirdDay, Date.parse('2024-03-10T13:00Z')), passesFilter(everyThirdDay, Date.parse('2024-03-11T13:00Z'))]).toEqual([true, false]);
  });

  it('a filter on a rate (never compiled) filters each time by its date in the zone', () => {
    const rate = { expression: 'rate(12 hours)', timezone: 'UTC', startDate: '2024-01-01T06:00:00Z', filter: { everyDays: 2, referenceDay: '2024-01-01' } };
    expect(nextFireTimes([rate], 0, 4).map((d) => d.toISOString())).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T18:00:00.000Z',
      '2024-01-03T06:00:00.000Z',
      '2024-01-03T18:00:00.000Z',
    ]);
  });

  it.each([
    [{ everyDays: 0, referenceDay: '2024-01-01' }, '"everyDays" must be a whole number from 1 to 366'],
    [{ everyDays: 2.5, referenceDay: '2024-01-01' }, '"everyDays" must be a whole number from 1 to 366'],
    [{ everyDays: 2, referenceDay: '2024-02-30' }, '"referenceDay" must be a date such as "2024-01-31"'],
    [{ everyDays: 2 }, '"referenceDay" must be a date such as "2024-01-31"'],
    ['every 2 days', 'expected { "everyDays": N, "referenceDay": "YYYY-MM-DD" }'],
  ])('refuses the malformed filter %j', (filter, message) => {
    const compiled = { expression: 'cron(0 9 * * ? *)', timezone: 'UTC', filter } as never;
    expect(() => nextFireTimes([compiled], 0, 1)).toThrow(ScheduleExpressionError);
    expect(() => nextFireTimes([compiled], 0, 1)).toThrow(`the filter ${JSON.stringify(filter)} of cron(0 9 * * ? *) is malformed: ${message}`);
  });
});

describe('firesAt: what fireTimes lists, decided for one instant', () => {
  it('agrees with fireTimes around every fire time of DST-crossing crons, L/W/#, StartDates and rates', () => {
    const expressions = [
      { expression: 'cron(30 1 * * ? *)', timezone: 'Europe/London' },
      { expression: 'cron(*/20 0-3 ? * SUN *)', timezone: 'Australia/Lord_Howe' },
      { expression: 'cron(0 12 LW * ? *)', timezone: 'America/New_York' },
      { expression: 'cron(15 10 ? * 6#2 *)', timezone: 'Asia/Kathmandu' },
      { expression: 'cron(0 0 * * ? *)', timezone: 'UTC', startDate: '2024-04-03T00:00:00Z' },
      { expression: 'rate(90 minutes)', timezone: 'UTC', startDate: '2024-04-01T00:10:00Z' },
    ];
    const from = Date.parse('2024-03-25T00:00Z');
    const to = Date.parse('2024-04-15T00:00Z');
    for (const compiled of expressions) {
      const fired = new Set(fireTimesBetween([compiled], from - 86_400_000, to + 86_400_000).map((d) => d.getTime()));
      for (const time of fireTimesBetween([compiled], from, to).map((d) => d.getTime())) {
        for (const probe of [time - 60_000, time, time + 30_000, time + 60_000, time + 3_600_000]) {
          expect(firesAt(compiled, probe), `${compiled.expression} at ${new Date(probe).toISOString()}`).toBe(fired.has(probe));
        }
      }
    }
    // Before its StartDate a schedule does not fire; nor at the second 01:30 of 2024-10-27 in London.
    expect(firesAt(expressions[4]!, Date.parse('2024-04-02T00:00Z'))).toBe(false);
    expect(firesAt(expressions[5]!, Date.parse('2024-03-31T22:40Z'))).toBe(false);
    expect(firesAt(expressions[0]!, Date.parse('2024-10-27T00:30Z'))).toBe(true);
    expect(firesAt(expressions[0]!, Date.parse('2024-10-27T01:30Z'))).toBe(false);
  });
});

describe("AWS's syntax rules", () => {
  it.each([
    ['0 23 ? * MON-FRI *', 'not an EventBridge Scheduler expression'],
    ['cron(0 23 * * MON-FRI *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 23 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 23 ? * ? *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 23 1 * 2 *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 23 * * ?)', 'a cron has 6 fields'],
    ['cron(0 0 23 * * ? *)', 'a cron has 6 fields'],
    ['cron(0  23 * * ? *)', 'a cron has 6 fields separated by single spaces'],
    ['cron(60 0 * * ? *)', 'minutes "60" is not allowed; allowed: 0-59'],
    ['cron(0 24 * * ? *)', 'hours "24" is not allowed; allowed: 0-23'],
    ['cron(0 0 32 * ? *)', 'day-of-month "32" is not allowed; allowed: 1-31'],
    ['cron(0 0 * 13 ? *)', 'month "13" is not allowed; allowed: 1-12 or JAN-DEC'],
    ['cron(0 0 ? * 0 *)', 'day-of-week "0" is not allowed; allowed: 1-7 or SUN-SAT'],
    ['cron(0 0 ? * 8 *)', 'day-of-week "8" is not allowed'],
    ['cron(0 0 * * ? 1969)', 'year "1969" is not allowed; allowed: 1970-2199'],
    ['cron(0 0 * * ? 2200)', 'year "2200" is not allowed'],
    ['cron(0 0 ? * */2 *)', '"/" is not allowed in day-of-week'],
    ['cron(0 0 ? * 3#1,6#3 *)', '"L" and "#" take one weekday'],
    ['cron(0 0 ? * 2#6 *)', 'the week number after "#" must be 1-5'],
    ['cron(0 0 1,L * ? *)', '"L" and "W" stand alone'],
    ['cron(0 0 1-5W * ? *)', '"L" and "W" stand alone'],
    ['cron(0 5-1 * * ? *)', 'the range 5-1 runs backwards'],
    ['cron(0/0 0 * * ? *)', 'an increment must be at least 1'],
    ['rate(0 minutes)', 'a positive whole value'],
    ['rate(5 minute)', 'the unit must be singular for 1 and plural otherwise'],
    ['rate(1 hours)', 'the unit must be singular for 1 and plural otherwise'],
    ['rate(2 weeks)', 'a unit of minute(s), hour(s) or day(s)'],
    ['rate(1.5 hours)', 'a positive whole value'],
    ['at(2024-01-01T00:00:00)', 'not an EventBridge Scheduler expression'],
  ])('%s', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expression)).toThrow(message);
  });

  it('refuses an unknown time zone and a malformed startDate', () => {
    expect(() => nextFireTimes([{ expression: 'cron(0 0 * * ? *)', timezone: 'Nowhere/Land' }], 0, 1)).toThrow('"Nowhere/Land" is not an IANA time zone');
    expect(() => nextFireTimes([{ expression: 'rate(1 day)', timezone: 'UTC', startDate: 'soon' }], 0, 1)).toThrow(
      'startDate "soon" of rate(1 day) is not an ISO date-time',
    );
  });
});
