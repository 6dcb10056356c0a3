/**
 * The local CloudWatch Logs endpoint through the real SDK client: groups and streams, PutLogEvents' rules,
 * FilterLogEvents (patterns, time range, streams, pages), GetLogEvents' tokens, the Describe listings, persistence,
 * and CloudWatch Logs' errors for bad input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilteredLogEvent,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { functionLogWriter, type LocalLogs, LOGS_LIMITS, startLocalLogs } from '../../runtime/local/logs/index.js';
import { until } from '../helpers/poll.js';

// The SDK warns on Node 20 (support ends in 2027); Lambda runs Node 22+, so here it is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const T0 = Date.parse('2024-06-01T12:00:00Z');
const GROUP = '/aws/lambda/shop-report';

let now = T0;
let logs: LocalLogs;
let client: CloudWatchLogsClient;

function connect(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

beforeEach(async () => {
  now = T0;
  logs = await startLocalLogs({ clock: () => now });
  client = connect(logs.endpoint);
  await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
});
afterEach(async () => {
  client.destroy();
  await logs.close();
});

/** The error a command fails with: its name (CloudWatch Logs' `__type`), message and HTTP status. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the command succeeded');
}

async function stream(name: string, events: Array<[offsetMs: number, message: string]>): Promise<void> {
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: name }));
  if (events.length > 0) {
    await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: name,
        logEvents: events.map(([offset, message]) => ({ timestamp: T0 + offset, message })),
      }),
    );
  }
}

/** Every page of a FilterLogEvents query. */
async function filterAll(input: Omit<FilterLogEventsCommandInput, 'logGroupName'>): Promise<{ events: FilteredLogEvent[]; pages: number }> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const output = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, ...input, ...(nextToken ? { nextToken } : {}) }));
    events.push(...(output.events ?? []));
    nextToken = output.nextToken;
    pages++;
  } while (nextToken);
  return { events, pages };
}

