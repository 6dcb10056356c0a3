/**
 * The dashboard's API as the stored history grows: the same pages with 1,000 and with 10,000 runs in the state table
 * (local DynamoDB, real SDK clients, records written by the runtime's own stores), over HTTP with the token, as the
 * page asks for them; medians of 15, the two apps taking turns. A page of runs costs the same whatever is stored
 * (ratio near 1); the overview's counts read the last 24 hours, so they grow with the rate of runs.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resourceNames } from '../lib/naming.js';
import { loadManifest } from '../runtime/build/load-manifest.js';
import { createControlPlane } from '../runtime/control/control-plane.js';
import type { RuntimeConfig } from '../runtime/core/config.js';
import { type Dashboard, startDashboard } from '../runtime/dashboard/index.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { appTables, createTables } from '../runtime/local/tables.js';
import { seedRuns } from '../test/helpers/seed-runs.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const SIZES = [1000, 10_000] as const;
const REPEATS = 15;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const { manifest } = await loadManifest(path.join(import.meta.dirname, '../test/dashboard/fixtures/dash-app/src/app.ts'));
const dynamo = await startDynamo();

async function seeded(count: number): Promise<Dashboard> {
  const config: RuntimeConfig = {
    app: manifest.app.name,
    prefix: `dash${count}`,
    bucket: 'unused-bucket',
    region: 'us-east-1',
    endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9', logs: 'http://127.0.0.1:9' },
    credentials,
  };
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  await createTables(client, appTables(manifest, resourceNames(config.prefix)));
  client.destroy();
  const plane = createControlPlane({ config, manifest, services: [] });
  const started = performance.now();
  await seedRuns(plane.context.state, { count, now: Date.now(), hours: 20, functions: ['echo', 'fails'], job: 'count', task: 'morning' });
  plane.close();
  console.log(`stored ${count} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return startDashboard({ target: { config, manifest, services: [] }, mode: 'local' });
}

async function get(dashboard: Dashboard, pathname: string): Promise<void> {
  const response = await fetch(`${dashboard.origin}${pathname}`, { headers: { 'x-multinode-token': dashboard.token } });
  if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const READS: Array<[string, (d: Dashboard) => Promise<unknown>]> = [
  ['page files (/, app.js, app.css)', (d) => Promise.all(['/', '/assets/app.js', '/assets/app.css'].map((p) => get(d, p)))],
  ['runs page: newest 50, whole app', (d) => get(d, '/api/runs?limit=50')],
  ['runs page: newest 50 jobs', (d) => get(d, '/api/runs?kind=job&limit=50')],
  ['runs page: newest 50 of one function', (d) => get(d, '/api/runs?name=echo&limit=50')],
  ['runs page: failed, whole app', (d) => get(d, '/api/runs?status=FAILED,TIMED_OUT&limit=50')],
  ['scheduled tasks page', (d) => get(d, '/api/schedules')],
  ['overview (counts over 24 h)', (d) => get(d, '/api/status')],
];

const dashboards = new Map<number, Dashboard>();
for (const size of SIZES) dashboards.set(size, await seeded(size));
const medians = new Map<string, Map<number, number>>();
for (const [label, read] of READS) {
  const times = new Map<number, number[]>(SIZES.map((size) => [size, []]));
  for (const dashboard of dashboards.values()) await read(dashboard);
  for (let i = 0; i < REPEATS; i++) {
    for (const [size, dashboard] of dashboards) {
      const started = performance.now();
      await read(dashboard);
      times.get(size)!.push(performance.now() - started);
    }
  }
  medians.set(label, new Map([...times].map(([size, list]) => [size, list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!])));
}
for (const dashboard of dashboards.values()) await dashboard.close();
await dynamo.close();

const [small, large] = SIZES;
console.log(`\n${'dashboard API read'.padEnd(40)} ${`${small} runs`.padStart(12)} ${`${large} runs`.padStart(12)}  ratio`);
for (const [label] of READS) {
  const a = medians.get(label)!.get(small)!;
  const b = medians.get(label)!.get(large)!;
  console.log(`${label.padEnd(40)} ${`${a.toFixed(1)} ms`.padStart(12)} ${`${b.toFixed(1)} ms`.padStart(12)}  ${(b / a).toFixed(2)}x`);
}
