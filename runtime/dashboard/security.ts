/**
 * The dashboard's gates, checked on every request before anything else runs. The dashboard can cancel runs and edit
 * data with the operator's credentials, so other pages in the same browser and other users of the machine must not
 * reach it:
 *
 * - it listens on 127.0.0.1 only (the server), so nothing off the machine connects;
 * - every API call carries the token of this start (32 random bytes) in the `x-multinode-token` header: a page of
 *   another origin cannot set that header without a CORS preflight, which the dashboard never grants (it sends no
 *   CORS headers at all), and cannot read its answers;
 * - the Host header must name 127.0.0.1 or localhost with our port, so a DNS name rebound to 127.0.0.1 (a page
 *   of evil.example whose name now points here) is refused even for the static page;
 * - actions are POSTs with a JSON body; a request carrying an Origin of another site is refused;
 * - every answer forbids framing, inline scripts and sniffing, and sends no Referer (the token is in the first URL).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const TOKEN_HEADER = 'x-multinode-token';

/** A new token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of the request's token header with ours. */
export function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Host values this server answers to: 127.0.0.1 and localhost, with its port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** An Origin header, when present, must be this server's own (browsers send one with every POST). */
export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/**
 * Sent with every answer. Scripts, styles and connections only from this origin (the page's script and style are
 * files served here, never inline), no frames, no plugins, no forms posting elsewhere.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** What a refused request gets: a status and a JSON error saying what was wrong and what to do. */
export interface Refusal {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** The gates every request passes (Host, and for the API: the token and, for actions, POST with JSON from here). */
export function refusal(request: IncomingMessage, port: number, token: string, api: boolean): Refusal | undefined {
  if (!hostAllowed(request.headers.host, port)) {
    return {
      status: 403,
      type: 'HostNotAllowed',
      message: `The dashboard answers only to http://127.0.0.1:${port} and http://localhost:${port}, not to the host "${request.headers.host ?? ''}".`,
    };
  }
  if (!originAllowed(request.headers.origin, port)) {
    return {
      status: 403,
      type: 'OriginNotAllowed',
      message: `Requests from ${request.headers.origin} are refused: the dashboard takes requests from its own page only.`,
    };
  }
  if (!api) return undefined;
  if (!tokenMatches(request.headers[TOKEN_HEADER], token)) {
    const why = request.headers[TOKEN_HEADER] === undefined ? `it has no ${TOKEN_HEADER} header` : `its ${TOKEN_HEADER} header is not this dashboard's token`;
    return {
      status: 401,
      type: 'InvalidToken',
      message:
        `This request was refused because ${why}. Open the URL multinode printed at start (dashboard: http://127.0.0.1:${port}/?token=...); ` +
        'each start makes a new token, so a URL from an earlier start no longer works.',
    };
  }
  return undefined;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(response, status, JSON.stringify(body), headers);
}

/** Sends JSON already serialized (an answer whose text was hashed for its ETag). */
export function sendJsonText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

export function sendRefusal(response: ServerResponse, refused: Refusal): void {
  sendJson(response, refused.status, { error: { type: refused.type, message: refused.message } });
}
