/**
 * `map` of 1,000 no-op calls through the local cloud (SDK Lambda client -> local Lambda endpoint -> worker threads
 * running the bundle's handler -> back) against what the same calls cost without multinode, at the same concurrency
 * (50), in two arrangements:
 *
 * - Servers in other processes (the local cloud in one, the trivial server in another): the benchmark's thread does
 *   only the caller's work, as a caller in AWS does (Lambda is not on its machine) and as a script or test does
 *   against `multinode dev`. This is where `map`'s own overhead shows: target <= 1.05x the SDK alone.
 * - All in this process (the cloud as `startTestCloud` runs it in a test): the local Lambda endpoint's work shares the
 *   caller's thread and two cores, and counts against `map`.
 * - No network: the SDK's HTTP handler answers every request in memory with a Lambda result. The SDK still does all
 *   of its own work (middleware, signing, serialization, parsing the answer), so what differs between bare SDK
 *   Invokes and `map` is multinode's client side alone, free of the noise of sockets and threads on two cores.
 *
 * Each arrangement measures, round after round: the transport floor (raw keep-alive HTTP POSTs of the same payload to
 * a server that answers at once), the SDK alone (the same Invoke calls with the real SDK client to that server), raw
 * POSTs to the local Lambda endpoint (what the endpoint and its workers cost), bare SDK Invokes through the local
 * Lambda endpoint to the same function (everything `map` does but multinode's own client side), and `map`. It reports
 * each case's best round, and `map`'s ratios also as the median of each round's own ratio (the two cases a few
 * hundred milliseconds apart), which a slow spell of a shared machine moves less. The target holds when both do.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig } from '../runtime/core/clients.js';
import type { RuntimeConfig } from '../runtime/core/config.js';
import { connect } from '../runtime/entry/connect.js';
import { resourceNames } from '../lib/naming.js';
import { startTestCloud } from '../runtime/local/testing.js';
import * as app from './apps/map/src/app.js';
import { cloudProcess, startTrivialServer, trivialProcess } from './support/servers.js';
import { median } from './support/stats.js';

const N = 1000;
const CONCURRENCY = 50;
const ROUNDS = 20;
const ENTRY = path.join(import.meta.dirname, 'apps/map/src/app.ts');
const items = Array.from({ length: N }, (_, i) => i);
const encoder = new TextEncoder();
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const FLOOR = 'raw POSTs to a trivial server (the floor)';
const SDK_ALONE = 'SDK Invoke to the trivial server';
const SDK_THROUGH = 'SDK Invoke through the local Lambda endpoint';
const MAP = 'map through the local cloud';
const MEMORY_SDK = 'bare SDK Invokes';
const MEMORY_MAP = 'map';

interface Arrangement {
  /** The cloud's configuration: its Lambda endpoint and the app's resource names. */
  readonly config: RuntimeConfig;
  readonly trivialUrl: string;
}

function payload(i: number): string {
  return JSON.stringify({ multinode: 'call', function: 'noop', args: [i], deadline: Date.now() + 900_000, attempt: 1 });
}

function post(url: URL, functionName: string, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `/2015-03-31/functions/${functionName}/invocations`,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(payload(i));
  });
}

/** `call(i)` N times with CONCURRENCY in flight. */
async function fanOut(call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) await call(next++);
    }),
  );
}

/** The five cases against the arrangement's servers. */
async function measure({ config, trivialUrl }: Arrangement): Promise<Timings> {
  const functionName = resourceNames(config.prefix).lambdaFunction('noop');
  const sdk = new LambdaClient(clientConfig({ ...config, endpoints: { lambda: trivialUrl } }, 'lambda', { maxAttempts: 1 }));
  const local = new LambdaClient(clientConfig(config, 'lambda', { maxAttempts: 1 }));
  const invoke = (client: LambdaClient, i: number) => client.send(new InvokeCommand({ FunctionName: functionName, Payload: encoder.encode(payload(i)) }));
  const cases: Record<string, () => Promise<unknown>> = {
    [FLOOR]: () => fanOut((i) => post(new URL(trivialUrl), functionName, i)),
    [SDK_ALONE]: () => fanOut((i) => invoke(sdk, i)),
    'raw POSTs to the local Lambda endpoint': () => fanOut((i) => post(new URL(config.endpoints!.lambda!), functionName, i)),
    [SDK_THROUGH]: () => fanOut((i) => invoke(local, i)),
    [MAP]: async () => {
      const results = await app.noop.map(items, { concurrency: CONCURRENCY });
      if (results.length !== N || results[N - 1] !== N - 1) throw new Error('map returned wrong results');
    },
  };
  const timings = await rounds(cases); // the warm-up round starts workers, opens sockets and compiles code
  sdk.destroy();
  local.destroy();
  return timings;
}

/** Bare SDK Invokes and `map` while the SDK's HTTP handler answers in memory (both results are 0, as answered). */
async function inMemory(config: RuntimeConfig): Promise<Timings> {
  const functionName = resourceNames(config.prefix).lambdaFunction('noop');
  const client = new LambdaClient(clientConfig(config, 'lambda', { maxAttempts: 1 }));
  const cases: Record<string, () => Promise<unknown>> = {
    [MEMORY_SDK]: () => fanOut((i) => client.send(new InvokeCommand({ FunctionName: functionName, Payload: encoder.encode(payload(i)) }))),
    [MEMORY_MAP]: async () => {
      const results = await app.noop.map(items, { concurrency: CONCURRENCY });
      if (results.length !== N || results[N - 1] !== 0) throw new Error('map returned wrong results');
    },
  };
  const timings = await rounds(cases);
  client.destroy();
  return timings;
}

