/**
 * AWS Signature Version 4 for one request shape, an S3 GetObject, as plain JavaScript source: it is part of the
 * Batch bootstrap (bootstrap.ts), which runs on an image without the AWS SDK. Kept as text so that the code under
 * test is exactly the code that ships; tests evaluate it (`loadSigV4`) and compare it with the SDK's own signer.
 *
 * Needs `crypto` (node:crypto) in scope. Defines:
 *  - mnS3Endpoint(region): the regional S3 endpoint,
 *  - mnS3ObjectUrl(endpoint, bucket, key): a path-style object URL (each key segment encoded once, as S3 wants),
 *  - mnSignS3Get(url, region, credentials, now): the headers of a signed GET (host is left to fetch).
 */
export const SIGV4_SOURCE = `
function mnSha256Hex(data) {
  return crypto.createHash('sha256').update(data, 'utf8').digest('hex');
}

function mnHmac(key, data) {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

function mnEncodeSegment(segment) {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function mnS3Endpoint(region) {
  return 'https://s3.' + region + '.amazonaws.com' + (region.startsWith('cn-') ? '.cn' : '');
}

function mnS3ObjectUrl(endpoint, bucket, key) {
  const path = '/' + mnEncodeSegment(bucket) + '/' + key.split('/').map(mnEncodeSegment).join('/');
  return new URL(endpoint.replace(/\\/+$/, '') + path);
}

function mnSignS3Get(url, region, credentials, now) {
  const longDate = now.toISOString().replace(/[-:]/g, '').replace(/\\.\\d{3}/, '');
  const shortDate = longDate.slice(0, 8);
  const payloadHash = mnSha256Hex('');
  const headers = { host: url.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': longDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => name + ':' + String(headers[name]).trim().replace(/\\s+/g, ' ') + '\\n').join('');
  const canonicalRequest = ['GET', url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, payloadHash].join('\\n');
  const scope = shortDate + '/' + region + '/s3/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, mnSha256Hex(canonicalRequest)].join('\\n');
  let key = mnHmac('AWS4' + credentials.secretAccessKey, shortDate);
  for (const part of [region, 's3', 'aws4_request']) key = mnHmac(key, part);
  const signature = crypto.createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  delete headers.host;
  headers.authorization =
    'AWS4-HMAC-SHA256 Credential=' + credentials.accessKeyId + '/' + scope + ', SignedHeaders=' + signedHeaders + ', Signature=' + signature;
  return headers;
}
`;

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Functions {
  mnS3Endpoint(region: string): string;
  mnS3ObjectUrl(endpoint: string, bucket: string, key: string): URL;
  mnSignS3Get(url: URL, region: string, credentials: SigV4Credentials, now: Date): Record<string, string>;
}

/** Evaluates the shipped source in this process (for tests and tools). */
export async function loadSigV4(): Promise<SigV4Functions> {
  const crypto = await import('node:crypto');
  const factory = new Function('crypto', `${SIGV4_SOURCE}\nreturn { mnS3Endpoint, mnS3ObjectUrl, mnSignS3Get };`) as (c: unknown) => SigV4Functions;
  return factory(crypto);
}
