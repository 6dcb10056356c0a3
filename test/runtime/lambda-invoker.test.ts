/**
 * Starting a run is an asynchronous Invoke; Lambda may throttle it (429). The invoker tries again with backoff, but
 * not past the run's deadline: the gate's pump waits for the start, and a run past its deadline cannot run anyway.
 * A real HTTP server on 127.0.0.1 answers every Invoke with Lambda's 429.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { fn } from '../../lib/definitions/function.js';
import { buildManifest } from '../../lib/manifest.js';
import { createContext } from '../../runtime/core/context.js';
import { LambdaInvoker } from '../../runtime/functions/lambda-invoker.js';

let invokes = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    invokes++;
    const body = JSON.stringify({ Reason: 'ConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' });
    res
      .writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException', 'content-length': Buffer.byteLength(body) })
      .end(body);
  });
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

it('gives up starting a run that Lambda throttles until its deadline, saying so', async () => {
  const work = fn({ name: 'work' }, async () => 1);
  const app = resolveApp({ work }, [work]);
  const config = {
    app: 'l',
    prefix: 'l',
    bucket: 'l-payloads',
    region: 'us-east-1',
    endpoints: { dynamodb: endpoint, lambda: endpoint, s3: endpoint },
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  };
  const context = createContext(config, buildManifest(app, 'l'), { tuning: { throttleBackoff: { baseMs: 5, capMs: 20 } } });
  const invoker = new LambdaInvoker(context, context.definition('work', 'function'));
  const started = Date.now();
  await expect(invoker.startRun('01kzzzzzzzzzzzzzzzzzzzzzzz', 0, started + 300)).rejects.toThrow(
    /work run 01kzzzzzzzzzzzzzzzzzzzzzzz: Lambda throttled its start until its deadline passed \(TooManyRequestsException\)/,
  );
  expect(invokes).toBeGreaterThan(1);
  expect(Date.now() - started).toBeLessThan(5_000);
  context.clients.destroy();
});
