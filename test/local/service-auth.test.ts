/**
 * A service's `auth` in the local gateway, checked as API Gateway's HTTP API checks it: `iam` wants a SigV4
 * signature for execute-api made with the local credentials (signed here with the SDK's own SignatureV4), JWT auth
 * wants a token of the local key with the configured issuer and audience. Refusals answer like API Gateway and never
 * reach the handler.
 */
import { Buffer } from 'node:buffer';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { LocalCloud, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../runtime/local/cloud.js';
import { startGateway } from '../../runtime/local/gateway.js';
import { serviceAuthorizer } from '../../runtime/local/service-auth.js';
import { NodeSha256 } from '../../runtime/local/sigv4-check.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { LocalTokenIssuer } from '../../runtime/local/tokens.js';
import type { HttpApiEvent } from '../../runtime/services/http-api.js';
import { tempApp } from '../helpers/temp-app.js';

const entry = path.join(import.meta.dirname, 'fixtures/auth-app/src/app.ts');
const MEMBERS = { issuer: 'https://auth.example.com/', audience: ['members-api', 'members-web'] };
let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud(entry);
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const invocations = (service: string) => t.cloud.lambda.stats(t.cloud.names.lambdaFunction(service))?.invocations ?? 0;

/** Signs a request to `url` with SignatureV4 (as the SDK signs) and sends it. */
async function signedFetch(
  url: string,
  init: { method?: string; body?: string; credentials?: { accessKeyId: string; secretAccessKey: string }; service?: string; signingDate?: Date } = {},
): Promise<Response> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: init.credentials ?? LOCAL_CREDENTIALS,
    region: LOCAL_REGION,
    service: init.service ?? 'execute-api',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: init.method ?? 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: { host: target.host, ...(init.body ? { 'content-type': 'text/plain' } : {}) },
      ...(init.body ? { body: init.body } : {}),
    },
    init.signingDate ? { signingDate: init.signingDate } : {},
  );
  return fetch(url, { method: signed.method, headers: signed.headers as Record<string, string>, ...(init.body ? { body: init.body } : {}) });
}

describe('auth "iam": SigV4 for execute-api with the local credentials', () => {
  it('refuses an unsigned request with 403 {"message":"Forbidden"}, without running the handler', async () => {
    const before = invocations('privateApi');
    const response = await fetch(`${t.url('privateApi')}/orders`);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(invocations('privateApi')).toBe(before);
    expect(t.logs.some((line) => /privateApi: GET \/orders refused \(403\): IAM auth: the request is not signed/.test(line))).toBe(true);
  });

  it('refuses a wrong secret, an unknown key, another service, a changed body and an old signature, with API Gateway’s messages', async () => {
    const base = t.url('privateApi');
    const before = invocations('privateApi');
    const wrongSecret = await signedFetch(`${base}/orders`, { credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(await wrongSecret.json()).toEqual({
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
        'Consult the service documentation for details.',
    });

    const unknownKey = await signedFetch(`${base}/orders`, { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });
    expect(unknownKey.status).toBe(403);
    expect(await unknownKey.json()).toEqual({ message: 'The security token included in the request is invalid.' });

    const otherService = await signedFetch(`${base}/orders`, { service: 'lambda' });
    expect(otherService.status).toBe(403);
    expect(await otherService.json()).toEqual({ message: "Credential should be scoped to correct service: 'execute-api'. " });

    // Signed for one body, sent with another.
    const target = new URL(`${base}/orders`);
    const signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, service: 'execute-api', sha256: NodeSha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      path: '/orders',
      headers: { host: target.host },
      body: 'one',
    });
    const tampered = await fetch(target, { method: 'POST', headers: signed.headers as Record<string, string>, body: 'two' });
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    // The same without x-amz-content-sha256: the body's hash is part of the signature.
    const bare = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, service: 'execute-api', sha256: NodeSha256, applyChecksum: false });
    const signedBare = await bare.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      path: '/orders',
      headers: { host: target.host },
      body: 'one',
    });
    expect(signedBare.headers['x-amz-content-sha256']).toBeUndefined();
    expect((await fetch(target, { method: 'POST', headers: signedBare.headers as Record<string, string>, body: 'two' })).status).toBe(403);

    const old = await signedFetch(`${base}/orders`, { signingDate: new Date(Date.now() - 10 * 60_000) });
    expect(old.status).toBe(403);
    expect(((await old.json()) as { message: string }).message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    expect(invocations('privateApi')).toBe(before);
    // The body it was signed for passes.
    expect((await fetch(target, { method: 'POST', headers: signedBare.headers as Record<string, string>, body: 'one' })).status).toBe(200);
  });

  it('serves a request signed with the SDK’s SignatureV4 and the local credentials: header or presigned URL', async () => {
    const base = t.url('privateApi');
    const response = await signedFetch(`${base}/orders/42?expand=items&b=1`, { method: 'POST', body: 'héllo' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ method: 'POST', path: '/orders/42', query: '?expand=items&b=1', body: 'héllo' });

    const target = new URL(`${base}/orders`);
    const signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, service: 'execute-api', sha256: NodeSha256 });
    const presigned = await signer.presign({
      method: 'GET',
      protocol: 'http:',
      hostname: target.hostname,
      path: '/orders',
      query: {},
      headers: { host: target.host },
    });
    const url = new URL(`${base}/orders`);
    for (const [key, value] of Object.entries(presigned.query ?? {})) url.searchParams.set(key, String(value));
    const viaUrl = await fetch(url);
    expect(viaUrl.status).toBe(200);
  });
});

