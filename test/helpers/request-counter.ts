/**
 * Counts the requests an SDK client sends, by operation, with a middleware on the client's own stack (so commands of
 * a document client built on it count too). Each attempt counts: the middleware sits inside the SDK's retry loop.
 * Used by tests that assert how many requests a step makes (counts are deterministic, unlike timings) and by benches.
 */

export interface RequestCounter {
  /** Requests by operation (`GetItem`, `UpdateItem`, ...), since the last reset. */
  readonly byOperation: ReadonlyMap<string, number>;
  /** All requests since the last reset. */
  total(): number;
  /** The operations in the order they were sent, since the last reset. */
  readonly log: readonly string[];
  /** For each request of `log`, how many counted requests sent before it were still waiting for their answer. */
  readonly inFlight: readonly number[];
  reset(): void;
  /** Stops counting (the middleware stays, idle). */
  stop(): void;
}

type Handler = (args: { request: unknown }) => Promise<unknown>;
/** An SDK v3 client (the DynamoDB client, its middleware-caching twin, any other). */
type CountedClient = { readonly middlewareStack: object };
/** The part of an SDK client's middleware stack used here. */
interface Stack {
  add(middleware: (next: Handler) => Handler, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void;
}

/**
 * Starts counting the requests of `clients` (SDK v3 clients; for JSON protocols the operation is its target). With
 * `table`, only DynamoDB requests that name that table count (`TableName`, or a key of `RequestItems`).
 */
export function countRequests(clients: CountedClient | readonly CountedClient[], options: { readonly table?: string } = {}): RequestCounter {
  const byOperation = new Map<string, number>();
  const log: string[] = [];
  const inFlight: number[] = [];
  let waiting = 0;
  let counting = true;
  const middleware =
    (next: Handler): Handler =>
    async (args) => {
      if (counting && (options.table === undefined || tablesOf(args.request).includes(options.table))) {
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        const target = headers['x-amz-target'] ?? headers['X-Amz-Target'];
        const operation = target ? target.slice(target.lastIndexOf('.') + 1) : 'request';
        byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
        log.push(operation);
        inFlight.push(waiting);
        waiting++;
        try {
          return await next(args);
        } finally {
          waiting--;
        }
      }
      return next(args);
    };
  for (const client of Array.isArray(clients) ? clients : [clients]) {
    (client.middlewareStack as Stack).add(middleware, { step: 'finalizeRequest', priority: 'low', name: `countRequests${Math.random()}` });
    // A client that caches its middleware (cacheMiddleware) resolved its stack at its first request of each command;
    // dropping what it resolved makes its next requests resolve the stack again, with this middleware in it.
    delete (client as { handlers?: unknown }).handlers;
  }
  return {
    byOperation,
    log,
    inFlight,
    total: () => log.length,
    reset() {
      byOperation.clear();
      log.length = 0;
      inFlight.length = 0;
    },
    stop() {
      counting = false;
    },
  };
}

/** The tables a DynamoDB request names (its JSON body's `TableName`, or the keys of its `RequestItems`). */
function tablesOf(request: unknown): string[] {
  const body = (request as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
  if (text === undefined) return [];
  const parsed = JSON.parse(text) as { TableName?: string; RequestItems?: Record<string, unknown> };
  return parsed.TableName ? [parsed.TableName] : Object.keys(parsed.RequestItems ?? {});
}
