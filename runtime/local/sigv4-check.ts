/**
 * What API Gateway checks on a route with IAM authorization, locally: a SigV4 signature for the service
 * `execute-api`, made with the local cloud's credentials, in its region, within five minutes of now. The signature is
 * verified by re-signing the request as it arrived (method, raw path, query, the signed headers, the body's hash)
 * with the SDK's own signer and comparing. Both placements work: the Authorization header and a presigned URL.
 *
 * Refusals carry API Gateway's status, `x-amzn-errortype` and message (docs/runtime.md#services lists them).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpApiAuthorizer } from '../services/http-api.js';

export const EXECUTE_API = 'execute-api';

/** How far a request's signing time may be from now, as AWS allows. */
const SKEW_MS = 5 * 60_000;

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Who signed an accepted request: `requestContext.authorizer.iam` of the event. */
export type IamIdentity = NonNullable<HttpApiAuthorizer['iam']>;

export type SigV4Outcome = { readonly ok: true; readonly identity: IamIdentity } | { readonly ok: false; readonly refusal: Refusal };

export interface Refusal {
  readonly status: number;
  readonly message: string;
  readonly errorType?: string;
  /** Why, for the gateway's log (the caller gets only `message`). */
  readonly reason: string;
}

/** SHA-256 (and HMAC-SHA-256 with a secret) for the signer, from node:crypto. */
export class NodeSha256 {
  readonly #hash;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const INVALID_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the ' +
  'service documentation for details.';

const refuse = (message: string, errorType: string | undefined, reason: string): SigV4Outcome => ({
  ok: false,
  refusal: { status: 403, message, ...(errorType ? { errorType } : {}), reason },
});

interface SignatureParts {
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly amzDate: string | undefined;
  /** Presigned URL: seconds the signature stays valid. */
  readonly expires?: number;
}

/** Checks the SigV4 signature of `req` (whose body was `body`) against `credentials` in `region`. */
export async function checkSigV4(
  req: http.IncomingMessage,
  body: Buffer,
  options: { credentials: SigV4Credentials; region: string; accountId: string; now?: number },
): Promise<SigV4Outcome> {
  const now = options.now ?? Date.now();
  const url = new URL(req.url ?? '/', 'http://gateway');
  const parts = readSignature(req, url);
  if (parts === undefined) return refuse('Forbidden', undefined, 'the request is not signed (no SigV4 Authorization header or X-Amz-Signature)');
  if ('missing' in parts) return refuse(parts.missing, 'IncompleteSignatureException', `the signature is incomplete: ${parts.missing}`);

  const [accessKeyId, date, region, service, terminator] = parts.credential.split('/');
  if (accessKeyId !== options.credentials.accessKeyId) {
    return refuse(
      'The security token included in the request is invalid.',
      'AccessDeniedException',
      `signed with the access key "${accessKeyId}"; the local cloud's is "${options.credentials.accessKeyId}"`,
    );
  }
  if (service !== EXECUTE_API || terminator !== 'aws4_request' || !date) {
    return refuse(`Credential should be scoped to correct service: '${EXECUTE_API}'. `, 'InvalidSignatureException', `signed for the service "${service}"`);
  }
  if (region !== options.region) {
    return refuse('Credential should be scoped to a valid region. ', 'InvalidSignatureException', `signed for the region "${region}", not "${options.region}"`);
  }
  const signedAt = parseAmzDate(parts.amzDate);
  if (signedAt === undefined) {
    return refuse(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      'IncompleteSignatureException',
      `no valid X-Amz-Date (got ${JSON.stringify(parts.amzDate ?? null)})`,
    );
  }
  const validUntil = parts.expires === undefined ? signedAt + SKEW_MS : signedAt + parts.expires * 1000;
  if (now > validUntil) {
    const limit = parts.expires === undefined ? `${amzDate(now - SKEW_MS)} (${amzDate(now)} - 5 min.)` : amzDate(now);
    return refuse(`Signature expired: ${amzDate(signedAt)} is now earlier than ${limit}`, 'InvalidSignatureException', 'the signature expired');
  }
  if (signedAt > now + SKEW_MS) {
    return refuse(
      `Signature not yet current: ${amzDate(signedAt)} is still later than ${amzDate(now + SKEW_MS)} (${amzDate(now)} + 5 min.)`,
      'InvalidSignatureException',
      'the signature is dated in the future',
    );
  }

  // The signer takes a sent x-amz-content-sha256 as the body's hash: it must be the hash of the body that came.
  const declaredHash = headerValue(req, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== 'UNSIGNED-PAYLOAD' && declaredHash !== createHash('sha256').update(body).digest('hex')) {
    return refuse(INVALID_SIGNATURE, 'InvalidSignatureException', 'x-amz-content-sha256 is not the hash of the body that came');
  }
  const expected = await resign(req, url, body, parts, new Date(signedAt), options);
  if (expected === undefined || !sameSignature(expected, parts.signature)) {
    return refuse(INVALID_SIGNATURE, 'InvalidSignatureException', 'the signature does not match the request (re-signed with the local credentials)');
  }
  return {
    ok: true,
    identity: {
      accessKey: accessKeyId,
      accountId: options.accountId,
      callerId: accessKeyId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:aws:iam::${options.accountId}:user/multinode-local`,
      userId: accessKeyId,
    },
  };
}

/** The signature's parts from the Authorization header or a presigned URL; undefined when the request has neither. */
function readSignature(req: http.IncomingMessage, url: URL): SignatureParts | { missing: string } | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
    if (!match) return undefined;
    const fields = new Map<string, string>();
    for (const part of match[1]!.split(/\s*,\s*/)) {
      const at = part.indexOf('=');
      if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !fields.get(name));
    if (missing.length > 0) return { missing: missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ') };
    const amzDate = headerValue(req, 'x-amz-date');
    return { credential: fields.get('Credential')!, signedHeaders: fields.get('SignedHeaders')!, signature: fields.get('Signature')!, amzDate };
  }
  const q = url.searchParams;
  if (!q.has('X-Amz-Signature')) return undefined;
  const missing = ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'].filter((name) => !q.get(name));
  if (missing.length > 0) return { missing: missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' ') };
  const expires = Number(q.get('X-Amz-Expires'));
  return {
    credential: q.get('X-Amz-Credential')!,
    signedHeaders: q.get('X-Amz-SignedHeaders')!,
    signature: q.get('X-Amz-Signature')!,
    amzDate: q.get('X-Amz-Date')!,
    expires: Number.isFinite(expires) ? expires : 0,
  };
}

type SignableRequest = Parameters<SignatureV4['presign']>[0];

/** The signature the request should carry, computed by the SDK's signer from the request as it arrived. */
async function resign(
  req: http.IncomingMessage,
  url: URL,
  body: Buffer,
  parts: SignatureParts,
  signingDate: Date,
  options: { credentials: SigV4Credentials; region: string },
): Promise<string | undefined> {
  const signedHeaders = parts.signedHeaders.toLowerCase().split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req, name);
    if (value === undefined) return undefined; // a signed header that did not arrive
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'X-Amz-Signature') continue;
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const request: SignableRequest = {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: headers.host ?? 'localhost',
    path: rawPath,
    query,
    headers,
    body,
  };
  // Headers the signer would leave out by default (user-agent, ...) count when the caller signed them.
  const signableHeaders = new Set(signedHeaders);
  const signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: EXECUTE_API, sha256: NodeSha256, applyChecksum: false });
  if (parts.expires !== undefined) {
    const presigned = await signer.presign(request, { signingDate, expiresIn: parts.expires, signableHeaders });
    const signature = presigned.query?.['X-Amz-Signature'];
    return typeof signature === 'string' ? signature : undefined;
  }
  const signed = await signer.sign(request, { signingDate, signableHeaders });
  return /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1];
}

/** A header as signed: repeated values joined with commas, in the order they came. */
function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!);
  return values.length > 0 ? values.join(',') : undefined;
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20240101T000000Z` as epoch ms. */
function parseAmzDate(value: string | undefined): number | undefined {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
