/**
 * loadManifest(entry): bundle the user's app, load the bundle in a child process, and read back its manifest.
 * The calling process never imports user code: a module that hangs, exits, or pollutes globals cannot hurt it.
 * `loadManifestSync` is the same for synchronous callers (CDK constructs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManifestError } from '../../lib/errors.js';
import type { Manifest } from '../../lib/manifest.js';
import { readAppName } from './app-name.js';
import { type AppBundle, bundleApp, bundleAppSync, checkEntry, ENTRY_RULE } from './bundle.js';

export interface LoadManifestOptions {
  /** Name of the app; default from package.json or the entry's folder. */
  appName?: string;
  /** Give up when loading takes longer (ms); default 60 s. */
  timeoutMs?: number;
  /** Keep the bundle in this directory (default: a temporary directory, removed afterwards). */
  outDir?: string;
}

export interface LoadedManifest {
  readonly manifest: Manifest;
  /** What the app printed while loading (console output of top-level code). */
  readonly logs: string;
  /** The bundle, when `outDir` was given. */
  readonly bundle?: AppBundle;
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

interface ChildRun {
  code: number | null;
  signal: string | null;
  output: string;
  timedOut: boolean;
}

interface ChildResult {
  ok: boolean;
  manifest?: Manifest;
  error?: { name: string; message: string; stack: string };
}

interface Job {
  entry: string;
  appName: string;
  timeoutMs: number;
  workDir: string;
  keep: boolean;
  loader: string;
  out: string;
}

function prepare(entry: string, options: LoadManifestOptions): Job {
  checkEntry(entry);
  const appName = options.appName ?? readAppName(entry);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-manifest-'));
  const loader = path.join(workDir, 'load-manifest.mjs');
  writeFileSync(loader, LOADER);
  return {
    entry,
    appName,
    timeoutMs: options.timeoutMs ?? 60_000,
    workDir,
    keep: options.outDir !== undefined,
    loader,
    out: path.join(workDir, 'result.json'),
  };
}

function childArgs(job: Job, bundle: AppBundle): string[] {
  return ['--enable-source-maps', job.loader, bundle.file, job.out, job.appName];
}

function finish(job: Job, bundle: AppBundle, run: ChildRun): LoadedManifest {
  let result: ChildResult;
  try {
    result = JSON.parse(readFileSync(job.out, 'utf8')) as ChildResult;
  } catch {
    const reason = run.timedOut
      ? `did not finish loading within ${job.timeoutMs / 1000} s`
      : `exited (code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}) while loading`;
    throw new ManifestError(`The app ${job.entry} ${reason}.${run.output ? `\nIts output:\n${run.output.trimEnd()}` : ''}`);
  }
  if (!result.ok || !result.manifest) {
    const error = result.error ?? { name: 'Error', message: 'unknown failure', stack: '' };
    if (error.name === 'DefinitionError') throw new ManifestError(`The app ${job.entry} has invalid definitions:\n${error.message}`);
    throw new ManifestError(
      `The app ${job.entry} threw while loading:\n${cleanStack(error.stack || `${error.name}: ${error.message}`, job.workDir, bundle.dir)}`,
    );
  }
  if (result.manifest.definitions.length === 0) throw new ManifestError(`The app ${job.entry} declares no definitions: ${ENTRY_RULE}.`);
  return { manifest: result.manifest, logs: run.output, ...(job.keep ? { bundle } : {}) };
}

export async function loadManifest(entry: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  const job = prepare(entry, options);
  try {
    const bundle = await bundleApp(entry, { outDir: options.outDir ?? job.workDir });
    return finish(job, bundle, await runChild(childArgs(job, bundle), job.timeoutMs));
  } finally {
    rmSync(job.workDir, { recursive: true, force: true });
  }
}

export function loadManifestSync(entry: string, options: LoadManifestOptions = {}): LoadedManifest {
  const job = prepare(entry, options);
  try {
    const bundle = bundleAppSync(entry, { outDir: options.outDir ?? job.workDir });
    const run = spawnSync(process.execPath, childArgs(job, bundle), { encoding: 'utf8', timeout: job.timeoutMs, killSignal: 'SIGKILL' });
    if (run.error && (run.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw run.error;
    return finish(job, bundle, {
      code: run.status,
      signal: run.signal,
      output: `${run.stdout ?? ''}${run.stderr ?? ''}`,
      timedOut: (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
    });
  } finally {
    rmSync(job.workDir, { recursive: true, force: true });
  }
}

/** Drops the frames of our loader and of Node's module system; the user's frames stay. */
function cleanStack(stack: string, ...internalDirs: string[]): string {
  return stack
    .split('\n')
    .filter((line) => !internalDirs.some((dir) => line.includes(path.join(dir, 'load-manifest.mjs'))) && !/node:internal|ModuleJob/.test(line))
    .map((line) => line.replace(/file:\/\//g, ''))
    .join('\n');
}

function runChild(args: string[], timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
