/**
 * Polls a condition that changes asynchronously (in other processes, workers or timers): reads until `test` holds,
 * at most `timeoutMs`. The error names what was awaited and the last value seen, so a failure says why.
 */
export interface UntilOptions<T> {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Default 25 ms. */
  readonly intervalMs?: number;
  /** How the last value appears in the error; default JSON. */
  readonly show?: (value: T) => string;
}

export async function until<T>(read: () => T | Promise<T>, test: (value: T) => boolean, what: string, options: UntilOptions<T> = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 25, show = (value: T) => JSON.stringify(value) } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${show(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
