/**
 * Scheduled tasks through the local cloud: the scheduler (with a test clock) fires the manifest's compiled
 * EventBridge expressions as asynchronous invokes of the task's Lambda function; each scheduled time runs once,
 * even when delivered twice; failures are retried up to maxRetries and recorded. Every N days on a DST wall clock:
 * the daily cron is delivered every day and the runtime ignores the days off the grid, on Lambda and on Batch.
 */
import path from 'node:path';
import { ListJobsCommand } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError } from '../../lib/errors.js';
import { batchClient } from '../../runtime/batch/batch-jobs.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import * as app from '../local/fixtures/functions-app/src/app.js';
import * as everyFewDays from './fixtures/every-few-days/src/app.js';
import { until } from '../helpers/poll.js';
import { TestClock } from '../helpers/test-clock.js';

const entry = path.join(import.meta.dirname, '../local/fixtures/functions-app/src/app.ts');

/** Polls until `read` returns a defined value (the deliveries are asynchronous invokes). */
async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  return (await until(read, (value) => value !== undefined, what, { timeoutMs })) as T;
}

const clock = new TestClock('2027-01-14T23:59:00Z');
let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, schedules: { clock } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('schedules', () => {
  it('runs a time reached by both schedules of a day-of-month OR day-of-week cron once', async () => {
    // 2027-01-15 is a Friday and the 15th: cron(0 0 1,15 * ? *) and cron(0 0 ? * FRI *) both fire at 00:00.
    expect(
      t.cloud
        .upcoming()
        .filter((r) => r.name === 'tick')
        .map((r) => r.scheduledTime.toISOString()),
    ).toEqual(['2027-01-15T00:00:00.000Z', '2027-01-15T00:00:00.000Z']);
    clock.advanceTo('2027-01-15T00:00:30Z');
    const functionName = t.cloud.names.lambdaFunction('tick');
    await eventually(async () => {
      const stats = t.cloud.lambda.stats(functionName)!;
      return stats.invocations === 2 && stats.inFlight === 0 ? true : undefined;
    }, 'both deliveries');
    expect(await app.marks.get('tick/2027-01-15T00:00:00.000Z')).toBe(1);
    const claims = new ScheduleClaims(t.context.state, t.context.clock);
    expect(await claims.read('tick', '2027-01-15T00:00:00Z')).toEqual({ status: 'SUCCEEDED', attempts: 1, trigger: 'scheduled' });
  });

  it('ignores a duplicate delivery of a scheduled time already run', async () => {
    const time = new Date('2027-02-05T00:00:00Z');
    const first = (await t.fire('tick', time)) as { outcome: string };
    const second = (await t.fire('tick', time)) as { outcome: string };
    expect(first.outcome).toBe('SUCCEEDED');
    expect(second.outcome).toBe('duplicate');
    expect(await app.marks.get(`tick/${time.toISOString()}`)).toBe(1);
  });

  it('retries a failing task up to maxRetries, passing the attempt number', async () => {
    // The test clock above fired every task at 2027-01-15T00:00, shaky too: that run (three attempts) must end first,
    // or the fire time below is skipped as overlapping it (overlap "skip", the default).
    const claims = new ScheduleClaims(t.context.state, t.context.clock);
    await eventually(async () => ((await claims.read('shaky', '2027-01-15T00:00:00Z'))?.status === 'SUCCEEDED' ? true : undefined), 'shaky@2027-01-15 ended');
    const time = new Date('2027-03-01T00:00:00Z');
    const answer = (await t.fire('shaky', time)) as { outcome: string; attempt: number };
    expect(answer).toMatchObject({ outcome: 'SUCCEEDED', attempt: 3 });
    expect(await app.marks.get(`shaky/${time.toISOString()}`)).toBe(3);
    expect(await app.marks.get(`shaky-attempt/${time.toISOString()}`)).toBe(3);
  });

  it('records a failed run, raises its error, and does not run it again on redelivery', async () => {
    const time = new Date('2027-03-02T00:00:00Z');
    const error = (await t.fire('broken', time).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote).toMatchObject({ type: 'SyntaxError', message: 'broken schedule' });
    const claims = new ScheduleClaims(t.context.state, t.context.clock);
    expect(await claims.read('broken', '2027-03-02T00:00:00Z')).toMatchObject({ status: 'FAILED' });
    expect(((await t.fire('broken', time)) as { outcome: string }).outcome).toBe('duplicate');
  });

  it('refuses a malformed scheduled event with a clear error', async () => {
    const answer = await t.cloud.invoke('tick', { multinode: 'schedule', name: 'tick', scheduledTime: 'yesterday', attempt: 1 });
    expect(answer.functionError).toBe('Unhandled');
    expect(JSON.parse(answer.payload)).toMatchObject({
      errorType: 'ScheduledEventError',
      errorMessage: expect.stringMatching(/"scheduledTime" must be an ISO UTC date-time/),
    });
  });
});