describe('log groups and streams', () => {
  it('creates them once: a second CreateLogGroup or CreateLogStream is ResourceAlreadyExistsException', async () => {
    expect(await failure(client.send(new CreateLogGroupCommand({ logGroupName: GROUP })))).toEqual({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log group already exists',
      status: 400,
    });
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: '2024/06/01/[$LATEST]abc' }));
    expect(await failure(client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: '2024/06/01/[$LATEST]abc' })))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log stream already exists',
    });
  });

  it('an unknown group or stream is ResourceNotFoundException, for every operation that names one', async () => {
    const missingGroup = { name: 'ResourceNotFoundException', message: 'The specified log group does not exist.', status: 400 };
    expect(await failure(client.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's' })))).toEqual(missingGroup);
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: '/nope' })))).toEqual(missingGroup);
    expect(await failure(client.send(new DescribeLogStreamsCommand({ logGroupName: '/nope' })))).toEqual(missingGroup);
    expect(
      await failure(client.send(new PutLogEventsCommand({ logGroupName: '/nope', logStreamName: 's', logEvents: [{ timestamp: now, message: 'x' }] }))),
    ).toEqual(missingGroup);
    const missingStream = { name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.', status: 400 };
    expect(
      await failure(client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 'none', logEvents: [{ timestamp: now, message: 'x' }] }))),
    ).toEqual(missingStream);
    expect(await failure(client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 'none' })))).toEqual(missingStream);
  });

  it('refuses names CloudWatch Logs refuses', async () => {
    expect(await failure(client.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern/),
    });
    expect(await failure(client.send(new CreateLogGroupCommand({ logGroupName: 'x'.repeat(513) })))).toMatchObject({
      message: expect.stringMatching(/length between 1 and 512/),
    });
    expect(await failure(client.send(new CreateLogGroupCommand({ logGroupName: 'aws/mine' })))).toMatchObject({
      message: expect.stringMatching(/can't start with "aws\/"/),
    });
    expect(await failure(client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'a:b' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/'logStreamName'/),
    });
  });

  it('DescribeLogGroups: by prefix or substring, sorted by name, in pages', async () => {
    for (const name of ['/aws/lambda/shop-a', '/aws/lambda/shop-b', '/aws/batch/shop']) await client.send(new CreateLogGroupCommand({ logGroupName: name }));
    const all = await client.send(new DescribeLogGroupsCommand({}));
    expect(all.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/batch/shop', '/aws/lambda/shop-a', '/aws/lambda/shop-b', GROUP]);
    expect(all.logGroups?.[0]).toMatchObject({
      creationTime: T0,
      arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/shop:*',
      logGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/shop',
    });
    const lambda = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/', limit: 2 }));
    expect(lambda.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/lambda/shop-a', '/aws/lambda/shop-b']);
    const rest = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/', limit: 2, nextToken: lambda.nextToken }));
    expect(rest.logGroups?.map((g) => g.logGroupName)).toEqual([GROUP]);
    expect(rest.nextToken).toBeUndefined();
    expect((await client.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'shop-' }))).logGroups?.map((g) => g.logGroupName)).toEqual([
      '/aws/lambda/shop-a',
      '/aws/lambda/shop-b',
      GROUP,
    ]);
    expect(await failure(client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'a', logGroupNamePattern: 'b' })))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await failure(client.send(new DescribeLogGroupsCommand({ limit: 51 })))).toMatchObject({ message: expect.stringMatching(/between 1 and 50/) });
    expect(await failure(client.send(new DescribeLogGroupsCommand({ nextToken: 'garbage' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The specified nextToken is invalid.',
    });
  });

  it('DescribeLogStreams: by name or last event time, prefix, descending, pages', async () => {
    await stream('b/1', [[5, 'late']]);
    await stream('a/1', [[9, 'latest']]);
    await stream('a/2', [[1, 'early']]);
    const byName = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
    expect(byName.logStreams?.map((s) => s.logStreamName)).toEqual(['a/1', 'a/2', 'b/1']);
    expect(byName.logStreams?.[0]).toMatchObject({ firstEventTimestamp: T0 + 9, lastEventTimestamp: T0 + 9, lastIngestionTime: T0 });
    const byTime = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, orderBy: 'LastEventTime', descending: true }));
    expect(byTime.logStreams?.map((s) => s.logStreamName)).toEqual(['a/1', 'b/1', 'a/2']);
    const first = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'a/', limit: 1 }));
    const second = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'a/', limit: 1, nextToken: first.nextToken }));
    expect([...(first.logStreams ?? []), ...(second.logStreams ?? [])].map((s) => s.logStreamName)).toEqual(['a/1', 'a/2']);
    expect(second.nextToken).toBeUndefined();
    expect(
      await failure(client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, orderBy: 'LastEventTime', logStreamNamePrefix: 'a' }))),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Cannot order by LastEventTime with a logStreamNamePrefix.',
    });
  });
});

