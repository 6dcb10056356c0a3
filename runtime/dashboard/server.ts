/**
 * The dashboard's server: the page and its files, the JSON API over the control plane (./api.ts), and a log stream.
 * It listens on 127.0.0.1 only, with a new token at every start (./security.ts for every gate).
 *
 * Live updates: the page polls what it shows with ETags (If-None-Match; an unchanged answer is a 304 without a
 * body, and the page does not redraw). The control plane has no change feed, so a push would be the server polling
 * the same reads anyway; polling by the page reads exactly what is on screen (this page of runs, this run), keeps no
 * state per browser, and survives a restart of `multinode dev`. Logs are the exception: they stream as Server-Sent
 * Events from the control plane's `followLogs`, which re-reads a lag window so that lines reaching CloudWatch Logs
 * late are not skipped, and sends each line once. The page reads the stream with fetch (an EventSource cannot send
 * the token header).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, MultinodeError } from '../../lib/errors.js';
import type { ControlPlaneOptions } from '../control/control-plane.js';
import type { LogEntry } from '../logs/entries.js';
import { createLogReader } from '../logs/reader.js';
import { type DashboardInfo, errorAnswer, logQuery, ROUTES } from './api.js';
import { dashboardAssets } from './assets.js';
import { type DashboardTarget, PlaneSource } from './plane-source.js';
import { newToken, refusal, SECURITY_HEADERS, sendJson, sendJsonText, sendRefusal } from './security.js';
import { logJson } from './values.js';

/** Largest action body: a dict value is at most 400 KB in DynamoDB, and its JSON a little more. */
const BODY_LIMIT = 1024 * 1024;
/** A comment line on idle log streams, so proxies and the page see the stream is alive. */
const KEEPALIVE_MS = 15_000;

export interface DashboardOptions {
  /** The app: fixed (deployed), or read at each request (a `multinode dev` whose rebuilds change the manifest). */
  readonly target: DashboardTarget;
  readonly mode: 'local' | 'deployed';
  /** Shown on the page: the stack (deployed) or the state directory (local). */
  readonly where?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  readonly port?: number;
  /** How often the page refreshes, ms; default 1,500 locally and 5,000 for a deployed app (reads cost there). */
  readonly pollMs?: number;
  /** Options of the control plane; `logs` defaults to the runtime's CloudWatch Logs reader. */
  readonly plane?: ControlPlaneOptions<LogEntry>;
}

