/**
 * Scheduled runs under each overlap policy, through the local cloud (the real runtime in Lambda workers and Batch
 * containers, the real SDK clients, dynalite), read back through the control plane's run history: real concurrent
 * deliveries (duplicates of one fire time and overlapping fire times at once), the scheduler on a test clock, run now
 * and pauses under the policy, cancellation and timeouts reaching a run's signal on Lambda and on Batch, and backfill
 * (its plan, its runs, its idempotence, its refusals).
 */
import path from 'node:path';
import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { batchClient } from '../../runtime/batch/batch-jobs.js';
import { type ControlPlane, createControlPlane } from '../../runtime/control/control-plane.js';
import { UnknownDefinitionError } from '../../runtime/control/errors.js';
import type { BackfillRun, RunDetail, RunStatus } from '../../runtime/control/types.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { CLAIM_RETENTION_DAYS, ScheduleClaims } from '../../runtime/schedules/claims.js';
import { until } from '../helpers/poll.js';
import { TestClock } from '../helpers/test-clock.js';
import * as app from './fixtures/overlap-app/src/app.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1500, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });
const entry = path.join(import.meta.dirname, 'fixtures/overlap-app/src/app.ts');

const clock = new TestClock('2031-05-01T00:00:30Z');
let t: TestCloud;
let plane: ControlPlane;

beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, schedules: { clock } });
  // The plane's clock is the runtime's (leases are real time); scheduled times are only labels, and a backfill's
  // window is in the past.
  plane = createControlPlane(t.cloud.connection());
}, 120_000);
afterAll(async () => {
  plane?.close();
  await t?.stop();
});

/** A delivery as EventBridge makes it: an asynchronous invoke of the task's target with the scheduled event. */
async function deliver(task: string, iso: string): Promise<void> {
  const answer = await t.cloud.fireSchedule(task, { scheduledTime: new Date(iso) });
  expect(answer.status).toBe(202);
}

/** A delivery whose answer is awaited (a synchronous invoke): the handler's outcome. */
async function deliverAndWait(task: string, iso: string): Promise<string> {
  const answer = await t.cloud.fireSchedule(task, { scheduledTime: new Date(iso), wait: true });
  return answer.functionError ? `error: ${answer.payload}` : (JSON.parse(answer.payload) as { outcome: string }).outcome;
}

const key = (task: string, iso: string) => `${task}/${new Date(iso).toISOString()}`;
const openGate = (task: string, iso: string) => app.marks.set(`gate/${key(task, iso)}`, 1);
const started = (task: string, iso: string) =>
  until(
    () => app.marks.get(`started/${key(task, iso)}`),
    (v) => v !== undefined,
    `${task}@${iso} to start`,
    { timeoutMs: 60_000 },
  );
const ended = (task: string, iso: string) =>
  until(
    () => app.marks.get(`ended/${key(task, iso)}`),
    (v) => v !== undefined,
    `${task}@${iso} to end`,
    { timeoutMs: 60_000 },
  );

/** Polls the run's record (through the control plane) until its status is one of `statuses`. */
async function record(task: string, iso: string, statuses: RunStatus[], timeoutMs = 60_000): Promise<RunDetail> {
  const id = `${task}@${iso}`;
  return (await until(
    () => plane.run(id).catch(() => undefined),
    (d) => d !== undefined && statuses.includes(d.status),
    `${id} to be ${statuses.join(' or ')}`,
    { timeoutMs, intervalMs: 50 },
  ))!;
}

