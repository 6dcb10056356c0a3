/**
 * Service conformance through the local cloud: HTTP requests to the local gateway become API Gateway v2 events,
 * invoked on the service's Lambda function; the fetch handler's Response becomes the HTTP response.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as app from '../local/fixtures/functions-app/src/app.js';

const entry = path.join(import.meta.dirname, '../local/fixtures/functions-app/src/app.ts');
let t: TestCloud;
let base: string;

beforeAll(async () => {
  t = await startTestCloud(entry, { module: app });
  base = t.url('api');
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

/** Sends raw bytes and reads the raw answer (for requests fetch refuses to make). */
function raw(request: string | Buffer): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('requests and responses', () => {
  it('passes method, path, query, headers and a text body; returns status and headers', async () => {
    const response = await fetch(`${base}/echo/deep/path?a=1&b=two&a=3`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'yes' },
      body: 'héllo',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-served-by')).toBe('api');
    expect(await response.json()).toEqual({
      method: 'POST',
      path: '/echo/deep/path',
      query: [
        ['a', '1'],
        ['b', 'two'],
        ['a', '3'],
      ],
      contentType: 'text/plain; charset=utf-8',
      custom: 'yes',
      bodyLength: Buffer.byteLength('héllo'),
      bodySum: [...Buffer.from('héllo')].reduce((a, b) => a + b, 0),
      bodyText: 'héllo',
    });
  });

  it('carries binary bodies both ways', async () => {
    const bytes = new Uint8Array(1000).map((_, i) => (i * 7) % 256);
    const response = await fetch(`${base}/echo`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    const body = (await response.json()) as { bodyLength: number; bodySum: number };
    expect(body.bodyLength).toBe(1000);
    expect(body.bodySum).toBe(bytes.reduce((a, b) => a + b, 0));
    const png = await fetch(`${base}/png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await png.arrayBuffer())]).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it('passes cookies in and sets several cookies out', async () => {
    const response = await fetch(`${base}/cookies`, { headers: { cookie: 'x=1; y=2' } });
    expect(await response.text()).toBe('got: x=1; y=2');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
  });

  it("answers the app's 404, and 500 when the handler throws", async () => {
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for /nowhere' });
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ message: 'Internal Server Error' });
    expect(t.logs.some((line) => line.includes('handler exploded'))).toBe(true);
  });

  it('reaches dicts from the service, shared with the test process', async () => {
    await app.marks.set('api/hits', 41);
    const response = await fetch(`${base}/count`);
    expect(await response.json()).toEqual({ hits: 42 });
  });
});

describe('malformed and oversize requests', () => {
  it('answers 400 to malformed HTTP and keeps serving', async () => {
    const answer = await raw('THIS IS NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    const ok = await fetch(`${base}/echo`);
    expect(ok.status).toBe(201);
  });

  it("answers 431 to headers over API Gateway's 10 KB", async () => {
    const answer = await raw(`GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(12_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
  });

  it("answers 413 as API Gateway does when the event is over Lambda's 6 MB, and logs why", async () => {
    // Text travels as text: 7 MB of text is under the gateway's 10 MB but over Lambda's 6 MB request limit.
    const text = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(7 * 1024 * 1024) });
    expect(text.status).toBe(413);
    expect(text.headers.get('content-type')).toBe('application/json');
    expect(await text.json()).toEqual({ message: 'Request Entity Too Large' });
    // Binary bodies travel base64 in the event: 5 MB of bytes is about 6.7 MB of event.
    const binary = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(5 * 1024 * 1024),
    });
    expect(binary.status).toBe(413);
    expect(await binary.json()).toEqual({ message: 'Request Entity Too Large' });
    const reasons = t.logs.filter((line) => line.startsWith('[api]') && /over Lambda's 6,291,456-byte limit/.test(line));
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    expect(reasons[0]).toMatch(/POST \/echo: the event is [\d,]+ bytes/);
    // Just under the real limit, both kinds get through.
    const fits = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(4 * 1024 * 1024).fill(1),
    });
    expect(fits.status).toBe(201);
    expect(await fits.json()).toMatchObject({ bodyLength: 4 * 1024 * 1024, bodySum: 4 * 1024 * 1024 });
    const fitsText = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('y'.repeat(6 * 1024 * 1024 - 4096)),
    });
    expect(fitsText.status).toBe(201);
    expect(await fitsText.json()).toMatchObject({ bodyLength: 6 * 1024 * 1024 - 4094 });
  });

  it('answers 413 to a body over 10 MB', async () => {
    const response = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(11 * 1024 * 1024),
    }).catch((e: unknown) => e);
    if (response instanceof Response) {
      expect(response.status).toBe(413);
    } else {
      // The gateway may close the connection before fetch finishes sending; the status line still came first.
      expect(String((response as Error).cause ?? response)).toMatch(/socket|closed|reset|EPIPE/i);
    }
  });
});
