/**
 * The control plane against the local cloud, through the real SDK clients, as an operator uses it on a running
 * `multinode dev`: created from the cloud's connection (config, manifest, services), it describes the app, reads
 * each kind of run, cancels (a Lambda run, a Lambda job, a Batch job: TerminateJob seen by the local Batch endpoint),
 * retries, runs a scheduled task now, pauses and resumes tasks on Lambda and Batch (the scheduler on a test clock),
 * edits dicts, hands log queries to its log source, and refuses wrong input with typed errors.
 */
import path from 'node:path';
import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RunFinishedError } from '../../lib/errors.js';
import { nextFireTimes } from '../../lib/schedule/evaluate.js';
import { batchClient } from '../../runtime/batch/batch-jobs.js';
import { type ControlPlane, createControlPlane } from '../../runtime/control/control-plane.js';
import { ActionRefusedError, LogsUnavailableError, UnknownDefinitionError, UnknownRunError } from '../../runtime/control/errors.js';
import type { ControlLogFollowQuery, ControlLogReadQuery, ControlLogSource, LogLine } from '../../runtime/control/logs.js';
import type { RunDetail, RunStatus } from '../../runtime/control/types.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { until } from '../helpers/poll.js';
import { TestClock } from '../helpers/test-clock.js';
import * as app from './fixtures/control-app/src/app.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1500, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });
const entry = path.join(import.meta.dirname, 'fixtures/control-app/src/app.ts');

/** A log source that answers from memory and remembers what it was asked. */
class FakeLogs implements ControlLogSource<LogLine & { text: string }> {
  readonly reads: ControlLogReadQuery[] = [];
  readonly follows: ControlLogFollowQuery[] = [];
  destroyed = false;
  async read(query: ControlLogReadQuery) {
    this.reads.push(query);
    return { entries: [{ id: '1', time: 1, definition: query.definition, raw: 'hello', text: 'hello' }], cursor: 'next' };
  }
  async *follow(query: ControlLogFollowQuery) {
    this.follows.push(query);
    yield { id: '2', time: 2, raw: 'one', text: 'one' };
    yield { id: '3', time: 3, raw: 'two', text: 'two' };
  }
  destroy() {
    this.destroyed = true;
  }
}

const clock = new TestClock('2031-03-10T01:59:00Z');
const logs = new FakeLogs();
let t: TestCloud;
let plane: ControlPlane<LogLine & { text: string }>;
let gates = 0;
const newGate = () => `gate-${++gates}`;

beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, schedules: { clock } });
  plane = createControlPlane(t.cloud.connection(), { logs });
}, 120_000);
afterAll(async () => {
  plane?.close();
  await t?.stop();
});

/** Polls `run(id)` until its status is one of `statuses` (the run may not be recorded yet). */
async function runUntil(id: string, statuses: RunStatus[], timeoutMs = 30_000): Promise<RunDetail> {
  const detail = await until(
    () => plane.run(id).catch((error: unknown) => (error instanceof UnknownRunError ? undefined : Promise.reject(error))),
    (d) => d !== undefined && statuses.includes(d.status),
    `${id} to be ${statuses.join(' or ')}`,
    { timeoutMs, intervalMs: 50 },
  );
  return detail!;
}

describe('definitions and status', () => {
  it('describes every definition: placement, resources, limits, schedules, services', () => {
    const byName = new Map(plane.definitions().map((d) => [d.name, d]));
    expect(byName.get('echo')).toMatchObject({
      kind: 'function',
      placement: 'lambda',
      resources: expect.stringMatching(/^Lambda \d+ MB, timeout 15m$/),
      limits: { timeoutSeconds: 900, maxRetries: 0, maxConcurrency: 10 },
    });
    expect(byName.get('heavyCount')).toMatchObject({ kind: 'job', placement: 'batch', resources: expect.stringMatching(/^Batch Fargate /) });
    expect(byName.get('hourly')).toMatchObject({
      kind: 'schedule',
      schedule: { description: 'cron "0 * * * *" in UTC', timezone: 'UTC', expressions: [{ expression: 'cron(0 * * * ? *)', timezone: 'UTC' }] },
    });
    expect(byName.get('api')).toMatchObject({ kind: 'service', url: t.url('api') });
    expect(byName.get('marks')).toMatchObject({ kind: 'dict', placement: null });
    expect(byName.get('marks')).not.toHaveProperty('resources');
  });

  it('gives each schedule its next fire time, pause and last run, and the services', async () => {
    const before = Date.now();
    const status = await plane.status();
    expect(status.services).toEqual([{ name: 'api', url: t.url('api') }]);
    const hourly = status.schedules.find((s) => s.name === 'hourly')!;
    const expected = nextFireTimes(hourly.expressions, before + 1, 1)[0]!;
    expect([expected.getTime(), expected.getTime() + 3_600_000]).toContain(hourly.nextFireTime!.getTime());
    expect(Object.keys(status.runsByDefinition).sort()).toEqual(
      ['brokenTask', 'echo', 'fails', 'flaky', 'heavyCount', 'hourly', 'jobFlaky', 'lightCount', 'nightly', 'waits'].sort(),
    );
  });
});

