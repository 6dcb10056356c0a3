/**
 * Function conformance through the local cloud: the real SDK Lambda client, the local Lambda endpoint, worker
 * threads running the app bundle's handler. call/map/starmap ordering and errors, returnExceptions, the concurrency
 * bound, retries, throttling, timeouts, payloads through S3 both ways, start/get/cancel/list/awaitResult.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CodecError,
  InvalidArgumentError,
  InvocationFailedError,
  RunCancelledError,
  RunFinishedError,
  RunNotFoundError,
  WaitTimeoutError,
} from '../../lib/errors.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { until } from '../helpers/poll.js';
import * as app from '../local/fixtures/functions-app/src/app.js';

const entry = path.join(import.meta.dirname, '../local/fixtures/functions-app/src/app.ts');
let throttleEvery = 0;
let throttleCount = 0;
/** Throttles this many invokes of countOnce in a row (so that every call of a map is pausing at once). */
let throttleNext = 0;
let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud(entry, {
    module: app,
    throttle: (functionName) =>
      functionName.endsWith('-countOnce') && ((throttleNext > 0 && throttleNext-- > 0) || (throttleEvery > 0 && ++throttleCount % throttleEvery === 0)),
    runtime: { tuning: { retryBackoff: { baseMs: 10, capMs: 50 }, throttleBackoff: { baseMs: 5, capMs: 20 }, cancelPollMs: 50 } },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('call', () => {
  it('returns the result, with codec types intact both ways', async () => {
    expect(await app.add.call(2, 3)).toBe(5);
    expect(await app.echo.call({ nested: [1, 'two', null] })).toEqual({ nested: [1, 'two', null] });
    const out = await app.types.call({
      when: new Date('2024-01-01T00:00:00Z'),
      tags: new Set(['b', 'a']),
      big: 2n ** 70n,
      raw: new Uint8Array(5),
      map: new Map([['k', 1]]),
    });
    expect(out).toEqual({ when: new Date('2024-01-01T00:00:01Z'), tags: ['a', 'b'], big: 2n ** 71n, raw: 5, map: { k: 1 } });
  });

  it('re-raises a remote error as InvocationFailedError with its type, message and stack', async () => {
    const error = (await app.fail.call('over quota').catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.functionName).toBe('fail');
    expect(error.remote.type).toBe('QuotaExceeded');
    expect(error.remote.message).toBe('over quota');
    expect(error.remote.stack).toMatch(/QuotaExceeded|over quota/);
    expect(error.message).toBe('fail failed: QuotaExceeded: over quota');
  });

  it('calls other functions from inside a function', async () => {
    expect(await app.nested.call(1)).toBe(101);
  });

  it('retries failed executions up to maxRetries', async () => {
    expect(await app.flaky.call('twice', 2)).toBe(3);
    const error = (await app.flaky.call('always', 10).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.message).toBe('flaky failure 3');
    expect(await app.marks.get('flaky/always')).toBe(3);
  });

  it('enforces the timeout and does not retry a timed-out call', async () => {
    expect(await app.slow.call(10)).toBe(10);
    const error = (await app.slow.call(5000).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    // The runtime stops the handler 200 ms before the invocation's end (TimeoutError); on a loaded machine Lambda's own
    // timeout (Sandbox.Timedout) can come first. Both are a timeout, and neither is retried.
    expect(['TimeoutError', 'Sandbox.Timedout']).toContain(error.remote.type);
  });

  it('carries arguments and results over the 6 MB inline limit through S3', async () => {
    const data = new Uint8Array(7 * 1024 * 1024).fill(7);
    data[data.length - 1] = 9;
    expect(await app.measure.call(data)).toEqual({ length: data.length, first: 7, last: 9 });
    const text = await app.big.call(7 * 1024 * 1024);
    expect(text.length).toBe(7 * 1024 * 1024);
  });

  it('refuses arguments the codec cannot carry, naming the path', async () => {
    await expect(app.echo.call({ user: { callback: () => 1 } })).rejects.toThrow(CodecError);
    await expect(app.echo.call({ user: { callback: () => 1 } })).rejects.toThrow(/args\[0\]\.user\.callback/);
  });

  it('names the functions there are when asked for an unknown one', async () => {
    const { createRuntimePort } = await import('../../runtime/entry/runtime-port.js');
    const port = createRuntimePort(t.context);
    expect(() => port.function('nope')).toThrow(/The app "functions-app" has no function named "nope". Its functions: echo, add, fail/);
    expect(() => port.function('marks')).toThrow(/\("marks" is a dict\)/);
    expect(() => port.dict('echo')).toThrow(/has no dict named "echo" \("echo" is a function\)/);
  });

  it('reports a worker that exits as a remote error', async () => {
    const error = (await app.exits.call().catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote.type).toBe('Runtime.ExitError');
    expect(await app.add.call(1, 1)).toBe(2);
  });
});

describe('map and starmap', () => {
  it('returns results in input order, from arrays and async iterables', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    expect(await app.echo.map(items)).toEqual(items);
    async function* generate() {
      for (let i = 0; i < 15; i++) yield i;
    }
    expect(await app.echo.map(generate())).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(
      await app.add.starmap([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).toEqual([3, 7, 11]);
    expect(await app.echo.map([])).toEqual([]);
  });

  it('reads a sync generator lazily, each item once, and fails with the error it throws', async () => {
    const pulled: number[] = [];
    function* counting(limit: number) {
      for (let i = 0; i < limit; i++) {
        pulled.push(i);
        yield i;
      }
    }
    expect(await app.echo.map(counting(30), { concurrency: 7 })).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(pulled).toEqual(Array.from({ length: 30 }, (_, i) => i));

    function* breaking() {
      yield 1;
      yield 2;
      throw new RangeError('the source broke');
    }
    await expect(app.echo.map(breaking(), { concurrency: 2 })).rejects.toThrow(/the source broke/);
  });

  it('never has two reads of an async iterator in flight at once', async () => {
    let reading = 0;
    let most = 0;
    let i = 0;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        async next() {
          most = Math.max(most, ++reading);
          await new Promise((resolve) => setImmediate(resolve));
          reading--;
          return i < 12 ? { done: false, value: i++ } : { done: true, value: undefined };
        },
      }),
    };
    expect(await app.echo.map(source, { concurrency: 5 })).toEqual(Array.from({ length: 12 }, (_, n) => n));
    expect(most).toBe(1);
  });

  it('rejects on the first failure, or returns errors in place with returnExceptions', async () => {
    await expect(app.failWhenOdd.map([0, 2, 3, 4])).rejects.toThrow(/odd: 3/);
    const mixed = await app.failWhenOdd.map([0, 1, 2, 3], { returnExceptions: true });
    expect(mixed[0]).toBe(0);
    expect(mixed[2]).toBe(20);
    expect(mixed[1]).toBeInstanceOf(InvocationFailedError);
    expect((mixed[3] as InvocationFailedError).remote).toMatchObject({ type: 'RangeError', message: 'odd: 3' });
  });

  it('does not start more items after a failure', async () => {
    const before = t.cloud.lambda.stats(t.cloud.names.lambdaFunction('failWhenOdd'))!.invocations;
    await expect(app.failWhenOdd.map([1, ...Array.from({ length: 50 }, (_, i) => i * 2)], { concurrency: 1 })).rejects.toThrow(InvocationFailedError);
    expect(t.cloud.lambda.stats(t.cloud.names.lambdaFunction('failWhenOdd'))!.invocations - before).toBe(1);
  });

  it('rejects at the first failure without waiting for calls in flight, which finish on their own; nothing more starts', async () => {
    const key = `first-failure-${Date.now()}`;
    const stats = () => t.cloud.lambda.stats(t.cloud.names.lambdaFunction('held'))!;
    const before = stats().invocations;
    // Item 0 stays in flight until released (or 10 s), item 1 fails at once, and items 2.. must never start.
    const argLists: Array<[string, number, boolean]> = [
      [`${key}-0`, 10_000, false],
      [`${key}-1`, 0, true],
      ...Array.from({ length: 20 }, (_, i): [string, number, boolean] => [`${key}-${i + 2}`, 0, false]),
    ];
    const error = (await app.held.starmap(argLists, { concurrency: 2 }).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote).toMatchObject({ type: 'RangeError', message: `${key}-1 failed at once` });
    // The map rejected while item 0 was still running: it had not reached its end.
    expect(await app.marks.get(`done/${key}-0`)).toBeUndefined();
    await app.marks.set(`release/${key}-0`, 1);
    await until(
      async () => ({ done: await app.marks.get(`done/${key}-0`), inFlight: stats().inFlight }),
      (seen) => seen.done === 1 && seen.inFlight === 0,
      'item 0 to finish after the map rejected',
    );
    expect(stats().invocations - before).toBe(2);
  });

  it('keeps at most maxConcurrency calls in flight, or fewer with { concurrency }', async () => {
    const observed = (await app.bounded.map(Array.from({ length: 16 }, () => 300))) as number[];
    // Never more than 4 at once (measured inside the function and at the endpoint), and the bound is reached.
    expect(Math.max(...observed)).toBeLessThanOrEqual(4);
    expect(Math.max(...observed)).toBeGreaterThanOrEqual(3);
    expect(t.cloud.lambda.stats(t.cloud.names.lambdaFunction('bounded'))!.maxInFlight).toBe(4);
    expect(t.cloud.lambda.stats(t.cloud.names.lambdaFunction('bounded'))!.throttles).toBe(0);
    const fewer = (await app.bounded.map(
      Array.from({ length: 6 }, () => 100),
      { concurrency: 2 },
    )) as number[];
    expect(Math.max(...fewer)).toBeLessThanOrEqual(2);
  });

  it('retries throttled invokes without counting them, and runs every item exactly once', async () => {
    throttleEvery = 3;
    try {
      const items = Array.from({ length: 60 }, (_, i) => `item-${i}`);
      const counts = await app.countOnce.map(items);
      expect(counts).toEqual(items.map(() => 1));
      expect(t.cloud.lambda.stats(t.cloud.names.lambdaFunction('countOnce'))!.throttles).toBeGreaterThan(10);
      expect(await app.marks.getMany(items.map((i) => `once/${i}`))).toEqual(items.map(() => 1));
    } finally {
      throttleEvery = 0;
    }
  });

  it('leaves no abort listeners behind under retries and throttling (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    // 50 calls in flight (countOnce's maxConcurrency), all throttled many times over: they pause side by side.
    throttleNext = 500;
    try {
      const items = Array.from({ length: 100 }, (_, i) => `listeners-${i}`);
      expect(await app.countOnce.map(items)).toEqual(items.map(() => 1));
      expect(throttleNext).toBe(0);
      // Retries of failures pause too: 30 calls that each fail twice, with maxRetries 2.
      const keys = Array.from({ length: 30 }, (_, i) => `listeners-${Date.now()}-${i}`);
      expect(await app.flaky.starmap(keys.map((key) => [key, 2]))).toEqual(keys.map(() => 3));
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      throttleNext = 0;
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });

  it('checks its options and items', async () => {
    await expect(app.echo.map([1], { concurrency: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(app.echo.map(5 as never)).rejects.toThrow(/expected an array, iterable or async iterable/);
    await expect(app.add.starmap([[1, 2], 3 as never])).rejects.toThrow(/argLists\[1\] must be an array/);
  });
});

describe('start / get / cancel / list / awaitResult', () => {
  it('runs a started invocation and reports its state', async () => {
    const id = await app.runner.start(50, false);
    expect(await app.runner.awaitResult(id)).toEqual({ slept: 50 });
    const info = await app.runner.get(id);
    expect(info).toMatchObject({ id, name: 'runner', status: 'SUCCEEDED', result: { slept: 50 }, attempts: 1, error: undefined });
    expect(info.startedAt!.getTime()).toBeGreaterThanOrEqual(info.createdAt.getTime());
    expect(info.finishedAt!.getTime()).toBeGreaterThanOrEqual(info.startedAt!.getTime());
  });

  it('retries a failing run and records the failure', async () => {
    const id = await app.runner.start(1, true);
    const error = (await app.runner.awaitResult(id).catch((e: unknown) => e)) as InvocationFailedError;
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error.remote).toMatchObject({ type: 'TypeError', message: 'run failed on purpose' });
    expect(await app.runner.get(id)).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('cancels a running invocation', async () => {
    const id = await app.runner.start(3000, false);
    for (let waited = 0; waited < 20_000 && (await app.runner.get(id)).status !== 'RUNNING'; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect((await app.runner.get(id)).status).toBe('RUNNING');
    await app.runner.cancel(id);
    // CANCELLING until the executor notices (it checks every second), then CANCELLED.
    expect(['CANCELLING', 'CANCELLED']).toContain((await app.runner.get(id)).status);
    await expect(app.runner.awaitResult(id)).rejects.toThrow(RunCancelledError);
    expect((await app.runner.get(id)).status).toBe('CANCELLED');
    await expect(app.runner.cancel(id)).rejects.toThrow(RunFinishedError);
  });

  it('lists runs newest first, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await app.echo.start(i));
    const first = await app.echo.list({ limit: 3 });
    expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(first.cursor).toBeDefined();
    const second = await app.echo.list({ limit: 3, cursor: first.cursor! });
    expect(second.items.map((r) => r.id).slice(0, 2)).toEqual([ids[1], ids[0]]);
    await Promise.all(ids.map((id) => app.echo.awaitResult(id)));
  });

  it('raises typed errors for unknown ids and bad arguments', async () => {
    await expect(app.echo.get('00000000000000000000000000')).rejects.toThrow(RunNotFoundError);
    await expect(app.echo.get('nope')).rejects.toThrow(RunNotFoundError);
    await expect(app.echo.get(42 as never)).rejects.toThrow(InvalidArgumentError);
    await expect(app.echo.list({ limit: 500 })).rejects.toThrow(/limit must be a whole number from 1 to 50/);
    await expect(app.echo.list({ cursor: 'garbage' })).rejects.toThrow(/is not a cursor returned by list/);
    const id = await app.runner.start(2000, false);
    await expect(app.runner.awaitResult(id, { timeout: '100ms' as never })).rejects.toThrow();
    await expect(app.runner.awaitResult(id, { timeout: { seconds: 0.1 } })).rejects.toThrow(WaitTimeoutError);
  });
});