describe('skip (the default): a fire time that comes while a run is running is recorded SKIPPED', () => {
  it('skips an overlapping fire time delivered several times at once, and runs each fire time once', async () => {
    await deliver('skipping', '2030-01-01T01:00:00Z');
    await started('skipping', '2030-01-01T01:00:00Z');
    // Real concurrent deliveries: three of a new fire time and two duplicates of the running one.
    const outcomes = await Promise.all([
      deliverAndWait('skipping', '2030-01-01T02:00:00Z'),
      deliverAndWait('skipping', '2030-01-01T02:00:00Z'),
      deliverAndWait('skipping', '2030-01-01T02:00:00Z'),
      deliverAndWait('skipping', '2030-01-01T01:00:00Z'),
      deliverAndWait('skipping', '2030-01-01T01:00:00Z'),
    ]);
    expect(outcomes.slice(0, 3).sort()).toEqual(['duplicate', 'duplicate', 'skipped']);
    expect(outcomes.slice(3)).toEqual(['duplicate', 'duplicate']);
    const skipped = await record('skipping', '2030-01-01T02:00:00Z', ['SKIPPED']);
    expect(skipped).toMatchObject({ attempts: 0, trigger: 'scheduled', placement: 'lambda' });
    expect(skipped.error?.message).toMatch(/skipping@2030-01-01T01:00:00Z was running \(overlap "skip"\)/);
    expect(skipped.startedAt).toBeUndefined();
    await openGate('skipping', '2030-01-01T01:00:00Z');
    const ran = await record('skipping', '2030-01-01T01:00:00Z', ['SUCCEEDED']);
    expect(ran).toMatchObject({ attempts: 1, placement: 'lambda', trigger: 'scheduled' });
    expect(ran.endedAt!.getTime()).toBeGreaterThanOrEqual(ran.startedAt!.getTime());
    expect(await app.marks.get('started/skipping/2030-01-01T02:00:00.000Z')).toBeUndefined();
    // The task is free again: the next fire time runs.
    await deliver('skipping', '2030-01-01T03:00:00Z');
    await started('skipping', '2030-01-01T03:00:00Z');
    await openGate('skipping', '2030-01-01T03:00:00Z');
    await record('skipping', '2030-01-01T03:00:00Z', ['SUCCEEDED']);
  }, 90_000);

  it('runs exactly one of two fire times delivered at the same moment', async () => {
    const times = ['2030-01-02T01:00:00Z', '2030-01-02T02:00:00Z'];
    await Promise.all(times.map((time) => deliver('skipping', time)));
    // The loser is claimed (RUNNING) for a moment before it finds the task running and is set aside.
    const records = await until(
      () => Promise.all(times.map((time) => plane.run(`skipping@${time}`).catch(() => undefined))),
      (rs) => rs.some((r) => r?.status === 'SKIPPED'),
      'one of them skipped',
    );
    expect(records.map((r) => r?.status).sort()).toEqual(['RUNNING', 'SKIPPED']);
    for (const time of times) await openGate('skipping', time);
    const runningOne = times[records.findIndex((r) => r?.status === 'RUNNING')]!;
    await record('skipping', runningOne, ['SUCCEEDED']);
    expect(await app.marks.get('peak/skipping')).toBe(1);
  }, 60_000);

  it('skips a run now that comes while a run is running: recorded manual and SKIPPED', async () => {
    await deliver('skipping', '2030-01-03T01:00:00Z');
    await started('skipping', '2030-01-03T01:00:00Z');
    const { id } = await plane.trigger('skipping');
    const manual = await until(
      () => plane.run(id).catch(() => undefined),
      (d) => d?.status === 'SKIPPED',
      'the manual run recorded',
    );
    expect(manual).toMatchObject({ trigger: 'manual', status: 'SKIPPED' });
    await openGate('skipping', '2030-01-03T01:00:00Z');
    await record('skipping', '2030-01-03T01:00:00Z', ['SUCCEEDED']);
  }, 60_000);

  it('fires from the test clock: a fire time that comes while the last one runs is skipped', async () => {
    // The every-15-minutes task fires on the way too (each of its runs ends at once).
    for (let minutes = 15; minutes <= 120; minutes += 15)
      await openGate('overlapping', new Date(Date.parse('2031-05-01T00:00:00Z') + minutes * 60_000).toISOString());
    clock.advanceTo('2031-05-01T01:00:30Z');
    await started('skipping', '2031-05-01T01:00:00Z');
    clock.advanceTo('2031-05-01T02:00:30Z');
    expect((await record('skipping', '2031-05-01T02:00:00Z', ['SKIPPED'])).error?.message).toMatch(/skipping@2031-05-01T01:00:00Z was running/);
    await openGate('skipping', '2031-05-01T01:00:00Z');
    await record('skipping', '2031-05-01T01:00:00Z', ['SUCCEEDED']);
    await record('overlapping', '2031-05-01T02:00:00Z', ['SUCCEEDED']);
    await until(
      () => app.marks.get('running/overlapping'),
      (n) => n === 0,
      'the quarter-hour runs to end',
    );
  }, 60_000);
});