describe('auth { jwt }: a token of the local key, for the issuer and an audience', () => {
  it('refuses a request without a token: 401 {"message":"Unauthorized"}, www-authenticate: Bearer', async () => {
    const before = invocations('members');
    const response = await fetch(`${t.url('members')}/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(invocations('members')).toBe(before);
  });

  it('serves a valid token, alone or after Bearer, and a token whose client_id (no aud) is an audience', async () => {
    const token = await t.cloud.issueToken('members', { subject: 'alice' });
    for (const authorization of [`Bearer ${token}`, token]) {
      const response = await fetch(`${t.url('members')}/me`, { headers: { authorization } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ path: '/me' });
    }
    const clientToken = await t.cloud.issueToken('members', { claims: { aud: undefined, client_id: 'members-web' } });
    expect((await fetch(`${t.url('members')}/me`, { headers: { authorization: `Bearer ${clientToken}` } })).status).toBe(200);
  });

  it('refuses an expired token, a wrong audience, a wrong issuer and a foreign key, saying why in www-authenticate', async () => {
    const before = invocations('members');
    const refusal = async (token: string) => {
      const response = await fetch(`${t.url('members')}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: 'Unauthorized' });
      return response.headers.get('www-authenticate');
    };
    const challenge = (description: string) => `Bearer scope="" error="invalid_token" error_description="${description}"`;
    // Issued two hours ago for one hour.
    expect(await refusal(await t.cloud.issueToken('members', { now: Date.now() - 2 * 3600_000, expiresInSeconds: 3600 }))).toBe(
      challenge('the token has expired'),
    );
    expect(await refusal(await t.cloud.issueToken('members', { claims: { aud: 'someone-else' } }))).toBe(challenge('the token does not have a valid audience'));
    expect(await refusal(await t.cloud.issueToken('members', { claims: { iss: 'https://evil.example.com/' } }))).toBe(
      challenge('the token does not have a valid issuer'),
    );
    const foreign = await (await LocalTokenIssuer.generate()).issue(MEMBERS);
    expect(await refusal(foreign)).toBe(challenge("the token's kid matches no key of the issuer"));
    const [header, payload] = (await t.cloud.issueToken('members')).split('.');
    expect(await refusal(`${header}.${payload}.${Buffer.from('forged').toString('base64url')}`)).toBe(challenge("the token's signature is not valid"));
    expect(await refusal('not-a-jwt')).toBe(challenge('the token is malformed'));
    expect(invocations('members')).toBe(before);
  });

  it('names what is wrong when asked for a token of a service that has no JWT auth', async () => {
    await expect(t.cloud.issueToken('nope')).rejects.toThrow(
      'The app has no service named "nope"; its services: open, privateApi, members. Services with JWT auth: members.',
    );
    await expect(t.cloud.issueToken('privateApi')).rejects.toThrow(/The service "privateApi" has auth "iam", not a JWT authorizer/);
    await expect(t.cloud.issueToken('open')).rejects.toThrow(/The service "open" has auth "none", not a JWT authorizer/);
  });

  it('leaves a service with auth "none" open', async () => {
    expect((await fetch(`${t.url('open')}/anything`)).status).toBe(200);
  });
});

describe('the event carries who was accepted', () => {
  it('requestContext.authorizer.jwt (claims as strings) and .iam', async () => {
    const events: HttpApiEvent[] = [];
    const lambda = {
      send: async (command: { input: { Payload: Uint8Array } }) => {
        events.push(JSON.parse(Buffer.from(command.input.Payload).toString('utf8')) as HttpApiEvent);
        return { StatusCode: 200, Payload: Buffer.from('{"statusCode":204}') };
      },
    } as unknown as LambdaClient;
    const tokens = await LocalTokenIssuer.generate();
    const deps = { credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, accountId: '000000000000', tokens };
    const jwtGateway = await startGateway({ service: 'members', functionName: 'f', lambda, authorize: serviceAuthorizer({ jwt: MEMBERS }, deps)! });
    const iamGateway = await startGateway({ service: 'privateApi', functionName: 'f', lambda, authorize: serviceAuthorizer('iam', deps)! });
    try {
      const token = await tokens.issue(MEMBERS, { subject: 'bob', claims: { scope: 'read write', groups: ['a', 'b'] } });
      expect((await fetch(jwtGateway.url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
      expect(events[0]!.requestContext.authorizer?.jwt).toEqual({
        claims: expect.objectContaining({ sub: 'bob', iss: MEMBERS.issuer, aud: 'members-api', groups: '[a b]', scope: 'read write' }),
        scopes: ['read', 'write'],
      });
      expect(typeof events[0]!.requestContext.authorizer?.jwt?.claims.exp).toBe('string');
      expect((await signedFetch(`${iamGateway.url}/x`)).status).toBe(204);
      expect(events[1]!.requestContext.authorizer?.iam).toMatchObject({ accessKey: LOCAL_CREDENTIALS.accessKeyId, accountId: '000000000000' });
    } finally {
      await jwtGateway.close();
      await iamGateway.close();
    }
  });
});

describe('a rebuild', () => {
  it('applies a service whose auth changed', async () => {
    const source = (auth: string) => `import * as mn from 'multinode';\nexport const api = mn.service({ auth: ${auth} }, async () => new Response('hi'));\n`;
    const app = tempApp({ 'app.ts': source('"none"') }, 'auth-rebuild');
    const cloud = await LocalCloud.start({ entry: app.entry, log: () => undefined });
    try {
      expect((await fetch(cloud.serviceUrl('api'))).status).toBe(200);
      writeFileSync(app.entry, source('"iam"'));
      expect(await cloud.rebuild()).toMatchObject({ ok: true });
      expect((await fetch(cloud.serviceUrl('api'))).status).toBe(403);
      expect((await signedFetch(cloud.serviceUrl('api'))).status).toBe(200);
    } finally {
      await cloud.stop();
      app.cleanup();
    }
  }, 60_000);
});
