/**
 * Listing runs through the control plane as the stored history grows: the same reads with 1,000 and with 10,000
 * runs in the state table (local DynamoDB, real SDK clients, records written by the runtime's own stores), printing
 * the ratio of each. Reads that page through the index or a partition cost about the same whatever is stored (ratio
 * near 1); walking every page is linear (its per-row cost is compared).
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { resourceNames } from '../lib/naming.js';
import { loadManifest } from '../runtime/build/load-manifest.js';
import { createControlPlane, type ControlPlane } from '../runtime/control/control-plane.js';
import type { RunsQuery } from '../runtime/control/types.js';
import { Payloads } from '../runtime/core/payloads.js';
import { RunStore } from '../runtime/functions/run-store.js';
import { JobStore } from '../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING } from '../runtime/jobs/tuning.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { appTables, createTables } from '../runtime/local/tables.js';
import { ScheduleClaims } from '../runtime/schedules/claims.js';
import { newRunId } from '../runtime/state/ids.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const NOW = Date.parse('2030-06-01T12:00:00Z');
const SIZES = [1000, 10_000] as const;
const REPEATS = 15;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const { manifest } = await loadManifest(path.join(import.meta.dirname, 'apps/runs/src/app.ts'));
const dynamo = await startDynamo();
const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials });
const payloads = new Payloads(s3, 'unused-bucket');

/**
 * A plane over a fresh state table holding `count` runs over the last 20 hours (60% started runs of two functions,
 * 30% jobs, 10% scheduled runs): 1 in 10 succeeded, 1 in 100 failed, the newest 20 running.
 */
async function seeded(count: number): Promise<ControlPlane> {
  const config = {
    app: manifest.app.name,
    prefix: `bench${count}`,
    bucket: 'unused-bucket',
    region: 'us-east-1',
    endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9' },
    credentials,
  };
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  await createTables(client, appTables(manifest, resourceNames(config.prefix)));
  client.destroy();
  const plane = createControlPlane({ config, manifest, services: [] }, { clock: () => NOW });
  const state = plane.context.state;
  const step = (20 * 3_600_000) / count;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        const at = Math.floor(NOW - 20 * 3_600_000 + i * step);
        const kind = i % 10;
        if (kind < 6) {
          const name = kind < 3 ? 'report' : 'resize';
          const id = newRunId(at);
          const store = new RunStore(name, state, payloads, () => at);
          await store.create(id, [i], 86_400);
          if (i % 100 === 1 || i % 10 === 2 || i >= count - 20) await store.claim(id, 'bench');
          if (i % 100 === 1) await store.finish(id, 'bench', { status: 'FAILED', error: { type: 'Error', message: `run ${i} failed` } });
          else if (i % 10 === 2) await store.finish(id, 'bench', { status: 'SUCCEEDED', result: i });
        } else if (kind < 9) {
          await new JobStore('render', state, payloads, () => at).create(
            newRunId(at),
            { frames: i },
            {
              timeoutSeconds: 86_400,
              maxAttempts: 1,
              placement: 'lambda',
              tuning: DEFAULT_JOB_TUNING,
            },
          );
        } else {
          const claims = new ScheduleClaims(state, () => at);
          const claimed = await claims.claim('hourly', `${new Date(Math.floor(at / 1000) * 1000).toISOString().slice(0, 19)}Z`, 3_600_000);
          if (claimed.claimed) await claims.finish(claimed.claim, { status: 'SUCCEEDED' });
        }
      }
    }),
  );
  console.log(`stored ${count} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return plane;
}

/** Median ms of each read on each plane: the planes take turns, so warming up favours neither. */
async function medians(
  planes: ReadonlyMap<number, ControlPlane>,
  read: (plane: ControlPlane) => Promise<unknown>,
  repeats: number,
): Promise<Map<number, number>> {
  const times = new Map<number, number[]>([...planes.keys()].map((size) => [size, []]));
  for (const plane of planes.values()) await read(plane);
  for (let i = 0; i < repeats; i++) {
    for (const [size, plane] of planes) {
      const started = performance.now();
      await read(plane);
      times.get(size)!.push(performance.now() - started);
    }
  }
  return new Map([...times].map(([size, list]) => [size, list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!]));
}

/** Every page of 100 of the whole app; the number of rows. */
async function walk(plane: ControlPlane, query: RunsQuery): Promise<number> {
  let rows = 0;
  let cursor: string | undefined;
  do {
    const page = await plane.runs({ ...query, limit: 100, ...(cursor ? { cursor } : {}) });
    rows += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return rows;
}

const READS: Array<[string, (plane: ControlPlane) => Promise<unknown>]> = [
  ['newest 50, whole app (index)', (p) => p.runs({ limit: 50 })],
  ['newest 50 of one function (table)', (p) => p.runs({ name: 'report', limit: 50 })],
  ['newest 50 jobs (partitions merged)', (p) => p.runs({ kind: 'job', limit: 50 })],
  ['running now, whole app (index)', (p) => p.runs({ status: 'RUNNING' })],
  ['failed (1 in 100), whole app, page 1', (p) => p.runs({ status: 'FAILED', limit: 50 })],
  ['a run by id (index, then table)', async (p) => p.run((await p.runs({ name: 'report', limit: 1 })).items[0]!.id)],
  ['status(): counts over 24 h', (p) => p.status()],
];

const planes = new Map<number, ControlPlane>();
for (const size of SIZES) planes.set(size, await seeded(size));
const results = new Map<string, Map<number, number>>();
for (const [label, read] of READS) results.set(label, await medians(planes, read, REPEATS));
const rows = new Map<number, number>();
for (const [size, plane] of planes) rows.set(size, await walk(plane, {}));
const walks = await medians(planes, (plane) => walk(plane, {}), 3);
for (const plane of planes.values()) plane.close();

const [small, large] = SIZES;
console.log(`\n${'read'.padEnd(38)} ${`${small} runs`.padStart(12)} ${`${large} runs`.padStart(12)}  ratio`);
for (const [label] of READS) {
  const a = results.get(label)!.get(small)!;
  const b = results.get(label)!.get(large)!;
  console.log(`${label.padEnd(38)} ${`${a.toFixed(1)} ms`.padStart(12)} ${`${b.toFixed(1)} ms`.padStart(12)}  ${(b / a).toFixed(2)}x`);
}
const perRow = (size: number) => walks.get(size)! / rows.get(size)!;
console.log(
  `${'every page of 100, whole app'.padEnd(38)} ${`${walks.get(small)!.toFixed(0)} ms`.padStart(12)} ${`${walks.get(large)!.toFixed(0)} ms`.padStart(12)}  ` +
    `${(perRow(large) / perRow(small)).toFixed(2)}x per row (${rows.get(small)} and ${rows.get(large)} rows)`,
);
s3.destroy();
await dynamo.close();
