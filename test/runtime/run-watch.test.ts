/**
 * The watcher of a started run's executor: heartbeats and cancel polling. A request that fails (throttled, a network
 * error) must not end the watching: a silent executor is judged dead and its run given to another.
 */
import { describe, expect, it } from 'vitest';
import type { Status } from '../../lib/handles.js';
import { CANCELLED, LOST, watchRun } from '../../runtime/functions/run-event.js';

/** A fake run store: the first `failures` requests throw; then the status is RUNNING until `cancelAfter` requests. */
function store(failures: number, cancelAfter: number) {
  const calls: string[] = [];
  const answer = (kind: string): Status => {
    calls.push(kind);
    if (calls.length <= failures) throw new Error('ProvisionedThroughputExceededException');
    return calls.length >= cancelAfter ? 'CANCELLING' : 'RUNNING';
  };
  return { calls, runs: { heartbeat: async () => answer('heartbeat'), status: async () => answer('status') } };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'still watching'>((resolve) => setTimeout(() => resolve('still watching'), ms))]);

describe('watchRun', () => {
  it('keeps heartbeating and polling after failed requests, and sees the cancel request', async () => {
    const { calls, runs } = store(3, 8);
    const watching = new AbortController();
    const outcome = await within(watchRun(runs, 'run-1', 'me', { beatEveryMs: 10, pollMs: 5, clock: Date.now }, watching.signal), 5_000);
    watching.abort();
    expect(outcome).toBe(CANCELLED);
    expect(calls.length).toBe(8);
    expect(calls).toContain('heartbeat');
  });

  it('reports a heartbeat that finds the run taken over, and stops when told to', async () => {
    const lost = await watchRun(
      { heartbeat: async () => undefined, status: async () => 'RUNNING' as Status },
      'run-2',
      'me',
      { beatEveryMs: 10, pollMs: 5, clock: Date.now },
      new AbortController().signal,
    );
    expect(lost).toBe(LOST);
    const stop = new AbortController();
    const { calls, runs } = store(0, Infinity);
    const watched = watchRun(runs, 'run-3', 'me', { beatEveryMs: 10, pollMs: 5, clock: Date.now }, stop.signal);
    while (calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    expect(await within(watched, 200)).toBe('still watching');
    const after = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.length).toBe(after);
  });
});
