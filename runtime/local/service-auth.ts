/**
 * A service's `auth`, checked by the local gateway before the handler runs, as API Gateway's HTTP API checks it:
 *
 * - `"iam"`: a SigV4 signature for `execute-api` made with the local cloud's credentials (sigv4-check.ts). Refused
 *   with 403: `{"message":"Forbidden"}` when unsigned, or the signature error (`x-amzn-errortype` and message).
 * - `{ jwt }`: a token in the Authorization header (alone or after `Bearer `), signed by the local key and carrying
 *   the configured issuer and one of the audiences (tokens.ts). Refused with 401 `{"message":"Unauthorized"}` and a
 *   `www-authenticate` header saying why, in API Gateway's format.
 *
 * An accepted request's identity goes into the event, as `requestContext.authorizer.iam` or `.jwt`.
 */
import type http from 'node:http';
import type { ServiceAuth } from '../../lib/definitions/service.js';
import type { HttpApiAuthorizer } from '../services/http-api.js';
import { LocalCloudError } from './errors.js';
import { checkSigV4, type SigV4Credentials } from './sigv4-check.js';
import type { LocalTokenIssuer } from './tokens.js';

export type AuthDecision =
  | { readonly ok: true; readonly authorizer?: HttpApiAuthorizer }
  | { readonly ok: false; readonly status: number; readonly body: { message: string }; readonly headers: Record<string, string>; readonly reason: string };

/** Decides whether a request (and its body, which a signature covers) may reach the handler. */
export type RequestAuthorizer = (req: http.IncomingMessage, body: Buffer) => Promise<AuthDecision>;

export interface AuthDependencies {
  readonly credentials: SigV4Credentials;
  readonly region: string;
  readonly accountId: string;
  /** The local token key (services with JWT auth). */
  readonly tokens?: LocalTokenIssuer;
  /** Epoch ms (default Date.now). */
  readonly clock?: () => number;
}

/** The check for a service's `auth`; undefined for `"none"`. */
export function serviceAuthorizer(auth: ServiceAuth, deps: AuthDependencies): RequestAuthorizer | undefined {
  const clock = deps.clock ?? Date.now;
  if (auth === 'none') return undefined;
  if (auth === 'iam') {
    return async (req, body): Promise<AuthDecision> => {
      const outcome = await checkSigV4(req, body, { credentials: deps.credentials, region: deps.region, accountId: deps.accountId, now: clock() });
      if (outcome.ok) return { ok: true, authorizer: { iam: outcome.identity } };
      const { status, message, errorType, reason } = outcome.refusal;
      const headers: Record<string, string> = errorType ? { 'x-amzn-errortype': errorType } : {};
      return { ok: false, status, body: { message }, headers, reason: `IAM auth: ${reason}` };
    };
  }
  const { tokens } = deps;
  if (!tokens) throw new LocalCloudError('a service with JWT auth needs the local token key');
  const config = auth.jwt;
  return async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return unauthorized('Bearer', 'JWT auth: no token in the Authorization header');
    const check = await tokens.verify(token, config, clock());
    if (!check.ok) return unauthorized(`Bearer scope="" error="invalid_token" error_description="${check.description}"`, `JWT auth: ${check.description}`);
    return { ok: true, authorizer: { jwt: { claims: claimStrings(check.claims), scopes: scopesOf(check.claims) } } };
  };
}

function unauthorized(challenge: string, reason: string): AuthDecision {
  return { ok: false, status: 401, body: { message: 'Unauthorized' }, headers: { 'www-authenticate': challenge }, reason };
}

/** The identity source `$request.header.Authorization`: the token alone, or after `Bearer `. */
function bearerToken(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  return /^Bearer\s+/i.test(value) ? value.replace(/^Bearer\s+/i, '').trim() || undefined : value;
}

/** Claims as the event carries them: string values (lists as `[a b]`, objects as JSON). */
function claimStrings(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    out[name] =
      typeof value === 'string' ? value : Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

function scopesOf(claims: Record<string, unknown>): string[] | null {
  const scope = claims.scope ?? claims.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  return Array.isArray(scope) ? scope.map(String) : null;
}
