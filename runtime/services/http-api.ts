/**
 * API Gateway HTTP API (payload format 2.0) events <-> the standard `Request`/`Response` of a fetch handler.
 * Format (docs/aws-behaviour.md, "HTTP API Lambda events"): lower-cased headers with duplicates comma-joined, cookies in their own list,
 * `rawPath` + `rawQueryString`, a body that is base64 when `isBase64Encoded`; the response carries `cookies`
 * separately from `headers`, and binary bodies base64-encoded.
 */

export interface HttpApiEvent {
  readonly version: '2.0';
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly cookies?: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly queryStringParameters?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    readonly domainName: string;
    readonly domainPrefix: string;
    readonly http: { readonly method: string; readonly path: string; readonly protocol: string; readonly sourceIp: string; readonly userAgent: string };
    readonly requestId: string;
    readonly routeKey: string;
    readonly stage: string;
    readonly time: string;
    readonly timeEpoch: number;
    /** Who the route's authorizer accepted (routes with IAM or JWT auth). */
    readonly authorizer?: HttpApiAuthorizer;
  };
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

/** `requestContext.authorizer` of an event: the JWT's claims and scopes, or the IAM caller. */
export interface HttpApiAuthorizer {
  readonly jwt?: { readonly claims: Readonly<Record<string, string>>; readonly scopes: readonly string[] | null };
  readonly iam?: {
    readonly accessKey: string;
    readonly accountId: string;
    readonly callerId: string;
    readonly cognitoIdentity: null;
    readonly principalOrgId: null;
    readonly userArn: string;
    readonly userId: string;
  };
}

export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export function isHttpApiEvent(event: unknown): event is HttpApiEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as { version?: unknown; requestContext?: { http?: unknown } };
  return e.version === '2.0' && typeof e.requestContext?.http === 'object' && e.requestContext.http !== null;
}

/** The Request a fetch handler receives for an HTTP API event. */
export function toRequest(event: HttpApiEvent): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) headers.set(name, value);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const scheme = event.headers?.['x-forwarded-proto'] ?? 'https';
  const host = event.headers?.host ?? event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const method = event.requestContext.http.method.toUpperCase();
  const hasBody = event.body !== undefined && event.body !== null && method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body!, 'base64') : Buffer.from(event.body!, 'utf8')) : undefined;
  return new Request(`${scheme}://${host}${urlPath(event.rawPath || '/')}${query}`, { method, headers, ...(body ? { body } : {}) });
}

/** Characters a path cannot hold literally in a URL: `?`, `#`, a `%` that starts no escape, spaces, controls, non-ASCII. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped in a path.
const NOT_IN_URL_PATH = /%(?![0-9A-Fa-f]{2})|[?#\s\u0000-\u001f\u007f-\u{10ffff}]/gu;

/**
 * The path as a URL path. HTTP APIs have been seen to pass `rawPath` percent-decoded (a request for `/a%3Fb` arrives
 * as `/a?b`), which would cut the path at `?` or `#` and lose the query. So characters that cannot stand in a URL
 * path are escaped again; an already escaped path (as the local gateway sends it) passes through unchanged.
 */
export function urlPath(rawPath: string): string {
  return rawPath.replace(NOT_IN_URL_PATH, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // half of a surrogate pair: the replacement character
    }
  });
}

/** The integration response for a fetch handler's Response. */
export async function fromResponse(response: Response): Promise<HttpApiResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.length > 0 && isText(response.headers.get('content-type'), bytes) ? bytes.toString('utf8') : undefined;
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body: bytes.length === 0 ? '' : (text ?? bytes.toString('base64')),
    isBase64Encoded: bytes.length > 0 && text === undefined,
  };
}

const TEXT_TYPES = /^(text\/|application\/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded|graphql))/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 text bodies travel as text; anything else (images, octet streams, text in another charset, unknown types that
 * are not UTF-8) as base64, so no byte is lost.
 */
export function isText(contentType: string | null, bytes: Buffer): boolean {
  const charset = /charset=([^;\s]+)/i
    .exec(contentType ?? '')?.[1]
    ?.replace(/"/g, '')
    .toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return false;
  if (contentType && !TEXT_TYPES.test(contentType.trim()) && !charset) return false;
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
