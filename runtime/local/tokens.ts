/**
 * JWTs for services with `auth: { jwt: { issuer, audience } }`, offline. The local cloud cannot reach the real
 * issuer, so it trusts its own key for the issuers the app configures: `multinode token` (and `issueToken` in tests)
 * signs a token with the app's local RSA key, and the local gateway verifies it against that key, then checks the
 * claims as API Gateway does (issuer, audience or client_id, exp, nbf, iat). A token from the real issuer is
 * refused locally: its key is not the local one.
 *
 * The key lives in the state directory (`token-key.json`, readable by its owner only), so tokens printed by
 * `multinode token` are accepted by `multinode dev` of the same app, across restarts.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../../lib/manifest.js';
import { LocalCloudError, StateDirError } from './errors.js';
import { compactVerify, createLocalJWKSet, errors, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

export const TOKEN_KEY_FILE = 'token-key.json';

/** API Gateway's JWT authorizers accept RSA signatures only. */
const ALGORITHM = 'RS256';
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

export interface JwtAuthConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
}

export interface IssueOptions {
  /** The `sub` claim (default `multinode-local-user`). */
  readonly subject?: string;
  /** More claims, applied last (so `iss` or `aud` can be overridden to try a refusal). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Seconds until `exp` (default 3600). */
  readonly expiresInSeconds?: number;
  /** When the token is issued, epoch ms (default now; a past time makes an expired token). */
  readonly now?: number;
}

export type TokenCheck = { readonly ok: true; readonly claims: JWTPayload } | { readonly ok: false; readonly description: string };

interface KeyFile {
  readonly kid: string;
  readonly privateJwk: JWK;
}

export class LocalTokenIssuer {
  readonly kid: string;
  readonly #privateJwk: JWK;
  readonly #publicJwk: JWK;

  private constructor(key: KeyFile) {
    this.kid = key.kid;
    this.#privateJwk = { ...key.privateJwk, kid: key.kid, alg: ALGORITHM };
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = this.#privateJwk;
    this.#publicJwk = { ...publicJwk, use: 'sig' };
  }

  /** A new key, kept in memory (a test cloud). */
  static async generate(): Promise<LocalTokenIssuer> {
    const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    return new LocalTokenIssuer({ kid: `multinode-local-${randomBytes(4).toString('hex')}`, privateJwk: await exportJWK(privateKey) });
  }

  /** The key of the state directory `dir`, created on first use. */
  static async load(dir: string): Promise<LocalTokenIssuer> {
    const file = path.join(dir, TOKEN_KEY_FILE);
    const existing = await readKeyFile(file);
    if (existing) return new LocalTokenIssuer(existing);
    const created = await LocalTokenIssuer.generate();
    try {
      // Exclusive: when two processes create it at once, the first one's key wins and both use it.
      await writeFile(file, `${JSON.stringify({ kid: created.kid, privateJwk: created.#privateJwk }, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      return created;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return new LocalTokenIssuer((await readKeyFile(file))!);
    }
  }

  /** The public key as a JWKS document (what an issuer publishes at its jwks_uri). */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.#publicJwk] };
  }

  /** A token for a service with JWT auth: its issuer, its first audience, `sub`, `iat`, `exp`, then `claims`. */
  async issue(auth: JwtAuthConfig, options: IssueOptions = {}): Promise<string> {
    const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
    const payload: JWTPayload = {
      iss: auth.issuer,
      aud: auth.audience[0],
      sub: options.subject ?? 'multinode-local-user',
      iat: issuedAt,
      exp: issuedAt + (options.expiresInSeconds ?? 3600),
      ...options.claims,
    };
    const key = await importJWK(this.#privateJwk, ALGORITHM);
    return new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, kid: this.kid, typ: 'JWT' }).sign(key);
  }

  /**
   * API Gateway's checks, in its order: the signature (a key of the issuer by `kid`, an RSA algorithm), then `iss`,
   * `aud` (or `client_id` when there is no `aud`), `exp`, `nbf` and `iat`. The description is what the refusal's
   * `www-authenticate` header says.
   */
  async verify(token: string, auth: JwtAuthConfig, now = Date.now()): Promise<TokenCheck> {
    let claims: JWTPayload;
    try {
      const { payload } = await compactVerify(token, createLocalJWKSet(this.jwks), { algorithms: RSA_ALGORITHMS });
      claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    } catch (error) {
      return { ok: false, description: signatureProblem(error) };
    }
    if (typeof claims !== 'object' || claims === null) return { ok: false, description: 'the token is malformed' };
    const seconds = now / 1000;
    if (claims.iss !== auth.issuer) return { ok: false, description: 'the token does not have a valid issuer' };
    const audience = claims.aud === undefined ? (typeof claims.client_id === 'string' ? [claims.client_id] : []) : [claims.aud].flat();
    if (!audience.some((a) => auth.audience.includes(a))) return { ok: false, description: 'the token does not have a valid audience' };
    if (typeof claims.exp !== 'number' || claims.exp <= seconds) return { ok: false, description: 'the token has expired' };
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > seconds)) return { ok: false, description: 'the token is not valid yet' };
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || claims.iat > seconds))
      return { ok: false, description: 'the token was issued in the future' };
    return { ok: true, claims };
  }
}

function signatureProblem(error: unknown): string {
  if (error instanceof errors.JWKSNoMatchingKey) return "the token's kid matches no key of the issuer";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed (RSA only)";
  return 'the token is malformed';
}

async function readKeyFile(file: string): Promise<KeyFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<KeyFile>;
  try {
    parsed = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    parsed = {};
  }
  if (typeof parsed.kid !== 'string' || typeof parsed.privateJwk !== 'object' || parsed.privateJwk === null) {
    throw new StateDirError(`${file} is not a multinode token key; delete it and a new key is made (tokens signed with the old one stop working).`);
  }
  return parsed as KeyFile;
}

/** The JWT auth of the service `name`; a clear error when the app has no such service or it has no JWT auth. */
export function jwtAuthOf(manifest: Manifest, name: string): JwtAuthConfig {
  const services = manifest.definitions.filter((d) => d.kind === 'service');
  const withJwt = services.filter((d) => typeof d.options.auth === 'object').map((d) => d.name);
  const found = services.find((d) => d.name === name);
  const them = `Services with JWT auth: ${withJwt.join(', ') || '(none)'}.`;
  if (!found) {
    const other = manifest.definitions.find((d) => d.name === name);
    throw new LocalCloudError(
      `The app has no service named "${name}"${other ? ` ("${name}" is a ${other.kind})` : ''}; ` +
        `its services: ${services.map((d) => d.name).join(', ') || '(none)'}. ${them}`,
    );
  }
  const auth = found.options.auth;
  if (typeof auth !== 'object') {
    throw new LocalCloudError(
      `The service "${name}" has auth "${auth}", not a JWT authorizer: tokens are for services declared with auth: { jwt: { issuer, audience } }` +
        `${auth === 'iam' ? ' (an "iam" service takes SigV4-signed requests made with the local credentials)' : ''}. ${them}`,
    );
  }
  return auth.jwt;
}
