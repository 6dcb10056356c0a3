/**
 * Job conformance on both placements, through the local cloud: the same API and state model whether a job runs on
 * Lambda (the local Lambda endpoint's workers) or on AWS Batch (the local Batch endpoint, a child process per
 * container started by the real bootstrap). Progress while running, watch, cancel (CANCELLING then CANCELLED),
 * timeout, retries, remove, list paging, the lock option, a container killed with SIGKILL, late writes, wrong input.
 * Also heavy functions (map as one array job) and a heavy scheduled task delivered twice.
 */
import path from 'node:path';
import { ListJobsCommand } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError, JobNotFoundError, RunCancelledError, RunFinishedError, RunTimedOutError } from '../../lib/errors.js';
import type { JobHandle, RunInfo, Status } from '../../lib/handles.js';
import { BatchJobs, batchClient, TASK_ENV } from '../../runtime/batch/batch-jobs.js';
import { BATCH_ENV } from '../../runtime/batch/bootstrap.js';
import { batchStateChangeEvent, type StateChangeResponse } from '../../runtime/entry/batch-state-change-event.js';
import type { HandlerContext } from '../../runtime/core/event-handler.js';
import { newRunId } from '../../runtime/state/ids.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { JobStore } from '../../runtime/jobs/job-store.js';
import { localBatchOf } from '../../runtime/local/batch/extension.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import * as app from './fixtures/jobs-app/src/app.js';
import { until } from '../helpers/poll.js';

const GRACE_MS = 1500;
process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: GRACE_MS, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });
const entry = path.join(import.meta.dirname, 'fixtures/jobs-app/src/app.ts');

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

type Countdown = JobHandle<{ steps: number; stepMs: number; gate?: string }, { done: number; of: number; attempt: number }>;

const placements = [
  {
    placement: 'lambda',
    countdown: app.lightCountdown as Countdown,
    stubborn: app.lightStubborn,
    short: app.lightShort as Countdown,
    flaky: app.lightFlaky,
    exclusive: app.lightExclusive,
  },
  {
    placement: 'batch',
    countdown: app.heavyCountdown as Countdown,
    stubborn: app.heavyStubborn,
    short: app.heavyShort as Countdown,
    flaky: app.heavyFlaky,
    exclusive: app.heavyExclusive,
  },
] as const;

let gates = 0;
const newGate = () => `gate-${++gates}`;

/** Polls a job until `test` holds. */
function untilJob<P>(job: JobHandle<never, P>, id: string, test: (info: RunInfo<P>) => boolean, what: string, timeoutMs = 30_000): Promise<RunInfo<P>> {
  return until(() => job.get(id), test, `${job.name} ${id}: ${what}`, { timeoutMs, show: (info) => `${info.status} with ${JSON.stringify(info.result)}` });
}
const statusIs =
  (...statuses: Status[]) =>
  (info: RunInfo<unknown>) =>
    statuses.includes(info.status);

