/**
 * Claims of scheduled times in the state table (the real SDK client against the local DynamoDB): one delivery claims
 * a time; the compute that runs it says so, so a second container started for the same claim (a SubmitJob sent twice)
 * does not run it again, and cannot end it when it dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { startDynamoFixture, type DynamoFixture } from './dynamo-support.js';

let fx: DynamoFixture;
let now = Date.parse('2030-01-01T00:00:00Z');
let claims: ScheduleClaims;
beforeAll(async () => {
  fx = await startDynamoFixture();
  claims = new ScheduleClaims(new StateTable(fx.documents, await fx.stateTable('claims')), () => now);
});
afterAll(async () => {
  await fx?.close();
});

describe('ScheduleClaims.start', () => {
  it('lets the first runner of a claim start it (again, too), and no other', async () => {
    const claimed = await claims.claim('nightly', '2030-01-01T03:00:00Z', 60_000);
    if (!claimed.claimed) throw new Error('not claimed');
    expect(await claims.start(claimed.claim, 'job-1')).toBe(true);
    expect(await claims.start(claimed.claim, 'job-1')).toBe(true);
    expect(await claims.start(claimed.claim, 'job-2')).toBe(false);
    // The second container dies: its Batch event cannot end the run the first one still runs.
    expect(await claims.finish(claimed.claim, { status: 'FAILED', error: { type: 'BatchJobFailed', message: 'killed' } }, { runner: 'job-2' })).toBe(false);
    expect(await claims.read('nightly', '2030-01-01T03:00:00Z')).toMatchObject({ status: 'RUNNING' });
    expect(await claims.finish(claimed.claim, { status: 'SUCCEEDED' }, { runner: 'job-1' })).toBe(true);
    expect(await claims.start(claimed.claim, 'job-1')).toBe(false); // ended
  });

  it('lets the runner of a claim taken over after its lease expired start it', async () => {
    const first = await claims.claim('hourly', '2030-01-01T04:00:00Z', 60_000);
    if (!first.claimed) throw new Error('not claimed');
    expect(await claims.start(first.claim, 'job-1')).toBe(true);
    now += 61_000; // the first dispatcher's lease ran out: another delivery takes the claim over
    const second = await claims.claim('hourly', '2030-01-01T04:00:00Z', 60_000);
    if (!second.claimed) throw new Error('not taken over');
    expect(await claims.start(first.claim, 'job-1')).toBe(false);
    expect(await claims.start(second.claim, 'job-3')).toBe(true);
  });
});
