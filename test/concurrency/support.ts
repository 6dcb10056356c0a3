/** Shared helpers of the maxConcurrency tests through the local cloud. */
import type { RunInfo, Status } from '../../lib/handles.js';
import type { RuntimeContext } from '../../runtime/core/context.js';
import { runGate } from '../../runtime/functions/run-queue.js';
import { jobParts } from '../../runtime/jobs/factory.js';
import type { ConcurrencyGate } from '../../runtime/state/concurrency.js';
import type { Entry } from './fixtures/concurrency-app/src/app.js';

/** A test clock that can jump ahead (the local cloud's workers keep the real one). */
export const testClock = { offset: 0, now: (): number => Date.now() + testClock.offset };

/** The gate of a function's started runs, as any process of the app sees it (the runtime's own). */
export function functionGate(context: RuntimeContext, name: string): ConcurrencyGate {
  return runGate(context, context.definition(name, 'function'));
}

/** The gate of a job's runs (the runtime's own). */
export function jobGateOf(context: RuntimeContext, name: string): ConcurrencyGate {
  return jobParts(context, name).queue.gate;
}

export const statuses = async (get: (id: string) => Promise<RunInfo<unknown>>, ids: readonly string[]): Promise<Status[]> =>
  (await Promise.all(ids.map((id) => get(id)))).map((info) => info.status);

/**
 * What a burst's entries must show: never more than `limit` inside at once (and the limit reached), and an order of
 * starts close to the order of creation. Slots are handed out oldest first, but runs handed slots at about the same
 * time start in whatever order their executors come up: a run may start up to `limit` places early or late.
 */
export function checkBurst(entries: readonly Entry[], limit: number): void {
  const most = Math.max(...entries.map((e) => e.inside));
  if (most !== limit) throw new Error(`expected at most ${limit} at once, and that many reached; the most inside at once was ${most}`);
  entries.forEach((entry, created) => {
    if (Math.abs(entry.order - 1 - created) > limit)
      throw new Error(`run ${created} (in creation order) started as number ${entry.order}: not first in, first out`);
  });
}
