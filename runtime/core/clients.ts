/**
 * The SDK client factory: one place that makes the DynamoDB, Lambda and S3 clients of the runtime (helper code for
 * Batch reuses `clientConfig`), and the CloudWatch Logs client of log readers. Same code against AWS and against the
 * local cloud; only `config.endpoints` differ.
 *
 * - Lambda and S3 clients are made at first use, their SDK packages loaded then (sdk-modules.ts): a function that
 *   only uses dicts starts without them.
 *
 * - Sockets: fan-out (`map` with up to 1,000 calls in flight) needs more than the SDK's 50 sockets per client.
 * - Lambda retries: off in the SDK (maxAttempts 1). The function client retries throttling and failures itself,
 *   because the SDK would also re-run a non-idempotent function after a client-side timeout (docs/aws-behaviour.md,
 *   "Lambda invoke results and errors").
 * - DynamoDB items are read and written as plain objects through the document client (`documentClient`), built on
 *   the one DynamoDBClient so sockets, endpoint and retries stay in one place.
 * - Connection failures: ConnectionError naming the endpoint (connection-error.ts).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { RuntimeConfig, Service } from './config.js';
import { reportUnreachable } from './connection-error.js';
import { DOCUMENT_TRANSLATION } from './document-translation.js';
import { registerCachedClient } from './item-requests.js';
import { LazyClient, lambdaSdk, s3Sdk } from './sdk-modules.js';

/** Sockets per client: enough for the largest `maxConcurrency` (1,000). */
export const MAX_SOCKETS = 1000;

export interface ClientOptions {
  /** Longest an SDK request may take, in ms (0: no limit). Lambda invokes wait as long as the function may run. */
  requestTimeoutMs?: number;
  /** SDK attempts per request (default: the SDK's 3; 1 for Lambda, see above). */
  maxAttempts?: number;
}

/** The common part of every client's configuration: region, endpoint, credentials, sockets. */
export function clientConfig(config: RuntimeConfig, service: Service, options: ClientOptions = {}) {
  const endpoint = config.endpoints?.[service];
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return {
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    // Resolve each command's middleware once per client, not on every send: a large share of a call's CPU. Not for
    // DynamoDB: the document client's commands carry their input in the middleware they resolve, so it refuses this.
    cacheMiddleware: service !== 'dynamodb',
    // A lost endpoint is reported as such (ConnectionError naming it), not as the handler's "TimeoutError".
    extensions: [reportUnreachable(service)],
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      requestTimeout: options.requestTimeoutMs ?? 0,
      // No "socket usage at capacity" warnings: a full pool is expected under fan-out.
      socketAcquisitionWarningTimeout: 60_000,
    },
  };
}

export { DOCUMENT_TRANSLATION };

/**
 * The document client over `dynamodb`. One per DynamoDBClient: the document client keeps its translation options
 * in the client's shared configuration.
 */
export function documentClient(dynamodb: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamodb, DOCUMENT_TRANSLATION);
}

/**
 * `documents` when it is a document client. A DynamoDBClient has the same shape to TypeScript, but sent through it the
 * document commands would skip the translation options above: refused here, with what to pass instead.
 */
export function checkDocumentClient(documents: unknown, who: string): DynamoDBDocumentClient {
  if (documents instanceof DynamoDBDocumentClient) return documents;
  const got = typeof documents === 'object' && documents !== null ? `a ${documents.constructor?.name ?? 'object'}` : String(documents);
  throw new InvalidArgumentError(`${who} needs the DynamoDB document client (documentClient(dynamodb) of multinode/runtime), got ${got}.`);
}

export interface Clients {
  readonly dynamodb: DynamoDBClient;
  /** A second DynamoDB client that resolves each command's middleware once: the state table's frequent requests. */
  readonly cachedDynamodb: DynamoDBClient;
  /** The document client over `dynamodb`: every item the runtime reads or writes goes through it. */
  readonly documents: DynamoDBDocumentClient;
  /** The Lambda client, made (and its SDK package loaded) at the first call. */
  lambda(): Promise<LambdaClient>;
  /** The S3 client, made (and its SDK package loaded) at the first call. */
  s3(): Promise<S3Client>;
  /** Closes every client's sockets. */
  destroy(): void;
}

export function createClients(config: RuntimeConfig): Clients {
  const dynamodb = new DynamoDBClient(clientConfig(config, 'dynamodb'));
  const documents = documentClient(dynamodb);
  // The state table's frequent requests go through a second client that resolves its middleware once (item-requests.ts).
  const cachedDynamodb = new DynamoDBClient({ ...clientConfig(config, 'dynamodb'), cacheMiddleware: true });
  registerCachedClient(documents, cachedDynamodb);
  // Invokes may last the whole function timeout (up to 15 min): no request timeout; failures are retried above.
  const lambda = new LazyClient(async () => new (await lambdaSdk()).LambdaClient(clientConfig(config, 'lambda', { maxAttempts: 1 })));
  const s3 = new LazyClient(async () => new (await s3Sdk()).S3Client(clientConfig(config, 's3')));
  return {
    dynamodb,
    cachedDynamodb,
    documents,
    lambda: () => lambda.get(),
    s3: () => s3.get(),
    destroy() {
      dynamodb.destroy();
      cachedDynamodb.destroy();
      lambda.destroy();
      s3.destroy();
    },
  };
}

/**
 * The CloudWatch Logs client of a log reader (runtime/logs). Not one of `Clients`: code in Lambda and on Batch never
 * reads logs, and a client nothing calls is left out of the app bundle (esbuild drops the unused export and the
 * side-effect-free SDK package with it), so cold starts never load it. Operator tools create it when they read.
 */
export function createLogsClient(config: RuntimeConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientConfig(config, 'logs'));
}
