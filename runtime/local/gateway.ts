/**
 * The local HTTP gateway of one service: what API Gateway's HTTP API does in AWS. Each request becomes a payload
 * format 2.0 event, invoked synchronously on the service's Lambda function through the real Lambda SDK client
 * (against the local Lambda endpoint), and the integration response becomes the HTTP response.
 *
 * Like API Gateway: request line + headers at most 10,240 bytes (431), bodies at most 10 MB (413), malformed HTTP
 * answered 400, a function error answered 500 `{"message":"Internal Server Error"}`, a throttled function 503, and
 * an event Lambda refuses for its size (over 6 MB: binary bodies are base64 in it) 413 `{"message":"Request Entity
 * Too Large"}`, what an HTTP API answers then (AWS's own emulator, aws-lambda-dotnet's LambdaTestTool-v2, does the same).
 * A service's `auth` (IAM or JWT) is checked before the handler runs, with API Gateway's refusals (service-auth.ts).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsErrorName } from '../core/aws-errors.js';
import { SYNC_PAYLOAD_LIMIT } from '../core/payloads.js';
import { isText, type HttpApiEvent, type HttpApiResult } from '../services/http-api.js';
import { readBody, startLocalServer } from './http-server.js';
import type { RequestAuthorizer } from './service-auth.js';

/** The account id local events carry. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export const GATEWAY_LIMITS = { headerBytes: 10_240, bodyBytes: 10 * 1024 * 1024 } as const;

export interface GatewayOptions {
  readonly service: string;
  readonly functionName: string;
  readonly lambda: LambdaClient;
  readonly port?: number;
  /** Appended to the error when `port` is taken: what the user can do about it. */
  readonly portHint?: string;
  readonly log?: (line: string) => void;
  /** The service's `auth`, checked before the handler runs (service-auth.ts); none: every request passes. */
  readonly authorize?: RequestAuthorizer;
}

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => undefined);
  const { server, url, close } = await startLocalServer(
    (req, res) => {
      const started = performance.now();
      void serve(options, req, res)
        .catch((error: unknown) => {
          log(`gateway error: ${(error as Error).message}`);
          if (!res.headersSent) reply(res, 500, { message: 'Internal Server Error' });
          else res.destroy();
        })
        .finally(() => log(`${req.method} ${req.url} ${res.statusCode} ${Math.round(performance.now() - started)}ms`));
    },
    {
      port: options.port ?? 0,
      name: `service "${options.service}"`,
      maxHeaderSize: GATEWAY_LIMITS.headerBytes,
      ...(options.portHint ? { portHint: options.portHint } : {}),
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    log(`malformed request refused: ${error.code ?? error.message}`);
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({ message: status.slice(4) });
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return { url, close };
}

async function serve(options: GatewayOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readBody(req, { limit: GATEWAY_LIMITS.bodyBytes, over: 'stop' });
  if (body.overLimit) {
    reply(res, 413, { message: 'Request Entity Too Large' });
    req.destroy();
    return;
  }
  let event = toEvent(req, body.bytes);
  if (options.authorize) {
    const decision = await options.authorize(req, body.bytes);
    if (!decision.ok) {
      options.log?.(`${options.service}: ${req.method} ${req.url} refused (${decision.status}): ${decision.reason}`);
      return reply(res, decision.status, decision.body, decision.headers);
    }
    if (decision.authorizer) event = { ...event, requestContext: { ...event.requestContext, authorizer: decision.authorizer } };
  }
  const payload = Buffer.from(JSON.stringify(event));
  let answer: InvokeCommandOutput;
  try {
    answer = await options.lambda.send(new InvokeCommand({ FunctionName: options.functionName, Payload: payload }));
  } catch (error) {
    if (isRequestTooLarge(error)) {
      options.log?.(
        `${options.service}: ${req.method} ${req.url}: the event is ${payload.length.toLocaleString('en-US')} bytes, over Lambda's ` +
          `${SYNC_PAYLOAD_LIMIT.toLocaleString('en-US')}-byte limit for a synchronous invoke (a ${body.bytes.length.toLocaleString('en-US')}-byte ` +
          `${event.isBase64Encoded ? 'binary body, base64 in the event' : 'text body'}); answered 413 as API Gateway does`,
      );
      return reply(res, 413, { message: 'Request Entity Too Large' });
    }
    const throttled = awsErrorName(error) === 'TooManyRequestsException';
    options.log?.(`${options.service}: invoke failed: ${(error as Error).message}`);
    return reply(res, throttled ? 503 : 500, { message: throttled ? 'Service Unavailable' : 'Internal Server Error' });
  }
  const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
  if (answer.FunctionError) {
    options.log?.(`${options.service}: the handler failed: ${text.slice(0, 1000)}`);
    return reply(res, 500, { message: 'Internal Server Error' });
  }
  writeResult(res, parseResult(text));
}

/**
 * Lambda refused the event for its size (413; the API model names it RequestTooLargeException, the service has also
 * answered RequestEntityTooLargeException).
 */
function isRequestTooLarge(error: unknown): boolean {
  const name = awsErrorName(error);
  return name === 'RequestTooLargeException' || name === 'RequestEntityTooLargeException' || httpStatus(error) === 413;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A request as API Gateway's payload format 2.0 event. */
export function toEvent(req: http.IncomingMessage, body: Buffer): HttpApiEvent {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt >= 0 ? url.slice(0, queryAt) : url;
  const rawQueryString = queryAt >= 0 ? url.slice(queryAt + 1) : '';
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') cookies = cookies.concat(value.split(/;\s*/).filter(Boolean));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? 80);
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const now = new Date();
  const method = req.method ?? 'GET';
  const binary = body.length > 0 && !isText(headers['content-type'] ?? null, body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0]!,
      http: { method, path: safeDecode(rawPath), protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(binary ? 'base64' : 'utf8') } : {}),
    isBase64Encoded: binary,
  };
}

/** Payload format 2.0: an object with `statusCode` is a full response; any other JSON is a 200 JSON body. */
export function parseResult(text: string): HttpApiResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) };
  }
  if (typeof value === 'object' && value !== null && typeof (value as HttpApiResult).statusCode === 'number') return value as HttpApiResult;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof value === 'string' ? value : JSON.stringify(value) };
}

function writeResult(res: http.ServerResponse, result: HttpApiResult): void {
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: http.OutgoingHttpHeaders = { ...result.headers, 'content-length': String(body.length) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