/** Each case's time in every round (ms), and its best. */
interface Timings {
  readonly best: Record<string, number>;
  readonly each: Record<string, number[]>;
}

/** Every case in each of ROUNDS rounds, the cases interleaved within each round, after one warm-up round. */
async function rounds(cases: Record<string, () => Promise<unknown>>): Promise<Timings> {
  const best: Record<string, number> = {};
  const each: Record<string, number[]> = {};
  for (const run of Object.values(cases)) await run();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, run] of Object.entries(cases)) {
      const started = performance.now();
      await run();
      const ms = performance.now() - started;
      best[label] = Math.min(best[label] ?? Infinity, ms);
      (each[label] ??= []).push(ms);
    }
  }
  return { best, each };
}

/**
 * The median over the rounds of `label`'s time against `baseline`'s in the same round: a slow spell of the machine
 * weighs on both sides of each ratio, where the best of each may come from different spells.
 */
function pairedMedian({ each }: Timings, label: string, baseline: string): number {
  return median(each[label]!.map((ms, round) => ms / each[baseline]![round]!));
}

/** Prints an arrangement's cases; returns `map` against the SDK alone: best against best, and the paired median. */
function report(title: string, timings: Timings): { best: number; paired: number } {
  const { best } = timings;
  console.log(`${title}: ${N} calls at ${CONCURRENCY} in flight, best of ${ROUNDS}:`);
  const floor = best[FLOOR]!;
  for (const [label, ms] of Object.entries(best)) console.log(`  ${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / floor).toFixed(2)}x`);
  const alone = { best: best[MAP]! / best[SDK_ALONE]!, paired: pairedMedian(timings, MAP, SDK_ALONE) };
  console.log(
    `  map is ${alone.best.toFixed(2)}x the SDK alone (median of the rounds' own ratios ${alone.paired.toFixed(2)}x), ` +
      `${(best[MAP]! / best[SDK_THROUGH]!).toFixed(2)}x bare SDK Invokes through the same endpoint ` +
      `(median ${pairedMedian(timings, MAP, SDK_THROUGH).toFixed(2)}x), ${(best[MAP]! / floor).toFixed(2)}x the transport floor`,
  );
  return alone;
}

// Servers in other processes.
const [cloud, trivial] = await Promise.all([cloudProcess(ENTRY), trivialProcess()]);
const connection = connect(app, { config: cloud.config });
const apart = report('servers in other processes', await measure({ config: cloud.config, trivialUrl: trivial.url }));
connection.close();
await Promise.all([cloud.stop(), trivial.stop()]);

// All in this process.
const inProcess = await startTestCloud(ENTRY, { module: app });
const server = await startTrivialServer();
const together = report(
  'all in this process',
  await measure({ config: inProcess.cloud.config, trivialUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
);
server.closeAllConnections();
server.close();

// No network: the SDK client's HTTP handler (the one @aws-sdk/client-lambda resolves) answers in memory.
const { NodeHttpHandler } = createRequire(createRequire(import.meta.url).resolve('@aws-sdk/client-lambda'))('@smithy/node-http-handler') as {
  NodeHttpHandler: { prototype: { handle: unknown } };
};
const realHandle = NodeHttpHandler.prototype.handle;
const answer = Buffer.from('{"multinode":"result","value":0}');
NodeHttpHandler.prototype.handle = async () => ({
  response: { statusCode: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'in-memory' }, body: Readable.from([answer]) },
});
const memoryTimings = await inMemory(inProcess.cloud.config);
const memoryBest = memoryTimings.best;
NodeHttpHandler.prototype.handle = realHandle;
await inProcess.stop();
agent.destroy();
console.log(`no network (the SDK's HTTP handler answers in memory): ${N} calls at ${CONCURRENCY} in flight, best of ${ROUNDS}:`);
for (const [label, ms] of Object.entries(memoryBest))
  console.log(`  ${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1000) / N).toFixed(0)} µs a call`);
const memory = memoryBest[MEMORY_MAP]! / memoryBest[MEMORY_SDK]!;
console.log(
  `  map is ${memory.toFixed(2)}x bare SDK Invokes (median of the rounds' own ratios ${pairedMedian(memoryTimings, MEMORY_MAP, MEMORY_SDK).toFixed(2)}x): ` +
    `multinode's own client side`,
);

console.log(
  `ratio: map is ${apart.best.toFixed(2)}x the SDK alone with the servers in other processes, median of the rounds' own ratios ` +
    `${apart.paired.toFixed(2)}x (target <= 1.05x) ${Math.max(apart.best, apart.paired) <= 1.05 ? 'OK' : 'ABOVE TARGET'}; ` +
    `${together.best.toFixed(2)}x with the local cloud in the caller's process; ${memory.toFixed(2)}x bare SDK Invokes with no network`,
);
