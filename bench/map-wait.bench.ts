/**
 * `map` of 1,000 calls of a handler that waits 50 ms, with `maxConcurrency` 100, through the local cloud, vs the
 * ideal: 1,000 / 100 = 10 waves of 50 ms = 500 ms. Target: <= 1.15x the ideal. The ideal is also measured: the same
 * 1,000 waits run in-process at 100 at a time (timer granularity included).
 */
import path from 'node:path';
import { startTestCloud } from '../runtime/local/testing.js';
import * as app from './apps/map/src/app.js';

const N = 1000;
const CONCURRENCY = 100;
const WAIT_MS = 50;
const ROUNDS = 3;
const items = Array.from({ length: N }, (_, i) => i);
const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/map/src/app.ts'), { module: app });

async function inProcess(): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      next++;
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    }
  }));
}

await app.wait50.map(items.slice(0, 200)); // warm up the workers
let mapMs = Infinity;
let idealMs = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  let started = performance.now();
  await inProcess();
  idealMs = Math.min(idealMs, performance.now() - started);
  started = performance.now();
  const results = await app.wait50.map(items);
  mapMs = Math.min(mapMs, performance.now() - started);
  if (results[N - 1] !== N - 1) throw new Error('map returned wrong results');
}
const stats = cloud.cloud.lambda.stats(cloud.cloud.names.lambdaFunction('wait50'))!;
const theory = (N / CONCURRENCY) * WAIT_MS;
console.log(`ideal (${N / CONCURRENCY} waves x ${WAIT_MS} ms): ${theory} ms; measured in-process at ${CONCURRENCY} in flight: ${idealMs.toFixed(0)} ms`);
console.log(`map of ${N} x ${WAIT_MS} ms calls, maxConcurrency ${CONCURRENCY} (best of ${ROUNDS}): ${mapMs.toFixed(0)} ms; most in flight: ${stats.maxInFlight}; throttled: ${stats.throttles}`);
const ratio = mapMs / theory;
console.log(`ratio: ${ratio.toFixed(2)}x the ideal (target <= 1.15x) ${ratio <= 1.15 ? 'OK' : 'ABOVE TARGET'}; ${(mapMs / idealMs).toFixed(2)}x the measured in-process run`);
await cloud.stop();
