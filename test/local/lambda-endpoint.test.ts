/**
 * The local Lambda endpoint against the real SDK LambdaClient: the Invoke API path, sync/Event/DryRun, payload
 * limits (413), handler errors (200 + FunctionError), throttling (429 with Reason: reserved concurrency, the account's
 * pool), unknown functions (404), timeouts, oversize responses, worker exits, and the asynchronous queue with Lambda's
 * retries.
 * The handler is a hand-written bundle, so this tests the emulator alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../runtime/local/lambda/local-lambda.js';
import { startLambdaEndpoint, type LambdaEndpoint } from '../../runtime/local/lambda/server.js';
import { until } from '../helpers/poll.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-lambda-test-'));
const bundle = path.join(dir, 'app.mjs');
writeFileSync(
  bundle,
  `
import { appendFileSync } from 'node:fs';
export async function handler(event, context) {
  switch (event.action) {
    case 'echo':
      return { event, functionName: context.functionName, env: process.env.AWS_LAMBDA_FUNCTION_NAME, custom: process.env.CUSTOM,
        remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId };
    case 'throw': { class BadThing extends Error {} const e = new BadThing('it broke'); e.name = 'BadThing'; throw e; }
    case 'throwString': throw 'just a string';
    case 'sleep': await new Promise((r) => setTimeout(r, event.ms)); return 'slept';
    case 'spin': for (;;) {}
    case 'big': return 'x'.repeat(7 * 1024 * 1024);
    case 'exit': process.exit(7);
    case 'record': appendFileSync(event.file, event.line + '\\n'); if (event.fail) throw new Error('failing on purpose'); return null;
    case 'undefined': return undefined;
  }
  throw new Error('unknown action ' + event.action);
}
`,
);

const lines: string[] = [];
let lambda: LocalLambda;
let endpoint: LambdaEndpoint;
let client: LambdaClient;
const decoder = new TextDecoder();

beforeAll(async () => {
  lambda = new LocalLambda({
    bundle,
    functions: [
      { functionName: 'app-main', definition: 'main', timeoutSeconds: 2, memoryMB: 256 },
      { functionName: 'app-single', definition: 'single', timeoutSeconds: 5, memoryMB: 128, reservedConcurrency: 1 },
    ],
    env: { CUSTOM: 'set-by-test' },
    log: (functionName, stream, line) => lines.push(`${functionName} ${stream} ${line}`),
    asyncRetryDelaysMs: [20, 20],
  });
  endpoint = await startLambdaEndpoint(lambda);
  client = new LambdaClient({ region: 'us-east-1', endpoint: endpoint.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
  await lambda?.close();
  rmSync(dir, { recursive: true, force: true });
});

function invoke(functionName: string, event: unknown, type?: 'Event' | 'DryRun'): Promise<InvokeCommandOutput> {
  return client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)), ...(type ? { InvocationType: type } : {}) }));
}

function waitFor(check: () => boolean, what: string): Promise<boolean> {
  return until(check, (done) => done, what, { timeoutMs: 20_000, intervalMs: 20 });
}

describe('synchronous invoke', () => {
  it('runs the bundle handler in a worker with Lambda context and environment', async () => {
    const output = await invoke('app-main', { action: 'echo', n: 1 });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(output.ExecutedVersion).toBe('$LATEST');
    const body = JSON.parse(decoder.decode(output.Payload));
    expect(body).toMatchObject({ event: { action: 'echo', n: 1 }, functionName: 'app-main', env: 'app-main', custom: 'set-by-test' });
    expect(body.remaining).toBeGreaterThan(1000);
    expect(body.remaining).toBeLessThanOrEqual(2000);
    // One request id for the invocation, as in Lambda: the response's x-amzn-RequestId is the handler's (and its log
    // lines') awsRequestId.
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(output.$metadata.requestId).toBe(body.requestId);
  });

  it('accepts a function ARN with a qualifier', async () => {
    const output = await invoke('arn:aws:lambda:us-east-1:000000000000:function:app-main:$LATEST', { action: 'undefined' });
    expect(decoder.decode(output.Payload)).toBe('null');
  });

  it('answers a handler error with 200, FunctionError Unhandled and the Node.js runtime error JSON', async () => {
    const output = await invoke('app-main', { action: 'throw' });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    const error = JSON.parse(decoder.decode(output.Payload));
    expect(error).toMatchObject({ errorType: 'BadThing', errorMessage: 'it broke' });
    expect(error.trace[0]).toMatch(/BadThing: it broke/);
    const thrown = JSON.parse(decoder.decode((await invoke('app-main', { action: 'throwString' })).Payload));
    expect(thrown).toEqual({ errorType: 'string', errorMessage: 'just a string', trace: [] });
  });

  it('stops an invocation at the timeout with Sandbox.Timedout, and keeps serving', async () => {
    const output = await invoke('app-main', { action: 'spin' });
    expect(output.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decoder.decode(output.Payload))).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Task timed out after 2\.00 seconds/),
    });
    expect(JSON.parse(decoder.decode((await invoke('app-main', { action: 'echo' })).Payload)).functionName).toBe('app-main');
  });

  it('reports a worker that exits, and starts a new one', async () => {
    const output = await invoke('app-main', { action: 'exit' });
    expect(output.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decoder.decode(output.Payload))).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/exit status 7/) });
    expect((await invoke('app-main', { action: 'echo' })).FunctionError).toBeUndefined();
  });

  it('turns a response over 6 MB into Function.ResponseSizeTooLarge', async () => {
    const output = await invoke('app-main', { action: 'big' });
    expect(output.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decoder.decode(output.Payload)).errorType).toBe('Function.ResponseSizeTooLarge');
  });

  it('answers DryRun with 204', async () => {
    expect((await invoke('app-main', { action: 'echo' }, 'DryRun')).StatusCode).toBe(204);
  });
});

describe('errors the SDK parses', () => {
  it('404 ResourceNotFoundException for an unknown function', async () => {
    const error = await invoke('app-nope', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect((error as Error).message).toMatch(/Function not found: arn:aws:lambda:us-east-1:000000000000:function:app-nope/);
  });

  it('413 RequestTooLargeException over 6 MB synchronous and 1 MB asynchronous', async () => {
    const sync = await client
      .send(new InvokeCommand({ FunctionName: 'app-main', Payload: Buffer.from(JSON.stringify({ s: 'x'.repeat(6 * 1024 * 1024) })) }))
      .catch((e: unknown) => e);
    expect(sync).toMatchObject({ name: 'RequestTooLargeException', $metadata: { httpStatusCode: 413 } });
    expect((sync as Error).message).toMatch(/smaller than 6291456 bytes/);
    const async = await client
      .send(new InvokeCommand({ FunctionName: 'app-main', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ s: 'x'.repeat(1024 * 1024) })) }))
      .catch((e: unknown) => e);
    expect(async).toMatchObject({ name: 'RequestTooLargeException', $metadata: { httpStatusCode: 413 } });
    expect((async as Error).message).toMatch(/smaller than 1048576 bytes/);
  });

  it('400 InvalidRequestContentException for a payload that is not JSON', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'app-main', Payload: Buffer.from('{oops') })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } });
  });

  it('429 TooManyRequestsException with its Reason when the concurrency is used up', async () => {
    const running = invoke('app-single', { action: 'sleep', ms: 500 });
    await waitFor(() => lambda.stats('app-single')!.inFlight === 1, 'the first invocation to run');
    const error = await invoke('app-single', { action: 'echo' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      $metadata: { httpStatusCode: 429 },
    });
    expect(decoder.decode((await running).Payload)).toBe('"slept"');
    expect(lambda.stats('app-single')).toMatchObject({ throttles: 1, maxInFlight: 1 });
  });
});

describe('concurrency as the CDK constructs deploy functions (no reserved concurrency)', () => {
  it('runs many invocations of one function at once: no per-function limit but the account pool', async () => {
    const before = lambda.stats('app-main')!.throttles;
    const outputs = await Promise.all(Array.from({ length: 12 }, () => invoke('app-main', { action: 'sleep', ms: 300 })));
    expect(outputs.map((o) => decoder.decode(o.Payload))).toEqual(outputs.map(() => '"slept"'));
    expect(lambda.stats('app-main')!.maxInFlight).toBeGreaterThanOrEqual(12);
    expect(lambda.stats('app-main')!.throttles).toBe(before);
  });

  it("429 ConcurrentInvocationLimitExceeded once the account's pool is used up; queued events wait for any function to free it", async () => {
    const pool = new LocalLambda({
      bundle,
      functions: [
        { functionName: 'pool-a', definition: 'a', timeoutSeconds: 5, memoryMB: 128 },
        { functionName: 'pool-b', definition: 'b', timeoutSeconds: 5, memoryMB: 128 },
      ],
      env: {},
      accountConcurrency: 2,
      log: () => undefined,
    });
    const poolEndpoint = await startLambdaEndpoint(pool);
    const poolClient = new LambdaClient({
      region: 'us-east-1',
      endpoint: poolEndpoint.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const send = (name: string, event: unknown, type?: 'Event') =>
      poolClient.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), ...(type ? { InvocationType: type } : {}) }));
    try {
      const running = [send('pool-a', { action: 'sleep', ms: 400 }), send('pool-b', { action: 'sleep', ms: 400 })];
      await waitFor(() => pool.stats('pool-a')!.inFlight === 1 && pool.stats('pool-b')!.inFlight === 1, 'both to run');
      const error = await send('pool-a', { action: 'echo' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TooManyRequestsException', Reason: 'ConcurrentInvocationLimitExceeded', $metadata: { httpStatusCode: 429 } });
      const file = path.join(dir, 'pool.txt');
      expect((await send('pool-b', { action: 'record', file, line: 'queued' }, 'Event')).StatusCode).toBe(202);
      await Promise.all(running);
      const { readFileSync, existsSync } = await import('node:fs');
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('queued'), 'the queued event');
      expect(pool.stats('pool-a')!.throttles).toBe(1);
    } finally {
      poolClient.destroy();
      await poolEndpoint.close();
      await pool.close();
    }
  });
});

describe('asynchronous invoke', () => {
  it('answers 202 at once, queues beyond the concurrency, and runs every event', async () => {
    const file = path.join(dir, 'events.txt');
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => invoke('app-single', { action: 'record', file, line: `event ${i}` }, 'Event')));
    expect(answers.map((a) => a.StatusCode)).toEqual([202, 202, 202, 202, 202]);
    const { readFileSync, existsSync } = await import('node:fs');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length === 5, 'five events');
    expect(readFileSync(file, 'utf8').trim().split('\n').sort()).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
    expect(lambda.stats('app-single')!.maxInFlight).toBe(1);
  });

  it('retries a failed event twice, as Lambda does', async () => {
    const file = path.join(dir, 'retries.txt');
    await invoke('app-main', { action: 'record', file, line: 'try', fail: true }, 'Event');
    const { readFileSync, existsSync } = await import('node:fs');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length === 3, 'three attempts');
    await waitFor(() => lines.filter((l) => l.includes('asynchronous invocation failed')).length >= 3, 'the failure logs');
    expect(lines.some((l) => /attempt 3\)/.test(l) && !/retrying/.test(l))).toBe(true);
  });
});

describe('init', () => {
  it("counts an invocation's timeout from the end of init, as Lambda does: a slow import does not time out the first call", async () => {
    const slowBundle = path.join(dir, 'slow-init.mjs');
    // The import takes 1.5 s, longer than the function's 1 s timeout; the handler itself answers at once.
    writeFileSync(
      slowBundle,
      `await new Promise((r) => setTimeout(r, 1500));\nexport async function handler(event, context) { return context.getRemainingTimeInMillis(); }\n`,
    );
    const slow = new LocalLambda({
      bundle: slowBundle,
      functions: [{ functionName: 'app-slow-init', definition: 'slowInit', timeoutSeconds: 1, memoryMB: 128 }],
      env: {},
      log: () => undefined,
    });
    const slowEndpoint = await startLambdaEndpoint(slow);
    const slowClient = new LambdaClient({
      region: 'us-east-1',
      endpoint: slowEndpoint.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    try {
      const output = await slowClient.send(new InvokeCommand({ FunctionName: 'app-slow-init', Payload: Buffer.from('{}') }));
      expect(output.FunctionError).toBeUndefined();
      // The whole second of the timeout is left when the handler starts (less the hand-over), not 1 s minus the import.
      const remaining = JSON.parse(decoder.decode(output.Payload)) as number;
      expect(remaining).toBeGreaterThan(500);
      expect(remaining).toBeLessThanOrEqual(1000);
    } finally {
      slowClient.destroy();
      await slowEndpoint.close();
      await slow.close();
    }
  });
});
