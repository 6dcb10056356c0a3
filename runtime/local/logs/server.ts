/**
 * The local CloudWatch Logs endpoint: the awsJson1_1 protocol the SDK's CloudWatchLogsClient speaks (`POST /`,
 * `X-Amz-Target: Logs_20140328.<Operation>`, JSON in and out; errors as `{"__type": ..., "message": ...}` with HTTP
 * 400), answered by a LogStore. Operations: CreateLogGroup, CreateLogStream, PutLogEvents, FilterLogEvents,
 * GetLogEvents, DescribeLogGroups, DescribeLogStreams
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Operations.html). Request members are
 * checked for their types here; their meaning, in the store.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { readBody, startLocalServer } from '../http-server.js';
import { LogDelivery, type LogDeliveryOptions } from './delivery.js';
import { type InputLogEvent, LogStore, type LogStoreOptions, LogsServiceError } from './store.js';

const TARGET_PREFIX = 'Logs_20140328.';
/** A PutLogEvents body is at most about 1 MB of messages plus JSON; anything far larger is refused unread. */
const BODY_LIMIT = 8 * 1024 * 1024;

export interface LocalLogs {
  /** The endpoint for `new CloudWatchLogsClient({ endpoint })` (and `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`). */
  readonly endpoint: string;
  readonly store: LogStore;
  /** How the local cloud's services send their output here (batched). */
  readonly delivery: LogDelivery;
  /** Creates a log group unless it exists (the local cloud creates its groups as the constructs do). */
  createLogGroup(name: string): void;
  /** Delivers what is buffered, stops the endpoint and waits for the files to be written. */
  close(): Promise<void>;
}

export interface LocalLogsOptions extends LogStoreOptions {
  readonly port?: number;
  readonly delivery?: LogDeliveryOptions;
}

type Body = Record<string, unknown>;
type Operation = (store: LogStore, body: Body) => unknown;

const OPERATIONS: Record<string, Operation> = {
  CreateLogGroup(store, body) {
    store.createLogGroup(string(body, 'logGroupName'));
    return {};
  },
  CreateLogStream(store, body) {
    store.createLogStream(string(body, 'logGroupName'), string(body, 'logStreamName'));
    return {};
  },
  PutLogEvents(store, body) {
    const logEvents: InputLogEvent[] = array(body, 'logEvents').map((event, index) => {
      if (typeof event !== 'object' || event === null) throw invalid(`logEvents[${index}] is not an object with timestamp and message.`);
      return { timestamp: integer(event as Body, 'timestamp', `logEvents[${index}].`)!, message: string(event as Body, 'message', `logEvents[${index}].`) };
    });
    return store.putLogEvents(string(body, 'logGroupName'), string(body, 'logStreamName'), logEvents);
  },
  FilterLogEvents(store, body) {
    return store.filterLogEvents({
      logGroupName: groupOf(store, body),
      ...defined('logStreamNames', optionalStrings(body, 'logStreamNames')),
      ...defined('logStreamNamePrefix', optionalString(body, 'logStreamNamePrefix')),
      ...defined('startTime', integer(body, 'startTime')),
      ...defined('endTime', integer(body, 'endTime')),
      ...defined('filterPattern', optionalString(body, 'filterPattern')),
      ...defined('nextToken', optionalString(body, 'nextToken')),
      ...defined('limit', integer(body, 'limit')),
      ...defined('startFromHead', boolean(body, 'startFromHead')),
    });
  },
  GetLogEvents(store, body) {
    return store.getLogEvents({
      logGroupName: groupOf(store, body),
      logStreamName: string(body, 'logStreamName'),
      ...defined('startTime', integer(body, 'startTime')),
      ...defined('endTime', integer(body, 'endTime')),
      ...defined('nextToken', optionalString(body, 'nextToken')),
      ...defined('limit', integer(body, 'limit')),
      ...defined('startFromHead', boolean(body, 'startFromHead')),
    });
  },
  DescribeLogGroups(store, body) {
    return store.describeLogGroups({
      ...defined('logGroupNamePrefix', optionalString(body, 'logGroupNamePrefix')),
      ...defined('logGroupNamePattern', optionalString(body, 'logGroupNamePattern')),
      ...defined('logGroupIdentifiers', optionalStrings(body, 'logGroupIdentifiers')),
      ...defined('nextToken', optionalString(body, 'nextToken')),
      ...defined('limit', integer(body, 'limit')),
    });
  },
  DescribeLogStreams(store, body) {
    return store.describeLogStreams({
      logGroupName: groupOf(store, body),
      ...defined('logStreamNamePrefix', optionalString(body, 'logStreamNamePrefix')),
      ...defined('orderBy', optionalString(body, 'orderBy')),
      ...defined('descending', boolean(body, 'descending')),
      ...defined('nextToken', optionalString(body, 'nextToken')),
      ...defined('limit', integer(body, 'limit')),
    });
  },
};

