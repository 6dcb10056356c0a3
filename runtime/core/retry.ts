/**
 * Backoff for everything the runtime retries (DynamoDB Unprocessed* items, throttled and failed invokes):
 * exponential with "full jitter", so many clients retrying at once spread out instead of colliding again.
 */

export interface Backoff {
  /** Delay before the first retry, ms. */
  readonly baseMs: number;
  /** Longest delay, ms. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 50, capMs: 2000 };

/** Delay before retry number `retry` (1 = first retry): uniform in [0, min(cap, base * 2^(retry-1))]. */
export function backoffDelay(retry: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
