/**
 * The Lambda handler in-process (no servers): dispatch by event kind, the served definition from the function
 * name, errors leaving with their type, message and stack, deadlines, and events it refuses.
 */
import { describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { fn } from '../../lib/definitions/function.js';
import { service } from '../../lib/definitions/service.js';
import { buildManifest } from '../../lib/manifest.js';
import { createContext } from '../../runtime/core/context.js';
import { createLambdaHandler } from '../../runtime/entry/lambda-handler.js';
import { invocationDeadline } from '../../runtime/core/deadline.js';
import { EVENT_HANDLERS } from '../../runtime/entry/lambda-handler.js';
import type { HandlerContext } from '../../runtime/core/event-handler.js';
import { toRemoteError } from '../../runtime/core/remote-error.js';

class QuotaExceeded extends Error {}
const double = fn({ name: 'double' }, async (n: number) => n * 2);
const refuse = fn({ name: 'refuse' }, async () => {
  throw new QuotaExceeded('no more');
});
const badResult = fn({ name: 'badResult' }, async () => () => 1);
const api = service({ name: 'api' }, async (request: Request) => new Response(`hi ${new URL(request.url).pathname}`));
const big = service({ name: 'big' }, async () => new Response('x'.repeat(7_000_000)));
const app = resolveApp({ double, refuse, badResult, api, big }, [double, refuse, badResult, api, big]);
const config = {
  app: 'h',
  prefix: 'h',
  bucket: 'h-payloads',
  region: 'us-east-1',
  endpoints: { dynamodb: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
};
const handler = createLambdaHandler(app, { context: createContext(config, buildManifest(app, 'h')) });
const lambda = (functionName: string) => ({ functionName, awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 });
const call = (name: string, args: unknown[], deadline = Date.now() + 10_000) => ({ multinode: 'call', function: name, args, deadline, attempt: 1 });

describe('the Lambda handler', () => {
  it('has exactly one handler for each kind of event a Lambda function receives', () => {
    const samples: Record<string, unknown> = {
      call: call('double', [21]),
      run: { multinode: 'run', function: 'double', id: 'x' },
      job: { multinode: 'job', job: 'j', id: 'x', attempt: 1 },
      http: { version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '', headers: {}, requestContext: { http: { method: 'GET', path: '/' } } },
      schedule: { multinode: 'schedule', name: 'tick', scheduledTime: '2024-01-01T00:00:00Z', attempt: '1' },
      'schedule-start': {
        RequestType: 'Create',
        ResponseURL: 'http://127.0.0.1/',
        ResourceType: 'Custom::MultinodeScheduleStart',
        ResourceProperties: {},
      },
      'batch-state-change': { source: 'aws.batch', 'detail-type': 'Batch Job State Change', detail: { jobId: 'j', status: 'FAILED' } },
    };
    expect(EVENT_HANDLERS.map((h) => h.name).sort()).toEqual(Object.keys(samples).sort());
    for (const [name, event] of Object.entries(samples)) {
      expect(EVENT_HANDLERS.filter((h) => h.accepts(event)).map((h) => h.name)).toEqual([name]);
    }
    expect(EVENT_HANDLERS.filter((h) => h.accepts({ hello: 'world' }))).toEqual([]);
  });

  it('answers a call with the result envelope', async () => {
    expect(await handler(call('double', [21]), lambda('h-double'))).toEqual({ multinode: 'result', value: 42 });
  });

  it('throws the remote error with the class name as its type', async () => {
    const error = (await handler(call('refuse', []), lambda('h-refuse')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('QuotaExceeded');
    expect(error.message).toBe('no more');
    expect(error.stack).toMatch(/QuotaExceeded|no more/);
  });

  it('refuses an event for another definition than the function serves', async () => {
    const error = (await handler(call('double', [1]), lambda('h-refuse')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('MisroutedEventError');
    expect(error.message).toMatch(/h-refuse serves "refuse", not "double"/);
    const unknown = (await handler(call('triple', [1]), lambda('h-double')).catch((e: unknown) => e)) as Error;
    expect(unknown.message).toMatch(/The app has no function named "triple"; its functions: double, refuse, badResult/);
  });

  it('refuses an event it does not understand, naming the kinds it knows', async () => {
    const error = (await handler({ hello: 'world' }, lambda('h-double')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('UnknownEventError');
    expect(error.message).toMatch(
      'h-double received an event it does not understand: {"hello":"world"}. ' +
        'Known kinds: call, run, job, http, schedule, schedule-start, batch-state-change.',
    );
  });

  it('gives up at the deadline with a TimeoutError', async () => {
    const error = (await handler(call('double', [1], Date.now() - 1), lambda('h-double')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('TimeoutError');
  });

  it('gives up before the invocation itself ends when that comes before the deadline, keeping time to answer', () => {
    const at = (remainingMs: number) =>
      ({ runtime: { clock: () => 50_000 }, lambda: { getRemainingTimeInMillis: () => remainingMs } }) as unknown as HandlerContext;
    expect(invocationDeadline(60_000, at(5_000))).toBe(54_800);
    expect(invocationDeadline(52_000, at(5_000))).toBe(52_000);
    // A started run keeps a second to record its outcome.
    expect(invocationDeadline(60_000, at(5_000), 1_000)).toBe(54_000);
    // A short remainder keeps a quarter of it, not the whole margin.
    expect(invocationDeadline(60_000, at(400))).toBe(50_300);
  });

  it('refuses a result the codec cannot carry', async () => {
    const error = (await handler(call('badResult', []), lambda('h-badResult')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('CodecError');
    expect(error.message).toMatch(/Cannot serialize result: a function/);
  });

  it('serves an HTTP API event on the service function', async () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/x',
      rawQueryString: '',
      headers: { host: 'example.com' },
      requestContext: { http: { method: 'GET', path: '/x', protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 'test' }, domainName: 'example.com' },
      isBase64Encoded: false,
    };
    expect(await handler(event, lambda('h-api'))).toMatchObject({ statusCode: 200, body: 'hi /x', isBase64Encoded: false });
    const misrouted = (await handler(event, lambda('h-double')).catch((e: unknown) => e)) as Error;
    expect(misrouted.message).toMatch(/received an HTTP request but serves the function "double"/);
    // A response Lambda could not return: the error names the service, the request and the size.
    const tooBig = (await handler(event, lambda('h-big')).catch((e: unknown) => e)) as Error;
    expect(tooBig.message).toMatch(/service "big": the response to GET \/x is 7000\d{3} bytes as Lambda's answer .*over Lambda's limit of 6291456 bytes/);
  });
});

describe('remote errors', () => {
  it('keeps a set name, uses the class name for subclasses, and describes thrown non-errors', () => {
    expect(toRemoteError(new TypeError('t'))).toMatchObject({ type: 'TypeError', message: 't' });
    expect(toRemoteError(new QuotaExceeded('q'))).toMatchObject({ type: 'QuotaExceeded', message: 'q' });
    expect(toRemoteError('plain')).toEqual({ type: 'string', message: 'plain' });
    expect(toRemoteError(undefined)).toEqual({ type: 'undefined', message: 'undefined' });
  });
});
