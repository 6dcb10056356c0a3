/**
 * An endpoint the SDK could not reach: refused, closed before answering, unresolvable, timed out while connecting.
 * The SDK's HTTP handler names a reset connection "TimeoutError" ("socket hang up"), which reads as a slow function
 * rather than a lost one; every client of the runtime reports these as ConnectionError instead, naming the endpoint
 * and what happened. The error keeps the system `code` (and the original as `cause`), so the SDK still counts it as
 * transient and retries it as before.
 */
import { MultinodeError } from '../../lib/errors.js';
import type { Service } from './config.js';

export class ConnectionError extends MultinodeError {
  override readonly name = 'ConnectionError';
  /** The system error code (ECONNREFUSED, ECONNRESET, ...). */
  readonly code: string;

  constructor(message: string, code: string, options: { cause: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What each connection failure means, by system error code. */
const WHAT_HAPPENED: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was closed before an answer came',
  EPIPE: 'the connection was closed while the request was being sent',
  ETIMEDOUT: 'connecting timed out',
  ECONNABORTED: 'the connection was aborted',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

const SERVICE_NAMES: Readonly<Record<Service, string>> = {
  lambda: 'Lambda',
  dynamodb: 'DynamoDB',
  s3: 'S3',
  batch: 'Batch',
  logs: 'CloudWatch Logs',
  secretsmanager: 'Secrets Manager',
  scheduler: 'EventBridge Scheduler',
};

/** The parts of an SDK HTTP request that say where it went. */
export interface RequestTarget {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
}

/**
 * The message for an endpoint that could not be reached, or undefined when `error` is not a connection failure
 * (a request timeout stays a timeout). The hint follows the endpoint: a loopback address is served by a process on
 * this machine (the local cloud), any other by the network path to it.
 */
export function describeUnreachable(error: unknown, service: Service, target: RequestTarget): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const what = code ? WHAT_HAPPENED[code] : undefined;
  if (!code || !what) return undefined;
  const hostname = target.hostname ?? '';
  const endpoint = `${target.protocol ?? 'https:'}//${hostname.includes(':') ? `[${hostname}]` : hostname}${target.port ? `:${target.port}` : ''}`;
  const detail = code === 'ECONNRESET' && /socket hang up/i.test((error as Error).message) ? `${code}: socket hang up` : code;
  const hint = isLoopback(hostname)
    ? 'is multinode dev (the local cloud serving it) still running?'
    : 'check the network path to it: from inside a VPC, the subnet needs a route out (a NAT gateway or a VPC endpoint for the service)';
  return `could not reach the ${SERVICE_NAMES[service]} endpoint at ${endpoint}: ${what} (${detail}); ${hint}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || hostname === '[::1]' || /^127\./.test(hostname);
}

/** The parts of the SDK's HTTP handler this wraps. */
interface HttpHandlerLike {
  handle(request: RequestTarget, ...rest: unknown[]): Promise<unknown>;
}

/** The SDK clients' extension hook for their HTTP handler (`extensions` in a client's configuration). */
export interface HttpHandlerExtension {
  httpHandler(): unknown;
  setHttpHandler(handler: never): void;
}

/**
 * A client extension that turns connection failures of `service`'s requests into ConnectionError. It wraps the
 * handler the client built (a Proxy, so every other member, destroy and the agents' configuration included, is the
 * handler's own).
 */
export function reportUnreachable(service: Service): { configure(configuration: HttpHandlerExtension): void } {
  return {
    configure(configuration) {
      const inner = configuration.httpHandler() as HttpHandlerLike;
      const handle = (request: RequestTarget, ...rest: unknown[]) =>
        inner.handle(request, ...rest).catch((error: unknown) => {
          const message = describeUnreachable(error, service, request);
          throw message ? new ConnectionError(message, (error as NodeJS.ErrnoException).code!, { cause: error }) : error;
        });
      const wrapped = new Proxy(inner, {
        get(target, key) {
          if (key === 'handle') return handle;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      configuration.setHttpHandler(wrapped as never);
    },
  };
}
