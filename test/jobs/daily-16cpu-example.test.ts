/**
 * The daily 16-CPU task (examples/daily-16cpu) in the local cloud: both schedules are placed on Batch, so
 * firing one goes, as EventBridge Scheduler would, to the dispatcher function, which claims the scheduled time and
 * submits a Batch job; the local Batch endpoint runs the container (the real bootstrap fetching the bundle from the
 * local S3), and the run records its result in the dict.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitScheduledRun } from '../../runtime/schedules/batch-runner.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as app from '../../examples/daily-16cpu/src/app.js';

const entry = path.join(import.meta.dirname, '../../examples/daily-16cpu/src/app.ts');
let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('examples/daily-16cpu', () => {
  it('places both schedules on Batch (16 vCPUs do not fit Lambda)', () => {
    for (const name of ['dailyAt23', 'weekdaysAt23']) {
      const definition = t.cloud.manifest.definitions.find((d) => d.name === name)!;
      expect(definition.placement).toBe('batch');
      expect(definition.compute).toMatchObject({ type: 'batch', platform: 'fargate', vcpu: 16 });
      expect(t.cloud.scheduleTarget(name)).toBe(t.cloud.names.lambdaFunction('multinode-dispatcher'));
    }
  });

  it('runs a fired schedule once through the local Batch endpoint and records the result', async () => {
    const time = new Date('2024-03-05T23:00:00Z');
    const answers = [await t.fire('weekdaysAt23', time), await t.fire('weekdaysAt23', time)];
    expect(answers.map((a) => (a as { outcome: string }).outcome)).toEqual(['submitted', 'duplicate']);
    expect(await awaitScheduledRun(t.context, 'weekdaysAt23', '2024-03-05T23:00:00Z', { timeoutMs: 60_000 })).toEqual({
      status: 'SUCCEEDED',
      attempts: 1,
      trigger: 'scheduled',
    });
    const run = await app.runs.get(`weekdaysAt23/${time.toISOString()}`);
    expect(run).toMatchObject({ schedule: 'weekdaysAt23', scheduledTime: time, primes: 1_270_607 });
    expect(t.logs.some((line) => line.startsWith('[weekdaysAt23 (batch)]') && line.includes('1270607 primes below 20,000,000'))).toBe(true);
  });
});
