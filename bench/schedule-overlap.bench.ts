/**
 * What the overlap policy and the run history cost per fire time, and how long a backfill takes to plan.
 *
 * 1. State-table requests per fire time: the runtime's own Lambda handler, in this process, receives scheduled events
 *    as EventBridge sends them; an SDK middleware on its DynamoDB client counts each request by operation and record
 *    type (the partition key's prefix). The baseline is a task under `allow` (no overlap check: the pause read and
 *    the claim's writes, which are the run history); each other policy's count is printed beside it, with the
 *    difference (the target: at most 2 more). Then the fire times that find a run running: SKIPPED under `skip`,
 *    and under `bufferOne` the waiting one from its delivery to its end (its turn is handed on by an invoke, which
 *    a middleware on the Lambda client delivers to the same handler).
 * 2. Planning a backfill (`backfill({ dryRun: true })`: the fire times by the task's rule, and one paged Query of the
 *    task's records over the window): 1,000 fire times vs 100 (the baseline), with a tenth of them already recorded.
 *
 * Nothing here asserts a time; the request counts are exact (the same every run).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveApp } from '../lib/app.js';
import * as mn from '../lib/index.js';
import { buildManifest } from '../lib/manifest.js';
import { renderScheduledEvent } from '../lib/schedule/event.js';
import { createControlPlane } from '../runtime/control/control-plane.js';
import { createClients } from '../runtime/core/clients.js';
import type { RuntimeConfig } from '../runtime/core/config.js';
import { createContext } from '../runtime/core/context.js';
import { Logger } from '../runtime/core/logger.js';
import { createLambdaHandler } from '../runtime/entry/lambda-handler.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { appTables, createTables } from '../runtime/local/tables.js';
import { ScheduleClaims } from '../runtime/schedules/claims.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const FIRE_TIMES = 20;

/** Runs the bench holds: a run whose scheduled time is in `held` says it started, then waits until released. */
const held = new Map<string, { gate: Promise<void>; enter: () => void }>();
function hold(time: string): { entered: Promise<void>; release: () => void } {
  let release!: () => void;
  let enter!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  held.set(time, { gate, enter });
  return { entered, release };
}
const body = async (run: mn.ScheduledRun) => {
  const slot = held.get(run.scheduledTime.toISOString());
  if (!slot) return;
  slot.enter();
  await slot.gate;
};

const tasks = {
  allowing: mn.schedule({ name: 'allowing', cron: '0 * * * *', overlap: 'allow' }, body),
  skipping: mn.schedule({ name: 'skipping', cron: '0 * * * *' }, body),
  buffering: mn.schedule({ name: 'buffering', cron: '0 * * * *', overlap: 'bufferOne' }, body),
  cancelling: mn.schedule({ name: 'cancelling', cron: '0 * * * *', overlap: 'cancelOther' }, body),
  daily: mn.schedule({ name: 'daily', cron: '0 6 * * *' }, async () => undefined),
};
const app = resolveApp(tasks, Object.values(tasks));
const manifest = buildManifest(app, 'schedbench');

const dynamo = await startDynamo();
const config: RuntimeConfig = {
  app: manifest.app.name,
  prefix: 'schedbench',
  bucket: 'unused-bucket',
  region: 'us-east-1',
  endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9' },
  credentials,
};
const admin = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
const context0 = createContext(config, manifest, { logger: new Logger({ sink: () => undefined }) });
await createTables(admin, appTables(manifest, context0.names));
admin.destroy();
context0.clients.destroy();

// Every request of the runtime's DynamoDB client, by operation and record type.
const counts = new Map<string, number>();
const clients = createClients(config);
for (const client of [clients.dynamodb, clients.cachedDynamodb])
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      // The document client's commands reach this stack with their keys marshalled or not, depending on the step.
      type Pk = string | { S?: string } | undefined;
      const input = args.input as { Key?: { pk?: Pk }; Item?: { pk?: Pk } };
      const raw = input.Key?.pk ?? input.Item?.pk;
      const pk = (typeof raw === 'string' ? raw : raw?.S) ?? '?';
      const key = `${(ctx.commandName ?? '?').replace(/Command$/, '')} ${pk.split('#')[0]}#`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countStateRequests' },
  );
const context = createContext(config, manifest, { clients, logger: new Logger({ sink: () => undefined }) });
const handler = createLambdaHandler(app, { context });
const lambdaContext = (task: string) => ({
  functionName: context.names.lambdaFunction(task),
  awsRequestId: randomUUID(),
  getRemainingTimeInMillis: () => 900_000,
});
// A waiting fire time's turn is an asynchronous invoke of the task's function: delivered here to the same handler.
const turns: Array<Promise<unknown>> = [];
(await clients.lambda()).middlewareStack.add(
  () => async (args) => {
    const input = args.input as { FunctionName: string; Payload: Uint8Array };
    const event = JSON.parse(new TextDecoder().decode(input.Payload)) as { name: string };
    turns.push(handler(event, lambdaContext(event.name)).catch(() => undefined));
    return { output: { StatusCode: 202, $metadata: {} }, response: {} } as never;
  },
  { step: 'initialize', name: 'deliverTurnsHere' },
);

