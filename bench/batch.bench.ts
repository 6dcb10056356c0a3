/**
 * A heavy `map` of 200 items as ONE array job vs 200 single submissions (`call` per item, all at once), on the
 * local Batch endpoint through the local cloud. Both run the same 200 containers (a child process each, started by
 * the real bootstrap), so wall time is mostly container starts; the array job saves Batch API calls (one SubmitJob
 * and one DescribeJobs per poll, instead of one of each per item). Prints the Batch API calls made by the caller
 * and the wall time of each, and their ratios.
 */
import path from 'node:path';
import { batchClient } from '../runtime/batch/batch-jobs.js';
import { startTestCloud } from '../runtime/local/testing.js';
import * as app from './apps/batch/src/app.js';

const N = 200;
const items = Array.from({ length: N }, (_, i) => i);
const expected = items.map((i) => i + 1);

const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/batch/src/app.ts'), { module: app });
const calls = new Map<string, number>();
(await batchClient(cloud.context)).middlewareStack.add(
  (next, context) => async (args) => {
    const operation = String(context.commandName).replace(/Command$/, '');
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    return next(args);
  },
  { step: 'initialize', name: 'countBatchCalls' },
);

async function measure(label: string, run: () => Promise<number[]>): Promise<{ label: string; ms: number; apiCalls: number; detail: string }> {
  calls.clear();
  const started = performance.now();
  const results = await run();
  const ms = performance.now() - started;
  if (JSON.stringify(results) !== JSON.stringify(expected)) throw new Error(`${label}: wrong results`);
  const apiCalls = [...calls.values()].reduce((a, b) => a + b, 0);
  return { label, ms, apiCalls, detail: [...calls].map(([op, n]) => `${op} ${n}`).join(', ') };
}

const arrayJob = await measure('map: one array job', () => app.bump.map(items));
const singles = await measure('200 single submissions', () => Promise.all(items.map((i) => app.bump.call(i))));

console.log(`${N} items on the local Batch endpoint (containers at once: the CPU count):`);
for (const m of [arrayJob, singles]) {
  console.log(`  ${m.label.padEnd(26)} ${(m.ms / 1000).toFixed(1).padStart(6)} s  ${String(m.apiCalls).padStart(5)} Batch API calls (${m.detail})`);
}
console.log(
  `ratio: 200 single submissions make ${(singles.apiCalls / arrayJob.apiCalls).toFixed(1)}x the Batch API calls of one array job, and take ` +
    `${(singles.ms / arrayJob.ms).toFixed(2)}x its wall time`,
);
await cloud.stop();