describe.each(placements)('jobs on $placement', ({ placement, countdown, stubborn, short, flaky, exclusive }) => {
  it('shows progress while running and the last yield as the result', async () => {
    const gate = newGate();
    const id = await countdown.start({ steps: 3, stepMs: 5, gate });
    const running = await untilJob(countdown, id, (i) => i.result?.done === 1, 'the first progress');
    expect(running).toMatchObject({ status: 'RUNNING', result: { done: 1, of: 3, attempt: 1 }, attempts: 1 });
    await app.marks.set(gate, 1);
    expect(await countdown.awaitResult(id)).toEqual({ done: 3, of: 3, attempt: 1 });
    const done = await countdown.get(id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
  });

  it('watch yields progress until the end', async () => {
    const id = await countdown.start({ steps: 4, stepMs: 150 });
    const seen: number[] = [];
    for await (const progress of countdown.watch(id)) seen.push(progress.done);
    expect(seen[seen.length - 1]).toBe(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('cancels a running job that honours ctx.signal', async () => {
    const gate = newGate();
    const id = await countdown.start({ steps: 3, stepMs: 5, gate });
    await untilJob(countdown, id, (i) => i.result?.done === 1, 'the first progress');
    await countdown.cancel(id);
    expect(['CANCELLING', 'CANCELLED']).toContain((await countdown.get(id)).status);
    const done = await untilJob(countdown, id, statusIs('CANCELLED', 'FAILED', 'SUCCEEDED'), 'the end');
    expect(done).toMatchObject({ status: 'CANCELLED', result: { done: 1 } });
    expect(await app.reasons.get(gate)).toBe('RunCancelledError');
    await expect(countdown.awaitResult(id)).rejects.toBeInstanceOf(RunCancelledError);
    await expect(countdown.cancel(id)).rejects.toBeInstanceOf(RunFinishedError);
  });

  it('is CANCELLING while a job that ignores the signal has its grace period, then CANCELLED; its later writes are refused', async () => {
    const id = await stubborn.start({ steps: 200, stepMs: 50 });
    await untilJob(stubborn, id, (i) => typeof i.result === 'number' && i.result >= 2, 'progress');
    await stubborn.cancel(id);
    const cancelling = await stubborn.get(id);
    expect(cancelling.status).toBe('CANCELLING');
    const cancelled = await untilJob(stubborn, id, statusIs('CANCELLED', 'FAILED', 'SUCCEEDED'), 'the end', 20_000);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelling.finishedAt).toBeUndefined();
    expect(cancelled.finishedAt!.getTime()).toBeGreaterThanOrEqual(cancelled.startedAt!.getTime());
    // The handler keeps yielding (on Lambda) or its container is gone (on Batch): either way nothing more is written.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await stubborn.get(id);
    expect(later.status).toBe('CANCELLED');
    expect(later.result).toBe(cancelled.result);
  });

  it('times out counting from creation (TIMED_OUT) and does not retry', async () => {
    const gate = newGate();
    const id = await short.start({ steps: 3, stepMs: 5, gate });
    await expect(short.awaitResult(id)).rejects.toBeInstanceOf(RunTimedOutError);
    const info = await short.get(id);
    expect(info).toMatchObject({ status: 'TIMED_OUT', attempts: 1, result: { done: 1 } });
    expect(info.error!.type).toBe('TimeoutError');
    expect(await app.reasons.get(gate)).toBe('RunTimedOutError');
    // Counted from creation: it ends about 3 s after it was created, once the handler has stopped (on Lambda too: the
    // job's function outlives the job's timeout by the grace period, so the handler had time to record its reason).
    const lasted = info.finishedAt!.getTime() - info.createdAt.getTime();
    expect(lasted).toBeGreaterThanOrEqual(2900);
    expect(lasted).toBeLessThan(3000 + GRACE_MS + 1500);
  });

  it('retries failed attempts, and fails with the last error when they run out', async () => {
    const ok = await flaky.start({ failures: 2 });
    expect(await flaky.awaitResult(ok)).toEqual({ attempt: 3 });
    expect((await flaky.get(ok)).attempts).toBe(3);
    const bad = await flaky.start({ failures: 5 });
    const error = (await flaky.awaitResult(bad).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.message).toBe('attempt 3 failed');
    expect(await flaky.get(bad)).toMatchObject({ status: 'FAILED', attempts: 3 });
  });

  it('runs one job holding a lock at a time', async () => {
    const key = `lock-${placement}`;
    const ids = await Promise.all([0, 1, 2].map(() => exclusive.start({ key, ms: 300 })));
    await Promise.all(ids.map((id) => exclusive.awaitResult(id)));
    expect(await app.marks.get(`${key}/max`)).toBe(1);
  });

  it('removes finished jobs and lists the rest newest first, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await countdown.start({ steps: 1, stepMs: 1 }));
    await Promise.all(ids.map((id) => countdown.awaitResult(id)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await countdown.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    await countdown.remove(ids[0]!);
    await expect(countdown.get(ids[0]!)).rejects.toBeInstanceOf(JobNotFoundError);
    expect((await countdown.list()).items.map((i) => i.id)).not.toContain(ids[0]);
  });

  it('takes inputs over the inline limits by reference', async () => {
    const big = await countdown.start({ steps: 1, stepMs: 1, gate: undefined, padding: 'p'.repeat(500 * 1024) } as never);
    expect(await countdown.awaitResult(big)).toMatchObject({ done: 1 });
  });
});

describe('locks through the runtime', () => {
  it('are one lock for the app and its callers: a job cannot take a lock the test holds, then can', async () => {
    const lease = await app.shared.acquire({ ttl: '10s' });
    const refused = await app.takesShared.start(null);
    const error = (await app.takesShared.awaitResult(refused).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.type).toBe('LockUnavailableError');
    await lease.release();
    expect(await app.takesShared.awaitResult(await app.takesShared.start(null))).toBe('shared');
  });
});

describe('jobs: faults and wrong input', () => {
  it('ends a heavy job whose container is killed (kill -9) as FAILED with the reason, through the Batch event', async () => {
    const id = await app.heavyCountdown.start({ steps: 3, stepMs: 5, gate: newGate() });
    await untilJob(app.heavyCountdown, id, (i) => i.result?.done === 1, 'the first progress');
    const store = new JobStore('heavyCountdown', t.context.state, t.context.payloads, Date.now);
    const { batchJobId } = await store.read(id);
    const pid = localBatchOf(t.cloud.config.prefix)!.batch.engine.pidOf(batchJobId!);
    process.kill(pid!, 'SIGKILL');
    // Read the stored state (no reconciliation on read): the state-change event alone must settle it.
    const deadline = Date.now() + 20_000;
    let record = await store.read(id);
    while (record.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      record = await store.read(id);
    }
    expect(record.status).toBe('FAILED');
    expect(record.error!.message).toContain(`its Batch job ${batchJobId} is FAILED`);
    expect(record.error!.message).toContain('exit code 137');
    expect((await app.heavyCountdown.get(id)).status).toBe('FAILED');
  });

  it('refuses unknown ids and cancelling a finished job with typed errors', async () => {
    await expect(app.lightCountdown.get('0000000000zzzzzzzzzzzzzzzz')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(app.heavyCountdown.cancel('0000000000zzzzzzzzzzzzzzzz')).rejects.toBeInstanceOf(JobNotFoundError);
    const id = await app.lightCountdown.start({ steps: 1, stepMs: 1 });
    await app.lightCountdown.awaitResult(id);
    await expect(app.lightCountdown.cancel(id)).rejects.toBeInstanceOf(RunFinishedError);
  });
});

describe('heavy functions and scheduled tasks on Batch', () => {
  it('maps over a heavy function as one array job, results in input order', async () => {
    const before = await listNames('square-map-');
    expect(await app.square.map([1, 2, 3, 4, 5])).toEqual([1, 4, 9, 16, 25]);
    const after = await listNames('square-map-');
    expect(after.length - before.length).toBe(1);
  });

  it('returns errors in place with returnExceptions, and rejects otherwise', async () => {
    const results = await app.square.map([2, -1, 3], { returnExceptions: true });
    expect(results[0]).toBe(4);
    expect(results[2]).toBe(9);
    expect(results[1]).toBeInstanceOf(InvocationFailedError);
    expect((results[1] as InvocationFailedError).remote).toMatchObject({ type: 'RangeError', message: 'negative: -1' });
    await expect(app.square.map([1, -2])).rejects.toBeInstanceOf(InvocationFailedError);
    // The failure is the failed item's, not that of an earlier item stopped (still running) because of it.
    const stopped = (await app.square.map([20_000, -2]).catch((e: unknown) => e)) as InvocationFailedError;
    expect(stopped.remote).toMatchObject({ type: 'RangeError', message: 'negative: -2' });
    expect(await app.square.call(7)).toBe(49);
    expect(await app.square.awaitResult(await app.square.start(8))).toBe(64);
  });

  it('runs a heavy scheduled task once per scheduled time, even when delivered twice', async () => {
    const time = new Date('2030-01-02T03:00:00Z');
    // Delivered as EventBridge Scheduler does, to the dispatcher function (twice: at-least-once delivery).
    const first = await t.cloud.fireSchedule('nightly', { scheduledTime: time, wait: true });
    const second = await t.cloud.fireSchedule('nightly', { scheduledTime: time, wait: true });
    expect([first.functionError, second.functionError]).toEqual([undefined, undefined]);
    expect([JSON.parse(first.payload).outcome, JSON.parse(second.payload).outcome]).toEqual(['submitted', 'duplicate']);
    const claims = new ScheduleClaims(t.context.state, Date.now);
    const deadline = Date.now() + 30_000;
    while ((await claims.read('nightly', '2030-01-02T03:00:00Z'))?.status === 'RUNNING' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await claims.read('nightly', '2030-01-02T03:00:00Z')).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await app.marks.get(`nightly/${time.toISOString()}`)).toBe(1);
    expect(await listNames('nightly-schedule-2030-01-02T03-00-00Z')).toHaveLength(1);
  });

  it('runs a claimed time once even when its Batch job was submitted twice (an SDK retry after a lost answer)', async () => {
    const scheduledTime = '2030-01-03T03:00:00Z';
    const claims = new ScheduleClaims(t.context.state, Date.now);
    const claimed = await claims.claim('nightly', scheduledTime, 120_000);
    if (!claimed.claimed) throw new Error('the claim was taken');
    const jobs = new BatchJobs(t.context);
    const submit = () =>
      jobs.submit({
        definition: t.context.definition('nightly', 'schedule'),
        task: 'schedule',
        run: scheduledTime,
        attempt: 1,
        environment: { [TASK_ENV.claim]: claimed.claim.owner, [TASK_ENV.deadline]: String(Date.now() + 60_000) },
        attemptSeconds: 120,
      });
    const ids = [await submit(), await submit()];
    const deadline = Date.now() + 30_000;
    const ended = async () => [...(await jobs.describe(ids)).values()].every((d) => d.status === 'SUCCEEDED' || d.status === 'FAILED');
    while (!(await ended()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await ended()).toBe(true);
    expect(await claims.read('nightly', scheduledTime)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await app.marks.get(`nightly/${new Date(scheduledTime).toISOString()}`)).toBe(1);
  });
});

describe('heavy work whose container dies ends FAILED with the reason', () => {
  it('a map item and a call', async () => {
    const [died] = await app.crasher.map(['map item'], { returnExceptions: true });
    expect(died).toBeInstanceOf(InvocationFailedError);
    expect((died as InvocationFailedError).remote.message).toMatch(
      /crasher item 0 did not finish: Batch job .* FAILED: Essential container in task exited; exit code 137/,
    );
    await expect(app.crasher.call('call')).rejects.toThrow(/exit code 137/);
  });

  it('a started run (through the Batch event, without waiting for its deadline)', async () => {
    const id = await app.crasher.start('run');
    const error = (await app.crasher.awaitResult(id).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.type).toBe('BatchJobFailed');
    expect(error.remote.message).toMatch(/ended without finishing it: Essential container in task exited; exit code 137/);
  });

  it('a started run whose container died before it claimed the run', async () => {
    const runs = new RunStore('crasher', t.context.state, t.context.payloads, Date.now);
    const id = newRunId();
    await runs.create(id, ['never started'], 600);
    // The event Batch sends when the container exits before running anything (e.g. the image could not be pulled).
    const event = {
      source: 'aws.batch',
      'detail-type': 'Batch Job State Change',
      detail: {
        jobId: 'job-that-never-ran',
        status: 'FAILED',
        statusReason: 'CannotPullContainerError: pull access denied',
        container: {
          environment: [
            { name: BATCH_ENV.definition, value: 'crasher' },
            { name: TASK_ENV.task, value: 'run' },
            { name: BATCH_ENV.run, value: id },
          ],
        },
      },
    };
    const reply = (await batchStateChangeEvent.handle(event as never, { runtime: t.context } as HandlerContext)) as StateChangeResponse;
    expect(reply.outcome).toBe(`run crasher ${id} FAILED before it started`);
    const error = (await app.crasher.awaitResult(id).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote).toMatchObject({ type: 'BatchJobFailed', message: expect.stringMatching(/ended without finishing it: .*CannotPullContainerError/) });
    // A second (duplicate) event changes nothing.
    expect(((await batchStateChangeEvent.handle(event as never, { runtime: t.context } as HandlerContext)) as StateChangeResponse).outcome).toBe(
      `run crasher ${id} is FAILED`,
    );
  });

  it('a scheduled run (its claim)', async () => {
    const time = '2030-01-03T04:00:00Z';
    await t.cloud.fireSchedule('crashingTask', { scheduledTime: new Date(time), wait: true });
    const claims = new ScheduleClaims(t.context.state, Date.now);
    const deadline = Date.now() + 30_000;
    while ((await claims.read('crashingTask', time))?.status === 'RUNNING' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await claims.read('crashingTask', time)).toMatchObject({ status: 'FAILED' });
  });
});

/** Names of the Batch jobs (any status) whose name starts with `prefix`. */
async function listNames(prefix: string): Promise<string[]> {
  const { jobSummaryList } = await (await batchClient(t.context)).send(
    new ListJobsCommand({ jobQueue: t.cloud.names.jobQueue, filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }] }),
  );
  return (jobSummaryList ?? []).map((j) => j.jobName!);
}
