/**
 * `map` of 1,000 calls of a handler that waits 50 ms, with `maxConcurrency` 100, through the local cloud, vs the
 * ideal: 1,000 / 100 = 10 waves of 50 ms = 500 ms. Target: <= 1.15x the ideal. The ideal is also measured: the same
 * 1,000 waits run in-process at 100 at a time (timer granularity included).
 *
 * A third measurement splits the gap: the same 1,000 calls as bare SDK `Invoke`s, at 100 in flight, to a local server
 * that answers after 50 ms. It is what the AWS SDK client's own CPU per call (signing, middleware, serde) allows
 * on this machine, before any of multinode's runtime or the local Lambda endpoint.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig } from '../runtime/core/clients.js';
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
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        next++;
        await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
      }
    }),
  );
}

// A server that answers each POST after WAIT_MS, and the bare SDK client calling it.
const waiting = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}'), WAIT_MS));
});
waiting.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => waiting.listen(0, '127.0.0.1', resolve));
const sdk = new LambdaClient(
  clientConfig({ ...cloud.cloud.config, endpoints: { lambda: `http://127.0.0.1:${(waiting.address() as AddressInfo).port}` } }, 'lambda', { maxAttempts: 1 }),
);
const payload = new TextEncoder().encode('{"multinode":"call"}');
async function bareSdk(): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        next++;
        await sdk.send(new InvokeCommand({ FunctionName: 'wait50', Payload: payload }));
      }
    }),
  );
}

await app.wait50.map(items.slice(0, 200)); // warm up the workers
await bareSdk();
let mapMs = Infinity;
let idealMs = Infinity;
let sdkMs = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  let started = performance.now();
  await inProcess();
  idealMs = Math.min(idealMs, performance.now() - started);
  started = performance.now();
  await bareSdk();
  sdkMs = Math.min(sdkMs, performance.now() - started);
  started = performance.now();
  const results = await app.wait50.map(items);
  mapMs = Math.min(mapMs, performance.now() - started);
  if (results[N - 1] !== N - 1) throw new Error('map returned wrong results');
}
const stats = cloud.cloud.lambda.stats(cloud.cloud.names.lambdaFunction('wait50'))!;
const theory = (N / CONCURRENCY) * WAIT_MS;
console.log(`ideal (${N / CONCURRENCY} waves x ${WAIT_MS} ms): ${theory} ms; measured in-process at ${CONCURRENCY} in flight: ${idealMs.toFixed(0)} ms`);
console.log(
  `map of ${N} x ${WAIT_MS} ms calls, maxConcurrency ${CONCURRENCY} (best of ${ROUNDS}): ${mapMs.toFixed(0)} ms; most in flight: ` +
    `${stats.maxInFlight}; throttled: ${stats.throttles}`,
);
const ratio = mapMs / theory;
console.log(
  `bare SDK Invokes of a server that waits ${WAIT_MS} ms, ${CONCURRENCY} in flight (best of ${ROUNDS}): ${sdkMs.toFixed(0)} ms, ` +
    `${(sdkMs / theory).toFixed(2)}x the ideal`,
);
console.log(
  `ratio: ${ratio.toFixed(2)}x the ideal (target <= 1.15x) ${ratio <= 1.15 ? 'OK' : 'ABOVE TARGET'}; ${(mapMs / idealMs).toFixed(2)}x the measured ` +
    `in-process run; ${(mapMs / sdkMs).toFixed(2)}x the bare SDK`,
);
sdk.destroy();
waiting.closeAllConnections();
waiting.close();
await cloud.stop();