describe('PutLogEvents', () => {
  beforeEach(() => stream('s', []));
  const put = (logEvents: Array<{ timestamp: number; message: string }>) =>
    client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 's', logEvents }));

  it('refuses events out of chronological order', async () => {
    expect(
      await failure(
        put([
          { timestamp: now, message: 'b' },
          { timestamp: now - 1, message: 'a' },
        ]),
      ),
    ).toEqual({
      name: 'InvalidParameterException',
      message: 'Log events in a single PutLogEvents request must be in chronological order.',
      status: 400,
    });
  });

  it('refuses more than 10,000 events, and a batch over 1,048,576 bytes counting 26 bytes per event', async () => {
    const many = Array.from({ length: LOGS_LIMITS.maxBatchEvents + 1 }, () => ({ timestamp: now, message: 'x' }));
    expect(await failure(put(many))).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/10001 events.*at most 10000/) });
    expect(await put(many.slice(1))).toBeDefined();
    // Exactly the limit with the overhead: 4 events of (262,144 - 26) bytes; one byte more is refused.
    const exact = Array.from({ length: 4 }, () => ({ timestamp: now, message: 'y'.repeat(262_144 - 26) }));
    expect(await put(exact)).toBeDefined();
    exact[3] = { timestamp: now, message: 'y'.repeat(262_144 - 25) };
    expect(await failure(put(exact))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/Upload too large: 1048577 bytes exceeds limit of 1048576/),
    });
  });

  it('refuses an event over the event size limit', async () => {
    expect(await failure(put([{ timestamp: now, message: 'z'.repeat(LOGS_LIMITS.maxEventBytes) }]))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/Log event too large: event 0 is 1048602 bytes/),
    });
  });

  it('refuses a batch spanning more than 24 hours, and an empty or malformed one', async () => {
    now = T0 + 48 * 3600_000;
    expect(
      await failure(
        put([
          { timestamp: T0 + 3600_000, message: 'a' },
          { timestamp: now, message: 'b' },
        ]),
      ),
    ).toMatchObject({
      message: 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    });
    expect(await failure(put([]))).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/at least 1 event/) });
    expect(await failure(put([{ timestamp: 1.5, message: 'a' }]))).toMatchObject({
      message: expect.stringMatching(/logEvents\[0\]\.timestamp must be an integer/),
    });
  });

  it('stores the events in range and says which were too old (14 days) or too new (2 hours)', async () => {
    const day = 24 * 3600_000;
    const answer = await put([
      { timestamp: now - 15 * day, message: 'too old' },
      { timestamp: now - 1, message: 'kept 1' },
      { timestamp: now + 3600_000, message: 'kept 2' },
      { timestamp: now + 3 * 3600_000, message: 'too new' },
    ]);
    expect(answer.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
    expect((await filterAll({})).events.map((e) => e.message)).toEqual(['kept 1', 'kept 2']);
  });
});

