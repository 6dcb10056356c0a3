/** `multinode schedules <entry> [--count N] [--from ISO] [--json]`, run in-process through the CLI's main. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const run = (...argv: string[]) => runCli(argv);

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function app(source: string): string {
  const created = tempApp({ 'app.ts': source });
  cleanups.push(created.cleanup);
  return created.entry;
}

describe('multinode schedules', () => {
  it('prints each schedule: source, zone, EventBridge expressions, next times in UTC and local time', async () => {
    const result = await run('schedules', 'examples/daily-16cpu/src/app.ts', '--from', '2024-03-28T00:00Z', '--count', '4');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toBe(`dailyAt23: every 1d from 2023-09-08T23:00 in Europe/London (wall clock)
  EventBridge Scheduler:
    cron(0 23 * * ? *)  Europe/London
  next from 2024-03-28T00:00:00.000Z:
    2024-03-28T23:00:00.000Z  Thu 2024-03-28 23:00 GMT
    2024-03-29T23:00:00.000Z  Fri 2024-03-29 23:00 GMT
    2024-03-30T23:00:00.000Z  Sat 2024-03-30 23:00 GMT
    2024-03-31T22:00:00.000Z  Sun 2024-03-31 23:00 BST

weekdaysAt23: cron "0 23 * * 1-5" in Europe/London
  EventBridge Scheduler:
    cron(0 23 ? * MON-FRI *)  Europe/London
  next from 2024-03-28T00:00:00.000Z:
    2024-03-28T23:00:00.000Z  Thu 2024-03-28 23:00 GMT
    2024-03-29T23:00:00.000Z  Fri 2024-03-29 23:00 GMT
    2024-04-01T22:00:00.000Z  Mon 2024-04-01 23:00 BST
    2024-04-02T22:00:00.000Z  Tue 2024-04-02 23:00 BST
`);
  });

  it('--json: name, timezone, expressions (with startDate for rates) and next UTC times', async () => {
    const entry = app(`import * as mn from 'multinode';
export const fifteenthOrFriday = mn.schedule({ cron: '0 9 15 * 5', timezone: 'America/New_York' }, async () => undefined);
export const every90 = mn.scheduledTask({ interval: '90m' }, async () => undefined);
export const every36h = mn.scheduledTask({ interval: '36h' }, async () => undefined);
export const store = mn.dict('store');
`);
    const before = Date.now();
    const result = await run('schedules', entry, '--json', '--count', '3', '--from', '2024-03-14T00:00');
    expect(result.code).toBe(0);
    const listings = JSON.parse(result.stdout) as Array<{
      name: string;
      timezone: string;
      expressions: Array<{ expression: string; timezone: string; startDate?: string }>;
      next: string[];
    }>;
    expect(listings.map((l) => l.name)).toEqual(['fifteenthOrFriday', 'every90', 'every36h']);
    expect(listings[0]).toEqual({
      name: 'fifteenthOrFriday',
      timezone: 'America/New_York',
      expressions: [
        { expression: 'cron(0 9 15 * ? *)', timezone: 'America/New_York' },
        { expression: 'cron(0 9 ? * FRI *)', timezone: 'America/New_York' },
      ],
      // --from without an offset is UTC; 2024-03-15 is a Friday and the 15th: listed once.
      next: ['2024-03-15T13:00:00.000Z', '2024-03-22T13:00:00.000Z', '2024-03-29T13:00:00.000Z'],
    });
    expect(listings[1]!.next).toEqual(['2024-03-14T00:00:00.000Z', '2024-03-14T01:30:00.000Z', '2024-03-14T03:00:00.000Z']);
    // The rate starts on the 36-hour grid at least 15 minutes after the manifest was built; nothing before it.
    const rate = listings[2]!.expressions[0]!;
    expect(rate.expression).toBe('rate(36 hours)');
    const start = Date.parse(rate.startDate!);
    expect(start % (36 * 3_600_000)).toBe(Date.parse('2000-01-01T00:00:00Z') % (36 * 3_600_000));
    expect(start).toBeGreaterThanOrEqual(before + 15 * 60_000);
    expect(listings[2]!.next[0]).toBe(rate.startDate);
  });

  it('says so when the app has no scheduled tasks', async () => {
    const entry = app(`import * as mn from 'multinode';\nexport const f = mn.fn(async () => 1);\n`);
    expect(await run('schedules', entry)).toEqual({ code: 0, stdout: 'The app has no scheduled tasks.\n', stderr: '' });
    expect((await run('schedules', entry, '--json')).stdout).toBe('[]\n');
  });

  it('every 2 days in Europe/London: the filtered cron, and only the days it runs (2000-01-01 + 2k)', async () => {
    const entry = app(
      `import * as mn from 'multinode';\n\nexport const everyOtherDay = mn.scheduledTask({ interval: '2d', timezone: 'Europe/London' }, async () => ` +
        `undefined);\n`,
    );
    const result = await run('schedules', entry, '--from', '2024-03-28T00:00Z', '--count', '4');
    expect(result).toMatchObject({ code: 0 });
    // 2024-03-28 is off the grid; 2024-03-31 is the spring-forward day (midnight still exists); then BST.
    expect(result.stdout).toBe(`everyOtherDay: every 2d from 2000-01-01T00:00 in Europe/London (wall clock)
  EventBridge Scheduler:
    cron(0 0 * * ? *)  Europe/London  only every 2 days from 2000-01-01 (other days ignored)
  next from 2024-03-28T00:00:00.000Z:
    2024-03-29T00:00:00.000Z  Fri 2024-03-29 00:00 GMT
    2024-03-31T00:00:00.000Z  Sun 2024-03-31 00:00 GMT
    2024-04-01T23:00:00.000Z  Tue 2024-04-02 00:00 BST
    2024-04-03T23:00:00.000Z  Thu 2024-04-04 00:00 BST
`);
    const json = JSON.parse((await run('schedules', entry, '--json', '--from', '2024-03-28T00:00Z', '--count', '2')).stdout);
    expect(json).toEqual([
      {
        name: 'everyOtherDay',
        timezone: 'Europe/London',
        expressions: [{ expression: 'cron(0 0 * * ? *)', timezone: 'Europe/London', filter: { everyDays: 2, referenceDay: '2000-01-01' } }],
        next: ['2024-03-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z'],
      },
    ]);
  });

  it('reports an invalid schedule with the definition, option and reason (exit 1)', async () => {
    const entry = app(
      `import * as mn from 'multinode';\n\nexport const everyFiveMinutes = mn.scheduledTask({ interval: '5m', timezone: 'Europe/London' }, async () => ` +
        `undefined);\n`,
    );
    const result = await run('schedules', entry);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        'has invalid definitions:\nschedule "everyFiveMinutes" at .*app\\.ts:3:\\d+: ' +
          'option "interval" is "5m": 5m is shorter than the minimum interval of 15 minutes',
      ),
    );
  });

  it.each([
    [[], 'missing <entry>: the app module, e.g. src/app.ts ('],
    [['a.ts', 'b.ts'], 'unexpected argument: b.ts.'],
    [['a.ts', '--count', '0'], '--count must be a whole number from 1 to 1000, got "0".'],
    [['a.ts', '--count', '1001'], '--count must be a whole number from 1 to 1000, got "1001".'],
    [['a.ts', '--count', 'ten'], '--count must be a whole number from 1 to 1000, got "ten".'],
    [['a.ts', '--from', 'yesterday'], '--from must be an ISO date-time such as 2024-03-30T00:00Z or 2024-03-30T00:00+01:00, got "yesterday".'],
    [['a.ts', '--from', '2024-02-30T00:00Z'], '--from must be an ISO date-time'],
    [['a.ts', '--every', '5'], "Unknown option '--every'"],
  ])('refuses %j (exit 2)', async (args, message) => {
    const result = await run('schedules', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('See "multinode schedules --help".');
  });

  it('--help shows the usage', async () => {
    const result = await run('schedules', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: multinode schedules \[<entry>\] \[--count N\] \[--from ISO\] \[--json\]/);
    expect(result.stdout).toMatch(/\n {7}multinode schedules \[<entry>\] --stack NAME .*\n/);
    expect(result.stdout).toMatch(/\n {7}multinode schedules \[<entry>\] backfill <task> --from ISO --to ISO \[--concurrency N\] \[--dry-run\] \[--yes\]/);
    expect((await run('--help')).stdout).toMatch(
      /schedules +each scheduled task's expressions and next fire times, or deployed vs code; pause, resume, trigger or backfill one/,
    );
  });
});
