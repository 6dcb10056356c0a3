/**
 * The bootstrap's S3 GET signing, compared with the AWS SDK's own SigV4 signer (@smithy/signature-v4, what
 * @aws-sdk/client-s3 uses) on fixed inputs: same URL, date, region and credentials must give the same signature.
 */
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { loadSigV4, type SigV4Credentials } from '../../runtime/batch/sigv4-source.js';
import { Sha256 } from './helpers.js';

async function sdkAuthorization(url: URL, region: string, credentials: SigV4Credentials, now: Date, payloadHash: string): Promise<string> {
  const signer = new SignatureV4({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: true });
  const request = {
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    headers: { host: url.host, 'x-amz-content-sha256': payloadHash } as Record<string, string>,
    query: {},
  };
  const signed = await signer.sign(request, { signingDate: now });
  return signed.headers.authorization!;
}

const CASES: Array<{ what: string; endpoint: string; bucket: string; key: string; region: string; credentials: SigV4Credentials; now: string }> = [
  {
    what: 'a CDK asset key on the regional endpoint, with a session token (task role)',
    endpoint: 'https://s3.eu-west-2.amazonaws.com',
    bucket: 'cdk-hnb659fds-assets-123456789012-eu-west-2',
    key: '3f1c0d0e9b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d.mjs',
    region: 'eu-west-2',
    credentials: {
      accessKeyId: 'ASIAEXAMPLEKEYID0001',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken: 'IQoJb3JpZ2luX2VjEMr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==',
    },
    now: '2026-03-09T23:59:59.123Z',
  },
  {
    what: 'a local endpoint with a port, no session token',
    endpoint: 'http://127.0.0.1:4569',
    bucket: 'multinode-local',
    key: 'bundles/app.mjs',
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    now: '2024-02-29T00:00:00.000Z',
  },
  {
    what: 'a key with spaces, unicode and reserved characters',
    endpoint: 'https://s3.ap-southeast-1.amazonaws.com/',
    bucket: 'my.bucket-1',
    key: "dir one/Ünïcødé (copy)*!'/a+b=c&d.mjs",
    region: 'ap-southeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/with+chars=', sessionToken: 'token' },
    now: '2030-12-31T12:34:56.000Z',
  },
];

describe('bootstrap SigV4 signing of S3 GetObject', async () => {
  const sigv4 = await loadSigV4();

  for (const c of CASES) {
    it(`matches the SDK signer: ${c.what}`, async () => {
      const url = sigv4.mnS3ObjectUrl(c.endpoint, c.bucket, c.key);
      const now = new Date(c.now);
      const headers = sigv4.mnSignS3Get(url, c.region, c.credentials, now);
      const expected = await sdkAuthorization(url, c.region, c.credentials, now, headers['x-amz-content-sha256']!);
      expect(headers.authorization).toBe(expected);
      expect(headers['x-amz-date']).toBe(
        now
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, ''),
      );
      if (c.credentials.sessionToken) expect(headers['x-amz-security-token']).toBe(c.credentials.sessionToken);
      else expect(headers).not.toHaveProperty('x-amz-security-token');
      expect(headers).not.toHaveProperty('host');
    });
  }

  it('differs from the SDK signature when any input differs (the comparison is not vacuous)', async () => {
    const c = CASES[0]!;
    const url = sigv4.mnS3ObjectUrl(c.endpoint, c.bucket, c.key);
    const now = new Date(c.now);
    const ours = sigv4.mnSignS3Get(url, c.region, c.credentials, now).authorization;
    const otherSecret = await sdkAuthorization(url, c.region, { ...c.credentials, secretAccessKey: 'x' }, now, createHash('sha256').update('').digest('hex'));
    const otherRegion = await sdkAuthorization(url, 'eu-west-1', c.credentials, now, createHash('sha256').update('').digest('hex'));
    expect(ours).not.toBe(otherSecret);
    expect(ours).not.toBe(otherRegion);
  });

  it('builds path-style URLs with each key segment encoded once', () => {
    const url = sigv4.mnS3ObjectUrl('http://127.0.0.1:9000/', 'b', 'a b/c(d)/e~f_g.h');
    expect(url.href).toBe('http://127.0.0.1:9000/b/a%20b/c%28d%29/e~f_g.h');
    expect(sigv4.mnS3Endpoint('eu-central-1')).toBe('https://s3.eu-central-1.amazonaws.com');
    expect(sigv4.mnS3Endpoint('cn-north-1')).toBe('https://s3.cn-north-1.amazonaws.com.cn');
  });
});
