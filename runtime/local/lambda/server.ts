/**
 * The local Lambda endpoint: Lambda's Invoke API over HTTP on 127.0.0.1
 * (`POST /2015-03-31/functions/{name}/invocations`, `X-Amz-Invocation-Type`), answered by a LocalLambda. The real
 * SDK LambdaClient talks to it through `endpoint` / `AWS_ENDPOINT_URL_LAMBDA`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SYNC_PAYLOAD_LIMIT } from '../../core/payloads.js';
import { listen } from '../dynamodb.js';
import type { InvocationType, LocalLambda } from './local-lambda.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const INVOCATION_TYPES: readonly InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];

export interface LambdaEndpoint {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startLambdaEndpoint(lambda: Pick<LocalLambda, 'invoke'>, port = 0): Promise<LambdaEndpoint> {
  const server = http.createServer((req, res) => {
    void handle(lambda, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'x-amzn-errortype': 'ServiceException' }, JSON.stringify({ Type: 'Service', message: (error as Error).message }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await listen(server, port);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(lambda: Pick<LocalLambda, 'invoke'>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const match = INVOKE_PATH.exec(path);
  if (req.method !== 'POST' || !match) {
    req.resume();
    return send(res, 404, { 'x-amzn-errortype': 'UnknownOperationException' }, JSON.stringify({ message: `Unknown operation ${req.method} ${path}` }));
  }
  const typeHeader = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (!INVOCATION_TYPES.includes(typeHeader as InvocationType)) {
    req.resume();
    return send(
      res,
      400,
      { 'x-amzn-errortype': 'InvalidParameterValueException' },
      JSON.stringify({ Type: 'User', message: `Invalid InvocationType: ${typeHeader}` }),
    );
  }
  // Read at most one byte over the largest limit; LocalLambda answers 413 from the length.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (size <= SYNC_PAYLOAD_LIMIT) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const body = Buffer.concat(chunks);
  const answer = await lambda.invoke(match[1]!, body, typeHeader as InvocationType, size);
  send(res, answer.status, answer.headers, answer.body);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
