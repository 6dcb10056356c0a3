/** Running user code against a deadline: the run gives up (TimeoutError) when the deadline passes. */
import type { HandlerContext } from './event-handler.js';

/** Time kept to answer after giving up, so the caller gets our TimeoutError rather than Lambda's own timeout. */
export const ANSWER_MARGIN_MS = 200;
/** Time kept before the compute's own end to record an outcome in the state table (and hand a slot on). */
export const FINAL_WRITE_MARGIN_MS = 1000;

/**
 * A deadline, but never later than the Lambda invocation's own end less `marginMs` (the time to answer, or to record
 * the outcome); a short invocation keeps a quarter of what remains instead.
 */
export function invocationDeadline(deadline: number, context: HandlerContext, marginMs = ANSWER_MARGIN_MS): number {
  const remaining = context.lambda.getRemainingTimeInMillis();
  const invocationEnd = context.runtime.clock() + remaining - Math.min(marginMs, remaining / 4);
  return Math.min(deadline, invocationEnd);
}

/** A run passed its deadline. Travels as remote type "TimeoutError". */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Resolves with `run()`'s outcome, or rejects with TimeoutError once `deadline` (epoch ms by `clock`) passes.
 * JavaScript cannot stop the user's code: it keeps running until it settles (Lambda freezes it after the response).
 */
export function withDeadline<T>(run: () => T | Promise<T>, deadline: number, clock: () => number, what: string): Promise<T> {
  const remaining = deadline - clock();
  if (remaining <= 0)
    return Promise.reject(new TimeoutError(`${what} timed out: its deadline (${new Date(deadline).toISOString()}) passed before it started.`));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`${what} timed out after ${formatMs(remaining)} (its timeout is counted from the call).`)),
      remaining,
    );
    Promise.resolve()
      .then(run)
      .then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
  });
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}
