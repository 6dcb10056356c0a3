/**
 * The job state model and executor (placement-independent), against the local DynamoDB and S3, with attempts run
 * in this process as an asynchronous invoke would run them: progress, results, cancel, timeout, retries, duplicate
 * and lost deliveries, late writes, remove, list, watch, the `lock` option and wrong input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CodecError,
  InvalidArgumentError,
  InvocationFailedError,
  JobNotFoundError,
  RunCancelledError,
  RunFinishedError,
  RunNotFinishedError,
  RunNotFoundError,
  RunTimedOutError,
  WaitTimeoutError,
} from '../../lib/errors.js';
import type { JobContext, Status } from '../../lib/handles.js';
import { J } from '../../runtime/jobs/job-store.js';
import { newRunId } from '../../runtime/state/ids.js';
import { FAST_TUNING, gate, type JobFixture, startJobFixture } from './support.js';
import { until } from '../helpers/poll.js';

let fixture: JobFixture;
beforeAll(async () => {
  fixture = await startJobFixture();
});
afterAll(async () => {
  await fixture?.close();
});

let jobs = 0;
const name = (what: string) => `${what}-${++jobs}`;

/** Polls `get` until the status is one of `statuses` (the job runs asynchronously). */
function untilStatus(client: { get(id: string): Promise<{ status: Status; result: unknown }> }, id: string, ...statuses: Status[]) {
  return until(
    () => client.get(id),
    (info) => statuses.includes(info.status),
    `job ${id} to be ${statuses.join('|')}`,
    {
      timeoutMs: 20_000,
      intervalMs: 10,
      show: (info) => info.status,
    },
  );
}

describe('jobs: progress and results', () => {
  it('shows each yield as progress while running, and the last one as the result', async () => {
    const steps = [gate(), gate()];
    const reached = [gate(), gate()];
    const { client } = fixture.job(name('progress'), {}, async function* (input: { total: number }) {
      yield { done: 0, total: input.total };
      reached[0]!.open();
      await steps[0]!.promise;
      yield { done: 1, total: input.total };
      reached[1]!.open();
      await steps[1]!.promise;
      yield { done: 2, total: input.total };
    });
    const id = await client.start({ total: 2 });
    expect(id).toMatch(/^[0-9a-z]{26}$/);
    await reached[0]!.promise;
    const first = await client.get(id);
    expect(first).toMatchObject({ status: 'RUNNING', result: { done: 0, total: 2 }, attempts: 1, name: client.name });
    expect(first.startedAt).toBeInstanceOf(Date);
    expect(first.finishedAt).toBeUndefined();
    steps[0]!.open();
    await reached[1]!.promise;
    expect((await client.get(id)).result).toEqual({ done: 1, total: 2 });
    steps[1]!.open();
    expect(await client.awaitResult(id)).toEqual({ done: 2, total: 2 });
    const done = await client.get(id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.error).toBeUndefined();
    expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());
  });

  it('takes a plain async function (its return is the result) and a generator return value as the final result', async () => {
    const plain = fixture.job(name('plain'), {}, async (input: number) => input * 2);
    expect(await plain.client.awaitResult(await plain.client.start(21))).toBe(42);
    const returning = fixture.job(name('returning'), {}, async function* () {
      yield 'working';
      return new Map([['answer', 42n]]);
    });
    expect(await returning.client.awaitResult(await returning.client.start(null))).toEqual(new Map([['answer', 42n]]));
  });

  it('passes large inputs and progress by reference (S3), intact', async () => {
    const big = 'x'.repeat(400 * 1024);
    const { client, store } = fixture.job(name('big'), {}, async function* (input: { text: string }) {
      yield { echo: input.text, length: input.text.length };
    });
    const id = await client.start({ text: big });
    const stored = await store.read(id);
    expect(stored.item[J.input]).toBeUndefined();
    expect(stored.item[J.inputKey]).toMatch(new RegExp(`^runs/${client.name}/${id}/input$`));
    expect(await client.awaitResult(id)).toEqual({ echo: big, length: big.length });
    expect((await store.read(id)).item[J.progressKey]).toBeDefined();
  });

  it('watch yields each progress value until the job ends', async () => {
    const next = [gate(), gate(), gate()];
    const { client } = fixture.job(name('watch'), {}, async function* () {
      for (let i = 0; i < 3; i++) {
        await next[i]!.promise;
        yield i * 10;
      }
    });
    const id = await client.start(undefined);
    const seen: unknown[] = [];
    let opened = 0;
    next[opened++]!.open();
    for await (const value of client.watch(id)) {
      seen.push(value);
      if (opened < next.length) next[opened++]!.open();
    }
    expect(seen).toEqual([0, 10, 20]);
    expect((await client.get(id)).status).toBe('SUCCEEDED');
  });
});

