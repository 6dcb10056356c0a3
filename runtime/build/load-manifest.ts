/**
 * loadManifest(entry): bundle the user's app, load the bundle in a child process, and read back its manifest.
 * The calling process never imports user code: a module that hangs, exits, or pollutes globals cannot hurt it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManifestError } from '../../lib/errors.js';
import type { Manifest } from '../../lib/manifest.js';
import { readAppName } from './app-name.js';
import { bundleApp, checkEntry } from './bundle.js';

export interface LoadManifestOptions {
  /** Name of the app; default from package.json or the entry's folder. */
  appName?: string;
  /** Give up when loading takes longer (ms); default 60 s. */
  timeoutMs?: number;
}

export interface LoadedManifest {
  readonly manifest: Manifest;
  /** What the app printed while loading (console output of top-level code). */
  readonly logs: string;
}

/** Runs in the child: imports the bundle, writes `{ ok, manifest | error }` to a file, and exits. */
const LOADER = `
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundle, out, appName] = process.argv.slice(2);
let result;
try {
  const app = await import(pathToFileURL(bundle).href);
  result = { ok: true, manifest: app.manifest(appName) };
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  result = { ok: false, error: { name: e.name, message: e.message, stack: e.stack ?? '' } };
}
writeFileSync(out, JSON.stringify(result));
process.exit(0);
`;

interface ChildResult {
  ok: boolean;
  manifest?: Manifest;
  error?: { name: string; message: string; stack: string };
}

export async function loadManifest(entry: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  checkEntry(entry);
  const appName = options.appName ?? readAppName(entry);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'multinode-manifest-'));
  try {
    const bundle = await bundleApp(entry, { outDir: dir });
    const loader = path.join(dir, 'load-manifest.mjs');
    const out = path.join(dir, 'result.json');
    await writeFile(loader, LOADER);
    const run = await runChild([loader, bundle.file, out, appName], options.timeoutMs ?? 60_000);
    let result: ChildResult;
    try {
      result = JSON.parse(await readFile(out, 'utf8')) as ChildResult;
    } catch {
      const reason = run.timedOut ? `did not finish loading within ${(options.timeoutMs ?? 60_000) / 1000} s` : `exited (code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}) while loading`;
      throw new ManifestError(`The app ${entry} ${reason}.${run.output ? `\nIts output:\n${run.output.trimEnd()}` : ''}`);
    }
    if (!result.ok || !result.manifest) {
      const error = result.error ?? { name: 'Error', message: 'unknown failure', stack: '' };
      if (error.name === 'DefinitionError') throw new ManifestError(`The app ${entry} has invalid definitions:\n${error.message}`);
      throw new ManifestError(`The app ${entry} threw while loading:\n${cleanStack(error.stack || `${error.name}: ${error.message}`, dir)}`);
    }
    return { manifest: result.manifest, logs: run.output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Drops the frames of our loader and of Node's module system; the user's frames stay. */
function cleanStack(stack: string, tempDir: string): string {
  return stack
    .split('\n')
    .filter((line) => !line.includes(tempDir) && !/\(node:internal|at node:internal|at async ModuleJob|at ModuleJob/.test(line))
    .map((line) => line.replace(/file:\/\//g, ''))
    .join('\n');
}

function runChild(args: string[], timeoutMs: number): Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}