describe('FilterLogEvents', () => {
  beforeEach(async () => {
    await stream('2024/06/01/[$LATEST]aaa', [
      [0, 'START RequestId: r1 Version: $LATEST'],
      [10, JSON.stringify({ level: 'INFO', message: 'computing', runId: 'run-1', attempt: 1 })],
      [30, JSON.stringify({ level: 'ERROR', message: 'failed', runId: 'run-1', attempt: 1 })],
      [50, 'END RequestId: r1'],
    ]);
    await stream('2024/06/01/[$LATEST]bbb', [
      [20, JSON.stringify({ level: 'INFO', message: 'computing', runId: 'run-2', attempt: 1 })],
      [30, JSON.stringify({ level: 'WARN', message: 'slow', runId: 'run-2', attempt: 2 })],
    ]);
  });

  it('interleaves the streams in time order, with stream name, ingestion time and an event id', async () => {
    const { events } = await filterAll({});
    expect(events.map((e) => [e.timestamp! - T0, e.logStreamName!.slice(-3)])).toEqual([
      [0, 'aaa'],
      [10, 'aaa'],
      [20, 'bbb'],
      [30, 'aaa'],
      [30, 'bbb'],
      [50, 'aaa'],
    ]);
    expect(events[0]).toMatchObject({ ingestionTime: T0, eventId: expect.stringMatching(/^\d+$/) });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(6);
  });

  it('a JSON pattern selects a run; terms select text', async () => {
    expect((await filterAll({ filterPattern: '{ $.runId = "run-2" }' })).events.map((e) => JSON.parse(e.message!).message)).toEqual(['computing', 'slow']);
    expect((await filterAll({ filterPattern: '{ $.runId = "run-1" && $.level = "ERROR" }' })).events).toHaveLength(1);
    expect((await filterAll({ filterPattern: 'RequestId -START' })).events.map((e) => e.message)).toEqual(['END RequestId: r1']);
    expect((await filterAll({ filterPattern: '?ERROR ?WARN' })).events).toHaveLength(2);
  });

  it('startTime and endTime are inclusive; streams by name or prefix, not both', async () => {
    expect((await filterAll({ startTime: T0 + 20, endTime: T0 + 30 })).events.map((e) => e.timestamp! - T0)).toEqual([20, 30, 30]);
    expect((await filterAll({ logStreamNames: ['2024/06/01/[$LATEST]bbb'] })).events).toHaveLength(2);
    expect((await filterAll({ logStreamNamePrefix: '2024/06/01/[$LATEST]a' })).events).toHaveLength(4);
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: ['x'], logStreamNamePrefix: 'x' })))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, startTime: T0 + 5, endTime: T0 }))).then((f) => f.name)).toBe(
      'InvalidParameterException',
    );
  });

  it('pages with limit and nextToken: every event once, in order, and no token after the last', async () => {
    const all = (await filterAll({})).events.map((e) => e.eventId);
    for (const limit of [1, 2, 4, 5]) {
      const paged = await filterAll({ limit });
      expect(paged.events.map((e) => e.eventId)).toEqual(all);
      expect(paged.pages).toBe(Math.ceil(all.length / limit));
    }
    // Events that arrive while paging are found by the next pages (the token marks a place, not an offset).
    const first = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 3 }));
    await client.send(
      new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: '2024/06/01/[$LATEST]bbb', logEvents: [{ timestamp: T0 + 40, message: 'arrived later' }] }),
    );
    const rest = await filterAll({ limit: 3, ...(first.nextToken ? { nextToken: first.nextToken } : {}) });
    expect([...(first.events ?? []), ...rest.events].map((e) => e.timestamp! - T0)).toEqual([0, 10, 20, 30, 30, 40, 50]);
  });

  it('startFromHead false: newest first', async () => {
    const output = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, startFromHead: false, limit: 2 }));
    expect(output.events?.map((e) => e.timestamp! - T0)).toEqual([50, 30]);
    const next = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 10, nextToken: output.nextToken }));
    expect(next.events?.map((e) => e.timestamp! - T0)).toEqual([30, 20, 10, 0]);
  });

  it('refuses a bad filter pattern, a bad nextToken, a limit out of range', async () => {
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: '{ $.runId = ' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/Invalid filter pattern/),
      status: 400,
    });
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: '%run-[0-9]%' })))).toMatchObject({
      message: expect.stringMatching(/regular expressions \(%\.\.\.%\), which the local CloudWatch Logs endpoint does not support/),
    });
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, nextToken: 'not-a-token' })))).toEqual({
      name: 'InvalidParameterException',
      message: 'The specified nextToken is invalid.',
      status: 400,
    });
    // A token of another group is no token for this one.
    await client.send(new CreateLogGroupCommand({ logGroupName: '/other' }));
    const token = (await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 1 }))).nextToken;
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: '/other', nextToken: token })))).toMatchObject({
      message: 'The specified nextToken is invalid.',
    });
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 0 })))).toMatchObject({
      message: expect.stringMatching(/between 1 and 10000/),
    });
  });

  it('takes the group by ARN (logGroupIdentifier), not by both', async () => {
    const arn = `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}:*`;
    expect((await client.send(new FilterLogEventsCommand({ logGroupIdentifier: arn }))).events).toHaveLength(6);
    expect(await failure(client.send(new FilterLogEventsCommand({ logGroupIdentifier: arn, logGroupName: GROUP })))).toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('GetLogEvents', () => {
  const NAME = 'single';
  beforeEach(() =>
    stream(
      NAME,
      [0, 1, 2, 3, 4].map((i) => [i * 10, `e${i}`]),
    ),
  );
  const get = async (input: Omit<GetLogEventsCommandInput, 'logGroupName' | 'logStreamName'>) => {
    const output = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: NAME, ...input }));
    return { messages: output.events?.map((e) => e.message), forward: output.nextForwardToken!, backward: output.nextBackwardToken! };
  };

  it('from the head, page by page forward; at the end the token passed in comes back', async () => {
    const first = await get({ startFromHead: true, limit: 2 });
    expect(first.messages).toEqual(['e0', 'e1']);
    const second = await get({ startFromHead: true, limit: 2, nextToken: first.forward });
    expect(second.messages).toEqual(['e2', 'e3']);
    const third = await get({ startFromHead: true, limit: 2, nextToken: second.forward });
    expect(third.messages).toEqual(['e4']);
    const end = await get({ startFromHead: true, limit: 2, nextToken: third.forward });
    expect(end.messages).toEqual([]);
    expect(end.forward).toBe(third.forward);
    // New events appear on the same token.
    await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: NAME, logEvents: [{ timestamp: T0 + 60, message: 'e5' }] }));
    expect((await get({ startFromHead: true, nextToken: end.forward })).messages).toEqual(['e5']);
  });

  it('by default from the tail: the last events, oldest first; the backward token pages back', async () => {
    const last = await get({ limit: 2 });
    expect(last.messages).toEqual(['e3', 'e4']);
    const before = await get({ limit: 2, nextToken: last.backward });
    expect(before.messages).toEqual(['e1', 'e2']);
    const start = await get({ limit: 2, nextToken: before.backward });
    expect(start.messages).toEqual(['e0']);
    const beyond = await get({ limit: 2, nextToken: start.backward });
    expect(beyond.messages).toEqual([]);
    expect(beyond.backward).toBe(start.backward);
    // Forward from a backward page continues after it.
    expect((await get({ startFromHead: true, nextToken: before.forward })).messages).toEqual(['e3', 'e4']);
  });

  it('startTime inclusive, endTime exclusive; a bad token is refused', async () => {
    expect((await get({ startFromHead: true, startTime: T0 + 10, endTime: T0 + 30 })).messages).toEqual(['e1', 'e2']);
    expect(await failure(get({ nextToken: 'f/nope' }))).toMatchObject({ name: 'InvalidParameterException', message: 'The specified nextToken is invalid.' });
  });
});