describe('jobs: cancel', () => {
  it('fires ctx.signal on cancel: CANCELLING while the job stops, then CANCELLED with its progress kept', async () => {
    const running = gate<JobContext>();
    const stop = gate();
    const { client } = fixture.job(name('cancel'), {}, async function* (_input: null, ctx: JobContext) {
      yield 'half';
      running.open(ctx);
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      await stop.promise;
    });
    const id = await client.start(null);
    const ctx = await running.promise;
    await client.cancel(id);
    expect((await client.get(id)).status).toBe('CANCELLING');
    // The running attempt notices the request (on its next heartbeat) and aborts ctx.signal.
    if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    expect(ctx.signal.reason).toBeInstanceOf(RunCancelledError);
    stop.open();
    const done = await untilStatus(client, id, 'CANCELLED');
    expect(done.result).toBe('half');
    await expect(client.awaitResult(id)).rejects.toBeInstanceOf(RunCancelledError);
    await expect(client.cancel(id)).rejects.toBeInstanceOf(RunFinishedError);
  });

  it('stops a job that ignores the signal after the grace period; its late writes are refused', async () => {
    const started = gate();
    const late = gate();
    const lateDone = gate<boolean>();
    const { client, store, launcher } = fixture.job(name('stubborn'), {}, async function* () {
      yield 1;
      started.open();
      await late.promise; // ignores ctx.signal
      yield 2;
      lateDone.open(true);
    });
    const id = await client.start(null);
    await started.promise;
    const runner = (await store.read(id)).runner!;
    await client.cancel(id);
    await launcher.settled(id);
    const cancelled = await client.get(id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(launcher.outcomes.find((o) => o.id === id)!.outcome).toBe('CANCELLED');
    // The abandoned attempt's write after the cancel is refused by the state table.
    expect(await store.writeProgress(id, runner, 'late')).toBeUndefined();
    late.open();
    await Promise.race([lateDone.promise, new Promise((resolve) => setTimeout(resolve, 200))]);
    const after = await client.get(id);
    expect(after.status).toBe('CANCELLED');
    expect(after.result).toBe(1);
  });

  it('cancels a PENDING job at once; its attempt, when delivered late, does nothing', async () => {
    let runs = 0;
    const { client, launcher } = fixture.job(name('pending-cancel'), {}, async () => {
      runs++;
    });
    launcher.drop = 1;
    const id = await client.start(null);
    expect((await client.get(id)).status).toBe('PENDING');
    await client.cancel(id);
    expect((await client.get(id)).status).toBe('CANCELLED');
    await launcher.launch(id, 1);
    await launcher.settled(id);
    expect(launcher.outcomes.find((o) => o.id === id)!.outcome).toBe('duplicate');
    expect(runs).toBe(0);
  });
});

describe('jobs: timeout and retries', () => {
  it('times out counting from creation: ctx.signal fires, TIMED_OUT, awaitResult rejects', async () => {
    const aborted = gate<unknown>();
    const { client } = fixture.job(name('timeout'), { timeoutSeconds: 1, maxRetries: 3 }, async function* (_i: null, ctx: JobContext) {
      yield 'started';
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      aborted.open(ctx.signal.reason);
    });
    const id = await client.start(null);
    await expect(client.awaitResult(id)).rejects.toBeInstanceOf(RunTimedOutError);
    expect(await aborted.promise).toBeInstanceOf(RunTimedOutError);
    const info = await client.get(id);
    expect(info).toMatchObject({ status: 'TIMED_OUT', attempts: 1, result: 'started' });
    expect(info.error!.type).toBe('TimeoutError');
  });

  it(
    'on a compute that ends before the deadline and the grace period (Lambda capped at 15 minutes), fires the signal early enough to leave the grace ' +
      'period',
    async () => {
      let cleaned: number | undefined;
      const { client } = fixture.job(
        name('capped'),
        { timeoutSeconds: 60 },
        async function* (_i: null, ctx: JobContext) {
          yield 'started';
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          // Cleaning up takes a third of the grace period (300 ms).
          await new Promise((resolve) => setTimeout(resolve, 100));
          cleaned = Date.now();
        },
        // The compute stops 1.5 s after the attempt starts: the signal fires at 1.5 s - 1 s (final write) - 300 ms (grace).
        { computeEndsInMs: 1500 },
      );
      const id = await client.start(null);
      await expect(client.awaitResult(id)).rejects.toBeInstanceOf(RunTimedOutError);
      const info = await client.get(id);
      expect(info).toMatchObject({ status: 'TIMED_OUT', result: 'started' });
      expect(cleaned).toBeDefined();
      expect(info.finishedAt!.getTime()).toBeGreaterThanOrEqual(cleaned!);
    },
  );

  it('told to stop (SIGTERM on Batch), ends its grace period in time for the final write before the container is killed', async () => {
    const stop = new AbortController();
    const started = gate();
    let testOver = false;
    // A grace period of a minute, on a container killed 1.5 s after SIGTERM; the handler ignores the signal.
    const { client } = fixture.job(
      name('sigterm'),
      { timeoutSeconds: 60 },
      async function* () {
        started.open();
        while (!testOver) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          yield 'working';
        }
      },
      { tuning: { ...FAST_TUNING, graceMs: 60_000 }, stopSignal: stop.signal, stopTimeoutMs: 1500 },
    );
    const id = await client.start(null);
    await started.promise;
    const stoppedAt = Date.now();
    stop.abort();
    // The attempt gave up 1.5 s - 1 s (the final write's margin) after SIGTERM, not after the minute of grace.
    expect((await untilStatus(client, id, 'FAILED')).status).toBe('FAILED');
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    testOver = true;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the ignored handler's loop ends before the table closes
  });

  it('times out a job that never started (a lost delivery) when read after its deadline', async () => {
    let offset = 0;
    const { client, launcher } = fixture.job(name('lost'), { timeoutSeconds: 5 }, async () => 'never', { clock: () => Date.now() + offset });
    launcher.drop = 1;
    const id = await client.start(null);
    expect((await client.get(id)).status).toBe('PENDING');
    offset = 5_000 + FAST_TUNING.graceMs;
    const info = await client.get(id);
    expect(info.status).toBe('TIMED_OUT');
    expect(info.error!.message).toContain('did not finish within its timeout of 5 s');
  });

  it('retries failed attempts up to maxRetries and succeeds on a later attempt', async () => {
    const attempts: number[] = [];
    const { client } = fixture.job(name('flaky'), { maxRetries: 2 }, async (_i: null, ctx: JobContext) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new TypeError(`attempt ${ctx.attempt} broke`);
      return 'third time';
    });
    const id = await client.start(null);
    expect(await client.awaitResult(id)).toBe('third time');
    expect(attempts).toEqual([1, 2, 3]);
    expect((await client.get(id)).attempts).toBe(3);
  });

  it('ends FAILED with the last error once retries are spent', async () => {
    const { client } = fixture.job(name('failing'), { maxRetries: 1 }, async (_i: null, ctx: JobContext) => {
      throw new RangeError(`attempt ${ctx.attempt} failed`);
    });
    const id = await client.start(null);
    const error = await client.awaitResult(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect((error as InvocationFailedError).remote).toMatchObject({ type: 'RangeError', message: 'attempt 2 failed' });
    expect(await client.get(id)).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('retries an attempt that died without a word (no heartbeat) when read, and never runs one twice', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const hung = gate();
    const tuning = { ...FAST_TUNING, heartbeatMs: 3_600_000 };
    const { client, launcher } = fixture.job(
      name('crash'),
      { maxRetries: 1 },
      async (_i: null, ctx: JobContext) => {
        if (ctx.attempt === 1) {
          hung.open();
          await new Promise(() => undefined); // the "crashed" invocation: never reports again
        }
        return `attempt ${ctx.attempt}`;
      },
      { clock, tuning },
    );
    const id = await client.start(null);
    await hung.promise;
    expect((await client.get(id)).status).toBe('RUNNING');
    offset = tuning.staleAfterMs + 1_000;
    const reconciled = await client.get(id);
    expect(reconciled.status).toMatch(/PENDING|RUNNING|SUCCEEDED/);
    expect(await client.awaitResult(id)).toBe('attempt 2');
    expect(launcher.launched.filter((d) => d.id === id).map((d) => d.attempt)).toEqual([1, 2]);
  });

  it('does not requeue an attempt judged lost that wrote a heartbeat since it was read (it is alive)', async () => {
    const { store } = fixture.job(name('alive'), {}, async () => 'never run');
    const id = newRunId(Date.now());
    await store.create(id, null, { timeoutSeconds: 60, maxAttempts: 3, placement: 'lambda', tuning: FAST_TUNING });
    const running = (await store.claim(await store.read(id), 'runner-1', 1))!;
    const seen = await store.read(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.heartbeat(id, 'runner-1')).toBeDefined();
    const error = { type: 'AttemptLost', message: 'no heartbeat' };
    expect(await store.settle(seen, { status: 'PENDING', attempts: 1, error }, { heartbeat: true })).toBeUndefined();
    expect((await store.read(id)).status).toBe('RUNNING');
    // Judged from a fresh read, with no heartbeat since, it goes back in line.
    expect((await store.settle(await store.read(id), { status: 'PENDING', attempts: 1, error }, { heartbeat: true }))!.status).toBe('PENDING');
    expect(running.status).toBe('RUNNING');
  });

  it('gives back at once the slot of an attempt that arrives after its job was cancelled', async () => {
    const { client, store, launcher, gate } = fixture.job(name('late'), {}, async () => 'never run');
    launcher.drop = 1; // the attempt's delivery is late: it arrives below, by hand
    const id = await client.start(null);
    const held = (await gate.snapshot()).slots.find((s) => s.holder === id);
    expect(held).toBeDefined();
    // Cancelled meanwhile, in the window where the cancel did not see the slot being handed over.
    expect((await store.cancel(id)).status).toBe('CANCELLED');
    expect(await launcher.run(id, 1, held!.slot)).toBe('duplicate');
    expect((await gate.snapshot()).slots.map((s) => s.holder)).not.toContain(id);
  });

  it('runs a duplicate delivery once', async () => {
    let runs = 0;
    const { client, launcher } = fixture.job(name('dup'), {}, async () => ++runs);
    launcher.copies = 2;
    const id = await client.start(null);
    await launcher.settled(id, 2);
    expect(runs).toBe(1);
    expect(
      launcher.outcomes
        .filter((o) => o.id === id)
        .map((o) => o.outcome)
        .sort(),
    ).toEqual(['SUCCEEDED', 'duplicate']);
    expect(await client.awaitResult(id)).toBe(1);
  });
});

describe('jobs: remove, list and wrong input', () => {
  it('removes a finished job; a running one cannot be removed', async () => {
    const release = gate();
    const { client } = fixture.job(name('remove'), {}, async () => {
      await release.promise;
      return 'x'.repeat(350 * 1024);
    });
    const id = await client.start(null);
    await untilStatus(client, id, 'RUNNING');
    await expect(client.remove(id)).rejects.toBeInstanceOf(RunNotFinishedError);
    release.open();
    await client.awaitResult(id);
    await client.remove(id);
    await expect(client.get(id)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(client.remove(id)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('lists jobs newest first, in pages', async () => {
    const { client } = fixture.job(name('list'), {}, async (input: number) => input);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await client.start(i));
    await Promise.all(ids.map((id) => client.awaitResult(id)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await client.list()).items.map((j) => j.result)).toEqual([4, 3, 2, 1, 0]);
  });

  it('refuses wrong input with typed errors', async () => {
    const { client } = fixture.job(name('input'), {}, async () => 1);
    const unknown = '0000000000aaaaaaaaaaaaaaaa';
    await expect(client.get(unknown)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(client.get(unknown)).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(client.get('not-an-id')).rejects.toThrow(/has no job with id "not-an-id"/);
    await expect(client.cancel(unknown)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(client.get(42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.start({ callback: () => 1 })).rejects.toThrow(CodecError);
    await expect(client.start({ callback: () => 1 })).rejects.toThrow(/input\.callback/);
    await expect(client.list({ limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 50/);
    await expect(client.list({ cursor: 'garbage' })).rejects.toThrow(/is not a cursor returned by list/);
    const id = await client.start(null);
    await expect(client.awaitResult(id, { timeout: 'soon' as never })).rejects.toThrow(/timeout "soon" is not valid/);
    await client.awaitResult(id);
    const slow = fixture.job(name('slow'), {}, async () => new Promise(() => undefined));
    const slowId = await slow.client.start(null);
    await expect(slow.client.awaitResult(slowId, { timeout: '1s' })).rejects.toBeInstanceOf(WaitTimeoutError);
    await slow.client.cancel(slowId);
  });
});

describe('jobs: the lock option', () => {
  it('runs at most one job holding a lock at a time; the others wait in PENDING', async () => {
    const lock = name('reindex');
    let inside = 0;
    let maxInside = 0;
    const firstIn = gate();
    const letGo = gate();
    const { client } = fixture.job(name('locked'), { lock }, async (input: number) => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      if (input === 0) {
        firstIn.open();
        await letGo.promise;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      inside--;
      return input;
    });
    const first = await client.start(0);
    await firstIn.promise;
    const others = [await client.start(1), await client.start(2)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await Promise.all(others.map((id) => client.get(id)))).map((i) => i.status)).toEqual(['PENDING', 'PENDING']);
    letGo.open();
    expect(await Promise.all([first, ...others].map((id) => client.awaitResult(id)))).toEqual([0, 1, 2]);
    expect(maxInside).toBe(1);
  });

  it('cancels a job waiting for its lock', async () => {
    const lock = name('busy');
    const letGo = gate();
    const holder = fixture.job(name('holder'), { lock }, async () => letGo.promise);
    const waiter = fixture.job(name('waiter'), { lock }, async () => 'ran');
    const held = await holder.client.start(null);
    await untilStatus(holder.client, held, 'RUNNING');
    const id = await waiter.client.start(null);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await waiter.client.cancel(id);
    await waiter.launcher.settled(id);
    expect(waiter.launcher.outcomes.find((o) => o.id === id)!.outcome).toBe('abandoned');
    expect((await waiter.client.get(id)).status).toBe('CANCELLED');
    letGo.open();
    await holder.client.awaitResult(held);
  });
});
