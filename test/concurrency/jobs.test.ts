/**
 * maxConcurrency of jobs through the local cloud, on both placements (the local Lambda's workers, Batch containers as
 * child processes): a burst never has more than maxConcurrency RUNNING, the others wait PENDING and start oldest first,
 * each runs once; the `lock` option still lets one run at a time within the slots; a waiting job is cancelled without
 * ever holding a slot; a crashed holder's slot comes back once its heartbeat is stale.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError } from '../../lib/errors.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as app from './fixtures/concurrency-app/src/app.js';
import type { Entry } from './fixtures/concurrency-app/src/app.js';
import { until } from '../helpers/poll.js';
import { checkBurst, jobGateOf, statuses, testClock } from './support.js';

const STALE_AFTER_MS = 30_000;
process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, staleAfterMs: STALE_AFTER_MS, graceMs: 1000, pollMaxMs: 100, lockTtlSeconds: 3 });
const entry = path.join(import.meta.dirname, 'fixtures/concurrency-app/src/app.ts');

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, runtime: { clock: testClock.now }, asyncRetryDelaysMs: [100] });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const open = (gate: string) => app.marks.set(gate, 1);

describe.each([
  { placement: 'lambda', job: app.lightJob, limit: 2, count: 6 },
  { placement: 'batch', job: app.heavyJob, limit: 1, count: 3 },
] as const)('a burst of jobs on $placement', ({ job, limit, count }) => {
  it(`runs at most ${limit} at once, the others PENDING until a slot frees, each once, oldest first`, async () => {
    const key = `burst-${job.name}`;
    const gate = `${key}/open`;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await job.start({ key, item: `item-${i}`, gate }));
    await until(
      () => statuses((id) => job.get(id), ids),
      (s) => s.filter((x) => x === 'RUNNING').length === limit,
      `${limit} RUNNING`,
      { timeoutMs: 60_000 },
    );
    expect(await statuses((id) => job.get(id), ids)).toEqual(ids.map((_, i) => (i < limit ? 'RUNNING' : 'PENDING')));
    const snapshot = await jobGateOf(t.context, job.name).snapshot();
    expect(snapshot.slots.map((s) => s.holder).sort()).toEqual(ids.slice(0, limit).sort());
    expect(snapshot.queue).toEqual(ids.slice(limit));

    await open(gate);
    const entries = (await Promise.all(ids.map((id) => job.awaitResult(id)))) as Entry[];
    checkBurst(entries, limit);
    expect(await app.marks.getMany(ids.map((_, i) => `${key}/runs/item-${i}`))).toEqual(ids.map(() => 1));
    for (const id of ids) expect(await job.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    await until(
      () => jobGateOf(t.context, job.name).snapshot(),
      (s) => s.slots.length === 0 && s.queue.length === 0,
      'every slot given back',
    );
  });
});

describe('jobs waiting for a slot', () => {
  it('with a lock as well: the slots bound who waits for the lock, the lock who runs', async () => {
    const key = 'locked';
    const gate = `${key}/open`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await app.lockedJob.start({ key, item: `item-${i}`, gate }));
    await until(
      () => statuses((id) => app.lockedJob.get(id), ids),
      (s) => s.includes('RUNNING'),
      'one job to hold the lock',
    );
    // Two hold slots (one runs, one waits for the lock, PENDING); two wait for a slot.
    const snapshot = await until(
      () => jobGateOf(t.context, 'lockedJob').snapshot(),
      (s) => s.slots.length === 2,
      'both slots taken',
    );
    expect(snapshot.slots.map((s) => s.holder).sort()).toEqual(ids.slice(0, 2).sort());
    expect(snapshot.queue).toEqual(ids.slice(2));
    expect((await statuses((id) => app.lockedJob.get(id), ids)).filter((s) => s === 'RUNNING')).toHaveLength(1);
    await open(gate);
    const entries = (await Promise.all(ids.map((id) => app.lockedJob.awaitResult(id)))) as Entry[];
    expect(Math.max(...entries.map((e) => e.inside))).toBe(1);
    expect(await app.marks.getMany(ids.map((_, i) => `${key}/runs/item-${i}`))).toEqual(ids.map(() => 1));
  });

  it('cancels a waiting job at once; it never holds a slot nor runs', async () => {
    const key = 'cancel-job';
    const gate = `${key}/open`;
    const holders = [await app.lightJob.start({ key, item: 'a', gate }), await app.lightJob.start({ key, item: 'b', gate })];
    await until(
      () => statuses((id) => app.lightJob.get(id), holders),
      (s) => s.every((x) => x === 'RUNNING'),
      'both to run',
    );
    const waiting = await app.lightJob.start({ key, item: 'waiting' });
    expect((await app.lightJob.get(waiting)).status).toBe('PENDING');
    await app.lightJob.cancel(waiting);
    expect(await app.lightJob.get(waiting)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: undefined });
    expect((await jobGateOf(t.context, 'lightJob').snapshot()).queue).not.toContain(waiting);
    await open(gate);
    await Promise.all(holders.map((id) => app.lightJob.awaitResult(id)));
    const later = await app.lightJob.start({ key, item: 'later' });
    expect(await app.lightJob.awaitResult(later)).toMatchObject({ order: 3 });
    expect(await app.marks.get(`${key}/runs/waiting`)).toBeUndefined();
  });

  it("gives a crashed holder's slot to the next job once the holder's heartbeat is stale", async () => {
    const key = 'crash-job';
    const crashed = await app.singleJob.start({ key, item: 'crashed', die: 'exit' });
    await until(
      () => app.marks.get(`${key}/runs/crashed`),
      (runs) => runs === 1,
      'the crashing job to enter',
    );
    const next = await app.singleJob.start({ key, item: 'next' });
    expect((await app.singleJob.get(next)).status).toBe('PENDING');
    expect(await jobGateOf(t.context, 'singleJob').snapshot()).toMatchObject({ slots: [{ holder: crashed }], queue: [next] });
    try {
      testClock.offset = STALE_AFTER_MS + 1_000;
      // Reading the waiting job pumps the gate, which asks the holder's reconciliation: no fresh heartbeat.
      await app.singleJob.get(next);
    } finally {
      testClock.offset = 0;
    }
    expect(await app.singleJob.awaitResult(next)).toEqual({ inside: 2, order: 2 }); // the crashed one never left
    const error = (await app.singleJob.awaitResult(crashed).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote).toMatchObject({ type: 'AttemptLost', message: expect.stringMatching(/stopped reporting/) });
    expect(await app.marks.get(`${key}/runs/crashed`)).toBe(1);
  });
});
