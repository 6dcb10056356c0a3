/**
 * How cost grows per 10x of work, each pair measured in this run, alternating, on the local cloud with the real SDK
 * clients, printing the ratio (10x the work costing 10x is linear; per item, 1.0x):
 *
 * - `map` of 1,000 and of 10,000 calls of a function that returns at once (maxConcurrency 50);
 * - run listing through the control plane over 1,000 and 10,000 stored runs: pages read through the index or a
 *   partition (their cost should not grow), and walking every page (linear: compared per row);
 * - dict prefix listing over 10,000 and 100,000 keys, the prefix matching 100 keys in both: `entries({ prefix })` and
 *   the first page of 50 (`page`). Both are a Scan of the whole dict with the prefix as a filter, so their cost grows
 *   with the dict, not with what they return. `get` of one key is the flat reference.
 *
 * Seeding (runs and dict keys) is timed apart and not part of any ratio.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resourceNames } from '../lib/naming.js';
import { loadManifest } from '../runtime/build/load-manifest.js';
import { createControlPlane, type ControlPlane } from '../runtime/control/control-plane.js';
import { documentClient } from '../runtime/core/clients.js';
import { DictClient } from '../runtime/dicts/dict-client.js';
import { DICT_TABLE_SCHEMA } from '../runtime/dicts/schema.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { appTables, createTables } from '../runtime/local/tables.js';
import { startTestCloud } from '../runtime/local/testing.js';
import { seedRuns } from '../test/helpers/seed-runs.js';
import * as mapApp from './apps/map/src/app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Median of `repeats` timings of `run` on each size, the sizes taking turns; a first untimed round warms up. */
async function medians<S>(sizes: readonly S[], run: (size: S) => Promise<unknown>, repeats: number): Promise<Map<S, number>> {
  const times = new Map<S, number[]>(sizes.map((size) => [size, []]));
  for (const size of sizes) await run(size);
  for (let i = 0; i < repeats; i++) {
    for (const size of sizes) {
      const started = performance.now();
      await run(size);
      times.get(size)!.push(performance.now() - started);
    }
  }
  return new Map([...times].map(([size, list]) => [size, list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!]));
}

