/**
 * Scheduled tasks through the local cloud: the scheduler (with a test clock) fires the manifest's compiled
 * EventBridge expressions as asynchronous invokes of the task's Lambda function; each scheduled time runs once,
 * even when delivered twice; failures are retried up to maxRetries and recorded.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError } from '../../lib/errors.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import * as app from '../local/fixtures/functions-app/src/app.js';
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
