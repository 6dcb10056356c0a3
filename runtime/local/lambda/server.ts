/**
 * The local Lambda endpoint: Lambda's Invoke API over HTTP on 127.0.0.1
 * (`POST /2015-03-31/functions/{name}/invocations`, `X-Amz-Invocation-Type`), answered by a LocalLambda. The real
 * SDK LambdaClient talks to it through `endpoint` / `AWS_ENDPOINT_URL_LAMBDA`.
 */
import type http from 'node:http';
import { SYNC_PAYLOAD_LIMIT } from '../../core/payloads.js';
import { readBody, startLocalServer } from '../http-server.js';
import type { InvocationType, LocalLambda } from './local-lambda.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const INVOCATION_TYPES: readonly InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];

export interface LambdaEndpoint {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startLambdaEndpoint(lambda: Pick<LocalLambda, 'invoke'>, port = 0): Promise<LambdaEndpoint> {
  const server = await startLocalServer(
    (req, res) => {
      void handle(lambda, req, res).catch((error: unknown) => {
        if (!res.headersSent)
          send(res, 500, { 'x-amzn-errortype': 'ServiceException' }, JSON.stringify({ Type: 'Service', message: (error as Error).message }));
        else res.destroy();
      });
    },
    { port, name: 'the local Lambda endpoint' },
  );
  return { endpoint: server.url, close: server.close };
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
  // Keep at most the largest limit and count the rest; LocalLambda answers 413 from the length.
  const body = await readBody(req, { limit: SYNC_PAYLOAD_LIMIT, over: 'drain' });
  const answer = await lambda.invoke(match[1]!, body.bytes, typeHeader as InvocationType, body.size);
  send(res, answer.status, answer.headers, answer.body);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