describe('runs of each kind', () => {
  it('reads a started run that succeeded: input and result through the codec', async () => {
    const id = await app.echo.start({ at: new Date(5), tags: new Set(['a']) });
    const run = await runUntil(id, ['SUCCEEDED']);
    expect(run).toMatchObject({ id, name: 'echo', kind: 'function', placement: 'lambda', attempts: 1, input: [{ at: new Date(5), tags: new Set(['a']) }] });
    expect(run.result).toEqual({ at: new Date(5), tags: new Set(['a']) });
    expect(run.endedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
    expect(run.durationMs).toBe(run.endedAt!.getTime() - run.startedAt!.getTime());
  });

  it('reads a failed run with its remote error and stack, and lists it among the failures', async () => {
    const id = await app.fails.start('over quota');
    const run = await runUntil(id, ['FAILED']);
    expect(run.error).toMatchObject({ type: 'QuotaExceeded', message: 'over quota', stack: expect.stringMatching(/over quota\n\s+at /) });
    expect((await plane.runs({ name: 'fails' })).items.map((r) => r.id)).toContain(id);
    const failures = await plane.runs({ status: 'FAILED', since: Date.now() - 60_000 });
    expect(failures.items.find((r) => r.id === id)).toMatchObject({ status: 'FAILED', error: { type: 'QuotaExceeded' } });
  });

  it("reads a job's progress while it runs and its result once done", async () => {
    const gate = newGate();
    const id = await app.lightCount.start({ steps: 3, gate });
    const running = await until(
      () => plane.run(id),
      (d) => d.status === 'RUNNING' && d.progress !== undefined,
      'first progress',
    );
    expect(running).toMatchObject({ kind: 'job', placement: 'lambda', progress: { done: 1, of: 3 }, input: { steps: 3, gate }, maxAttempts: 1 });
    expect(running).not.toHaveProperty('result');
    await app.marks.set(gate, 1);
    expect(await runUntil(id, ['SUCCEEDED'])).toMatchObject({ result: { done: 3, of: 3 }, progress: { done: 3, of: 3 } });
  });

  it('reads a scheduled run that failed, by its <task>@<time> id', async () => {
    const time = new Date('2031-01-01T04:30:00Z');
    await expect(t.fire('brokenTask', time)).rejects.toThrow(/broken task/);
    const run = await plane.run('brokenTask@2031-01-01T04:30:00Z');
    expect(run).toMatchObject({
      id: 'brokenTask@2031-01-01T04:30:00Z',
      kind: 'schedule',
      status: 'FAILED',
      trigger: 'scheduled',
      scheduledTime: time,
      placement: 'lambda',
      error: { type: 'SyntaxError', message: 'broken task' },
    });
    // Other spellings of the same time name the same run.
    expect((await plane.run('brokenTask@2031-01-01T05:30:00+01:00')).id).toBe(run.id);
  });
});

describe('cancel', () => {
  it('cancels a running function run on Lambda', async () => {
    const gate = newGate();
    const id = await app.waits.start(gate, 30_000);
    await runUntil(id, ['RUNNING']);
    expect((await plane.cancel(id)).status).toMatch(/^CANCELL(ING|ED)$/);
    expect(await runUntil(id, ['CANCELLED'])).toMatchObject({ status: 'CANCELLED', endedAt: expect.any(Date) });
    await app.marks.set(gate, 1);
    await expect(plane.cancel(id)).rejects.toBeInstanceOf(RunFinishedError);
  });

  it('cancels a running job on Lambda', async () => {
    const id = await app.lightCount.start({ steps: 3, gate: newGate() });
    await runUntil(id, ['RUNNING']);
    // CANCELLING while its executor stops it; CANCELLED when the executor had already seen the request end it.
    expect((await plane.cancel(id)).status).toMatch(/^CANCELL(ING|ED)$/);
    await runUntil(id, ['CANCELLED']);
  });

  it('cancels a running job on Batch, stopping its container with TerminateJob', async () => {
    const id = await app.heavyCount.start({ steps: 3, gate: newGate() });
    const running = await until(
      () => plane.run(id),
      (d) => d.status === 'RUNNING' && d.progress !== undefined,
      'the Batch job running',
      { timeoutMs: 60_000 },
    );
    expect(running.placement).toBe('batch');
    expect(running.batchJobId).toEqual(expect.any(String));
    await plane.cancel(id);
    await runUntil(id, ['CANCELLED'], 60_000);
    const described = await until(
      async () => (await (await batchClient(t.context)).send(new DescribeJobsCommand({ jobs: [running.batchJobId!] }))).jobs?.[0],
      (job) => job?.status === 'FAILED',
      'the Batch job ended',
      { timeoutMs: 60_000 },
    );
    expect(described).toMatchObject({ isTerminated: true, statusReason: 'multinode: the job was cancelled' });
  }, 120_000);

  it('refuses to cancel a scheduled run that has ended', async () => {
    const error = await plane.cancel('brokenTask@2031-01-01T04:30:00Z').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFinishedError);
    expect((error as Error).message).toMatch(/already finished with status FAILED/);
  });
});

