/**
 * Servers a benchmark runs in a process of its own, so that the benchmark's own thread does only the caller's work,
 * as in AWS (where Lambda is not on the caller's machine) and with `multinode dev` (which runs the local cloud in its
 * own process):
 *
 *   node --import tsx bench/support/servers.ts cloud <entry>   the app's local cloud; prints {"config","manifest"}
 *   node --import tsx bench/support/servers.ts trivial         a server that echoes every request; prints {"url"}
 *
 * Each prints one JSON line on stdout once it listens, and stops when its stdin closes (the parent ended).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RuntimeConfig } from '../../runtime/core/config.js';
import type { Manifest } from '../../lib/manifest.js';

export interface CloudProcess {
  readonly config: RuntimeConfig;
  readonly manifest: Manifest;
  stop(): Promise<void>;
}

export interface TrivialProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the local cloud of `entry` in a child process. */
export function cloudProcess(entry: string): Promise<CloudProcess> {
  return child<{ config: RuntimeConfig; manifest: Manifest }>(['cloud', entry]);
}

/** Starts a server that answers every request at once with its body, in a child process. */
export function trivialProcess(): Promise<TrivialProcess> {
  return child<{ url: string }>(['trivial']);
}

async function child<T>(args: string[]): Promise<T & { stop(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`bench/support/servers.ts ${args.join(' ')} exited with ${code} before it listened`)));
  });
  return {
    ...(JSON.parse(first) as T),
    async stop() {
      proc.stdin.end();
      await exited;
    },
  };
}

/** The echo server of the transport floor: keep-alive, answers with the request's body. */
export function startTrivialServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function serve(kind: string | undefined, entry: string | undefined): Promise<void> {
  let stop: () => Promise<void>;
  if (kind === 'cloud' && entry) {
    const { LocalCloud } = await import('../../runtime/local/cloud.js');
    const cloud = await LocalCloud.start({ entry, log: () => {} });
    process.stdout.write(`${JSON.stringify({ config: cloud.config, manifest: cloud.manifest })}\n`);
    stop = () => cloud.stop();
  } else if (kind === 'trivial') {
    const server = await startTrivialServer();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
    stop = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
  } else {
    throw new Error('usage: servers.ts cloud <entry> | trivial');
  }
  process.stdin.resume();
  process.stdin.once('end', () => void stop().then(() => process.exit(0)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2], process.argv[3]);
