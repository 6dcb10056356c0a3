/**
 * The local servers' HTTP helper: listening on 127.0.0.1 (ephemeral or a given port, a clear error when the port is
 * taken), keep-alive kept longer than the SDK clients', bodies read to a limit (drained or stopped), and a close that
 * does not wait for idle keep-alive sockets.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS, type LocalServer, PortInUseError, readBody, startLocalServer } from '../../runtime/local/http-server.js';

const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(handler: http.RequestListener, options: Parameters<typeof startLocalServer>[1] = { name: 'a test server' }): Promise<LocalServer> {
  const server = await startLocalServer(handler, options);
  servers.push(server);
  return server;
}

function post(url: string, body: Buffer, agent?: http.Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startLocalServer', () => {
  it('listens on 127.0.0.1 on an ephemeral port with a long keep-alive', async () => {
    const server = await start((_req, res) => res.end('ok'));
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(await post(server.url, Buffer.alloc(0))).toEqual({ status: 200, text: 'ok' });
  });

  it('says which port is taken, by what, and what to do', async () => {
    const first = await start((_req, res) => res.end());
    const second = startLocalServer((_req, res) => res.end(), { port: first.port, name: 'service "api"', portHint: 'pass --port to choose another' });
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`Port ${first.port} (service "api") is in use by another program; pass --port to choose another.`);
  });

  it('closes at once though a client keeps an idle connection alive', async () => {
    const server = await startLocalServer((_req, res) => res.end('ok'), { name: 'a test server' });
    const agent = new http.Agent({ keepAlive: true });
    try {
      await post(server.url, Buffer.alloc(0), agent);
      const closed = server.close().then(() => 'closed');
      const later = new Promise((resolve) => setTimeout(() => resolve('still open'), 5000).unref());
      expect(await Promise.race([closed, later])).toBe('closed');
      expect(await server.close().then(() => 'closed again')).toBe('closed again');
    } finally {
      agent.destroy();
    }
  });
});

describe('readBody', () => {
  it('reads a body within the limit whole', async () => {
    const server = await start(async (req, res) => {
      const body = await readBody(req, { limit: 10 });
      res.end(JSON.stringify({ text: body.bytes.toString('utf8'), size: body.size, overLimit: body.overLimit }));
    });
    const answer = await post(server.url, Buffer.from('0123456789'));
    expect(JSON.parse(answer.text)).toEqual({ text: '0123456789', size: 10, overLimit: false });
  });

  it('drains a body over the limit: keeps its first bytes, counts all of them, and the connection serves the next request', async () => {
    const server = await start(async (req, res) => {
      const body = await readBody(req, { limit: 1000, over: 'drain' });
      res.end(JSON.stringify({ kept: body.bytes.length, first: body.bytes.subarray(0, 3).toString(), size: body.size, overLimit: body.overLimit }));
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = Buffer.concat([Buffer.from('abc'), Buffer.alloc(300_000, 'x')]);
      expect(JSON.parse((await post(server.url, big, agent)).text)).toEqual({ kept: 1000, first: 'abc', size: 300_003, overLimit: true });
      expect(JSON.parse((await post(server.url, Buffer.from('small'), agent)).text)).toEqual({ kept: 5, first: 'sma', size: 5, overLimit: false });
    } finally {
      agent.destroy();
    }
  });

  it('stops at the limit so the caller can answer before dropping the request', async () => {
    const server = await start(async (req, res) => {
      const body = await readBody(req, { limit: 1000, over: 'stop' });
      if (!body.overLimit) return void res.end('fine');
      res.writeHead(413, { connection: 'close' });
      res.on('finish', () => req.destroy());
      res.end('too large');
    });
    const answer = await post(server.url, Buffer.alloc(64 * 1024, 'x')).catch((error: Error) => ({ status: 0, text: error.message }));
    expect(answer).toEqual({ status: 413, text: 'too large' });
  });
});