describe('bufferOne: one waits and starts when the running one ends', () => {
  it('keeps one waiting (PENDING), skips a third, and starts the waiting one when the running one ends (Lambda)', async () => {
    await deliver('buffering', '2030-02-01T01:00:00Z');
    await started('buffering', '2030-02-01T01:00:00Z');
    expect(await deliverAndWait('buffering', '2030-02-01T02:00:00Z')).toBe('waiting');
    expect((await record('buffering', '2030-02-01T02:00:00Z', ['PENDING'])).startedAt).toBeUndefined();
    expect(await deliverAndWait('buffering', '2030-02-01T03:00:00Z')).toBe('skipped');
    expect((await record('buffering', '2030-02-01T03:00:00Z', ['SKIPPED'])).error?.message).toMatch(
      /buffering@2030-02-01T02:00:00Z was already waiting for buffering@2030-02-01T01:00:00Z/,
    );
    // A redelivery of the waiting one changes nothing.
    expect(await deliverAndWait('buffering', '2030-02-01T02:00:00Z')).toBe('waiting');
    expect(await app.marks.get('started/buffering/2030-02-01T02:00:00.000Z')).toBeUndefined();
    await openGate('buffering', '2030-02-01T01:00:00Z');
    const first = await record('buffering', '2030-02-01T01:00:00Z', ['SUCCEEDED']);
    await started('buffering', '2030-02-01T02:00:00Z');
    const second = await record('buffering', '2030-02-01T02:00:00Z', ['RUNNING']);
    expect(second.startedAt!.getTime()).toBeGreaterThanOrEqual(first.endedAt!.getTime());
    await openGate('buffering', '2030-02-01T02:00:00Z');
    expect(await record('buffering', '2030-02-01T02:00:00Z', ['SUCCEEDED'])).toMatchObject({ attempts: 1, trigger: 'scheduled' });
    expect(await app.marks.get('peak/buffering')).toBe(1);
  }, 90_000);

  it('waits on Batch too: the turn goes to the dispatcher, which submits the waiting fire time', async () => {
    await deliver('heavyBuffering', '2030-02-02T04:00:00Z');
    await started('heavyBuffering', '2030-02-02T04:00:00Z');
    await deliver('heavyBuffering', '2030-02-03T04:00:00Z');
    await record('heavyBuffering', '2030-02-03T04:00:00Z', ['PENDING']);
    await openGate('heavyBuffering', '2030-02-02T04:00:00Z');
    expect(await record('heavyBuffering', '2030-02-02T04:00:00Z', ['SUCCEEDED'])).toMatchObject({ placement: 'batch', batchJobId: expect.any(String) });
    await started('heavyBuffering', '2030-02-03T04:00:00Z');
    await openGate('heavyBuffering', '2030-02-03T04:00:00Z');
    await record('heavyBuffering', '2030-02-03T04:00:00Z', ['SUCCEEDED'], 90_000);
  }, 150_000);

  it('records a waiting fire time whose turn comes while the task is paused as PAUSED', async () => {
    await deliver('buffering', '2030-02-04T01:00:00Z');
    await started('buffering', '2030-02-04T01:00:00Z');
    await deliver('buffering', '2030-02-04T02:00:00Z');
    await record('buffering', '2030-02-04T02:00:00Z', ['PENDING']);
    await plane.pause('buffering', { reason: 'test' });
    await openGate('buffering', '2030-02-04T01:00:00Z');
    await record('buffering', '2030-02-04T01:00:00Z', ['SUCCEEDED']);
    await record('buffering', '2030-02-04T02:00:00Z', ['PAUSED']);
    expect(await app.marks.get('started/buffering/2030-02-04T02:00:00.000Z')).toBeUndefined();
    await plane.resume('buffering');
    // Nothing waits any more: the next fire time starts at once.
    await deliver('buffering', '2030-02-04T03:00:00Z');
    await started('buffering', '2030-02-04T03:00:00Z');
    await openGate('buffering', '2030-02-04T03:00:00Z');
    await record('buffering', '2030-02-04T03:00:00Z', ['SUCCEEDED']);
  }, 90_000);

  it('cancels a waiting fire time at once: it never starts, and the task goes on', async () => {
    await deliver('buffering', '2030-02-05T01:00:00Z');
    await started('buffering', '2030-02-05T01:00:00Z');
    await deliver('buffering', '2030-02-05T02:00:00Z');
    await record('buffering', '2030-02-05T02:00:00Z', ['PENDING']);
    expect(await plane.cancel('buffering@2030-02-05T02:00:00Z')).toEqual({ id: 'buffering@2030-02-05T02:00:00Z', status: 'CANCELLED' });
    await openGate('buffering', '2030-02-05T01:00:00Z');
    await record('buffering', '2030-02-05T01:00:00Z', ['SUCCEEDED']);
    await deliver('buffering', '2030-02-05T03:00:00Z');
    await started('buffering', '2030-02-05T03:00:00Z');
    expect(await app.marks.get('started/buffering/2030-02-05T02:00:00.000Z')).toBeUndefined();
    await openGate('buffering', '2030-02-05T03:00:00Z');
    await record('buffering', '2030-02-05T03:00:00Z', ['SUCCEEDED']);
  }, 90_000);
});

