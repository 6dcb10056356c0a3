/**
 * The SDK client factory: one place that makes the DynamoDB, Lambda and S3 clients of the runtime (helper code for
 * Batch reuses `clientConfig`). Same code against AWS and against the local cloud; only `config.endpoints` differ.
 *
 * - Sockets: fan-out (`map` with up to 1,000 calls in flight) needs more than the SDK's 50 sockets per client.
 * - Lambda retries: off in the SDK (maxAttempts 1). The function client retries throttling and failures itself,
 *   because the SDK would also re-run a non-idempotent function after a client-side timeout.
 * - Connection failures: ConnectionError naming the endpoint (connection-error.ts).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { RuntimeConfig, Service } from './config.js';
import { reportUnreachable } from './connection-error.js';

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
    // Resolve each command's middleware once per client, not on every send: a large share of a call's CPU.
    cacheMiddleware: true,
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

export interface Clients {
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly s3: S3Client;
  /** Closes every client's sockets. */
  destroy(): void;
}

export function createClients(config: RuntimeConfig): Clients {
  const dynamodb = new DynamoDBClient(clientConfig(config, 'dynamodb'));
  // Invokes may last the whole function timeout (up to 15 min): no request timeout; failures are retried above.
  const lambda = new LambdaClient(clientConfig(config, 'lambda', { maxAttempts: 1 }));
  const s3 = new S3Client(clientConfig(config, 's3'));
  return {
    dynamodb,
    lambda,
    s3,
    destroy() {
      dynamodb.destroy();
      lambda.destroy();
      s3.destroy();
    },
  };
}