describe('retry', () => {
  it('starts a failed run again with the same input, as a new run', async () => {
    const id = await app.flaky.start('retry-1');
    expect((await runUntil(id, ['FAILED'])).error?.message).toBe('first call for retry-1 fails');
    const { newId } = await plane.retry(id);
    expect(newId).not.toBe(id);
    expect(await runUntil(newId, ['SUCCEEDED'])).toMatchObject({ input: ['retry-1'], result: 2 });
    expect((await plane.run(id)).status).toBe('FAILED');
  });

  it('starts a failed job again with the same input', async () => {
    const id = await app.jobFlaky.start({ key: 'retry-2' });
    await runUntil(id, ['FAILED']);
    const { newId } = await plane.retry(id);
    expect(await runUntil(newId, ['SUCCEEDED'])).toMatchObject({ kind: 'job', input: { key: 'retry-2' }, result: { calls: 2 } });
  });

  it('refuses a run that is running or succeeded, and scheduled runs', async () => {
    const gate = newGate();
    const id = await app.waits.start(gate, 30_000);
    await runUntil(id, ['RUNNING']);
    await expect(plane.retry(id)).rejects.toThrow(/is RUNNING; only FAILED, CANCELLED and TIMED_OUT runs can be retried \(cancel it first/);
    await app.marks.set(gate, 1);
    await runUntil(id, ['SUCCEEDED']);
    const refused = await plane.retry(id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ActionRefusedError);
    expect((refused as Error).message).toMatch(/is SUCCEEDED; only FAILED, CANCELLED and TIMED_OUT runs can be retried\.$/);
    await expect(plane.retry('brokenTask@2031-01-01T04:30:00Z')).rejects.toThrow(/use trigger\("brokenTask"\)/);
  });
});

describe('scheduled tasks: run now, pause, resume', () => {
  it('runs a task on Lambda now, recorded as a manual run', async () => {
    const { id, scheduledTime } = await plane.trigger('hourly');
    expect(id).toBe(`hourly@${scheduledTime.toISOString().slice(0, 19)}Z`);
    expect(scheduledTime.getTime() % 60_000).not.toBe(0);
    expect(await runUntil(id, ['SUCCEEDED'])).toMatchObject({ trigger: 'manual', kind: 'schedule' });
    expect(await app.marks.get(`hourly/${scheduledTime.toISOString()}`)).toBe(1);
    expect((await plane.runs({ name: 'hourly', limit: 5 })).items.find((r) => r.id === id)).toMatchObject({ trigger: 'manual', status: 'SUCCEEDED' });
  });

  it('runs a task on Batch now, through the dispatcher', async () => {
    const { id, scheduledTime } = await plane.trigger('nightly');
    expect(await runUntil(id, ['SUCCEEDED', 'FAILED'], 60_000)).toMatchObject({ status: 'SUCCEEDED', trigger: 'manual', placement: 'batch' });
    expect(await app.marks.get(`nightly/${scheduledTime.toISOString()}`)).toBe(1);
  }, 90_000);

  it('records fire times PAUSED while a task is paused (Lambda and Batch), runs a manual run anyway, and runs again after resume', async () => {
    expect(await plane.pause('hourly', { reason: 'maintenance', pausedBy: 'test' })).toMatchObject({ name: 'hourly', paused: true, changed: true });
    expect(await plane.pause('hourly')).toMatchObject({ changed: false, pause: { reason: 'maintenance', pausedBy: 'test' } });
    expect(await plane.pause('nightly')).toMatchObject({ changed: true });
    expect(await plane.paused('hourly')).toMatchObject({ reason: 'maintenance', pausedAt: expect.any(Date) });
    expect((await plane.status()).schedules.find((s) => s.name === 'hourly')?.paused).toMatchObject({ reason: 'maintenance' });

    clock.advanceTo('2031-03-10T03:00:30Z');
    for (const id of ['hourly@2031-03-10T02:00:00Z', 'hourly@2031-03-10T03:00:00Z', 'nightly@2031-03-10T03:00:00Z']) {
      expect(await runUntil(id, ['PAUSED', 'SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'PAUSED', attempts: 0, trigger: 'scheduled' });
    }
    expect(await app.marks.get('hourly/2031-03-10T02:00:00.000Z')).toBeUndefined();
    expect(await app.marks.get('nightly/2031-03-10T03:00:00.000Z')).toBeUndefined();
    // No container was submitted for the paused Batch fire time.
    const { jobSummaryList } = await (await batchClient(t.context)).send(
      new ListJobsCommand({ jobQueue: t.cloud.names.jobQueue, filters: [{ name: 'JOB_NAME', values: ['nightly-schedule-2031-03-10*'] }] }),
    );
    expect(jobSummaryList).toEqual([]);
    expect((await plane.runs({ name: 'hourly', status: 'PAUSED' })).items.map((r) => r.id)).toEqual([
      'hourly@2031-03-10T03:00:00Z',
      'hourly@2031-03-10T02:00:00Z',
    ]);

    const manual = await plane.trigger('hourly');
    expect(await runUntil(manual.id, ['SUCCEEDED'])).toMatchObject({ trigger: 'manual' });

    expect(await plane.resume('hourly')).toEqual({ name: 'hourly', paused: false, changed: true });
    expect(await plane.resume('hourly')).toEqual({ name: 'hourly', paused: false, changed: false });
    expect(await plane.paused('hourly')).toBeUndefined();
    clock.advanceTo('2031-03-10T04:00:30Z');
    expect(await runUntil('hourly@2031-03-10T04:00:00Z', ['SUCCEEDED', 'FAILED', 'PAUSED'])).toMatchObject({ status: 'SUCCEEDED' });
    expect(await app.marks.get('hourly/2031-03-10T04:00:00.000Z')).toBe(1);

    await plane.resume('nightly');
    await t.cloud.fireSchedule('nightly', { scheduledTime: new Date('2031-03-09T03:00:00Z'), wait: true });
    expect(await runUntil('nightly@2031-03-09T03:00:00Z', ['SUCCEEDED', 'FAILED', 'PAUSED'], 60_000)).toMatchObject({ status: 'SUCCEEDED' });
  }, 120_000);

  it('refuses names that are not scheduled tasks', async () => {
    const error = await plane.trigger('echo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownDefinitionError);
    expect((error as Error).message).toMatch(
      /has no scheduled task named "echo" \("echo" is a function\)\. Its scheduled tasks: hourly, nightly, brokenTask\./,
    );
    await expect(plane.pause('nope')).rejects.toBeInstanceOf(UnknownDefinitionError);
    await expect(plane.resume(undefined as never)).rejects.toThrow(/expected the name of a scheduled task, got undefined/);
    await expect(plane.pause('hourly', { reason: 'x'.repeat(300) })).rejects.toThrow(/reason must be a string of at most 256 characters/);
  });
});

describe('dicts', () => {
  it('lists by prefix in pages, and gets, sets and deletes through the codec', async () => {
    expect(plane.dicts()).toEqual(['marks', 'notes']);
    const notes = plane.dict('notes');
    for (let i = 0; i < 7; i++) await notes.set(`user/${i}`, { n: i, at: new Date(i), tags: new Set([`t${i}`]) });
    await notes.set('other', 'x');
    expect(await app.notes.get('user/3')).toEqual({ n: 3, at: new Date(3), tags: new Set(['t3']) });
    await app.notes.set('user/7', { n: 7, at: new Date(7), tags: new Set(['t7']) });
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await notes.list({ prefix: 'user/', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      keys.push(...page.items.map((e) => e.key));
      cursor = page.cursor;
    } while (cursor);
    expect(keys.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `user/${i}`));
    expect(await notes.get('user/7')).toEqual({ n: 7, at: new Date(7), tags: new Set(['t7']) });
    expect(await notes.delete('other')).toBe(true);
    expect(await notes.delete('other')).toBe(false);
    expect(await notes.get('other')).toBeUndefined();
  });

  it('refuses unknown dicts, listing the app dicts, and cursors of another listing', async () => {
    expect(() => plane.dict('note')).toThrow(/has no dict named "note"\. Its dicts: marks, notes\./);
    expect(() => plane.dict('echo')).toThrow(UnknownDefinitionError);
    const page = await plane.dict('notes').list({ prefix: 'user/', limit: 1 });
    await expect(plane.dict('notes').list({ prefix: 'other', cursor: page.cursor! })).rejects.toThrow(/belongs to another listing/);
    await expect(plane.dict('notes').list({ limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 1000/);
    await expect(plane.dict('notes').set('', 1)).rejects.toThrow(/key/);
  });
});

describe('logs', () => {
  it("hands queries to its log source, naming a run's definition from its id", async () => {
    const id = await app.echo.start('logged');
    await runUntil(id, ['SUCCEEDED']);
    const page = await plane.logs({ runId: id, limit: 10 });
    expect(page.entries[0]).toMatchObject({ text: 'hello', definition: 'echo' });
    expect(logs.reads.at(-1)).toEqual({ runId: id, limit: 10, definition: 'echo' });
    await plane.logs({ runId: 'hourly@2031-03-10T04:00:00Z' });
    expect(logs.reads.at(-1)).toMatchObject({ definition: 'hourly' });
    const followed: string[] = [];
    for await (const line of plane.followLogs({ definition: 'api' })) followed.push(line.text);
    expect(followed).toEqual(['one', 'two']);
    await expect(plane.logs({ definition: 'marks' })).rejects.toThrow(/"marks" is a dict/);
    await expect(plane.logs({ runId: '0000000000zzzzzzzzzzzzzzzz' })).rejects.toBeInstanceOf(UnknownRunError);
  });

  it('says so when it has no log source', async () => {
    const bare = createControlPlane(t.cloud.connection());
    await expect(bare.logs()).rejects.toBeInstanceOf(LogsUnavailableError);
    bare.close();
  });
});

describe('wrong input', () => {
  it('answers ids of no run with UnknownRunError, and refuses ids that are not strings', async () => {
    for (const id of ['0000000000zzzzzzzzzzzzzzzz', 'hourly@2031-03-10T05:00:00Z', 'nothing']) {
      await expect(plane.run(id)).rejects.toBeInstanceOf(UnknownRunError);
      await expect(plane.cancel(id)).rejects.toBeInstanceOf(UnknownRunError);
      await expect(plane.retry(id)).rejects.toBeInstanceOf(UnknownRunError);
    }
    await expect(plane.run({} as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(plane.status({ failedSince: 'last week' })).rejects.toThrow(/failedSince must be a Date/);
  });

  it('refuses a target that is not an app', () => {
    expect(() => createControlPlane({} as never)).toThrow(/target must be \{ config, manifest, services \}/);
    expect(() => createControlPlane({ ...t.cloud.connection(), services: [{ name: 'api' }] } as never)).toThrow(/services must be an array of \{ name, url \}/);
  });
});
