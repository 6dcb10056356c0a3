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
  // The runtime's clock moves 100 ms with each throttled answer, and only then: the deadline (300 ms) passes during
  // the third pause, however long loading the SDK and the first request take on a busy machine (a deadline counted
  // on the real clock could pass before the first answer, leaving one invoke).
  const started = Date.parse('2024-01-01T00:00:00Z');
  const clock = () => started + 100 * invokes;
  const context = createContext(config, buildManifest(app, 'l'), { clock, tuning: { throttleBackoff: { baseMs: 5, capMs: 20 } } });
  const invoker = new LambdaInvoker(context, context.definition('work', 'function'));
  await expect(invoker.startRun('01kzzzzzzzzzzzzzzzzzzzzzzz', 0, started + 300)).rejects.toThrow(
    /work run 01kzzzzzzzzzzzzzzzzzzzzzzz: Lambda throttled its start until its deadline passed \(TooManyRequestsException\)/,
  );
  // Tried again after the first two answers (100 and 200 ms, each pause at most 10 ms), not after the third (300 ms).
  expect(invokes).toBe(3);
  context.clients.destroy();
});