describe('cancelOther: the running one is cancelled and the new one starts', () => {
  it("fires the running run's signal on Lambda, records it CANCELLED with why, then runs the new one", async () => {
    await deliver('cancelling', '2030-03-01T01:00:00Z');
    await started('cancelling', '2030-03-01T01:00:00Z');
    expect(await deliverAndWait('cancelling', '2030-03-01T02:00:00Z')).toBe('waiting');
    expect(await ended('cancelling', '2030-03-01T01:00:00Z')).toBe('aborted: RunCancelledError');
    const cancelled = await record('cancelling', '2030-03-01T01:00:00Z', ['CANCELLED']);
    expect(cancelled.error?.message).toMatch(/a newer fire time, cancelling@2030-03-01T02:00:00Z, came while it ran \(overlap "cancelOther"\)/);
    await started('cancelling', '2030-03-01T02:00:00Z');
    await openGate('cancelling', '2030-03-01T02:00:00Z');
    await record('cancelling', '2030-03-01T02:00:00Z', ['SUCCEEDED']);
    expect(await app.marks.get('peak/cancelling')).toBe(1);
  }, 90_000);

  it('stops the running container on Batch with TerminateJob (its signal fires), then runs the new one', async () => {
    await deliver('heavyCancelling', '2030-03-02T03:00:00Z');
    await started('heavyCancelling', '2030-03-02T03:00:00Z');
    const running = await record('heavyCancelling', '2030-03-02T03:00:00Z', ['RUNNING']);
    expect(running.batchJobId).toEqual(expect.any(String));
    await deliver('heavyCancelling', '2030-03-03T03:00:00Z');
    expect(await ended('heavyCancelling', '2030-03-02T03:00:00Z')).toBe('aborted: RunCancelledError');
    await record('heavyCancelling', '2030-03-02T03:00:00Z', ['CANCELLED']);
    const job = await until(
      async () => (await (await batchClient(t.context)).send(new DescribeJobsCommand({ jobs: [running.batchJobId!] }))).jobs?.[0],
      (j) => j?.status === 'FAILED' || j?.status === 'SUCCEEDED',
      'the Batch job to end',
      { timeoutMs: 60_000 },
    );
    expect(job).toMatchObject({ isTerminated: true, statusReason: expect.stringMatching(/overlap "cancelOther"/) });
    await started('heavyCancelling', '2030-03-03T03:00:00Z');
    await openGate('heavyCancelling', '2030-03-03T03:00:00Z');
    await record('heavyCancelling', '2030-03-03T03:00:00Z', ['SUCCEEDED'], 90_000);
  }, 180_000);
});

describe('allow: runs overlap', () => {
  it('runs two fire times side by side, fired by the test clock', async () => {
    clock.advanceTo('2031-05-01T02:15:30Z');
    await started('overlapping', '2031-05-01T02:15:00Z');
    clock.advanceTo('2031-05-01T02:30:30Z');
    await started('overlapping', '2031-05-01T02:30:00Z');
    await record('overlapping', '2031-05-01T02:15:00Z', ['RUNNING']);
    await record('overlapping', '2031-05-01T02:30:00Z', ['RUNNING']);
    expect(await app.marks.get('running/overlapping')).toBe(2);
    await openGate('overlapping', '2031-05-01T02:15:00Z');
    await openGate('overlapping', '2031-05-01T02:30:00Z');
    await record('overlapping', '2031-05-01T02:30:00Z', ['SUCCEEDED']);
  }, 60_000);
});