describe('every N days on a DST wall clock: deliveries off the grid are ignored', () => {
  const fewDaysClock = new TestClock('2027-01-01T11:30:00Z');
  let c: TestCloud;
  beforeAll(async () => {
    c = await startTestCloud(path.join(import.meta.dirname, 'fixtures/every-few-days/src/app.ts'), {
      module: everyFewDays,
      schedules: { clock: fewDaysClock },
    });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  const claim = (name: string, time: string) => new ScheduleClaims(c.context.state, c.context.clock).read(name, time);
  const invocations = (name: string) => c.cloud.lambda.stats(c.cloud.scheduleTarget(name))!;
  async function batchJobs(prefix: string): Promise<string[]> {
    const { jobSummaryList } = await (await batchClient(c.context)).send(
      new ListJobsCommand({ jobQueue: c.cloud.names.jobQueue, filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }] }),
    );
    return (jobSummaryList ?? []).map((job) => job.jobName!);
  }

  it('lists only true fire times as upcoming; runs the grid days; records and submits nothing for the others', async () => {
    // 12:00 in Berlin and 06:00 in New York are both 11:00 UTC in January.
    expect(c.cloud.upcoming().map((r) => [r.name, r.scheduledTime.toISOString()])).toEqual([
      ['everyOtherDay', '2027-01-03T11:00:00.000Z'],
      ['everyThirdDayHeavy', '2027-01-04T11:00:00.000Z'],
    ]);
    // The scheduler fires both daily crons on 01-02 and 01-03, as EventBridge would: four deliveries, one run.
    fewDaysClock.advanceTo('2027-01-03T11:30:00Z');
    await eventually(async () => {
      const [light, heavy] = [invocations('everyOtherDay'), invocations('everyThirdDayHeavy')];
      return light.invocations === 2 && heavy.invocations === 2 && light.inFlight === 0 && heavy.inFlight === 0 ? true : undefined;
    }, 'four deliveries');
    expect(await everyFewDays.marks.get('everyOtherDay/2027-01-03T11:00:00.000Z')).toBe(1);
    expect(await claim('everyOtherDay', '2027-01-03T11:00:00Z')).toEqual({ status: 'SUCCEEDED', attempts: 1, trigger: 'scheduled' });
    expect(await everyFewDays.marks.get('everyOtherDay/2027-01-02T11:00:00.000Z')).toBeUndefined();
    expect(await claim('everyOtherDay', '2027-01-02T11:00:00Z')).toBeUndefined();
    // The Batch-placed task's deliveries went to the dispatcher, which submitted nothing.
    expect(await claim('everyThirdDayHeavy', '2027-01-02T11:00:00Z')).toBeUndefined();
    expect(await claim('everyThirdDayHeavy', '2027-01-03T11:00:00Z')).toBeUndefined();
    expect(await batchJobs('everyThirdDayHeavy-')).toEqual([]);
    expect(c.logs.filter((line) => line.includes('off the grid: not a fire time; ignored'))).toHaveLength(3);
    expect(c.cloud.upcoming().map((r) => r.scheduledTime.toISOString())).toEqual(['2027-01-04T11:00:00.000Z', '2027-01-05T11:00:00.000Z']);
  });

  it('answers an off-grid delivery with outcome "off-grid" on Lambda and on Batch; a grid time runs, a time triggered by hand too', async () => {
    const deliver = async (name: string, iso: string) => {
      const answer = await c.cloud.fireSchedule(name, { scheduledTime: new Date(iso), wait: true });
      expect(answer.functionError).toBeUndefined();
      return JSON.parse(answer.payload) as { outcome: string };
    };
    expect(await deliver('everyOtherDay', '2027-01-06T11:00:00Z')).toEqual({
      multinode: 'schedule',
      name: 'everyOtherDay',
      scheduledTime: '2027-01-06T11:00:00Z',
      outcome: 'off-grid',
    });
    expect((await deliver('everyThirdDayHeavy', '2027-01-05T11:00:00Z')).outcome).toBe('off-grid');
    expect(await claim('everyThirdDayHeavy', '2027-01-05T11:00:00Z')).toBeUndefined();
    expect(await batchJobs('everyThirdDayHeavy-')).toEqual([]);
    // Not another time of day: a run triggered by hand at 10:11:12 on an off-grid day is no delivery of the grid.
    expect((await deliver('everyOtherDay', '2027-01-06T10:11:12Z')).outcome).toBe('SUCCEEDED');
    // On the grid, the Batch-placed task is submitted and its container runs it.
    expect((await deliver('everyThirdDayHeavy', '2027-01-07T11:00:00Z')).outcome).toBe('submitted');
    await eventually(async () => ((await claim('everyThirdDayHeavy', '2027-01-07T11:00:00Z'))?.status === 'SUCCEEDED' ? true : undefined), 'the Batch run');
    expect(await everyFewDays.marks.get('everyThirdDayHeavy/2027-01-07T11:00:00.000Z')).toBe(1);
    expect(await batchJobs('everyThirdDayHeavy-')).toHaveLength(1);
  });
});
