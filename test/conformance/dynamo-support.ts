/** Test support: an in-memory local DynamoDB with real SDK clients, and a proxy that makes batch calls partial. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../runtime/core/clients.js';
import { registerCachedClient } from '../../runtime/core/item-requests.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { createTables } from '../../runtime/local/tables.js';
import { DICT_TABLE_SCHEMA } from '../../runtime/dicts/schema.js';
import { STATE_TABLE_SCHEMA } from '../../runtime/state/schema.js';
import { DictClient } from '../../runtime/dicts/dict-client.js';
import type { BatchOptions } from '../../runtime/core/dynamo-batch.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const TEST_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function dynamoClient(endpoint: string, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS, ...(maxAttempts ? { maxAttempts } : {}) });
}

export interface DictFixtureOptions {
  clock?: () => number;
  /** Another low-level client (through a proxy); the dict gets the document client over it. */
  client?: DynamoDBClient;
  batch?: BatchOptions;
}

export interface DynamoFixture {
  readonly dynamo: LocalDynamo;
  readonly client: DynamoDBClient;
  /** The document client over `client`. */
  readonly documents: DynamoDBDocumentClient;
  /** A fresh dict table and a client for it. */
  dict<V = unknown>(name: string, options?: DictFixtureOptions): Promise<DictClient<V>>;
  /** A fresh dict table, by name. */
  dictTable(name: string): Promise<string>;
  stateTable(name: string): Promise<string>;
  close(): Promise<void>;
}

let tables = 0;

export async function startDynamoFixture(): Promise<DynamoFixture> {
  const dynamo = await startDynamo();
  const client = dynamoClient(dynamo.endpoint);
  const documents = documentClient(client);
  // As the runtime's own clients do: the frequent requests through a client that caches its middleware (the document
  // client's own path is compared with it in item-requests.test.ts).
  const cachedClient = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: TEST_CREDENTIALS, cacheMiddleware: true });
  registerCachedClient(documents, cachedClient);
  const dictTable = async (name: string) => {
    const table = `t${++tables}-dict-${name}`;
    await createTables(client, [[table, DICT_TABLE_SCHEMA]]);
    return table;
  };
  return {
    dynamo,
    client,
    documents,
    async dict<V>(name: string, options: DictFixtureOptions = {}) {
      const table = await dictTable(name);
      return new DictClient<V>({
        documents: options.client ? documentClient(options.client) : documents,
        name,
        table,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.batch ? { batch: options.batch } : {}),
      });
    },
    dictTable,
    async stateTable(name: string) {
      const table = `t${++tables}-${name}`;
      await createTables(client, [[table, STATE_TABLE_SCHEMA]]);
      return table;
    },
    async close() {
      client.destroy();
      cachedClient.destroy();
      await dynamo.close();
    },
  };
}

export interface PartialProxy {
  readonly endpoint: string;
  /** Batch requests answered partially so far. */
  readonly partialAnswers: number;
  close(): Promise<void>;
}

/**
 * A proxy in front of DynamoDB that behaves like a throttled table for batch calls: it forwards only the first
 * half of each BatchWriteItem/BatchGetItem (at least one) and returns the rest as UnprocessedItems/UnprocessedKeys,
 * as DynamoDB does under throttling. Other calls pass through unchanged.
 */
export async function startPartialBatchProxy(target: string): Promise<PartialProxy> {
  let partialAnswers = 0;
  const targetUrl = new URL(target);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks).toString('utf8');
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    let held: { table: string; items: unknown[] } | undefined;
    if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
      const request = JSON.parse(body) as { RequestItems: Record<string, unknown> };
      const [table, value] = Object.entries(request.RequestItems)[0]!;
      const items = operation === 'BatchWriteItem' ? (value as unknown[]) : (value as { Keys: unknown[] }).Keys;
      if (items.length > 1) {
        const keep = Math.ceil(items.length / 2);
        held = { table, items: items.slice(keep) };
        if (operation === 'BatchWriteItem') request.RequestItems[table] = items.slice(0, keep);
        else (value as { Keys: unknown[] }).Keys = items.slice(0, keep);
        body = JSON.stringify(request);
      }
    }
    const headers = { ...req.headers, host: targetUrl.host, 'content-length': String(Buffer.byteLength(body)) };
    const upstream = http.request({ host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers }, async (response) => {
      const parts: Buffer[] = [];
      for await (const chunk of response) parts.push(chunk as Buffer);
      let text = Buffer.concat(parts).toString('utf8');
      if (held && response.statusCode === 200) {
        partialAnswers++;
        const answer = JSON.parse(text) as Record<string, Record<string, unknown>>;
        if (operation === 'BatchWriteItem') answer.UnprocessedItems = { [held.table]: held.items };
        else {
          const original = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { RequestItems: Record<string, Record<string, unknown>> };
          answer.UnprocessedKeys = { [held.table]: { ...original.RequestItems[held.table], Keys: held.items } };
        }
        text = JSON.stringify(answer);
      }
      res.writeHead(response.statusCode ?? 500, {
        ...response.headers,
        'content-length': String(Buffer.byteLength(text)),
        'x-amz-crc32': String(crc32(text)),
      });
      res.end(text);
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get partialAnswers() {
      return partialAnswers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
