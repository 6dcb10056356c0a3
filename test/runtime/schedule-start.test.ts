/**
 * The deploy-time StartDate of rate schedules: the Lambda handler answers CloudFormation's custom resource requests
 * (`Custom::MultinodeScheduleStart`) by a PUT to the request's ResponseURL, here a real HTTP server on 127.0.0.1,
 * computing the first grid point at least a minute after the (controlled) clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { schedule } from '../../lib/definitions/schedule.js';
import { buildManifest } from '../../lib/manifest.js';
import { createContext } from '../../runtime/core/context.js';
import { createLambdaHandler } from '../../runtime/entry/lambda-handler.js';
import { DEPLOY_START_LEAD_MS, SCHEDULE_START_RESOURCE_TYPE } from '../../runtime/schedules/start-date-event.js';

const HOUR = 3_600_000;
const REFERENCE = Date.parse('2024-01-01T06:00:00Z');
const every36h = schedule({ name: 'every36h', interval: '36h', referenceTime: '2024-01-01T06:00:00Z' }, async () => undefined);
const nightly = schedule({ name: 'nightly', cron: '0 2 * * *' }, async () => undefined);
const app = resolveApp({ every36h, nightly }, [every36h, nightly]);
const config = {
  app: 's',
  prefix: 's',
  bucket: 's-payloads',
  region: 'us-east-1',
  endpoints: { dynamodb: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
};
let now = Date.parse('2030-05-01T12:00:00Z');
const handler = createLambdaHandler(app, { context: createContext(config, buildManifest(app, 's'), { clock: () => now }) });
const lambda = { functionName: 's-multinode-dispatcher', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 };

/** The PUTs the response URL received; it answers `failFirst` of them with 500. */
const received: Array<{ method: string; contentType: string | undefined; body: Record<string, any> }> = [];
let failFirst = 0;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method!, contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
    res.writeHead(failFirst-- > 0 ? 500 : 200).end();
  });
});
let responseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function request(type: 'Create' | 'Update' | 'Delete', properties: Record<string, string>, physicalId?: string) {
  return {
    RequestType: type,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
    RequestId: `req-${received.length}`,
    LogicalResourceId: 'Every36hStart0',
    ResourceType: SCHEDULE_START_RESOURCE_TYPE,
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:s-multinode-dispatcher', ...properties },
  };
}
const props = (over: Record<string, string> = {}) => ({
  Definition: 'every36h',
  Index: '0',
  Expression: 'rate(36 hours)',
  RequestedAt: '2030-05-01T11:00:00.000Z',
  ...over,
});

describe('the deploy-time start of a rate schedule', () => {
  it('answers the first grid point at least a minute after now, by a PUT with an empty content type', async () => {
    received.length = 0;
    await handler(request('Create', props()), lambda);
    expect(received).toHaveLength(1);
    const [put] = received;
    expect(put!.method).toBe('PUT');
    expect(put!.contentType).toBe('');
    expect(put!.body).toMatchObject({
      Status: 'SUCCESS',
      LogicalResourceId: 'Every36hStart0',
      RequestId: 'req-0',
      StackId: request('Create', props()).StackId,
    });
    const start = Date.parse(put!.body.Data.StartDate);
    expect((start - REFERENCE) % (36 * HOUR)).toBe(0);
    expect(start).toBeGreaterThanOrEqual(now + DEPLOY_START_LEAD_MS);
    expect(start - 36 * HOUR).toBeLessThan(now + DEPLOY_START_LEAD_MS);
  });

  it('computes again on Update with the time of that deploy, keeping the physical id', async () => {
    received.length = 0;
    now += 10 * 24 * HOUR;
    await handler(request('Update', props({ RequestedAt: '2030-05-11T11:00:00.000Z' }), 'Every36hStart0-start'), lambda);
    const start = Date.parse(received[0]!.body.Data.StartDate);
    expect(received[0]!.body.PhysicalResourceId).toBe('Every36hStart0-start');
    expect(start).toBeGreaterThanOrEqual(now + DEPLOY_START_LEAD_MS);
    expect(start - 36 * HOUR).toBeLessThan(now + DEPLOY_START_LEAD_MS);
  });

  it('acknowledges Delete without computing anything', async () => {
    received.length = 0;
    await handler(request('Delete', props({ Definition: 'gone' }), 'Every36hStart0-start'), lambda);
    expect(received[0]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Every36hStart0-start' });
    expect(received[0]!.body.Data).toBeUndefined();
  });

  it('answers FAILED with the reason when the bundle does not match the template, so the stack does not wait an hour', async () => {
    received.length = 0;
    await handler(request('Create', props({ Definition: 'missing' })), lambda);
    await handler(request('Create', props({ Expression: 'rate(12 hours)' })), lambda);
    await handler(request('Create', props({ Definition: 'nightly' })), lambda);
    expect(received.map((r) => r.body.Status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(received[0]!.body.Reason).toMatch(/the app's bundle has no scheduled task named "missing"/);
    expect(received[1]!.body.Reason).toMatch(/"every36h" compiles to "rate\(36 hours\)" at index 0 now, not the template's rate schedule "rate\(12 hours\)"/);
    expect(received[2]!.body.Reason).toMatch(/"nightly" compiles to "cron\(0 2 \* \* \? \*\)" at index 0 now/);
  });

  it('retries a PUT the response URL refuses', async () => {
    received.length = 0;
    failFirst = 2;
    await handler(request('Create', props()), lambda);
    expect(received.map((r) => r.body.Status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });

  it('answers FAILED, or SUCCESS for a Delete, when the runtime cannot start (here: no configuration in the environment)', async () => {
    received.length = 0;
    const unconfigured = createLambdaHandler(app);
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('MULTINODE_')) delete process.env[key];
    try {
      await expect(unconfigured(request('Create', props()), lambda)).rejects.toThrow(/MULTINODE_/);
      await expect(unconfigured(request('Delete', props(), 'Every36hStart0-start'), lambda)).rejects.toThrow(/MULTINODE_/);
    } finally {
      Object.assign(process.env, saved);
    }
    expect(received.map((r) => r.body.Status)).toEqual(['FAILED', 'SUCCESS']);
    expect(received[0]!.body.Reason).toMatch(/the runtime did not start: .*MULTINODE_/);
  });

  it('answers FAILED for properties that name no expression, and leaves a malformed request to the unknown-event error', async () => {
    received.length = 0;
    await handler(request('Create', props({ Index: 'abc' })), lambda);
    expect(received[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/"every36h" compiles to nothing at index abc now/) });
    // Without a ResponseURL nobody could be answered: it is no start-date request.
    const { ResponseURL: _url, ...noUrl } = request('Create', props());
    await expect(handler(noUrl, lambda)).rejects.toThrow(/received an event it does not understand/);
    await expect(handler({ ...request('Create', props()), RequestType: 'Replace' }, lambda)).rejects.toThrow(/Known kinds: .*schedule-start/);
    expect(received).toHaveLength(1);
  });
});
