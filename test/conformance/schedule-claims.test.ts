/**
 * Claims of scheduled times and the task's active run in the state table (the real SDK client against the local
 * DynamoDB, a clock the test moves): one delivery claims a time; the compute that runs it says so, so a second
 * container started for the same claim (a SubmitJob sent twice) does not run it again, and cannot end it when it dies;
 * every transition of the run history is a conditional write; records are kept 30 days from when they were written;
 * the active run is taken by one fire time at a time, released by its owner, and names the one waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveRuns } from '../../runtime/schedules/active-run.js';
import { CLAIM_RETENTION_DAYS, type Claim, ScheduleClaims } from '../../runtime/schedules/claims.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { startDynamoFixture, type DynamoFixture } from './dynamo-support.js';

let fx: DynamoFixture;
let now = Date.parse('2030-01-01T00:00:00Z');
let claims: ScheduleClaims;
let active: ActiveRuns;
beforeAll(async () => {
  fx = await startDynamoFixture();
  const table = new StateTable(fx.documents, await fx.stateTable('claims'));
  claims = new ScheduleClaims(table, () => now);
  active = new ActiveRuns(table, () => now);
});
afterAll(async () => {
  await fx?.close();
});

async function claimed(name: string, time: string, leaseMs = 60_000, ...rest: [('scheduled' | 'manual' | 'backfill')?, ('lambda' | 'batch')?]): Promise<Claim> {
  const result = await claims.claim(name, time, leaseMs, ...rest);
  if (!result.claimed) throw new Error(`${name}@${time} not claimed: ${result.status}`);
  return result.claim;
}

describe('ScheduleClaims.start', () => {
  it('lets the first runner of a claim start it (again, too), and no other', async () => {
    const claim = await claimed('nightly', '2030-01-01T03:00:00Z', 60_000, 'scheduled', 'batch');
    expect(await claims.start(claim, 'job-1')).toBe('RUNNING');
    expect(await claims.start(claim, 'job-1')).toBe('RUNNING');
    expect(await claims.start(claim, 'job-2')).toBeUndefined();
    // The second container dies: its Batch event cannot end the run the first one still runs.
    expect(await claims.finish(claim, { status: 'FAILED', error: { type: 'BatchJobFailed', message: 'killed' } }, { runner: 'job-2' })).toBe(false);
    expect(await claims.read('nightly', '2030-01-01T03:00:00Z')).toMatchObject({ status: 'RUNNING' });
    expect(await claims.finish(claim, { status: 'SUCCEEDED' }, { runner: 'job-1' })).toBe(true);
    expect(await claims.start(claim, 'job-1')).toBeUndefined(); // ended
  });

  it('lets the runner of a claim taken over after its lease expired start it', async () => {
    const first = await claimed('hourly', '2030-01-01T04:00:00Z', 60_000, 'scheduled', 'batch');
    expect(await claims.start(first, 'job-1')).toBe('RUNNING');
    now += 61_000; // the first dispatcher's lease ran out: another delivery takes the claim over
    const second = await claimed('hourly', '2030-01-01T04:00:00Z', 60_000, 'scheduled', 'batch');
    expect(second.attempt).toBe(2);
    expect(await claims.start(first, 'job-1')).toBeUndefined();
    expect(await claims.start(second, 'job-3')).toBe('RUNNING');
  });

  it('tells a container whose run was cancelled before it started', async () => {
    const claim = await claimed('nightly', '2030-01-02T03:00:00Z', 60_000, 'scheduled', 'batch');
    expect(await claims.cancel('nightly', '2030-01-02T03:00:00Z', { type: 'RunCancelledError', message: 'by a test' })).toMatchObject({
      status: 'CANCELLING',
      changed: true,
      placement: 'batch',
    });
    expect(await claims.start(claim, 'job-9')).toBe('CANCELLING');
    expect(await claims.finish(claim, { status: 'SUCCEEDED' })).toBe(false); // a cancel wins over a late success
    expect(await claims.finish(claim, { status: 'CANCELLED' })).toBe(true);
    expect(await claims.read('nightly', '2030-01-02T03:00:00Z')).toMatchObject({ status: 'CANCELLED', error: { message: 'by a test' } });
  });
});

describe('the run history', () => {
  it('records start, placement and trigger; a Batch run starts when its container does', async () => {
    const lambda = await claimed('daily', '2030-01-03T00:00:00Z', 60_000, 'manual', 'lambda');
    const onLambda = await claims.item('daily', lambda.scheduledTime);
    expect(onLambda).toMatchObject({ status: 'RUNNING', attempts: 1, claimedAt: now, startedAt: now, placement: 'lambda', trigger: 'manual' });
    const batch = await claimed('heavy', '2030-01-03T00:00:00Z', 60_000, 'scheduled', 'batch');
    expect((await claims.item('heavy', batch.scheduledTime))?.startedAt).toBeUndefined();
    now += 5000;
    await claims.start(batch, 'job-1');
    expect((await claims.item('heavy', batch.scheduledTime))?.startedAt).toBe(now);
  });

  it('keeps each record 30 days from when it was written, even for an old fire time', async () => {
    const old = await claimed('daily', '2029-01-01T00:00:00Z', 60_000, 'backfill');
    expect((await claims.item('daily', old.scheduledTime))?.ttl).toBe(Math.ceil(now / 1000) + CLAIM_RETENTION_DAYS * 86400);
    expect(await claims.recordPaused('daily', '2029-01-02T00:00:00Z')).toBe('absent');
    expect((await claims.item('daily', '2029-01-02T00:00:00Z'))?.ttl).toBe(Math.ceil(now / 1000) + CLAIM_RETENTION_DAYS * 86400);
  });

  it('sets a claimed time aside as SKIPPED with why, or PENDING; only its owner does', async () => {
    const skipped = await claimed('busy', '2030-01-04T00:00:00Z');
    expect(await claims.setAside({ ...skipped, owner: 'someone else' }, { status: 'PENDING' })).toBe(false);
    expect(await claims.setAside(skipped, { status: 'SKIPPED', reason: { type: 'OverlapSkipped', message: 'busy@x was running' } })).toBe(true);
    expect(await claims.item('busy', skipped.scheduledTime)).toMatchObject({ status: 'SKIPPED', attempts: 0, finishedAt: now });
    expect((await claims.item('busy', skipped.scheduledTime))?.startedAt).toBeUndefined();
    const waiting = await claimed('busy', '2030-01-04T01:00:00Z');
    expect(await claims.setAside(waiting, { status: 'PENDING' })).toBe(true);
    expect(await claims.claim('busy', waiting.scheduledTime, 60_000)).toEqual({ claimed: false, status: 'PENDING' });
    const turn = await claims.startWaiting('busy', waiting.scheduledTime, 'owner-2', 60_000);
    expect(turn).toEqual({ name: 'busy', scheduledTime: waiting.scheduledTime, owner: 'owner-2', attempt: 1 });
    expect(await claims.startWaiting('busy', waiting.scheduledTime, 'owner-3', 60_000)).toBeUndefined();
  });

  it('lets a backfill run a fire time recorded SKIPPED or PAUSED, never one that ran', async () => {
    expect(await claims.claim('busy', '2030-01-04T00:00:00Z', 60_000)).toEqual({ claimed: false, status: 'SKIPPED' });
    const again = await claimed('busy', '2030-01-04T00:00:00Z', 60_000, 'backfill');
    expect(await claims.read('busy', again.scheduledTime)).toEqual({ status: 'RUNNING', attempts: 1, trigger: 'backfill' });
    await claims.recordPaused('busy', '2030-01-04T02:00:00Z');
    expect((await claims.claim('busy', '2030-01-04T02:00:00Z', 60_000, 'backfill')).claimed).toBe(true);
    await claims.finish(again, { status: 'SUCCEEDED' });
    expect(await claims.claim('busy', again.scheduledTime, 60_000, 'backfill')).toEqual({ claimed: false, status: 'SUCCEEDED' });
  });

  it('records a waiting fire time whose turn came while paused as PAUSED', async () => {
    const waiting = await claimed('busy', '2030-01-04T03:00:00Z');
    await claims.setAside(waiting, { status: 'PENDING' });
    expect(await claims.recordPaused('busy', waiting.scheduledTime)).toBe('PENDING');
    expect(await claims.recordPaused('busy', waiting.scheduledTime)).toBeUndefined();
    expect((await claims.read('busy', waiting.scheduledTime))?.status).toBe('PAUSED');
  });

  it('cancels: RUNNING -> CANCELLING (seen by the heartbeat), PENDING -> CANCELLED, a finished one stays', async () => {
    const running = await claimed('stop', '2030-01-05T00:00:00Z');
    expect(await claims.heartbeat(running)).toBe('RUNNING');
    expect((await claims.cancel('stop', running.scheduledTime, { type: 'RunCancelledError', message: 'x' })).status).toBe('CANCELLING');
    expect(await claims.heartbeat(running)).toBe('CANCELLING');
    expect(await claims.heartbeat({ ...running, owner: 'other' })).toBeUndefined();
    await claims.finish(running, { status: 'CANCELLED' });
    expect(await claims.cancel('stop', running.scheduledTime, { type: 'RunCancelledError', message: 'y' })).toMatchObject({
      status: 'CANCELLED',
      changed: false,
    });
    const waiting = await claimed('stop', '2030-01-05T01:00:00Z');
    await claims.setAside(waiting, { status: 'PENDING' });
    expect(await claims.cancel('stop', waiting.scheduledTime, { type: 'RunCancelledError', message: 'z' })).toMatchObject({
      status: 'CANCELLED',
      changed: true,
    });
    expect(await claims.cancel('stop', '2030-01-05T02:00:00Z', { type: 'RunCancelledError', message: 'none' })).toEqual({ status: undefined, changed: false });
  });
});

describe('ActiveRuns: one fire time of a task at a time', () => {
  it('is taken by one fire time; released only by its owner, naming the one waiting', async () => {
    const lease = now + 60_000;
    expect(await active.take('solo', 'T1', 'o1', lease)).toBe(true);
    expect(await active.take('solo', 'T2', 'o2', lease)).toBe(false);
    expect(await active.wait('solo', 'T2', 'manual', { holder: 'T1' })).toBe(true);
    // One waits: another newcomer's wait names a state that is no longer so.
    expect(await active.wait('solo', 'T3', 'scheduled', { holder: 'T1' })).toBe(false);
    expect(await active.release('solo', 'o2')).toBeUndefined();
    // Free, but T2 waits: a newcomer cannot jump the line, the one waiting can take it.
    expect(await active.release('solo', 'o1')).toEqual({ waiting: { scheduledTime: 'T2', trigger: 'manual' } });
    expect(await active.take('solo', 'T3', 'o3', lease)).toBe(false);
    expect(await active.take('solo', 'T2', 'o2', lease, true)).toBe(true);
    expect(await active.read('solo')).toMatchObject({ holder: 'T2', owner: 'o2', leaseUntil: lease });
    expect(await active.read('solo')).not.toHaveProperty('waiting');
    expect(await active.release('solo', 'o2')).toEqual({});
  });

  it('is free again once its holder lease expired (its executor died)', async () => {
    expect(await active.take('crashy', 'T1', 'o1', now + 1000)).toBe(true);
    expect(await active.take('crashy', 'T2', 'o2', now + 60_000)).toBe(false);
    now += 2000;
    expect(active.isHeld(await active.read('crashy'))).toBe(false);
    expect(await active.take('crashy', 'T2', 'o2', now + 60_000)).toBe(true);
    // The dead executor's late release changes nothing.
    expect(await active.release('crashy', 'o1')).toBeUndefined();
    expect((await active.read('crashy'))?.holder).toBe('T2');
  });

  it('replaces the one waiting only knowingly (cancelOther), and forgets it when told', async () => {
    const lease = now + 60_000;
    await active.take('newest', 'T1', 'o1', lease);
    expect(await active.wait('newest', 'T2', 'scheduled', { holder: 'T1' })).toBe(true);
    expect(await active.wait('newest', 'T3', 'scheduled', { holder: 'T1' })).toBe(false);
    expect(await active.wait('newest', 'T3', 'scheduled', { holder: 'T1', waiting: 'T2' })).toBe(true);
    expect(await active.forgetWaiting('newest', 'T2')).toBe(false);
    expect(await active.forgetWaiting('newest', 'T3')).toBe(true);
    expect(await active.release('newest', 'o1')).toEqual({});
  });
});