describe('cancel and timeouts reach a scheduled run through its signal', () => {
  it('cancels a running scheduled run on Lambda: CANCELLING, then CANCELLED once its handler stopped', async () => {
    await deliver('skipping', '2030-04-01T01:00:00Z');
    await started('skipping', '2030-04-01T01:00:00Z');
    expect(await plane.cancel('skipping@2030-04-01T01:00:00Z')).toEqual({ id: 'skipping@2030-04-01T01:00:00Z', status: 'CANCELLING' });
    expect(await ended('skipping', '2030-04-01T01:00:00Z')).toBe('aborted: RunCancelledError');
    const cancelled = await record('skipping', '2030-04-01T01:00:00Z', ['CANCELLED']);
    expect(cancelled).toMatchObject({ cancelRequestedAt: expect.any(Date), error: { message: expect.stringMatching(/cancelled by an operator/) } });
    await expect(plane.cancel('skipping@2030-04-01T01:00:00Z')).rejects.toThrow(/already finished with status CANCELLED/);
  }, 60_000);

  it('times out a run whose handler stops at its signal, and one that ignores it (after the grace period)', async () => {
    await deliver('brief', '2030-04-02T05:00:00Z');
    await deliver('stubborn', '2030-04-02T06:00:00Z');
    expect(await ended('brief', '2030-04-02T05:00:00Z')).toBe('aborted: RunTimedOutError');
    expect((await record('brief', '2030-04-02T05:00:00Z', ['TIMED_OUT'])).error?.type).toBe('TimeoutError');
    const stubborn = await record('stubborn', '2030-04-02T06:00:00Z', ['TIMED_OUT']);
    // Recorded without waiting for the handler, which still runs.
    expect(await app.marks.get('ended/stubborn/2030-04-02T06:00:00.000Z')).toBeUndefined();
    expect(stubborn.endedAt!.getTime() - stubborn.startedAt!.getTime()).toBeGreaterThanOrEqual(2000 + 1500);
    await openGate('stubborn', '2030-04-02T06:00:00Z');
  }, 60_000);
});

/** Polls a run's record by id (a run now's id is `<task>@<the second it was asked for>`) until its status is one of `statuses`. */
async function recordOf(id: string, statuses: RunStatus[]): Promise<RunDetail> {
  return (await until(
    () => plane.run(id).catch(() => undefined),
    (d) => d !== undefined && statuses.includes(d.status),
    `${id} to be ${statuses.join(' or ')}`,
    { timeoutMs: 60_000, intervalMs: 50 },
  ))!;
}

