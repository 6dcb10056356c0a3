/**
 * Runs started with `fn.start` (an asynchronous invoke carrying the run id). The executor claims the run
 * (PENDING -> RUNNING, refused for duplicate deliveries), runs the handler with the function's retries until the
 * run's deadline, watches for cancellation, and writes the final state. Failures are recorded, not thrown:
 * Lambda's own asynchronous retries would only find the run already final.
 */
import { randomUUID } from 'node:crypto';
import { fromWire, toWire } from '../../lib/codec.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import { envelopeKind, type RunEvent } from '../envelope.js';
import { toRemoteError } from '../remote-error.js';
import { backoffDelay, sleep } from '../retry.js';
import { RunStore, type FinalOutcome } from '../state/runs.js';
import { TimeoutError, withDeadline } from './deadline.js';
import { targetDefinition } from './target.js';
import type { EventKind } from './types.js';

export interface RunResponse {
  readonly multinode: 'run';
  readonly id: string;
  /** The final status written, or why nothing was done. */
  readonly outcome: FinalOutcome['status'] | 'duplicate' | 'lost';
}

const CANCELLED = Symbol('cancelled');

export const runKind: EventKind<RunEvent> = {
  name: 'run',
  matches: (event) => envelopeKind(event) === 'run',
  async handle(event, context): Promise<RunResponse> {
    const definition = targetDefinition(context, event.function, 'function') as FunctionDefinition<unknown[], unknown>;
    const { state, payloads, clock, tuning } = context.runtime;
    const runs = new RunStore(definition.name, state, payloads, clock);
    const owner = randomUUID();
    const record = await runs.claim(event.id, owner);
    if (!record) return { multinode: 'run', id: event.id, outcome: 'duplicate' };
    const args = fromWire(await runs.args(record)) as unknown[];
    const maxRetries = definition.options.maxRetries;

    // Polls for a cancel request while the handler runs; never settles otherwise.
    const watching = new AbortController();
    const cancelled = new Promise<typeof CANCELLED>((resolve) => {
      void (async () => {
        try {
          for (;;) {
            await sleep(tuning.cancelPollMs, watching.signal);
            if ((await runs.status(event.id)) === 'CANCELLING') return resolve(CANCELLED);
          }
        } catch {
          // Stopped watching, or the status read failed: the final write's condition still protects the state.
        }
      })();
    });

    try {
      for (let attempt = record.attempts; ; attempt++) {
        let outcome: FinalOutcome | undefined;
        try {
          const result = await Promise.race([withDeadline(() => definition.handler(...args), record.deadline, clock, `${definition.name} run ${event.id}`), cancelled]);
          outcome = result === CANCELLED ? { status: 'CANCELLED' } : { status: 'SUCCEEDED', result: toWire(result, 'result') };
        } catch (error) {
          const remote = toRemoteError(error);
          if (error instanceof TimeoutError) outcome = { status: 'TIMED_OUT', error: remote };
          else if (attempt > maxRetries || clock() >= record.deadline) outcome = { status: 'FAILED', error: remote };
          else {
            console.error(`${definition.name} run ${event.id}: attempt ${attempt} failed (${remote.type}: ${remote.message}); retrying`);
            await sleep(backoffDelay(attempt, tuning.retryBackoff));
            if ((await runs.status(event.id)) === 'CANCELLING') outcome = { status: 'CANCELLED' };
            else if (!(await runs.nextAttempt(event.id, owner))) return { multinode: 'run', id: event.id, outcome: 'lost' };
            else continue;
          }
        }
        const written = await runs.finish(event.id, owner, outcome);
        if (!written && outcome.status !== 'CANCELLED' && (await runs.status(event.id)) === 'CANCELLING') {
          await runs.finish(event.id, owner, { status: 'CANCELLED' });
          return { multinode: 'run', id: event.id, outcome: 'CANCELLED' };
        }
        return { multinode: 'run', id: event.id, outcome: written ? outcome.status : 'lost' };
      }
    } finally {
      watching.abort();
    }
  },
};
