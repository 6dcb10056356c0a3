/**
 * A burst of 200 `start`s of a function that waits 50 ms, with `maxConcurrency` 20, through the local cloud: every run
 * goes through the concurrency gate in the state table (its line entry, a slot, a hand-off per run, the heartbeat and
 * the reads that reconcile), and at most 20 run at once. Baselines measured in the same run: `map` of the same 200
 * calls (bounded at 20 by the caller, no state at all), and the ideal, 200 / 20 = 10 waves of 50 ms = 500 ms.
 * The burst's time runs from its first start to the end its last run recorded.
 */
import path from 'node:path';
import { startTestCloud } from '../runtime/local/testing.js';
import { countRequests } from '../test/helpers/request-counter.js';
import { median } from './support/stats.js';
import * as app from './apps/burst/src/app.js';

const N = 200;
const LIMIT = 20;
const WAIT_MS = 50;
/** Rounds of each, interleaved (a burst and a map side by side, in alternating order). */
const ROUNDS = 6;
const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/burst/src/app.ts'), { module: app });
/** The state-table requests of this process (the starter and the waiter; the runs' executors are in worker threads). */
const requests = countRequests([cloud.context.clients.dynamodb, cloud.context.clients.cachedDynamodb]);

/** From the first start to the last run's end, as the runs recorded it (awaitResult's polling does not count). */
async function burst(key: string): Promise<{ startMs: number; totalMs: number; most: number; startRequests: number; waitRequests: number }> {
  requests.reset();
  const began = Date.now();
  const ids = await Promise.all(Array.from({ length: N }, () => app.wait50.start(key)));
  const startMs = Date.now() - began;
  const startRequests = requests.total();
  const inside = await Promise.all(ids.map((id) => app.wait50.awaitResult(id)));
  const waitRequests = requests.total() - startRequests;
  const ends = await Promise.all(ids.map(async (id) => (await app.wait50.get(id)).finishedAt!.getTime()));
  return { startMs, totalMs: Math.max(...ends) - began, most: Math.max(...inside), startRequests, waitRequests };
}

/** A single start with every slot free, alone: its state-table requests in this process. */
async function oneStart(): Promise<number> {
  requests.reset();
  const id = await app.wait50.start('alone');
  const count = requests.total();
  await app.wait50.awaitResult(id);
  return count;
}

await app.wait50.map(Array.from({ length: LIMIT }, () => 'warm-up'));
await burst('warm-up-burst');
const single = await oneStart();
let best = { startMs: Infinity, totalMs: Infinity, most: 0, startRequests: 0, waitRequests: 0 };
let mapMs = Infinity;
/** Each round's burst against the map next to it: a slow spell of the machine weighs on both. */
const paired: number[] = [];
async function timedMap(round: number): Promise<number> {
  const began = Date.now();
  await app.wait50.map(Array.from({ length: N }, () => `map-${round}`));
  return Date.now() - began;
}
for (let round = 0; round < ROUNDS; round++) {
  const mapFirst = round % 2 === 1;
  const before = mapFirst ? await timedMap(round) : undefined;
  const measured = await burst(`burst-${round}`);
  if (measured.most > LIMIT) throw new Error(`${measured.most} runs ran at once, above maxConcurrency ${LIMIT}`);
  if (measured.totalMs < best.totalMs) best = measured;
  const map = before ?? (await timedMap(round));
  mapMs = Math.min(mapMs, map);
  paired.push(measured.totalMs / map);
}
const medianPaired = median(paired);
const ideal = (N / LIMIT) * WAIT_MS;
console.log(`ideal (${N / LIMIT} waves x ${WAIT_MS} ms): ${ideal} ms`);
console.log(`map of ${N} calls at ${LIMIT} in flight (no state), best of ${ROUNDS}: ${mapMs.toFixed(0)} ms (${(mapMs / ideal).toFixed(2)}x the ideal)`);
console.log(
  `${N} starts (${(best.startMs / N).toFixed(1)} ms per start, all at once: ${best.startMs.toFixed(0)} ms) until every run finished, best of ` +
    `${ROUNDS}: ${best.totalMs.toFixed(0)} ms; most running at once: ${best.most} (maxConcurrency ${LIMIT})`,
);
console.log(
  `state-table requests made by the caller: ${single} for one start with a free slot; in the burst, ${(best.startRequests / N).toFixed(1)} per start ` +
    `and ${(best.waitRequests / N).toFixed(1)} per run while awaiting the results`,
);
console.log(
  `ratio: ${(best.totalMs / mapMs).toFixed(2)}x the map of the same calls (best against best); ${(best.totalMs / ideal).toFixed(2)}x the ideal; ` +
    `median of the ${ROUNDS} rounds' own ratios ${medianPaired.toFixed(2)}x (${paired.map((r) => r.toFixed(2)).join(', ')})`,
);
await cloud.stop();