/** Starts the endpoint on 127.0.0.1 with a new store (persisted in `directory` when given). */
export async function startLocalLogs(options: LocalLogsOptions = {}): Promise<LocalLogs> {
  const store = new LogStore(options);
  // One clock for the store and the lines delivered to it.
  const delivery = new LogDelivery(store, { ...(options.clock ? { clock: options.clock } : {}), ...options.delivery });
  const server = await startLocalServer(
    (req, res) => {
      // What the local services delivered before this request is in the store before it is answered: a reader sees
      // an invocation's lines as soon as the invocation has ended, though they are put in batches.
      delivery.flushAll();
      void handle(store, req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { __type: 'ServiceUnavailableException', message: (error as Error).message });
        else res.destroy();
      });
    },
    { port: options.port ?? 0, name: 'the local CloudWatch Logs endpoint' },
  );
  return {
    endpoint: server.url,
    store,
    delivery,
    createLogGroup(name) {
      if (!store.hasLogGroup(name)) store.createLogGroup(name);
    },
    async close() {
      delivery.close();
      await server.close();
      await store.flush();
    },
  };
}

async function handle(store: LogStore, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith(TARGET_PREFIX) ? OPERATIONS[target.slice(TARGET_PREFIX.length)] : undefined;
  if (req.method !== 'POST' || !operation || !Object.hasOwn(OPERATIONS, target.slice(TARGET_PREFIX.length))) {
    req.resume();
    const known = Object.keys(OPERATIONS).join(', ');
    return send(res, 400, {
      __type: 'UnknownOperationException',
      message: `The local CloudWatch Logs endpoint does not serve ${req.method} with X-Amz-Target "${target}"; it serves ${known}.`,
    });
  }
  const body = await readBody(req, { limit: BODY_LIMIT, over: 'drain' });
  if (body.overLimit) return send(res, 413, { __type: 'InvalidParameterException', message: `Request body of ${body.size} bytes is too large.` });
  let parsed: unknown;
  try {
    parsed = body.bytes.length === 0 ? {} : JSON.parse(body.bytes.toString('utf8'));
  } catch {
    return send(res, 400, { __type: 'SerializationException', message: 'The request body is not valid JSON.' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return send(res, 400, { __type: 'SerializationException', message: 'The request body is not a JSON object.' });
  }
  try {
    send(res, 200, operation(store, parsed as Body));
  } catch (error) {
    if (!(error instanceof LogsServiceError)) throw error;
    send(res, error.status, { __type: error.type, message: error.message });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

// ---- request members ----

const invalid = (message: string) => new LogsServiceError('InvalidParameterException', message);

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function string(body: Body, key: string, where = ''): string {
  const value = body[key];
  if (typeof value !== 'string') throw invalid(`${where}${key} is required and must be a string.`);
  return value;
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${key} must be a string.`);
  return value;
}

function optionalStrings(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(`${key} must be a list of strings.`);
  return value as string[];
}

function array(body: Body, key: string): unknown[] {
  const value = body[key];
  if (!Array.isArray(value)) throw invalid(`${key} is required and must be a list.`);
  return value;
}

function integer(body: Body, key: string, where = ''): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (where) throw invalid(`${where}${key} is required.`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${where}${key} must be an integer; got ${JSON.stringify(value)}.`);
  return value;
}

function boolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${key} must be true or false.`);
  return value;
}

/** `logGroupName` or `logGroupIdentifier` (a name or an ARN), exactly one of them. */
function groupOf(store: LogStore, body: Body): string {
  const name = optionalString(body, 'logGroupName');
  const identifier = optionalString(body, 'logGroupIdentifier');
  if (name !== undefined && identifier !== undefined) throw invalid('Give logGroupName or logGroupIdentifier, not both.');
  if (name === undefined && identifier === undefined) throw invalid('logGroupName or logGroupIdentifier is required.');
  return name ?? store.groupNameOf(identifier!);
}
