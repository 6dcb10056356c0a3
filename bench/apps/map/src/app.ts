/** The functions the map benchmarks call. */
import * as mn from 'multinode';

/** Does nothing: the cost of a call is all transport and runtime. */
export const noop = mn.fn({ maxConcurrency: 50 }, async (i: number) => i);

/** Waits 50 ms: 1,000 calls at 100 in flight take 10 x 50 ms at best. */
export const wait50 = mn.fn({ maxConcurrency: 100 }, async (i: number) => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return i;
});