const deliver = (task: string, time: string) => handler(renderScheduledEvent(task, new Date(time), 1), lambdaContext(task)) as Promise<{ outcome: string }>;
function take(): Map<string, number> {
  const copy = new Map(counts);
  counts.clear();
  return copy;
}
const show = (by: Map<string, number>, per: number) =>
  [...by]
    .sort()
    .map(([k, n]) => `${k} ${(n / per).toFixed(1)}`)
    .join(', ');
const hourAt = (i: number) => new Date(Date.UTC(2030, 0, 1 + Math.floor(i / 24), i % 24)).toISOString();

console.log('State-table requests per fire time (nothing else running; the handler returns at once):');
const perFire = new Map<string, number>();
for (const task of ['allowing', 'skipping', 'buffering', 'cancelling']) {
  take();
  for (let i = 0; i < FIRE_TIMES; i++) {
    const answer = await deliver(task, hourAt(i));
    if (answer.outcome !== 'SUCCEEDED') throw new Error(`${task} ${hourAt(i)}: ${answer.outcome}`);
  }
  const by = take();
  const n = [...by.values()].reduce((a, b) => a + b, 0) / FIRE_TIMES;
  perFire.set(task, n);
  const base = perFire.get('allowing')!;
  const policy = manifest.definitions.find((d) => d.name === task)!;
  const overlap = policy.kind === 'schedule' ? policy.options.overlap : '?';
  const versus = task === 'allowing' ? ' (baseline)' : `, +${(n - base).toFixed(1)} vs allow (${(n / base).toFixed(2)}x)`;
  console.log(`  ${overlap.padEnd(11)} ${n.toFixed(1)} requests${versus}: ${show(by, FIRE_TIMES)}`);
}

console.log('Two fire times, the second coming while the first runs (from the first delivery until both ended):');
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
for (const [task, day] of [
  ['skipping', '01'],
  ['buffering', '02'],
  ['cancelling', '03'],
] as const) {
  const running = `2030-02-${day}T00:00:00.000Z`;
  const slot = hold(running);
  take();
  const first = deliver(task, running);
  await slot.entered;
  // Under cancelOther the second waits and the first's signal fires; this handler does not watch it, so the gate
  // ends it (within the grace period), as under bufferOne.
  const { outcome } = await deliver(task, `2030-02-${day}T01:00:00Z`);
  slot.release();
  await first;
  await Promise.all(turns.splice(0));
  const by = take();
  const base = 2 * perFire.get('allowing')!;
  const policy = manifest.definitions.find((d) => d.name === task);
  console.log(
    `  ${policy?.kind === 'schedule' ? policy.options.overlap : task} (the second: ${outcome}): ${sum(by)} requests, ` +
      `${((sum(by) - base) / 2).toFixed(1)} more per fire time than two runs under allow (${base}): ${show(by, 1)}`,
  );
}

console.log('Planning a backfill (dry run) of a daily task, a tenth of the fire times already recorded:');
const plane = createControlPlane({ config, manifest, services: [] }, { clock: () => Date.parse('2026-01-01T00:00:00Z') });
const claims = new ScheduleClaims(plane.context.state, () => Date.parse('2025-12-31T00:00:00Z'));
const dayAt = (i: number) => new Date(Date.UTC(2023, 0, 1 + i, 6)).toISOString().replace('.000Z', 'Z');
for (let i = 0; i < 1000; i += 10) {
  const claimed = await claims.claim('daily', dayAt(i), 60_000);
  if (claimed.claimed) await claims.finish(claimed.claim, { status: 'SUCCEEDED' });
}
async function median(days: number, repeats: number): Promise<{ ms: number; toRun: number }> {
  const times: number[] = [];
  let toRun = 0;
  const from = '2023-01-01T00:00:00Z';
  const to = new Date(Date.UTC(2023, 0, 1 + days)).toISOString();
  await plane.backfill('daily', { from, to, dryRun: true });
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    toRun = (await plane.backfill('daily', { from, to, dryRun: true })).toRun.length;
    times.push(performance.now() - started);
  }
  return { ms: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!, toRun };
}
const small = await median(100, 9);
const large = await median(1000, 9);
console.log(`  100 fire times: ${small.ms.toFixed(1)} ms (${small.toRun} to run) (baseline)`);
console.log(`  1,000 fire times: ${large.ms.toFixed(1)} ms (${large.toRun} to run), ${(large.ms / small.ms).toFixed(1)}x the 100 (target: under 1 s)`);

plane.close();
clients.destroy();
await dynamo.close();