describe('the endpoint', () => {
  it('answers an unknown operation and a body that is not JSON as CloudWatch Logs does', async () => {
    const post = (target: string, body: string) =>
      fetch(logs.endpoint, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body });
    const unknown = await post('Logs_20140328.DeleteLogGroup', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      __type: 'UnknownOperationException',
      message: expect.stringMatching(/serves CreateLogGroup, CreateLogStream/),
    });
    const garbage = await post('Logs_20140328.FilterLogEvents', '{nope');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('missing required members are InvalidParameterException', async () => {
    expect(await failure(client.send(new FilterLogEventsCommand({})))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'logGroupName or logGroupIdentifier is required.',
    });
  });
});

describe('persistence', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-logs-persist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps groups, streams and events (and their ids) in JSON-lines files across restarts', async () => {
    const first = await startLocalLogs({ directory: dir });
    const c1 = connect(first.endpoint);
    await c1.send(new CreateLogGroupCommand({ logGroupName: '/aws/batch/app' }));
    await c1.send(new CreateLogStreamCommand({ logGroupName: '/aws/batch/app', logStreamName: 'job/default/abc' }));
    const stamp = Date.now();
    await c1.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/batch/app',
        logStreamName: 'job/default/abc',
        logEvents: [
          { timestamp: stamp, message: 'one' },
          { timestamp: stamp + 1, message: 'two\twith a tab and "quotes"' },
        ],
      }),
    );
    const before = await c1.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/app' }));
    c1.destroy();
    await first.close();

    const second = await startLocalLogs({ directory: dir });
    const c2 = connect(second.endpoint);
    try {
      const after = await c2.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/app' }));
      expect(after.events).toEqual(before.events);
      await c2.send(
        new PutLogEventsCommand({ logGroupName: '/aws/batch/app', logStreamName: 'job/default/abc', logEvents: [{ timestamp: stamp + 2, message: 'three' }] }),
      );
      const ids = (await c2.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/app' }))).events?.map((e) => e.eventId);
      expect(new Set(ids).size).toBe(3);
      expect(await failure(c2.send(new CreateLogGroupCommand({ logGroupName: '/aws/batch/app' })))).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    } finally {
      c2.destroy();
      await second.close();
    }
  });
});

