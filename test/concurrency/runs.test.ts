/**
 * maxConcurrency of started runs (`fn.start`) through the local cloud, on both placements: the real runtime in the
 * local Lambda's workers and in Batch containers (child processes), the gate in the state table (dynalite). A burst
 * never has more than maxConcurrency RUNNING; the others wait PENDING and start oldest first; each runs once; a
 * crashed holder's slot comes back; a stranded waiting run is started by a read; cancelling or timing out a waiting
 * run never gives it a slot. Jumps in time use the test's clock (the workers keep the real one).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { toWire } from '../../lib/codec.js';
import { InvocationFailedError } from '../../lib/errors.js';
import { createLambdaHandler } from '../../runtime/entry/lambda-handler.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { ConcurrencyGate, slotKey } from '../../runtime/state/concurrency.js';
import { partitionKey } from '../../runtime/state/schema.js';
import { DEADLINE_GRACE_MS, RunStore } from '../../runtime/functions/run-store.js';
import { newRunId } from '../../runtime/state/ids.js';
import * as app from './fixtures/concurrency-app/src/app.js';
import { until } from '../helpers/poll.js';
import { checkBurst, functionGate, statuses, testClock } from './support.js';

const entry = path.join(import.meta.dirname, 'fixtures/concurrency-app/src/app.ts');
/** Runs started by this test carry it: a holder silent for longer is judged dead. */
const STALE_AFTER_MS = 30_000;

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(entry, {
    module: app,
    runtime: { clock: testClock.now, tuning: { runStaleAfterMs: STALE_AFTER_MS, retryBackoff: { baseMs: 10, capMs: 50 } } },
    asyncRetryDelaysMs: [100],
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const open = (gate: string) => app.marks.set(gate, 1);

describe.each([
  { placement: 'lambda', fn: app.light, limit: 3, count: 8 },
  { placement: 'batch', fn: app.heavy, limit: 1, count: 3 },
] as const)('a burst of started runs on $placement', ({ fn, limit, count }) => {
  it(`runs at most ${limit} at once, the others PENDING until a slot frees, each once, oldest first`, async () => {
    const key = `burst-${fn.name}`;
    const gate = `${key}/open`;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await fn.start({ key, item: `item-${i}`, gate }));
    // The first `limit` got slots and run (held at the gate); the others wait.
    await until(
      () => statuses((id) => fn.get(id), ids),
      (s) => s.filter((x) => x === 'RUNNING').length === limit,
      `${limit} RUNNING`,
      { timeoutMs: 60_000 },
    );
    expect(await statuses((id) => fn.get(id), ids)).toEqual(ids.map((_, i) => (i < limit ? 'RUNNING' : 'PENDING')));
    const snapshot = await functionGate(t.context, fn.name).snapshot();
    expect(snapshot.slots.map((s) => s.holder).sort()).toEqual(ids.slice(0, limit).sort());
    expect(snapshot.queue).toEqual(ids.slice(limit));

    await open(gate);
    const entries = await Promise.all(ids.map((id) => fn.awaitResult(id)));
    checkBurst(entries, limit);
    expect(await app.marks.get(`${key}/max`)).toBe(limit);
    expect(await app.marks.getMany(ids.map((_, i) => `${key}/runs/item-${i}`))).toEqual(ids.map(() => 1));
    for (const id of ids) expect(await fn.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    await until(
      () => functionGate(t.context, fn.name).snapshot(),
      (s) => s.slots.length === 0 && s.queue.length === 0,
      'every slot given back',
    );
  });
});

describe('waiting runs', () => {
  it('cancels a waiting run at once; it never holds a slot nor runs', async () => {
    const key = 'cancel-waiting';
    const gate = `${key}/open`;
    const first = await app.single.start({ key, item: 'first', gate });
    await until(
      () => app.single.get(first),
      (info) => info.status === 'RUNNING',
      'the first run to run',
    );
    const waiting = await app.single.start({ key, item: 'waiting' });
    expect((await app.single.get(waiting)).status).toBe('PENDING');
    await app.single.cancel(waiting);
    expect(await app.single.get(waiting)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: undefined });
    expect((await functionGate(t.context, 'single').snapshot()).queue).not.toContain(waiting);
    await open(gate);
    await app.single.awaitResult(first);
    // A later run starts after the first: had the cancelled one been handed a slot, it would have run before.
    const later = await app.single.start({ key, item: 'later' });
    expect(await app.single.awaitResult(later)).toMatchObject({ inside: 1, order: 2 });
    expect(await app.marks.get(`${key}/runs/waiting`)).toBeUndefined();
  });

  it('ends a run that waits past its deadline TIMED_OUT (the timeout counts from creation)', async () => {
    const key = 'timeout-waiting';
    const first = await app.brief.start({ key, item: 'first', gate: `${key}/open` });
    await until(
      () => app.brief.get(first),
      (info) => info.status === 'RUNNING',
      'the first run to run',
    );
    const waiting = await app.brief.start({ key, item: 'waiting' });
    try {
      testClock.offset = 10_000 + DEADLINE_GRACE_MS + 1;
      expect(await app.brief.get(waiting)).toMatchObject({ status: 'TIMED_OUT', attempts: 0, startedAt: undefined });
    } finally {
      testClock.offset = 0;
    }
    const error = (await app.brief.awaitResult(waiting).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.type).toBe('TimeoutError');
    await open(`${key}/open`);
    await app.brief.awaitResult(first).catch(() => undefined); // it may time out itself, in real time
    await until(
      () => functionGate(t.context, 'brief').snapshot(),
      (s) => s.slots.length === 0 && s.queue.length === 0,
      'the line to empty',
    );
    expect(await app.marks.get(`${key}/runs/waiting`)).toBeUndefined();
  });

  it("gives a crashed holder's slot to the next run once the holder's heartbeat is stale", async () => {
    const key = 'crash';
    const crashed = await app.single.start({ key, item: 'crashed', die: 'exit' });
    await until(
      () => app.marks.get(`${key}/runs/crashed`),
      (runs) => runs === 1,
      'the crashing run to enter',
    );
    expect((await app.single.get(crashed)).status).toBe('RUNNING');
    const next = await app.single.start({ key, item: 'next' });
    // Reads reconcile the gate, but the holder is not judged before its staleness limit.
    expect((await app.single.get(next)).status).toBe('PENDING');
    expect(await functionGate(t.context, 'single').snapshot()).toMatchObject({ slots: [{ holder: crashed }], queue: [next] });
    try {
      testClock.offset = STALE_AFTER_MS + 1_000;
      // This read judges the holder: no heartbeat for longer than its limit, so its run FAILED and its slot is handed on.
      await app.single.get(next);
    } finally {
      testClock.offset = 0;
    }
    // It started after the crashed one (which never left: it counts as still inside).
    expect(await app.single.awaitResult(next)).toEqual({ inside: 2, order: 2 });
    const lost = await app.single.get(crashed);
    expect(lost.status).toBe('FAILED');
    expect(lost.error).toMatchObject({ type: 'AttemptLost', message: expect.stringMatching(/stopped reporting/) });
    // Lambda's retry of the crashed invocation found the run taken and did nothing.
    expect(await app.marks.get(`${key}/runs/crashed`)).toBe(1);
  });

  it('judges a silent executor when its own run is read, with no other run to pump the gate', async () => {
    const key = 'crash-alone';
    const crashed = await app.single.start({ key, item: 'alone', die: 'exit' });
    await until(
      () => app.marks.get(`${key}/runs/alone`),
      (runs) => runs === 1,
      'the crashing run to enter',
    );
    expect((await app.single.get(crashed)).status).toBe('RUNNING');
    try {
      testClock.offset = STALE_AFTER_MS + 1_000;
      // The read finds the run silent past its limit and has the gate check its slot: the run FAILED (no retries).
      await app.single.get(crashed);
      expect(await app.single.get(crashed)).toMatchObject({ status: 'FAILED', error: { type: 'AttemptLost' } });
    } finally {
      testClock.offset = 0;
    }
    expect((await functionGate(t.context, 'single').snapshot()).slots).toEqual([]);
  });

  it("hands a killed Batch container's slot on at once, through Batch's job state-change event", async () => {
    const key = 'killed';
    const killed = await app.heavy.start({ key, item: 'killed', die: 'kill' });
    const next = await app.heavy.start({ key, item: 'next' });
    expect(await app.heavy.awaitResult(next)).toEqual({ inside: 2, order: 2 }); // the killed one never left
    const error = (await app.heavy.awaitResult(killed).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error.remote).toMatchObject({ type: 'BatchJobFailed', message: expect.stringMatching(/exit code 137/) });
    expect((await app.heavy.get(next)).startedAt!.getTime()).toBeGreaterThanOrEqual((await app.heavy.get(killed)).finishedAt!.getTime() - 1000);
  });

  it('gives back at once the slot of an executor that arrives after its run was cancelled', async () => {
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    const id = newRunId();
    await runs.create(id, toWire([{ key: 'late', item: 'late' }], 'args'), 120, STALE_AFTER_MS);
    // A hand-off whose invoke is still on its way: the run holds a slot, and nothing has run it yet.
    const handing = new ConcurrencyGate({
      table: t.context.state,
      name: 'single',
      limit: 1,
      clock: t.context.clock,
      members: { waiting: async () => ({ checkAfterMs: STALE_AFTER_MS, launch: async () => undefined }), inspect: async () => 'keep' },
    });
    await handing.admit(id);
    const [held] = (await functionGate(t.context, 'single').snapshot()).slots.filter((s) => s.holder === id);
    expect(held).toBeDefined();
    // Cancelled in the window where the cancel did not see the slot being handed over.
    expect(await runs.cancel(id)).toBe('CANCELLED');
    // The executor arrives: the run ended, so it gives the slot back rather than keep it until its check time.
    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'late', getRemainingTimeInMillis: () => 60_000 };
    expect(await handler({ multinode: 'run', function: 'single', id, slot: held!.slot }, lambda)).toMatchObject({ outcome: 'duplicate' });
    expect((await functionGate(t.context, 'single').snapshot()).slots.filter((s) => s.holder === id)).toEqual([]);
  });

  it('undoes the claim of an executor whose slot was taken back while it claimed: the run waits in line and runs once', async () => {
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    await until(
      () => functionGate(t.context, 'single').snapshot(),
      (s) => s.slots.length === 0,
      'every slot of single free',
    );
    const id = newRunId();
    await runs.create(id, toWire([{ key: 'undone', item: 'undone' }], 'args'), 120, STALE_AFTER_MS);
    // A hand-off whose invoke is on its way (with its token), then its slot taken back, as a check of a slot that
    // went unconfirmed too long does: the run back in line, the slot deleted.
    let handed: { slot: number; token: string } | undefined;
    const handing = new ConcurrencyGate({
      table: t.context.state,
      name: 'single',
      limit: 1,
      clock: t.context.clock,
      members: {
        waiting: async () => ({ checkAfterMs: STALE_AFTER_MS, launch: async (slot, token) => void (handed = { slot, token }) }),
        inspect: async () => 'keep',
      },
    });
    await handing.admit(id);
    await handing.enqueue(id);
    await t.context.state.delete(partitionKey('concurrency', 'single'), slotKey(handed!.slot));
    // The executor arrives with the old slot and token: its claim went out with its confirm, and is undone.
    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'undone', getRemainingTimeInMillis: () => 60_000 };
    expect(await handler({ multinode: 'run', function: 'single', id, ...handed! }, lambda)).toMatchObject({ outcome: 'queued' });
    // Its pump handed the run a slot again (a fresh invoke): it runs once, as its first attempt.
    expect(await app.single.awaitResult(id)).toMatchObject({ inside: 1 });
    expect(await app.single.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await app.marks.get('undone/runs/undone')).toBe(1);
  });

  it("starts a stranded waiting run when the function's runs are read", async () => {
    const key = 'stranded';
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    // One starter died after recording its run, before queueing it; another after queueing, before handing slots out.
    const unqueued = newRunId();
    await runs.create(unqueued, toWire([{ key, item: 'unqueued' }], 'args'), 120, STALE_AFTER_MS);
    const unpumped = newRunId();
    await runs.create(unpumped, toWire([{ key, item: 'unpumped' }], 'args'), 120, STALE_AFTER_MS);
    const gate = functionGate(t.context, 'single');
    await gate.enqueue(unpumped);
    expect(await gate.snapshot()).toEqual({ slots: [], queue: [unpumped] });
    expect((await runs.read(unqueued))!.status).toBe('PENDING');
    // A read (list, get, awaitResult) of a waiting run reconciles: both are put in line and started.
    const page = await app.single.list({ limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual(expect.arrayContaining([unqueued, unpumped]));
    expect(await app.single.awaitResult(unqueued)).toMatchObject({ inside: 1 });
    expect(await app.single.awaitResult(unpumped)).toMatchObject({ inside: 1 });
  });
});
