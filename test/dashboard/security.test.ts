/**
 * The dashboard's gates, over HTTP as a browser or another program meets them: it listens on 127.0.0.1 only, a new
 * 32-byte token per start is needed by every API call (a clear 401 otherwise), the Host header must be 127.0.0.1 or
 * localhost with its port (DNS rebinding), actions are POSTs with JSON from its own origin, nothing answers with CORS
 * headers, and every answer carries the Content-Security-Policy and the other protective headers.
 */
import http from 'node:http';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../runtime/dashboard/index.js';
import { type DashFixture, startDashApp } from './support.js';

let f: DashFixture;
beforeAll(async () => {
  f = await startDashApp();
}, 120_000);
afterAll(async () => {
  await f?.stop();
});

/** A request with headers fetch() will not let us set (Host), through node:http. */
function raw(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; host?: string }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        setHost: !options.headers?.host,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('the token', () => {
  it('is 32 random bytes in base64url, in the printed URL, and new at every start', async () => {
    expect(f.dashboard.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(f.dashboard.token, 'base64url')).toHaveLength(32);
    expect(f.dashboard.url).toBe(`http://127.0.0.1:${f.dashboard.port}/?token=${f.dashboard.token}`);
    const other = await startDashboard({ target: () => f.t.cloud.connection(), mode: 'local' });
    try {
      expect(other.token).not.toBe(f.dashboard.token);
      // The token of one start opens nothing in another.
      const crossed = await fetch(`${other.origin}/api/app`, { headers: { 'x-multinode-token': f.dashboard.token } });
      expect(crossed.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('is required by every API route: none, or a wrong one, is a 401 with a clear JSON error', async () => {
    const routes = [
      '/api/app',
      '/api/status',
      '/api/schedules',
      '/api/runs',
      '/api/runs/01hqz8m3kd5t2w9xv7ypq4k2ab',
      '/api/dicts',
      '/api/dicts/notes/entries',
      '/api/logs',
      '/api/logs/stream',
    ];
    for (const route of routes) {
      const missing = await f.call(route, { token: null });
      expect(missing.status, route).toBe(401);
      expect(missing.body.error.type).toBe('InvalidToken');
      expect(missing.body.error.message).toMatch(/has no x-multinode-token header.*Open the URL multinode printed at start/);
      const wrong = await f.call(route, { token: 'x'.repeat(43) });
      expect(wrong.status, route).toBe(401);
      expect(wrong.body.error.message).toMatch(/is not this dashboard's token.*each start makes a new token/);
    }
    // Actions too, before anything runs: the task was not triggered.
    const trigger = await f.call('/api/schedules/morning/trigger', { body: {}, token: 'wrong' });
    expect(trigger.status).toBe(401);
    const set = await f.call('/api/dicts/notes/entry', { body: { key: 'k', value: 1 }, token: null });
    expect(set.status).toBe(401);
    expect((await f.call('/api/dicts/notes/entry?key=k')).body).toEqual({ key: 'k', found: false });
    // A token in the query string is not a token: only the header counts.
    expect((await f.call(`/api/app?token=${f.dashboard.token}`, { token: null })).status).toBe(401);
  });

  it('with the token, the API answers', async () => {
    const answer = await f.call('/api/app');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ app: 'dash-app', mode: 'local', dicts: ['notes'] });
  });
});

describe('where it listens and whom it answers', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(f.dashboard.origin).toBe(`http://127.0.0.1:${f.dashboard.port}`);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      // Another address of this machine does not reach it.
      await expect(raw(f.dashboard.port, { host: external.address })).rejects.toThrow(/ECONNREFUSED/);
    }
    await expect(raw(f.dashboard.port, { host: '::1' })).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL|EAFNOSUPPORT/);
  });

  it('refuses a Host header other than 127.0.0.1 or localhost with its port (DNS rebinding), even for the page', async () => {
    const port = f.dashboard.port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1']) {
      for (const path of ['/', '/api/app']) {
        const answer = await raw(port, { path, headers: { host, 'x-multinode-token': f.dashboard.token } });
        expect(answer.status, `${host} ${path}`).toBe(403);
        expect(JSON.parse(answer.body).error).toMatchObject({ type: 'HostNotAllowed', message: expect.stringContaining(`http://127.0.0.1:${port}`) });
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await raw(port, { path: '/api/app', headers: { host, 'x-multinode-token': f.dashboard.token } })).status).toBe(200);
    }
  });

  it('refuses a request from another origin, and sends no CORS headers (a preflight gets none)', async () => {
    const refused = await f.call('/api/schedules/morning/pause', { body: {}, headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.type).toBe('OriginNotAllowed');
    expect((await f.call('/api/schedules')).body.schedules.find((s: any) => s.name === 'morning').paused).toBeUndefined();
    const preflight = await raw(f.dashboard.port, {
      method: 'OPTIONS',
      path: '/api/app',
      headers: {
        origin: `http://127.0.0.1:${f.dashboard.port}`,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-multinode-token',
      },
    });
    expect(preflight.status).not.toBe(200);
    const answers = [preflight.headers, (await raw(f.dashboard.port, { path: '/api/app', headers: { 'x-multinode-token': f.dashboard.token } })).headers];
    for (const headers of answers) for (const name of Object.keys(headers)) expect(name).not.toMatch(/^access-control-/);
  });
});

describe('actions', () => {
  it('are POSTs: a GET of an action route changes nothing (405)', async () => {
    const get = await f.call('/api/schedules/morning/pause');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.body.error.message).toMatch(/actions are POSTs/);
    expect((await f.call('/api/runs/x/cancel')).status).toBe(405);
    expect((await f.call('/api/schedules')).body.schedules.find((s: any) => s.name === 'morning').paused).toBeUndefined();
    // And reads are GETs.
    expect((await f.call('/api/status', { method: 'POST', body: {} })).status).toBe(405);
  });

  it('take a JSON body only (a form post is refused), of at most 1 MiB', async () => {
    const form = await f.call('/api/schedules/morning/pause', {
      method: 'POST',
      body: 'reason=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.message).toMatch(/Content-Type: application\/json/);
    const notJson = await f.call('/api/schedules/morning/pause', { method: 'POST', body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not JSON/);
    const huge = await f.call('/api/dicts/notes/entry', { method: 'POST', body: JSON.stringify({ key: 'big', value: 'x'.repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
  });
});

describe('headers', () => {
  it('every answer (page, script, API, errors) forbids inline scripts, framing, sniffing and the Referer', async () => {
    const paths = ['/', '/assets/app.js', '/assets/app.css', '/api/app', '/nope'];
    for (const path of paths) {
      const answer = await raw(f.dashboard.port, { path, headers: { 'x-multinode-token': f.dashboard.token } });
      const csp = String(answer.headers['content-security-policy']);
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-frame-options']).toBe('DENY');
    }
    const unauthorized = await raw(f.dashboard.port, { path: '/api/app' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers['content-security-policy']).toBeDefined();
  });

  it('the page has no inline script and no data: only its own files, which ship with the dashboard (no CDN)', async () => {
    const page = await raw(f.dashboard.port, {});
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/assets/app.js"></script>');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.body).not.toContain('dash-app');
    const script = await raw(f.dashboard.port, { path: '/assets/app.js' });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).toContain('x-multinode-token');
    expect(script.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|www\.w3\.org)[a-z]/i);
  });
});