describe('delivery (how the local services log)', () => {
  it('buffers lines and puts them in PutLogEvents-sized batches, on flush or on its timer', async () => {
    const { delivery } = logs;
    const lines = Array.from({ length: 12_345 }, (_, i) => `line ${i}`);
    for (const line of lines) delivery.push(GROUP, 'delivered', line, now);
    delivery.flush(GROUP, 'delivered');
    const { events } = await filterAll({ logStreamNames: ['delivered'] });
    expect(events.map((e) => e.message)).toEqual(lines);
    // Unflushed lines go out on the timer, without a caller.
    delivery.push(GROUP, 'delivered', 'on the timer', now);
    await until(
      async () => (await filterAll({ filterPattern: '"on the timer"' })).events.length,
      (found) => found === 1,
      'the buffered line to be delivered by the timer',
    );
  });

  it('a read finds lines delivered just before it: the endpoint puts what is buffered before it answers', async () => {
    // No flush and no wait: without the endpoint's own flush the line would sit in the buffer until the timer.
    logs.delivery.push(GROUP, 'read-after-push', 'pushed just now', now);
    const { events } = await filterAll({ logStreamNames: ['read-after-push'] });
    expect(events.map((e) => e.message)).toEqual(['pushed just now']);
  });

  it("writes Lambda's lines: START, output, the timeout line, END and REPORT with Status: timeout; an Invoke Error line", async () => {
    const writer = functionLogWriter(logs.delivery, 'shop-report', () => now);
    const stream = writer.newStream();
    expect(stream).toBe(`2024/06/01/[$LATEST]${stream.slice(-32)}`);
    expect(stream).toMatch(/\[\$LATEST\][0-9a-f]{32}$/);
    writer.start(stream, 'r-1');
    writer.line(stream, 'working');
    writer.end(stream, 'r-1', { durationMs: 3000, memoryMB: 128, maxMemoryUsedMB: 40.2, initMs: 151.234, timedOutAfterSeconds: 3 });
    writer.start(stream, 'r-2');
    writer.end(stream, 'r-2', {
      durationMs: 1.5,
      memoryMB: 128,
      error: JSON.stringify({ errorType: 'TypeError', errorMessage: 'no rows', trace: ['TypeError: no rows'] }),
    });
    const { events } = await filterAll({ logStreamNames: [stream] });
    expect(events.map((e) => e.message)).toEqual([
      'START RequestId: r-1 Version: $LATEST',
      'working',
      '2024-06-01T12:00:00.000Z r-1 Task timed out after 3.00 seconds',
      'END RequestId: r-1',
      [
        'REPORT RequestId: r-1',
        'Duration: 3000.00 ms',
        'Billed Duration: 3152 ms',
        'Memory Size: 128 MB',
        'Max Memory Used: 41 MB',
        'Init Duration: 151.23 ms',
        'Status: timeout',
      ].join('\t'),
      'START RequestId: r-2 Version: $LATEST',
      '2024-06-01T12:00:00.000Z\tr-2\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"no rows","stack":["TypeError: no rows"]}',
      'END RequestId: r-2',
      'REPORT RequestId: r-2\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB',
    ]);
  });

  it('reports a batch it cannot store (an unknown group) without throwing at the writer', async () => {
    const errors: string[] = [];
    const local = await startLocalLogs({ delivery: { onError: (error, group) => errors.push(`${group}: ${error.message}`) } });
    try {
      local.delivery.push('/missing', 's', 'x');
      local.delivery.flushAll();
      expect(errors).toEqual(['/missing: The specified log group does not exist.']);
      local.createLogGroup('/present');
      local.delivery.push('/present', 's', 'from long ago', Date.parse('2000-01-01T00:00:00Z'));
      local.delivery.push('/present', 's', 'now');
      local.delivery.flush('/present', 's');
      expect(errors[1]).toBe('/present: 1 of 2 lines were timed too far in the past or future and were dropped');
    } finally {
      await local.close();
    }
  });
});