describe('run now and pause under the overlap policy', () => {
  it('makes a run now wait under bufferOne (manual, PENDING) and starts it when the running one ends', async () => {
    await deliver('buffering', '2030-05-01T01:00:00Z');
    await started('buffering', '2030-05-01T01:00:00Z');
    const { id, scheduledTime } = await plane.trigger('buffering');
    expect(await recordOf(id, ['PENDING'])).toMatchObject({ trigger: 'manual', attempts: 0 });
    const time = scheduledTime.toISOString();
    expect(await app.marks.get(`started/buffering/${time}`)).toBeUndefined();
    await openGate('buffering', '2030-05-01T01:00:00Z');
    await record('buffering', '2030-05-01T01:00:00Z', ['SUCCEEDED']);
    expect(await started('buffering', time)).toEqual({ attempt: 1, trigger: 'manual' });
    await openGate('buffering', time);
    expect(await recordOf(id, ['SUCCEEDED'])).toMatchObject({ trigger: 'manual', attempts: 1 });
  }, 90_000);

  it('makes a run now cancel the running run under cancelOther, then run', async () => {
    await deliver('cancelling', '2030-05-02T01:00:00Z');
    await started('cancelling', '2030-05-02T01:00:00Z');
    const { id, scheduledTime } = await plane.trigger('cancelling');
    expect(await ended('cancelling', '2030-05-02T01:00:00Z')).toBe('aborted: RunCancelledError');
    const cancelled = await record('cancelling', '2030-05-02T01:00:00Z', ['CANCELLED']);
    expect(cancelled.error?.message).toContain(`a newer fire time, ${id}, came while it ran (overlap "cancelOther")`);
    const time = scheduledTime.toISOString();
    expect(await started('cancelling', time)).toEqual({ attempt: 1, trigger: 'manual' });
    await openGate('cancelling', time);
    expect(await recordOf(id, ['SUCCEEDED'])).toMatchObject({ trigger: 'manual' });
  }, 90_000);

  it('records a fire time PAUSED while paused under cancelOther, without cancelling the running run', async () => {
    await deliver('cancelling', '2030-05-03T01:00:00Z');
    await started('cancelling', '2030-05-03T01:00:00Z');
    await plane.pause('cancelling', { reason: 'test' });
    try {
      expect(await deliverAndWait('cancelling', '2030-05-03T02:00:00Z')).toBe('paused');
      expect(await record('cancelling', '2030-05-03T02:00:00Z', ['PAUSED'])).toMatchObject({ trigger: 'scheduled', attempts: 0 });
      expect((await plane.run('cancelling@2030-05-03T01:00:00Z')).status).toBe('RUNNING');
      expect(await app.marks.get('ended/cancelling/2030-05-03T01:00:00.000Z')).toBeUndefined();
    } finally {
      await plane.resume('cancelling');
    }
    await openGate('cancelling', '2030-05-03T01:00:00Z');
    expect(await ended('cancelling', '2030-05-03T01:00:00Z')).toBe('done');
    await record('cancelling', '2030-05-03T01:00:00Z', ['SUCCEEDED']);
  }, 90_000);

  it('records a fire time PAUSED while paused under skip, and SKIPPED (not PAUSED) once resumed with a run still running', async () => {
    await deliver('skipping', '2030-05-04T01:00:00Z');
    await started('skipping', '2030-05-04T01:00:00Z');
    await plane.pause('skipping');
    expect(await deliverAndWait('skipping', '2030-05-04T02:00:00Z')).toBe('paused');
    await plane.resume('skipping');
    expect(await deliverAndWait('skipping', '2030-05-04T03:00:00Z')).toBe('skipped');
    await record('skipping', '2030-05-04T02:00:00Z', ['PAUSED']);
    await record('skipping', '2030-05-04T03:00:00Z', ['SKIPPED']);
    await openGate('skipping', '2030-05-04T01:00:00Z');
    await record('skipping', '2030-05-04T01:00:00Z', ['SUCCEEDED']);
  }, 60_000);
});

describe('the run history', () => {
  it('lists each fire time once, by task and time, with its status and trigger', async () => {
    const page = await plane.runs({ name: 'skipping', since: '2030-01-01T00:00:00Z', until: '2030-01-03T23:59:59Z', limit: 100 });
    const rows = page.items.map((r) => [r.id, r.status, r.trigger]);
    expect(new Set(rows.map(([id]) => id)).size).toBe(rows.length);
    const day2 = rows.filter(([id]) => id!.startsWith('skipping@2030-01-02')).map(([, status]) => status);
    expect(day2.sort()).toEqual(['SKIPPED', 'SUCCEEDED']);
    expect(rows.filter(([id]) => !id!.startsWith('skipping@2030-01-02'))).toEqual([
      ['skipping@2030-01-03T01:00:00Z', 'SUCCEEDED', 'scheduled'],
      ['skipping@2030-01-01T03:00:00Z', 'SUCCEEDED', 'scheduled'],
      ['skipping@2030-01-01T02:00:00Z', 'SKIPPED', 'scheduled'],
      ['skipping@2030-01-01T01:00:00Z', 'SUCCEEDED', 'scheduled'],
    ]);
    const manual = await plane.runs({ name: 'skipping', since: new Date(Date.now() - 3_600_000), limit: 100 });
    expect(manual.items.map((r) => [r.status, r.trigger])).toContainEqual(['SKIPPED', 'manual']);
  });
});

