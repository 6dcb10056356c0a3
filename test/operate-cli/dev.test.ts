/**
 * Every operating command against a real `multinode dev` started in-process (one for the file), reached by the one
 * app-selection rule: status, runs, logs (and --follow), cancel, retry, dict, schedules pause/resume/trigger, secrets
 * (whose sentinel value is never printed), `run <scheduled task>` through the running dev, and bad input, each with
 * its exit code and a message naming what was wrong and what to do.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTo, readLocal, type Connection } from '../../runtime/entry/connect.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { type OpsApp, opsApp, runReaches } from './support.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1500, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });

const sentinel = `sentinel-${randomUUID()}`;
const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z`;
/**
 * How `status` words the next fire of an hourly schedule, read on the system clock: up to an hour ahead, in minutes and
 * seconds, seconds alone in the hour's last minute, `now` at the hour, or a few seconds ago when the hour passed
 * between the answer and the printing.
 */
const withinTheHour = String.raw`\((?:now|in (?:1h|\d+m(?: \d+s)?|\d+s)|\d+s ago)\)`;
let app: OpsApp;
let dev: RunningCli;
let connection: Connection;
/** Everything the commands printed, for the secrets' leak check. */
const printed: string[] = [];

async function cli(argv: string[], options: { cwd?: string; stdin?: string } = {}) {
  const result = await app.cli(argv, options);
  printed.push(result.stdout, result.stderr);
  return result;
}

beforeAll(async () => {
  app = opsApp({ 'src/other.ts': `import * as mn from 'multinode';\nexport const otherFn = mn.fn(async () => 'from the other entry');\n` });
  dev = startCli(['dev', 'src/app.ts', '--port', '0', '--no-schedules'], app.dir);
  await dev.waitFor(/Press Ctrl-C to stop/);
  connection = connectTo(readLocal(path.join(app.dir, '.multinode', 'src-app.ts')), { install: false });
}, 120_000);

afterAll(async () => {
  connection?.close();
  dev?.stop();
  await dev?.exit;
  app?.cleanup();
});

describe('status', () => {
  it('shows definitions, service URLs, schedules with their next fire times, and counts of failed runs', async () => {
    const id = await connection.port.function('fails').start('quota gone');
    await runReaches(app, id, ['FAILED']);
    const status = await app.json(['status']);
    expect(status.where).toEqual({ kind: 'dev', app: 'ops-app', stateDir: path.join(app.dir, '.multinode', 'src-app.ts'), entry: app.entry });
    expect(status.services).toEqual([{ name: 'api', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) }]);
    expect(status.schedules.map((s: { name: string }) => s.name)).toEqual(['hourly', 'broken']);
    expect(status.schedules[0].nextFireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    expect(status.runs.failed).toBeGreaterThanOrEqual(1);
    expect(status.runsByDefinition.fails.failed).toBeGreaterThanOrEqual(1);
    expect(status.definitions.find((d: { name: string }) => d.name === 'echo')).toMatchObject({ kind: 'function', placement: 'lambda' });
    const since = Date.now();
    const recent = await app.json(['status', '--failed-since', '2s']);
    expect(Date.parse(recent.failedSince)).toBeGreaterThanOrEqual(since - 3000);
    expect((await cli(['status', '--failed-since', 'last week'])).code).toBe(2);

    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^App ops-app: multinode dev of ops-app \(src\/app\.ts\)\nRuns: \d+ pending, \d+ running, [1-9]\d* failed since /);
    expect(text.stdout).toMatch(/\nServices\nNAME +URL\napi +http:\/\/127\.0\.0\.1:\d+\n/);
    expect(text.stdout).toMatch(new RegExp(`\\nScheduled tasks\\nNAME +NEXT FIRE +LAST RUN +PAUSED\\nhourly +${ISO} ${withinTheHour} +`));
    expect(text.stdout).toMatch(/\nfails +function +Lambda \d+ MB, timeout 15m +0 +0 +[1-9]/);
    expect(text.stdout).toMatch(/\nbroken +schedule +Lambda .*cron "30 4 \* \* \*" in Europe\/London/);
  });
});