const rows: string[][] = [];
/** One line of the table: the two times, the ratio, and the ratio per unit of work when the work grew too. */
function report(label: string, small: number, large: number, workRatio?: number): void {
  const ratio = large / small;
  const perUnit = workRatio ? `${(ratio / workRatio).toFixed(2)}x per item` : '';
  rows.push([label, `${small.toFixed(1)} ms`, `${large.toFixed(1)} ms`, `${ratio.toFixed(2)}x`, perUnit]);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// map: 1,000 and 10,000 calls through the local Lambda.
const MAP_SIZES = [1000, 10_000] as const;
const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/map/src/app.ts'), { module: mapApp });
const itemsOf = (n: number) => Array.from({ length: n }, (_, i) => i);
const mapTimes = await medians(
  MAP_SIZES,
  async (n) => {
    const results = await mapApp.noop.map(itemsOf(n));
    if (results.length !== n || results[n - 1] !== n - 1) throw new Error('map returned wrong results');
  },
  3,
);
await cloud.stop();
report('map, whole call', mapTimes.get(1000)!, mapTimes.get(10_000)!, 10);

// Run listing: 1,000 and 10,000 runs in two state tables of one local DynamoDB.
const RUN_SIZES = [1000, 10_000] as const;
const NOW = Date.parse('2030-06-01T12:00:00Z');
const { manifest } = await loadManifest(path.join(import.meta.dirname, 'apps/runs/src/app.ts'));
const dynamo = await startDynamo();
const planes = new Map<number, ControlPlane>();
for (const count of RUN_SIZES) {
  const config = {
    app: manifest.app.name,
    prefix: `growth${count}`,
    bucket: 'unused-bucket',
    region: 'us-east-1',
    endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9' },
    credentials,
  };
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  await createTables(client, appTables(manifest, resourceNames(config.prefix)));
  client.destroy();
  const plane = createControlPlane({ config, manifest, services: [] }, { clock: () => NOW });
  const started = performance.now();
  await seedRuns(plane.context.state, { count, now: NOW, hours: 20, functions: ['report', 'resize'], job: 'render', task: 'hourly' });
  console.log(`seeding: ${count} runs stored in ${seconds(performance.now() - started)}`);
  planes.set(count, plane);
}
const listing = async (read: (plane: ControlPlane) => Promise<unknown>) => medians(RUN_SIZES, (size) => read(planes.get(size)!), 9);
const newest = await listing((p) => p.runs({ limit: 50 }));
report('runs: newest 50, whole app (index)', newest.get(1000)!, newest.get(10_000)!);
const ofOne = await listing((p) => p.runs({ name: 'report', limit: 50 }));
report('runs: newest 50 of one function', ofOne.get(1000)!, ofOne.get(10_000)!);
const failed = await listing((p) => p.runs({ status: 'FAILED', limit: 50 }));
report('runs: failed (1 in 100), page 1', failed.get(1000)!, failed.get(10_000)!);
/** Every page of 100 of the whole app. */
const walk = async (plane: ControlPlane) => {
  let cursor: string | undefined;
  do cursor = (await plane.runs({ limit: 100, ...(cursor ? { cursor } : {}) })).cursor;
  while (cursor);
};
const walks = await medians(RUN_SIZES, (size) => walk(planes.get(size)!), 3);
report('runs: every page of 100', walks.get(1000)!, walks.get(10_000)!, 10);
for (const plane of planes.values()) plane.close();

// Dict prefix listing: 10,000 and 100,000 keys, 100 of them under the listed prefix in both.
const DICT_SIZES = [10_000, 100_000] as const;
const HOT = 100;
const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
/** Scan requests and the items they read (what DynamoDB charges a Scan for: every item read, matching or not). */
const scans = { requests: 0, items: 0 };
raw.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const read = (result.output as { ScannedCount?: number }).ScannedCount;
    if (read !== undefined) {
      scans.requests++;
      scans.items += read;
    }
    return result;
  },
  { step: 'initialize', name: 'countScans' },
);
const documents = documentClient(raw);
const dicts = new Map<number, DictClient<number>>();
for (const size of DICT_SIZES) {
  const table = `growth-dict-${size}`;
  await createTables(raw, [[table, DICT_TABLE_SCHEMA]]);
  const dict = new DictClient<number>({ documents, name: `growth${size}`, table });
  const keys = Array.from({ length: size }, (_, i) => (i < HOT ? `hot/${i}` : `cold/${i}`));
  const started = performance.now();
  // setMany writes 25 keys a request (BatchWriteItem); 8 of them run at once.
  const CHUNK = 2500;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < size) {
        const from = next;
        next += CHUNK;
        await dict.setMany(keys.slice(from, from + CHUNK).map((key, i) => [key, from + i] as const));
      }
    }),
  );
  console.log(`seeding: ${size} dict keys written in ${seconds(performance.now() - started)}`);
  dicts.set(size, dict);
}
const reads: string[] = [];
/** The median times of `read` on each dict, and the Scan requests and items one read of each takes. */
const dictTimes = async (label: string, read: (dict: DictClient<number>) => Promise<unknown>, repeats: number) => {
  const counts = [];
  for (const size of DICT_SIZES) {
    Object.assign(scans, { requests: 0, items: 0 });
    await read(dicts.get(size)!);
    counts.push({ ...scans });
  }
  const [small, large] = counts as [typeof scans, typeof scans];
  if (large.requests > 0)
    reads.push(
      `${label}: ${small.requests} and ${large.requests} Scan requests reading ${small.items} and ${large.items} items ` +
        `(${(large.items / Math.max(1, small.items)).toFixed(1)}x the items)`,
    );
  return medians(DICT_SIZES, (size) => read(dicts.get(size)!), repeats);
};
const listAll = async (dict: DictClient<number>) => {
  let n = 0;
  for await (const _ of dict.entries({ prefix: 'hot/' })) n++;
  if (n !== HOT) throw new Error(`listed ${n} entries, not ${HOT}`);
};
const prefixed = await dictTimes('entries({ prefix })', listAll, 3);
report(`dict: entries({ prefix }) of ${HOT}`, prefixed.get(10_000)!, prefixed.get(100_000)!);
const firstPage = await dictTimes(
  'first page of 50',
  async (dict) => {
    const { entries } = await dict.page({ prefix: 'hot/', limit: 50 });
    if (entries.length !== 50) throw new Error(`the first page held ${entries.length} entries, not 50`);
  },
  3,
);
report('dict: first page of 50 under the prefix', firstPage.get(10_000)!, firstPage.get(100_000)!);
const get = await dictTimes('get', (dict) => dict.get('hot/7'), 15);
report('dict: get of one key', get.get(10_000)!, get.get(100_000)!);
raw.destroy();
await dynamo.close();

const header = ['work grown 10x', '1x', '10x', 'ratio', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log('');
for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
console.log(`\n${reads.join('\n')}`);
console.log(
  '\nLinear is 10x for the whole work (1.0x per item). Reads of a page through an index or a partition stay near 1x.\n' +
    "A dict's prefix listing is a Scan: 10x the dict's keys costs about 10x, whatever the prefix matches.",
);