describe('backfill', () => {
  it('plans the fire times without a record of a run: a dry run lists them, oldest first', async () => {
    // 2020-05-01 00:00-04:00: 00:00 ran, 01:00 was skipped, 02:00 paused, 03:00 never delivered.
    await openGate('skipping', '2020-05-01T00:00:00Z');
    expect(await deliverAndWait('skipping', '2020-05-01T00:00:00Z')).toBe('SUCCEEDED');
    const claims = new ScheduleClaims(t.context.state, Date.now);
    const skip = await claims.claim('skipping', '2020-05-01T01:00:00Z', 60_000);
    if (!skip.claimed) throw new Error('not claimed');
    await claims.setAside(skip.claim, { status: 'SKIPPED', reason: { type: 'OverlapSkipped', message: 'test' } });
    await claims.recordPaused('skipping', '2020-05-01T02:00:00Z');
    const plan = await plane.backfill('skipping', { from: '2020-05-01T00:00:00Z', to: '2020-05-01T04:00:00Z', dryRun: true });
    expect(plan).toMatchObject({ dryRun: true, fireTimes: 4, alreadyRecorded: 1, runs: [] });
    expect(plan.toRun.map((d) => d.toISOString())).toEqual(['2020-05-01T01:00:00.000Z', '2020-05-01T02:00:00.000Z', '2020-05-01T03:00:00.000Z']);
  }, 60_000);

  it('runs them one at a time for a task whose runs never overlap, each once, marked backfill, kept 30 days from when it ran', async () => {
    for (const hour of ['01', '02', '03']) await openGate('skipping', `2020-05-01T${hour}:00:00Z`);
    const progress: BackfillRun[] = [];
    const result = await plane.backfill('skipping', {
      from: '2020-05-01T00:00:00Z',
      to: '2020-05-01T04:00:00Z',
      onProgress: (run) => progress.push(run),
    });
    expect(result.runs.map((r) => [r.id, r.status])).toEqual([
      ['skipping@2020-05-01T01:00:00Z', 'SUCCEEDED'],
      ['skipping@2020-05-01T02:00:00Z', 'SUCCEEDED'],
      ['skipping@2020-05-01T03:00:00Z', 'SUCCEEDED'],
    ]);
    // Oldest first, and each sent only after the previous one ended.
    expect(progress.map((p) => `${p.id.slice(-9)} ${p.status}`)).toEqual([
      '01:00:00Z SENT',
      '01:00:00Z SUCCEEDED',
      '02:00:00Z SENT',
      '02:00:00Z SUCCEEDED',
      '03:00:00Z SENT',
      '03:00:00Z SUCCEEDED',
    ]);
    for (const hour of ['01', '02', '03']) {
      expect(await record('skipping', `2020-05-01T${hour}:00:00Z`, ['SUCCEEDED'])).toMatchObject({ trigger: 'backfill', attempts: 1 });
      expect(await app.marks.get(`started/skipping/2020-05-01T${hour}:00:00.000Z`)).toEqual({ attempt: 1, trigger: 'backfill' });
    }
    const item = await new ScheduleClaims(t.context.state, Date.now).item('skipping', '2020-05-01T02:00:00Z');
    const expiresIn = item!.ttl - Date.now() / 1000;
    expect(Math.abs(expiresIn - CLAIM_RETENTION_DAYS * 86400)).toBeLessThan(300);
    // Idempotent: a second backfill of the window runs nothing.
    const again = await plane.backfill('skipping', { from: '2020-05-01T00:00:00Z', to: '2020-05-01T04:00:00Z' });
    expect(again).toMatchObject({ fireTimes: 4, alreadyRecorded: 4, toRun: [], runs: [] });
  }, 120_000);

  it('plans a rate schedule from its rule, before the StartDate the manifest gave it; runs up to `concurrency` at once', async () => {
    let inFlight = 0;
    let most = 0;
    const result = await plane.backfill('every36h', {
      from: '2020-01-01T00:00:00Z',
      to: '2020-01-10T00:00:00Z',
      concurrency: 3,
      onProgress: (run) => {
        inFlight += run.status === 'SENT' ? 1 : -1;
        most = Math.max(most, inFlight);
      },
    });
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(3);
    expect(result.toRun.map((d) => d.toISOString())).toEqual([
      '2020-01-01T00:00:00.000Z',
      '2020-01-02T12:00:00.000Z',
      '2020-01-04T00:00:00.000Z',
      '2020-01-05T12:00:00.000Z',
      '2020-01-07T00:00:00.000Z',
      '2020-01-08T12:00:00.000Z',
    ]);
    expect(result.runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    for (const time of result.toRun) expect(await app.marks.get(`ran/every36h/${time.toISOString()}`)).toBe(1);
  }, 120_000);

  it('stops sending fire times when its signal fires, waits for those sent, and a second backfill sends the rest', async () => {
    const window = { from: '2020-03-01T00:00:00Z', to: '2020-03-10T00:00:00Z' };
    const controller = new AbortController();
    const stopped = await plane.backfill('every36h', { ...window, signal: controller.signal, onProgress: () => controller.abort() });
    expect(stopped.toRun).toHaveLength(6);
    expect(stopped.runs).toEqual([{ id: 'every36h@2020-03-01T00:00:00Z', scheduledTime: new Date('2020-03-01T00:00:00Z'), status: 'SUCCEEDED' }]);
    const rest = await plane.backfill('every36h', window);
    expect(rest).toMatchObject({ fireTimes: 6, alreadyRecorded: 1 });
    expect(rest.runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await expect(plane.backfill('every36h', { ...window, signal: 'stop' as never })).rejects.toThrow(/signal must be an AbortSignal/);
  }, 60_000);

  it('runs while the task is paused (a person asked for it)', async () => {
    await plane.pause('every36h');
    const result = await plane.backfill('every36h', { from: '2020-02-01T00:00:00Z', to: '2020-02-02T00:00:00Z' });
    expect(result.runs).toEqual([{ id: 'every36h@2020-02-01T12:00:00Z', scheduledTime: new Date('2020-02-01T12:00:00Z'), status: 'SUCCEEDED' }]);
    await plane.resume('every36h');
  }, 60_000);

  it('refuses bad input, saying what is allowed', async () => {
    const refusal = (task: string, options: Parameters<ControlPlane['backfill']>[1]): Promise<Error> =>
      plane.backfill(task, options).then(
        () => new Error('not refused'),
        (e: unknown) => e as Error,
      );
    const reversed = await refusal('skipping', { from: '2020-05-02T00:00:00Z', to: '2020-05-01T00:00:00Z' });
    expect(reversed).toBeInstanceOf(InvalidArgumentError);
    expect(reversed.message).toMatch(/the window is reversed or empty: from \(2020-05-02T00:00:00.000Z\) must be before to/);
    expect((await refusal('skipping', { from: '2020-05-01T00:00:00Z', to: new Date(Date.now() + 3_600_000) })).message).toMatch(/is in the future/);
    expect(await refusal('nope', { from: '2020-05-01T00:00:00Z', to: '2020-05-02T00:00:00Z' })).toBeInstanceOf(UnknownDefinitionError);
    expect((await refusal('marks', { from: '2020-05-01T00:00:00Z', to: '2020-05-02T00:00:00Z' })).message).toMatch(/"marks" is a dict/);
    expect((await refusal('skipping', { from: '2020-05-01T10:05:00Z', to: '2020-05-01T10:55:00Z' })).message).toMatch(
      /skipping has no fire time from 2020-05-01T10:05:00.000Z to 2020-05-01T10:55:00.000Z \(its schedule: cron "0 \* \* \* \*" in UTC\)/,
    );
    expect((await refusal('skipping', { from: '2020-05-01T00:00:00Z', to: '2020-05-02T00:00:00Z', concurrency: 2 })).message).toMatch(
      /concurrency 2 would run fire times of skipping side by side, but its overlap policy is "skip"/,
    );
    expect((await refusal('overlapping', { from: '2020-05-01T00:00:00Z', to: '2020-05-02T00:00:00Z', concurrency: 0 })).message).toMatch(
      /concurrency must be a whole number from 1 to 100, got 0/,
    );
    expect((await refusal('skipping', { from: 'yesterday', to: '2020-05-02T00:00:00Z' })).message).toMatch(/from must be/);
    expect((await refusal('skipping', { from: '2020-05-01T00:00:00Z' } as never)).message).toMatch(/from and to are required/);
    // Every 15 minutes for 11 days: 1,056 fire times need yes; a dry run lists them.
    const large = { from: '2020-06-01T00:00:00Z', to: '2020-06-12T00:00:00Z' };
    expect((await refusal('overlapping', large)).message).toMatch(/holds 1,056 fire times of overlapping, more than 1,000: pass yes: true/);
    const dry = await plane.backfill('overlapping', { ...large, dryRun: true });
    expect(dry.toRun).toHaveLength(1056);
  }, 60_000);
});
