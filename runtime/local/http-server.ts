/**
 * The one way the local cloud's HTTP servers start, read bodies and stop: the Lambda Invoke endpoint, the Batch REST
 * endpoint, the service gateways, the container credentials endpoint, and dynalite's server. Plain node:http: the
 * Lambda endpoint sits on the hot path of `map`, and a framework would add work to every call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalCloudError } from './errors.js';

/**
 * How long an idle keep-alive connection stays open. The SDK clients keep sockets alive for reuse; a server that
 * closes an idle socket first (Node's default is 5 s) races the client's next request on it, which then meets
 * ECONNRESET. Well above the clients' idle time, so the client always closes first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The port a local server wanted is taken by another program. */
export class PortInUseError extends LocalCloudError {}

export interface LocalServerOptions {
  /** Port on 127.0.0.1; 0 or omitted: an ephemeral one. */
  readonly port?: number;
  /** What listens, for errors: `the local Lambda endpoint`, `service "api"`. */
  readonly name: string;
  /** Appended to the port-in-use error: what the user can do about it. */
  readonly portHint?: string;
  /** Largest request line + headers, bytes (Node's default otherwise); larger ones are a `clientError`. */
  readonly maxHeaderSize?: number;
  /**
   * On close, let requests in flight finish for up to this long before their connections are destroyed (default 0:
   * destroyed at once). For a server whose handler keeps working after its connection is gone (dynalite), cutting
   * it off mid-request leaves that work to fail later, outside any request.
   */
  readonly drainMs?: number;
}

export interface LocalServer {
  readonly server: http.Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops listening and destroys every connection (idle keep-alive sockets too): nothing holds the process open. */
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1. */
export function startLocalServer(handler: http.RequestListener, options: LocalServerOptions): Promise<LocalServer> {
  const server = http.createServer(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }, handler);
  return serveLocal(server, options);
}

/** Listens with a server made elsewhere (dynalite's), with the same keep-alive and close behaviour. */
export async function serveLocal(server: http.Server, options: LocalServerOptions): Promise<LocalServer> {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const wanted = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      const hint = options.portHint ? `; ${options.portHint}` : '';
      reject(new PortInUseError(`Port ${wanted} (${options.name}) is in use by another program${hint}.`));
    };
    server.once('error', onError);
    server.listen(wanted, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          clearInterval(idle);
          clearTimeout(deadline);
          resolve();
        });
        // Idle keep-alive sockets go at once; busy ones as their requests end, or all at the drain's end.
        server.closeIdleConnections();
        const idle = setInterval(() => server.closeIdleConnections(), 20);
        const deadline = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 0);
      });
      return closing;
    },
  };
}

export interface RequestBody {
  /** The body; when it is over the limit, its first `limit` bytes. */
  readonly bytes: Buffer;
  /** Bytes read: the whole length, except after `over: 'stop'` (then just past the limit). */
  readonly size: number;
  readonly overLimit: boolean;
}

export interface ReadBodyOptions {
  /** Bytes kept at most. */
  readonly limit: number;
  /**
   * Past the limit: `drain` reads on, discarding (the keep-alive connection stays usable and `size` is the whole
   * length); `stop` stops reading at once (the caller answers and destroys the request).
   */
  readonly over?: 'drain' | 'stop';
}

/** Reads a request's body up to a size limit. Rejects when the client goes away before the end. */
export function readBody(req: http.IncomingMessage, options: ReadBodyOptions): Promise<RequestBody> {
  const { limit } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: { body: RequestBody } | { error: Error }) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.body);
    };
    const bytes = () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    const onData = (buffer: Buffer) => {
      size += buffer.length;
      if (size <= limit) {
        chunks.push(buffer);
        return;
      }
      // Keep exactly the first `limit` bytes; what follows is only counted.
      const kept = size - buffer.length;
      if (kept < limit) chunks.push(buffer.subarray(0, limit - kept));
      if (options.over === 'stop') {
        // Not destroyed here: the caller answers first (a destroyed request takes its socket, and the answer, along).
        req.pause();
        done({ body: { bytes: bytes(), size, overLimit: true } });
      }
    };
    const onEnd = () => done({ body: { bytes: bytes(), size, overLimit: size > limit } });
    const onError = (error: Error) => done({ error });
    const onClose = () => done({ error: new Error('the client closed the request before sending all of its body') });
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