describe('runs', () => {
  it('lists runs newest first, filtered by name, kind, status and time, as a table and as JSON', async () => {
    const first = await connection.port.function('echo').start({ n: 1 });
    const second = await connection.port.function('echo').start({ n: 2 });
    await runReaches(app, second, ['SUCCEEDED']);
    await runReaches(app, first, ['SUCCEEDED']);
    const listed = await app.json(['runs', '--name', 'echo', '--since', '10m']);
    expect(listed.items.slice(0, 2).map((r: { id: string }) => r.id)).toEqual([second, first]);
    expect(listed.items[0]).toMatchObject({ name: 'echo', kind: 'function', status: 'SUCCEEDED', attempts: 1, createdAt: expect.stringMatching(ISO) });
    expect(listed.cursor).toBeUndefined();
    const failed = await app.json(['runs', '--status', 'failed,timed_out']);
    expect(failed.items.length).toBeGreaterThan(0);
    expect(failed.items.every((r: { status: string }) => r.status === 'FAILED' || r.status === 'TIMED_OUT')).toBe(true);
    expect(failed.items[0].error).toMatchObject({ type: 'QuotaExceeded', message: 'quota gone' });
    expect((await app.json(['runs', '--kind', 'job'])).items.every((r: { kind: string }) => r.kind === 'job')).toBe(true);
    expect((await app.json(['runs', '--until', '2001-01-01'])).items).toEqual([]);

    const page = await app.json(['runs', '--name', 'echo', '--limit', '1']);
    expect(page.items.map((r: { id: string }) => r.id)).toEqual([second]);
    const next = await app.json(['runs', '--name', 'echo', '--limit', '1', '--cursor', page.cursor]);
    expect(next.items.map((r: { id: string }) => r.id)).toEqual([first]);

    const table = await cli(['runs', '--name', 'echo', '--limit', '1']);
    expect(table.stdout).toMatch(
      new RegExp(`^ID +NAME +KIND +STATUS +ATTEMPTS +TIME +DURATION +ERROR\\n${second} +echo +function +SUCCEEDED +1 +${ISO} \\((now|[\\dhms ]+ ago)\\) +\\d`),
    );
    expect(table.stderr).toMatch(/^More runs: add --cursor \S+\n$/);
    expect((await cli(['runs', '--since', '2001-01-01T00:00Z', '--until', '2001-01-02'])).stdout).toBe('No runs.\n');
  });

  it('shows one run: its input, result or error with the remote stack', async () => {
    const id = await connection.port.function('fails').start('no more quota');
    await runReaches(app, id, ['FAILED']);
    const { run } = await app.json(['runs', id]);
    expect(run).toMatchObject({ id, name: 'fails', status: 'FAILED', input: ['no more quota'], placement: 'lambda', error: { type: 'QuotaExceeded' } });
    const text = await cli(['runs', id]);
    expect(text.stdout).toMatch(new RegExp(`^function fails, run ${id}\\n  status +FAILED after 1 attempt\\n`));
    expect(text.stdout).toMatch(/\n {2}input {9}\[\n {18}"no more quota"\n {16}\]\n/);
    expect(text.stdout).toMatch(/\n {2}error {9}QuotaExceeded: no more quota\n {18}Error: no more quota\n {18}at .*src\/app\.ts:\d+:\d+/);
  });

  it('refuses bad filters with exit 2 naming what is allowed, and unknown names and ids with exit 1', async () => {
    const status = await cli(['runs', '--status', 'BROKEN']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(
      /--status "BROKEN" is not allowed: give one or more of PENDING, RUNNING, CANCELLING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, PAUSED/,
    );
    expect(status.stderr).toMatch(/See "multinode runs --help"/);
    const since = await cli(['runs', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since must be a duration back from now \(90s, 30m, 1h, 2d, 1h30m\) or an ISO date-time/);
    expect((await cli(['runs', '--limit', '0'])).stderr).toMatch(/--limit must be a whole number from 1 to 1000, got "0"/);
    expect((await cli(['runs', '--kind', 'dict'])).stderr).toMatch(/--kind "dict" is not allowed: give one or more of function, job, schedule/);
    expect((await cli(['runs', '01hqz8m3kd0000000000000000', '--name', 'echo'])).stderr).toMatch(/--name filters a listing; with a <run-id>/);
    // A definition's name where a run id goes: the usage error says how to list its runs.
    const named = await cli(['runs', 'echo']);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/"echo" is not a run id .*multinode runs --name echo/);
    const name = await cli(['runs', '--name', 'ecko']);
    expect(name.code).toBe(1);
    expect(name.stderr).toBe(
      'multinode: the app "ops-app" has no function, job or scheduled task named "ecko". ' +
        'Its functions, jobs and scheduled tasks: echo, fails, waits, count, hourly, broken, keyed.\n',
    );
    const unknown = await cli(['runs', '01hqz8m3kd0000000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^multinode: No run with id "01hqz8m3kd0000000000000000": .* Run ids are a started run or job id/);
    const cursor = await cli(['runs', '--cursor', 'nonsense']);
    expect(cursor.code).toBe(1);
    expect(cursor.stderr).toMatch(/cursor/);
  });
});

describe('logs', () => {
  it("prints a run's lines, a definition's, as text and JSON lines; refuses what is neither a run nor a definition", async () => {
    const id = await connection.port.function('echo').start('hello logs');
    await runReaches(app, id, ['SUCCEEDED']);
    const lines = await until(
      () => cli(['logs', id]),
      (r) => r.stdout.includes('echoing'),
      'the run to have its log line',
    );
    expect(lines.code).toBe(0);
    expect(lines.stdout).toMatch(new RegExp(`^${ISO} \\[echo ${id.slice(0, 3)}\\.\\.${id.slice(-4)} #1\\] INFO echoing \\{"value":"hello logs"\\}\\n`, 'm'));
    const json = await cli(['logs', 'echo', '--since', '10m', '--json']);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.find((e) => e.runId === id)).toMatchObject({
      definition: 'echo',
      type: 'record',
      level: 'INFO',
      message: 'echoing',
      time: expect.stringMatching(ISO),
    });
    const filtered = await cli(['logs', 'echo', '--filter', '{ $.level = "ERROR" }']);
    expect(filtered.stdout).toBe('');
    expect(filtered.stderr).toBe('No log lines.\n');

    const neither = await cli(['logs', 'marks']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(
      /"marks" is neither a run id nor a definition with logs \(it is a dict, which writes none\)\. Give a run id .*: echo, fails/,
    );
    const task = await cli(['logs', 'nobody@2024-01-01T00:00:00Z']);
    expect(task.code).toBe(1);
    expect(task.stderr).toMatch(/has no definition "nobody"\. Definitions with logs: echo, fails, waits, count, hourly, broken, keyed, api\./);
    expect((await cli(['logs', 'echo', '--follow', '--limit', '5'])).code).toBe(2);
  });

  it('--follow prints lines as they come, until Ctrl-C', async () => {
    const follow = startCli(['logs', 'echo', '--follow'], app.dir);
    try {
      // Lines written after it started reach it.
      await until(
        async () => {
          await connection.port.function('echo').call('followed');
          return follow.stdout();
        },
        (out) => out.includes('"value":"followed"'),
        'the followed line',
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      follow.stop();
    }
    expect(await follow.exit).toBe(0);
  });
});

describe('cancel and retry', () => {
  it('cancels a running run; refuses a finished run, scheduled runs too', async () => {
    const id = await connection.port.function('waits').start(`gate-${randomUUID()}`);
    await runReaches(app, id, ['RUNNING']);
    const cancelled = await app.json(['cancel', id]);
    expect(cancelled).toMatchObject({ id, status: expect.stringMatching(/^CANCELL(ED|ING)$/) });
    await runReaches(app, id, ['CANCELLED']);
    const again = await cli(['cancel', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already finished with status CANCELLED/);
    expect((await cli(['run', 'hourly'])).code).toBe(0);
    const scheduled = (await app.json(['runs', '--name', 'hourly', '--limit', '1'])).items[0];
    const refused = await cli(['cancel', scheduled.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/run hourly@\S+ already finished with status SUCCEEDED; only PENDING and RUNNING runs can be cancelled/);
    const missing = await cli(['cancel']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing <run-id> \(the id of a started run or a job\)/);
  });

  it('retries a failed run as a new run with the same input; refuses a succeeded one', async () => {
    const id = await connection.port.function('fails').start('retry me');
    await runReaches(app, id, ['FAILED']);
    const text = await cli(['retry', id]);
    expect(text.code).toBe(0);
    const [, newId] = /as a new run: (\S+) \(see: multinode runs \S+\)/.exec(text.stdout)!;
    expect(newId).not.toBe(id);
    expect((await runReaches(app, newId!, ['FAILED'])).input).toEqual(['retry me']);
    const done = await connection.port.function('echo').start('fine');
    await runReaches(app, done, ['SUCCEEDED']);
    const refused = await cli(['retry', done]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is SUCCEEDED; only FAILED, CANCELLED and TIMED_OUT runs can be retried/);
  });
});

describe('dict', () => {
  it('sets, gets, lists by prefix and deletes entries through the codec', async () => {
    expect(await app.json(['dict', 'marks', 'set', 'user/1', '{"name":"Ada","tags":["x"]}'])).toMatchObject({ dict: 'marks', key: 'user/1', set: true });
    await cli(['dict', 'marks', 'set', 'user/2', '42']);
    await cli(['dict', 'marks', 'set', 'other', '"text"']);
    expect(await app.json(['dict', 'marks', 'get', 'user/1'])).toMatchObject({ key: 'user/1', value: { name: 'Ada', tags: ['x'] } });
    expect(await connection.port.dict('marks').get('user/2')).toBe(42);
    expect((await cli(['dict', 'marks', 'get', 'other'])).stdout).toBe('"text"\n');
    const listed = await app.json(['dict', 'marks', 'list', '--prefix', 'user/']);
    expect(listed.items.map((e: { key: string }) => e.key).sort()).toEqual(['user/1', 'user/2']);
    const table = await cli(['dict', 'marks', 'list', '--prefix', 'user/']);
    expect(table.stdout).toMatch(/^KEY +VALUE\n/);
    expect(table.stdout).toMatch(/\nuser\/1 +\{"name":"Ada","tags":\["x"\]\}\n/);
    expect(await app.json(['dict', 'marks', 'delete', 'user/2'])).toMatchObject({ deleted: true });
    expect((await cli(['dict', 'marks', 'delete', 'user/2'])).stdout).toBe('marks has no key "user/2".\n');
    const gone = await cli(['dict', 'marks', 'get', 'user/2']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('multinode: The dict marks has no key "user/2" (or it expired).\n');
    expect(await app.json(['dict'])).toMatchObject({ dicts: ['marks'] });
  });

  it('refuses unknown dicts (listing them), bad JSON and wrong actions', async () => {
    const unknown = await cli(['dict', 'mark', 'list']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^multinode: the app "ops-app" has no dict named "mark"\. Its dicts: marks\.\n$/);
    const json = await cli(['dict', 'marks', 'set', 'k', '{oops']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/<json> must be a JSON value, such as/);
    expect((await cli(['dict', 'marks', 'put', 'k'])).stderr).toMatch(/unknown action "put": give one of list, get, set, delete/);
    expect((await cli(['dict', 'marks', 'get'])).stderr).toMatch(/missing <key>/);
    expect((await cli(['dict', 'marks', 'get', 'k', '--prefix', 'x'])).stderr).toMatch(/--prefix goes with list, not get/);
  });
});

describe('schedules pause, resume and trigger', () => {
  it('pauses and resumes a task (status shows it), and runs it now as a manual run', async () => {
    const paused = await app.json(['schedules', 'pause', 'hourly', '--reason', 'migrating', '--by', 'ada']);
    expect(paused).toMatchObject({ name: 'hourly', paused: true, changed: true, pause: { pausedBy: 'ada', reason: 'migrating' } });
    expect((await cli(['schedules', 'pause', 'hourly'])).stdout).toMatch(/^hourly was paused already, since /);
    expect((await cli(['status'])).stdout).toMatch(/\nhourly +.* since .* by ada: migrating\n/);
    const trigger = await cli(['schedules', 'trigger', 'hourly']);
    expect(trigger.code).toBe(0);
    const [, id] = new RegExp(`a manual run scheduled ${ISO}, id (hourly@${ISO})`).exec(trigger.stdout)!;
    // A manual run runs while the task is paused.
    expect(await runReaches(app, id!, ['SUCCEEDED'])).toMatchObject({ trigger: 'manual', kind: 'schedule' });
    expect(await app.json(['schedules', 'resume', 'hourly'])).toMatchObject({ name: 'hourly', paused: false, changed: true });
    expect((await cli(['schedules', 'resume', 'hourly'])).stdout).toBe('hourly was not paused.\n');
    expect((await app.json(['status'])).schedules[0].paused).toBeUndefined();
  });

  it('refuses names that are not scheduled tasks, and wrong command lines', async () => {
    const unknown = await cli(['schedules', 'pause', 'echo']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no scheduled task named "echo" \("echo" is a function\)\. Its scheduled tasks: hourly, broken/);
    expect((await cli(['schedules', 'trigger'])).stderr).toMatch(/missing <task> \(the name of a scheduled task\)/);
    expect((await cli(['schedules', 'resume', 'hourly', '--reason', 'x'])).stderr).toMatch(/Unknown option '--reason'/);
    expect((await cli(['schedules', 'stop', 'hourly'])).code).toBe(2);
    const listing = await cli(['schedules', '--region', 'eu-west-1']);
    expect(listing.code).toBe(2);
    expect(listing.stderr).toMatch(/--region goes with --stack <name>/);
    expect((await cli(['schedules', '--stack', 'Shop', '--count', '3'])).stderr).toMatch(/--count goes with the listing of fire times/);
    // The listing itself finds the app by the same rule.
    expect((await app.json(['schedules', '--count', '1'])).map((s: { name: string }) => s.name)).toEqual(['hourly', 'broken']);
  });
});

describe('schedules backfill', () => {
  it('lists the fire times it would run (--dry-run --json: ISO strings), runs them oldest first, and runs nothing again', async () => {
    const window = ['--from', '2024-01-01T00:00Z', '--to', '2024-01-01T03:00Z'];
    expect(await app.json(['schedules', 'backfill', 'hourly', ...window, '--dry-run'])).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T01:00:00.000Z',
      '2024-01-01T02:00:00.000Z',
    ]);
    const dry = await cli(['schedules', 'backfill', 'hourly', ...window, '--dry-run']);
    expect(dry.stdout).toBe(
      '3 fire times of hourly from 2024-01-01T00:00:00Z to 2024-01-01T03:00:00Z; 0 already ran (or run, or wait); a backfill would run 3, oldest first:\n' +
        '  2024-01-01T00:00:00Z\n  2024-01-01T01:00:00Z\n  2024-01-01T02:00:00Z\n',
    );
    const ran = await cli(['schedules', 'backfill', 'hourly', ...window]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(
      'Backfilling hourly from 2024-01-01T00:00:00Z to 2024-01-01T03:00:00Z, oldest first:\n' +
        '  2024-01-01T00:00:00Z  SUCCEEDED\n  2024-01-01T01:00:00Z  SUCCEEDED\n  2024-01-01T02:00:00Z  SUCCEEDED\n' +
        '3 fire times of hourly from 2024-01-01T00:00:00Z to 2024-01-01T03:00:00Z; 0 already ran (or run, or wait); ran 3: 3 SUCCEEDED. ' +
        'See them: multinode runs --name hourly\n',
    );
    for (const hour of ['00', '01', '02'])
      expect(await app.json(['dict', 'marks', 'get', `hourly/2024-01-01T${hour}:00:00.000Z`])).toMatchObject({ value: true });
    expect(await app.json(['runs', 'hourly@2024-01-01T01:00:00Z'])).toMatchObject({ run: { status: 'SUCCEEDED', trigger: 'backfill' } });
    const listed = await cli(['runs', '--name', 'hourly', '--since', '2024-01-01T00:00Z', '--until', '2024-01-01T02:30Z']);
    expect(listed.stdout).toMatch(/\nhourly@2024-01-01T02:00:00Z +hourly +schedule \(backfill\) +SUCCEEDED +1 /);
    const again = await app.json(['schedules', 'backfill', 'hourly', '--from', '2023-12-31T23:00Z', '--to', '2024-01-01T03:00Z']);
    expect(again).toMatchObject({ where: { kind: 'dev' }, name: 'hourly', fireTimes: 4, alreadyRecorded: 3, concurrency: 1 });
    expect(again.runs).toEqual([{ id: 'hourly@2023-12-31T23:00:00Z', scheduledTime: '2023-12-31T23:00:00.000Z', status: 'SUCCEEDED' }]);
    expect((await cli(['schedules', 'backfill', 'hourly', ...window])).stdout).toBe(
      'Backfilling hourly from 2024-01-01T00:00:00Z to 2024-01-01T03:00:00Z, oldest first:\n' +
        '3 fire times of hourly from 2024-01-01T00:00:00Z to 2024-01-01T03:00:00Z; 3 already ran (or run, or wait): nothing to run.\n',
    );
  });

  it('stops sending fire times at Ctrl-C, reports those sent, and says how to send the rest', async () => {
    const backfill = startCli(['schedules', 'backfill', 'hourly', '--from', '2024-01-02T00:00Z', '--to', '2024-01-02T05:00Z'], app.dir);
    await backfill.waitFor(/ {2}2024-01-02T00:00:00Z {2}SUCCEEDED\n/);
    backfill.stop();
    expect(await backfill.exit).toBe(0);
    const ran = backfill.stdout().match(/ {2}2024-01-02T\d\d:00:00Z {2}SUCCEEDED\n/g)!.length;
    const [, unsent] = /^Stopped: (\d) fire times? not sent\. The same command sends them/.exec(backfill.stderr())!;
    expect(ran + Number(unsent)).toBe(5);
    const rest = await app.json(['schedules', 'backfill', 'hourly', '--from', '2024-01-02T00:00Z', '--to', '2024-01-02T05:00Z']);
    expect(rest).toMatchObject({ fireTimes: 5, alreadyRecorded: ran });
    expect(rest.runs).toHaveLength(Number(unsent));
  });

  it('exits 1 when a backfilled run failed, saying how each ended', async () => {
    const failed = await cli(['schedules', 'backfill', 'broken', '--from', '2024-01-01T00:00Z', '--to', '2024-01-03T00:00Z']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ {2}2024-01-01T04:30:00Z {2}FAILED\n {2}2024-01-02T04:30:00Z {2}FAILED\n.*ran 2: 2 FAILED\./s);
  });

  it('refuses bad input: a reversed window, a missing or wrong time, an unknown task, a window without a fire time, concurrency', async () => {
    const refused = async (argv: string[], code: number, message: RegExp) => {
      const result = await cli(['schedules', 'backfill', ...argv]);
      expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ code, stderr: expect.stringMatching(message), stdout: '' });
    };
    await refused(
      ['hourly', '--from', '2024-01-02T00:00Z', '--to', '2024-01-01T00:00Z'],
      1,
      /the window is reversed or empty: from \(2024-01-02T00:00:00.000Z\)/,
    );
    await refused(['hourly', '--from', '2024-01-01T00:00Z'], 2, /backfill needs --from and --to/);
    await refused(['hourly', '--from', 'yesterday', '--to', '2024-01-01T00:00Z'], 2, /--from must be an ISO date-time .* got "yesterday"/);
    await refused(
      ['nope', '--from', '2024-01-01T00:00Z', '--to', '2024-01-02T00:00Z'],
      1,
      /has no scheduled task named "nope"\. Its scheduled tasks: hourly, broken/,
    );
    await refused(['hourly', '--from', '2024-01-01T00:05Z', '--to', '2024-01-01T00:55Z'], 1, /hourly has no fire time from 2024-01-01T00:05:00.000Z to/);
    await refused(['hourly', '--from', '2024-01-01T00:00Z', '--to', '2024-01-02T00:00Z', '--concurrency', '2'], 1, /its overlap policy is "skip"/);
    await refused(
      ['hourly', '--from', '2024-01-01T00:00Z', '--to', '2024-01-02T00:00Z', '--concurrency', '0'],
      2,
      /--concurrency must be a whole number from 1 to 100/,
    );
    await refused(['--from', '2024-01-01T00:00Z', '--to', '2024-01-02T00:00Z'], 2, /missing <task>/);
    await refused(['hourly', '--from', '2024-01-01T00:00Z', '--to', '2099-01-01T00:00Z'], 1, /is in the future/);
  });

  it('needs --yes above 1,000 fire times; a dry run lists them', async () => {
    const window = ['--from', '2022-01-01T00:00Z', '--to', '2022-02-20T00:00Z'];
    const refused = await cli(['schedules', 'backfill', 'hourly', ...window]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the window holds 1,200 fire times of hourly, more than 1,000: pass yes: true \(--yes\)/);
    expect(await app.json(['schedules', 'backfill', 'hourly', ...window, '--dry-run'])).toHaveLength(1200);
  });
});

describe('schedules: deployed versus code', () => {
  const stateDir = () => path.join(app.dir, '.multinode', 'src-app.ts');

  it('reads the local EventBridge Scheduler of the running dev: in step with the code', async () => {
    const report = await app.json(['schedules', '--state-dir', stateDir()]);
    expect(report).toMatchObject({ where: { kind: 'dev' }, code: app.entry, inSync: true, unknown: [] });
    expect(report.tasks.map((t: { name: string; state: string }) => [t.name, t.state])).toEqual([
      ['hourly', 'ENABLED'],
      ['broken', 'ENABLED'],
    ]);
    const text = await cli(['schedules', '--state-dir', stateDir()]);
    expect(text.stdout).toMatch(/^Schedules of multinode dev of ops-app .*, group .*, compared with src\/app\.ts:\n/);
    expect(text.stdout).toMatch(/\nhourly: ENABLED, in step\n {2}deployed {2}\S+-hourly-0 {2}cron\(0 \* \* \* \? \*\) {2}UTC {2}ENABLED\n/);
    expect(text.stdout).toMatch(/\nIn step: what is deployed is what the code compiles to\.\n$/);
  });

  it('shows a change of the code not yet deployed, and a schedule edited by hand', async () => {
    mkdirSync(path.join(app.dir, 'next'), { recursive: true });
    writeFileSync(
      path.join(app.dir, 'next/app.ts'),
      "import * as mn from 'multinode';\n" +
        "export const hourly = mn.schedule({ cron: '15 * * * *' }, async () => undefined);\n" +
        "export const broken = mn.schedule({ cron: '30 4 * * *', timezone: 'Europe/London' }, async () => undefined);\n",
    );
    const next = await app.json(['schedules', 'next/app.ts', '--state-dir', stateDir()]);
    expect(next.inSync).toBe(false);
    expect(next.tasks[0].differences).toEqual([expect.objectContaining({ field: 'expression', deployed: 'cron(0 * * * ? *)', code: 'cron(15 * * * ? *)' })]);
    expect(next.tasks[1].differences).toEqual([]);
    // A hand edit through the Scheduler API (the local endpoint of the running dev).
    const { config } = readLocal(stateDir());
    const scheduler = new SchedulerClient({ region: config.region, endpoint: config.endpoints!.scheduler!, credentials: config.credentials! });
    try {
      const group = next.group as string;
      const name = next.tasks[1].deployed[0].name as string;
      const current = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
      await scheduler.send(
        new UpdateScheduleCommand({
          Name: name,
          GroupName: group,
          ScheduleExpression: current.ScheduleExpression!,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: current.Target!,
          State: 'DISABLED',
        }),
      );
    } finally {
      scheduler.destroy();
    }
    const edited = await cli(['schedules', '--state-dir', stateDir()]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/\nbroken: DISABLED\n {2}deployed {2}\S+-broken-0 {2}cron\(30 4 \* \* \? \*\) {2}UTC {2}DISABLED\n/);
    expect(edited.stdout).toMatch(
      / {2}code {6}cron\(30 4 \* \* \? \*\) {2}Europe\/London\n {2}- timezone: \S+ is evaluated in UTC; the code's time zone is Europe\/London\n/,
    );
    expect(edited.stdout).toMatch(/\n1 difference: a change not yet deployed \(cdk deploy applies it\), or a schedule edited by hand/);
  });

  it('lists deployed schedules that no task of the code makes (a task removed from the code)', async () => {
    const other = await app.json(['schedules', 'src/other.ts', '--state-dir', stateDir()]);
    expect(other).toMatchObject({ tasks: [], inSync: false });
    expect(other.unknown.map((s: { name: string }) => s.name.replace(/^.*-(\w+-\d)$/, '$1'))).toEqual(['broken-0', 'hourly-0']);
    const text = await cli(['schedules', 'src/other.ts', '--state-dir', stateDir()]);
    expect(text.stdout).toMatch(/\nIn the group, but no task of the code makes them \(a task since removed, or made by hand\):\n {2}\S+-broken-0 /);
    expect((await cli(['schedules', '--state-dir', stateDir(), '--from', '2024-01-01'])).stderr).toMatch(/--from goes with the listing of fire times/);
  });
});

describe('run through the running dev', () => {
  it('runs a scheduled task in the running dev (its workers print the lines) and reports the run', async () => {
    const result = await cli(['run', 'hourly']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^multinode run: the running multinode dev of src\/app\.ts\n/);
    expect(JSON.parse(result.stdout)).toMatchObject({ multinode: 'schedule', name: 'hourly', outcome: 'SUCCEEDED', trigger: 'manual' });
    await dev.waitFor(/\[hourly \S+ #1\] INFO hourly ran/);
    const failed = await cli(['run', 'broken']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/multinode: broken failed: SyntaxError: broken task/);
  });
});

describe('secrets', () => {
  it('lists names and whether each has a value, sets from standard input, deletes; never prints the value', async () => {
    const before = await app.json(['secrets', 'list']);
    expect(before.store).toMatch(/^multinode dev of ops-app \(values in .*\.env\)$/);
    expect(before.secrets).toEqual([{ name: 'OPS_API_KEY', hasValue: false, where: path.join(app.dir, '.env'), exists: true }]);
    const set = await cli(['secrets', 'set', 'OPS_API_KEY'], { stdin: `${sentinel}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(`Set OPS_API_KEY in multinode dev of ops-app (values in ${path.join(app.dir, '.env')}).\n`);
    expect((await app.json(['secrets', 'list'])).secrets[0].hasValue).toBe(true);
    const table = await cli(['secrets', 'list']);
    expect(table.stdout).toMatch(/\nNAME +VALUE +WHERE\nOPS_API_KEY +set +/);
    // The running app reads it (new workers read the file again).
    const read = await until(
      () => cli(['run', 'keyed']),
      (r) => r.code === 0,
      'the function to read the secret',
    );
    expect(JSON.parse(read.stdout)).toEqual({ length: sentinel.length });
    expect(await app.json(['secrets', 'delete', 'OPS_API_KEY'])).toMatchObject({ name: 'OPS_API_KEY', deleted: true });
    expect((await app.json(['secrets', 'list'])).secrets[0].hasValue).toBe(false);
  });

  it('refuses an undeclared name, a value given as an argument, empty input and wrong actions', async () => {
    const undeclared = await cli(['secrets', 'set', 'NOPE'], { stdin: sentinel });
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toMatch(/declares no secret "NOPE"; its secrets: OPS_API_KEY/);
    const argument = await cli(['secrets', 'set', 'OPS_API_KEY', sentinel]);
    expect(argument.code).toBe(2);
    expect(argument.stderr).toMatch(/^multinode: unexpected argument: sentinel-/);
    const empty = await cli(['secrets', 'set', 'OPS_API_KEY'], { stdin: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no value given: type it, or pipe it in on standard input/);
    expect((await cli(['secrets'])).stderr).toMatch(/missing the action: list, set, delete/);
    expect((await cli(['secrets', 'show'])).stderr).toMatch(/unknown action "show"/);
  });

  it('never printed or stored the value outside the .env file', () => {
    // The leak check: every output, and every file of the state directory (an argument was refused above, and its
    // refusal echoed the argument, which is the point of reading values from standard input only).
    const outputs = printed.filter((text) => !text.startsWith('multinode: unexpected argument: sentinel-'));
    for (const text of outputs) expect(text).not.toContain(sentinel);
    expect(dev.stdout() + dev.stderr()).not.toContain(sentinel);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const file = path.join(dir, name);
        return statSync(file).isDirectory() ? files(file) : [file];
      });
    for (const file of files(path.join(app.dir, '.multinode'))) expect(readFileSync(file, 'utf8'), file).not.toContain(sentinel);
  });
});

describe('which app', () => {
  it('finds the running dev from a subfolder of the package without the entry, or by its entry', async () => {
    mkdirSync(path.join(app.dir, 'src', 'deeper'), { recursive: true });
    expect((await app.json(['status'], { cwd: path.join(app.dir, 'src', 'deeper') })).app).toBe('ops-app');
    expect((await app.json(['status', app.entry], { cwd: '/' })).where.entry).toBe(app.entry);
    const missing = await cli(['status', 'src/nope.ts']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^multinode: The app entry src\/nope\.ts does not exist/);
  });

  it("keeps another entry of the package apart: run of it uses its own state, not the running dev's", async () => {
    const other = await cli(['run', 'src/other.ts', 'otherFn']);
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout)).toBe('from the other entry');
    const wrong = await cli(['run', 'src/other.ts', 'echo']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/the app has no definition named "echo". It can run: otherFn \(function\)/);
    expect(readdirSync(path.join(app.dir, '.multinode')).sort()).toEqual(['.gitignore', 'src-app.ts', 'src-other.ts']);
    // Operating commands without the entry still find the one running dev.
    expect((await app.json(['status'])).where.entry).toBe(app.entry);
    const notRunning = await cli(['status', 'src/other.ts']);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toMatch(
      /No multinode dev is running for src\/other\.ts .* Start it with: multinode dev src\/other\.ts; or reach the deployed app with --stack/,
    );
  });
});