export interface Dashboard {
  /** `http://127.0.0.1:<port>/?token=<token>`: what to print and open. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** Starts the dashboard; resolves once it listens (its files bundled, so a broken bundle fails here). */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`dashboard port must be 0 to 65535, got ${String(options.port)}.`);
  await dashboardAssets();
  const token = newToken();
  const info: DashboardInfo = {
    mode: options.mode,
    ...(options.where ? { where: options.where } : {}),
    pollMs: options.pollMs ?? (options.mode === 'local' ? 1_500 : 5_000),
  };
  const planes = new PlaneSource(options.target, { logs: createLogReader, ...options.plane });
  const streams = new Set<AbortController>();
  let bound = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { type: 'Error', message: `The dashboard failed: ${(error as Error).message}` } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const api = url.pathname.startsWith('/api/');
    const refused = refusal(request, bound, token, api);
    if (refused) return sendRefusal(response, refused);
    if (!api) return serveAsset(request, response, url.pathname);
    if (url.pathname === '/api/logs/stream') {
      if (request.method !== 'GET') return methodNotAllowed(response, 'GET');
      return streamLogs(response, url.searchParams);
    }
    const matching = ROUTES.filter((r) => r.path.test(url.pathname));
    if (matching.length === 0) return sendJson(response, 404, { error: { type: 'NotFound', message: `No API route ${url.pathname}.` } });
    const route = matching.find((r) => r.method === request.method);
    if (!route) return methodNotAllowed(response, matching.map((r) => r.method).join(', '));
    let body: unknown;
    if (route.method === 'POST') {
      const read = await readJsonBody(request);
      if ('error' in read) return sendJson(response, read.status, { error: { type: 'BadRequest', message: read.error } });
      body = read.body;
    }
    const params = route.path.exec(url.pathname)!.slice(1);
    try {
      const answer = await planes.use((plane) => route.handler({ plane, params, query: url.searchParams, body, info }));
      const text = JSON.stringify(answer);
      if (route.method === 'GET') {
        const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
        if (request.headers['if-none-match'] === etag) {
          response.writeHead(304, { ...SECURITY_HEADERS, ETag: etag, 'Cache-Control': 'no-store' });
          return void response.end();
        }
        return sendJsonText(response, 200, text, { ETag: etag });
      }
      return sendJsonText(response, 200, text);
    } catch (error) {
      const { status, type, message } = errorAnswer(error);
      if (status === 500) process.stderr.write(`multinode dashboard: ${request.method} ${url.pathname} failed: ${(error as Error).stack ?? String(error)}\n`);
      return sendJson(response, status, { error: { type, message } });
    }
  }

  async function streamLogs(response: ServerResponse, query: URLSearchParams): Promise<void> {
    const controller = new AbortController();
    streams.add(controller);
    response.on('close', () => controller.abort());
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    response.write(': connected\n\n');
    const keepalive = setInterval(() => response.write(': keep-alive\n\n'), KEEPALIVE_MS);
    try {
      const logs = logQuery(query, false);
      await planes.use(async (plane) => {
        for await (const entry of plane.followLogs({ ...logs, signal: controller.signal })) {
          response.write(`id: ${entry.id}\nevent: line\ndata: ${JSON.stringify(logJson(entry))}\n\n`);
        }
      });
    } catch (error) {
      if (!controller.signal.aborted) {
        const { type, message } = errorAnswer(error);
        response.write(`event: failure\ndata: ${JSON.stringify({ type, message })}\n\n`);
      }
    } finally {
      clearInterval(keepalive);
      streams.delete(controller);
      response.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      planes.close();
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new MultinodeError(`The dashboard cannot listen on 127.0.0.1:${port} (${error.code}): choose another port, or 0 for any free port.`)
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  bound = (server.address() as AddressInfo).port;
  // The first read of a new plane pays for making its SDK clients and connections (a few hundred ms): pay it now,
  // not on the first page. A failure here is the page's to show, with its message, when it asks.
  void planes.use((plane) => plane.status()).catch(() => undefined);
  const origin = `http://127.0.0.1:${bound}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port: bound,
    token,
    async close() {
      for (const stream of streams) stream.abort();
      await closeServer(server);
      planes.close();
    },
  };
}

async function serveAsset(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(response, 'GET');
  const file = (await dashboardAssets()).get(pathname);
  if (!file) {
    return sendJson(response, 404, { error: { type: 'NotFound', message: `No file ${pathname}: the dashboard is at /, its API under /api/.` } });
  }
  const headers = { ...SECURITY_HEADERS, 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'no-cache' };
  if (request.headers['if-none-match'] === file.etag) {
    response.writeHead(304, headers);
    return void response.end();
  }
  response.writeHead(200, { ...headers, 'Content-Length': String(file.body.length) });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

function methodNotAllowed(response: ServerResponse, allowed: string): void {
  sendJson(
    response,
    405,
    { error: { type: 'MethodNotAllowed', message: `Use ${allowed} here: reads are GETs, actions are POSTs with a JSON body.` } },
    { Allow: allowed },
  );
}

/** The JSON body of an action: `application/json`, at most BODY_LIMIT bytes. */
async function readJsonBody(request: IncomingMessage): Promise<{ body: unknown } | { status: number; error: string }> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    request.resume();
    return { status: 415, error: `Actions take a JSON body: send Content-Type: application/json (got "${type}").` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return { status: 413, error: `The body is over ${BODY_LIMIT} bytes.` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { body: {} };
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return { status: 400, error: `The body is not JSON: ${(error as Error).message}.` };
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
