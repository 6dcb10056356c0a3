/**
 * `map` of 1,000 no-op calls through the local cloud (SDK Lambda client -> local Lambda endpoint -> worker threads
 * running the bundle's handler -> back) vs the transport floor: 1,000 raw HTTP POSTs of the same payload to a
 * trivial local server, at the same concurrency (50). Target: <= 2x the floor.
 *
 * Three more measurements split the gap: the same SDK Invoke calls against the trivial server (what the AWS SDK
 * client costs by itself), raw POSTs to the local Lambda endpoint (what the endpoint and workers cost), and bare SDK
 * Invoke calls through the local Lambda endpoint to the same function (everything `map` does but multinode's own
 * client side: what the runtime adds is `map` over that).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig } from '../runtime/core/clients.js';
import { startTestCloud } from '../runtime/local/testing.js';
import * as app from './apps/map/src/app.js';

const N = 1000;
const CONCURRENCY = 50;
const ROUNDS = 5;
const items = Array.from({ length: N }, (_, i) => i);

const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/map/src/app.ts'), { module: app });
const functionName = cloud.cloud.names.lambdaFunction('noop');
const payload = (i: number) => JSON.stringify({ multinode: 'call', function: 'noop', args: [i], deadline: Date.now() + 900_000, attempt: 1 });

// The floor: a keep-alive HTTP client posting to a server that answers at once.
const trivial = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
trivial.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => trivial.listen(0, '127.0.0.1', resolve));
const trivialUrl = new URL(`http://127.0.0.1:${(trivial.address() as AddressInfo).port}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: URL, i: number): Promise<void> {
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

const sdk = new LambdaClient(clientConfig({ ...cloud.cloud.config, endpoints: { lambda: trivialUrl.origin } }, 'lambda', { maxAttempts: 1 }));
const local = new LambdaClient(clientConfig(cloud.cloud.config, 'lambda', { maxAttempts: 1 }));
const encoder = new TextEncoder();
const lambdaUrl = new URL(cloud.cloud.config.endpoints!.lambda!);

const cases: Record<string, () => Promise<unknown>> = {
  'raw POSTs to a trivial server (the floor)': () => fanOut((i) => post(trivialUrl, i)),
  'SDK Invoke to the trivial server': () => fanOut((i) => sdk.send(new InvokeCommand({ FunctionName: functionName, Payload: encoder.encode(payload(i)) }))),
  'raw POSTs to the local Lambda endpoint': () => fanOut((i) => post(lambdaUrl, i)),
  'SDK Invoke through the local Lambda endpoint': () =>
    fanOut((i) => local.send(new InvokeCommand({ FunctionName: functionName, Payload: encoder.encode(payload(i)) }))),
  'map through the local cloud': async () => {
    const results = await app.noop.map(items, { concurrency: CONCURRENCY });
    if (results.length !== N || results[N - 1] !== N - 1) throw new Error('map returned wrong results');
  },
};

const best: Record<string, number> = {};
for (const run of Object.values(cases)) await run(); // warm up: workers started, sockets open, code compiled
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, run] of Object.entries(cases)) {
    const started = performance.now();
    await run();
    best[label] = Math.min(best[label] ?? Infinity, performance.now() - started);
  }
}
console.log(`${N} calls at ${CONCURRENCY} in flight, best of ${ROUNDS}:`);
const floor = best['raw POSTs to a trivial server (the floor)']!;
for (const [label, ms] of Object.entries(best)) console.log(`  ${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / floor).toFixed(2)}x`);
const ratio = best['map through the local cloud']! / floor;
console.log(`ratio: map is ${ratio.toFixed(2)}x the transport floor (target <= 2x) ${ratio <= 2 ? 'OK' : 'ABOVE TARGET'}`);
const through = best['SDK Invoke through the local Lambda endpoint']!;
console.log(`map is ${(best['map through the local cloud']! / through).toFixed(2)}x bare SDK Invokes of the same function through the same endpoint`);
console.log(
  `the SDK client alone is ${(best['SDK Invoke to the trivial server']! / floor).toFixed(2)}x the floor; map is ` +
    `${(best['map through the local cloud']! / best['SDK Invoke to the trivial server']!).toFixed(2)}x the SDK alone`,
);
sdk.destroy();
local.destroy();
agent.destroy();
trivial.close();
trivial.closeAllConnections();
await cloud.stop();
