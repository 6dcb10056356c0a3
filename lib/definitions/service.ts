import { fallbackPlacement, parseComputeOptions } from '../options/compute.js';
import type { OptionContext } from '../options/context.js';
import { parseName } from '../options/fields.js';
import { type LambdaCompute, place } from '../placement.js';
import { parseSecrets, type SecretsOption } from '../settings/option.js';
import { callerSite } from '../site.js';
import { contextFor, Definition, objectOptions } from './base.js';

/** Who may call a service. */
export type ServiceAuth = 'none' | 'iam' | { jwt: { issuer: string; audience: string[] } };

/** Options of `service(options, handler)` (or `service(handler)`). Services run on Lambda behind an API Gateway HTTP API. */
export interface ServiceOptions extends SecretsOption {
  /** Overrides the export name. */
  name?: string;
  /** vCPUs, 0.1 to 6 (default 0.1). */
  cpu?: number;
  /** Memory, `"128 MiB"` to `"10 GiB"` (default `"256 MiB"`). */
  memory?: string;
  /** Longest a request may take: at most 29s (API Gateway HTTP APIs stop waiting at 30s); default 29s. */
  timeout?: string | { seconds?: number; minutes?: number };
  /** `"none"` (default), `"iam"` (SigV4-signed callers) or `{ jwt: { issuer, audience } }`. */
  auth?: ServiceAuth;
}

export const SERVICE_OPTION_KEYS = ['name', 'cpu', 'memory', 'timeout', 'auth', 'secrets'] as const;

/** The integration limit of API Gateway HTTP APIs, less a second for the Lambda round trip. */
export const SERVICE_TIMEOUT = { min: 1, max: 29, default: 29 } as const;

export interface ServiceSettings {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly auth: ServiceAuth;
  /** Names of the secrets the handler may read (the `secrets` option). */
  readonly secrets: readonly string[];
}

/** A fetch-style handler: a standard `Request` in, a `Response` out (a Hono app's `fetch`, say). */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A service: an HTTP API. */
export class ServiceDefinition extends Definition<'service'> {
  readonly options: ServiceSettings;
  readonly placement = 'lambda' as const;
  readonly compute: LambdaCompute;
  readonly handler: FetchHandler;

  /** @internal Use `service(...)`. */
  constructor(site: ReturnType<typeof callerSite>, rawOptions: unknown, handler: unknown) {
    const ctx = contextFor('service', site, rawOptions);
    const { image, ...raw } = objectOptions(ctx, rawOptions);
    if (image !== undefined) {
      ctx.check(
        () => ctx.fail('services run on Lambda, on its Node.js runtime: option "image" is for functions, jobs and scheduled tasks (on AWS Batch).'),
        undefined,
      );
    }
    ctx.checkKeys(raw, SERVICE_OPTION_KEYS);
    const name = raw.name === undefined ? undefined : ctx.check(() => parseName(ctx, 'name', raw.name), undefined);
    const fetchHandler = ctx.check(() => toFetchHandler(ctx, handler), missingFetchHandler);
    super('service', site, name);
    this.handler = fetchHandler;
    const request = parseComputeOptions(ctx, raw, SERVICE_TIMEOUT);
    this.options = {
      cpu: request.cpu,
      memoryMiB: request.memoryMiB,
      timeoutSeconds: request.timeoutSeconds,
      auth: ctx.check(() => parseAuth(ctx, raw.auth), 'none'),
      secrets: ctx.check(() => parseSecrets(ctx, raw.secrets), []),
    };
    this.compute = ctx.check(() => {
      const { compute } = place(request, (m) => ctx.fail(m), { allowBatch: false });
      return compute.type === 'lambda' ? compute : ctx.fail('services run on Lambda.');
    }, fallbackPlacement(request).compute);
  }
}

/** Stands in for a missing handler while problems are collected (the app will not run). */
function missingFetchHandler(): never {
  throw new Error('this service has no handler.');
}

function toFetchHandler(ctx: OptionContext, handler: unknown): FetchHandler {
  if (typeof handler === 'function') return handler as FetchHandler;
  if (typeof handler === 'object' && handler !== null && typeof (handler as { fetch?: unknown }).fetch === 'function') {
    const app = handler as { fetch: FetchHandler };
    return (request) => app.fetch(request);
  }
  return ctx.fail('expected a fetch handler ((request: Request) => Response) or an object with a fetch method (a Hono app).');
}

const AUTH_FORMS = '"none", "iam" or { jwt: { issuer: "https://...", audience: ["..."] } }';

function parseAuth(ctx: OptionContext, value: unknown): ServiceAuth {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'iam') return 'iam';
  if (typeof value === 'object' && value !== null && 'jwt' in value) {
    const jwt = (value as { jwt: unknown }).jwt as { issuer?: unknown; audience?: unknown } | null;
    const audience = jwt?.audience;
    if (
      jwt &&
      typeof jwt.issuer === 'string' &&
      /^https:\/\//.test(jwt.issuer) &&
      Array.isArray(audience) &&
      audience.length > 0 &&
      audience.every((a) => typeof a === 'string' && a.length > 0)
    ) {
      return { jwt: { issuer: jwt.issuer, audience: [...(audience as string[])] } };
    }
  }
  return ctx.invalid('auth', value, AUTH_FORMS);
}

/** True for what `service` takes as its handler: a fetch function, or an object with a `fetch` method. */
function isFetchHandler(value: unknown): boolean {
  return typeof value === 'function' || (typeof value === 'object' && value !== null && typeof (value as { fetch?: unknown }).fetch === 'function');
}

/**
 * Declares a service: `export const api = service(app)` with a Hono app (or any object with a `fetch` method), a
 * fetch function alone, or options first: `service({ auth: "iam" }, app)`.
 */
export function service(handler: FetchHandler | { fetch: FetchHandler }): ServiceDefinition;
export function service(options: ServiceOptions, handler: FetchHandler | { fetch: FetchHandler }): ServiceDefinition;
export function service(optionsOrHandler: unknown, maybeHandler?: unknown): ServiceDefinition {
  const site = callerSite(service);
  // One argument that is a handler: the options were left out (an options object never has a `fetch` method).
  const [options, handler] = maybeHandler === undefined && isFetchHandler(optionsOrHandler) ? [{}, optionsOrHandler] : [optionsOrHandler, maybeHandler];
  return new ServiceDefinition(site, options, handler);
}
