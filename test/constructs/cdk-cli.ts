/**
 * Runs the real `cdk` CLI (node_modules/.bin/cdk) the way a user does, with every proxy variable pointing at a local
 * proxy that refuses everything and records what was asked: an offline `cdk synth` must ask nothing.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO } from './helpers.js';

const CDK = path.join(REPO, 'node_modules', '.bin', 'cdk');

export interface NetworkTrap {
  readonly url: string;
  /** The requests the proxy refused ("GET http://...", "CONNECT host:443"). */
  readonly attempts: readonly string[];
  close(): Promise<void>;
}

export async function startNetworkTrap(): Promise<NetworkTrap> {
  const attempts: string[] = [];
  const proxy = http.createServer((request, response) => {
    attempts.push(`${request.method} ${request.url}`);
    response.destroy();
  });
  proxy.on('connect', (request, socket) => {
    attempts.push(`CONNECT ${request.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    attempts,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

/** `cdk synth --quiet --output <out>` in `dir`, as a user runs it (never with validation switched off), through `trap`. */
export function cdkSynth(dir: string, out: string, trap: NetworkTrap): Promise<{ status: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PROXY: trap.url,
    HTTPS_PROXY: trap.url,
    http_proxy: trap.url,
    https_proxy: trap.url,
    NO_PROXY: '',
    no_proxy: '',
  };
  delete env.CDK_VALIDATION;
  delete env.CDK_OUTDIR;
  return new Promise((resolve, reject) => {
    const child = spawn(CDK, ['synth', '--quiet', '--output', out], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}
