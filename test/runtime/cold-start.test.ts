/**
 * The app bundle is split: the Lambda, S3 and Batch SDK packages are chunks loaded at first use
 * (runtime/core/sdk-modules.ts, runtime/build/bundle.ts). A fresh process imports the bundle of the local cloud and
 * runs one event through its Lambda handler, as a cold Lambda environment does, while a module hook records every
 * file Node loads. A function or a service that uses only a dict loads none of those chunks; one that calls another function
 * loads the Lambda chunk, which shows the recording sees chunks loaded on demand. An app that `import()`s a
 * CommonJS module is bundled in one file instead, where the import keeps its named exports.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dict } from '../../lib/definitions/dict.js';
import { appBuildOptions, bundleApp, bundleFiles, checkEntry } from '../../runtime/build/bundle.js';
import { environmentFor } from '../../runtime/core/config.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/dicts-app/app.ts');
const LAZY_PACKAGES = ['@aws-sdk/client-batch', '@aws-sdk/client-lambda', '@aws-sdk/client-s3'] as const;

let t: TestCloud;
let work: string;
beforeAll(async () => {
  t = await startTestCloud(ENTRY);
  work = mkdtempSync(path.join(os.tmpdir(), 'multinode-cold-start-'));
  // The hook runs on Node's loader thread: it appends each loaded URL to the file the child names.
  writeFileSync(
    path.join(work, 'record.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'let out;',
      'export function initialize(data) { out = data.out; }',
      "export async function load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); }",
    ].join('\n'),
  );
  writeFileSync(
    path.join(work, 'register.mjs'),
    ["import { register } from 'node:module';", "register('./record.mjs', import.meta.url, { data: { out: process.env.LOADS_FILE } });"].join('\n'),
  );
});
afterAll(async () => {
  await t?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The bundle's files holding each lazily loaded SDK package (the non-minified bundle names every module's path). */
function chunksOf(dir: string): Map<string, string[]> {
  const holders = new Map<string, string[]>(LAZY_PACKAGES.map((name) => [name, []]));
  for (const file of bundleFiles(dir).filter((name) => name.endsWith('.mjs'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const name of LAZY_PACKAGES) if (text.includes(`// node_modules/${name}/`)) holders.get(name)!.push(file);
  }
  return holders;
}

/** One call of the function `fn` through the bundle's handler in a fresh node (`coldEvent`). */
function coldCall(fn: string, args: unknown[]): Promise<{ loaded: string[]; answer: unknown }> {
  return coldEvent(fn, { multinode: 'call', function: fn, args, deadline: Date.now() + 60_000, attempt: 1 });
}

/**
 * Runs one event through the bundle's handler as the Lambda function of `definition`, in a fresh node: the bundle's
 * files it loaded, and the answer. Asynchronous: the local cloud (DynamoDB, Lambda) answers the child from this process.
 */
async function coldEvent(definition: string, event: unknown): Promise<{ loaded: string[]; answer: unknown }> {
  const bundle = t.cloud.bundle;
  const loads = path.join(work, `loads-${definition}.txt`);
  writeFileSync(loads, '');
  const lambda = { functionName: t.context.names.lambdaFunction(definition), awsRequestId: `cold-${definition}` };
  const script = [
    `const app = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    `const context = { ...${JSON.stringify(lambda)}, getRemainingTimeInMillis: () => 60_000 };`,
    `const answer = await app.handler(${JSON.stringify(event)}, context);`,
    "process.stdout.write('\\nANSWER ' + JSON.stringify(answer) + '\\n');",
    'process.exit(0);',
  ].join('\n');
  const nodeArgs = ['--import', pathToFileURL(path.join(work, 'register.mjs')).href, '--input-type=module', '-e', script];
  const env = { ...process.env, ...environmentFor(t.context.config), LOADS_FILE: loads };
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, nodeArgs, { encoding: 'utf8', env, timeout: 60_000 }, (error, out, err) => {
      if (error) reject(new Error(`the cold start of ${definition} failed: ${error.message}\n${out}\n${err}`));
      else resolve(out);
    });
  });
  const answer = JSON.parse(/^ANSWER (.*)$/m.exec(stdout)![1]!) as unknown;
  const dir = path.dirname(bundle);
  const loaded = readFileSync(loads, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url))
    .filter((file) => path.dirname(file) === dir)
    .map((file) => path.basename(file));
  return { loaded: [...new Set(loaded)], answer };
}

describe('a cold start of the app bundle', () => {
  it('puts the Lambda, S3 and Batch SDK packages in chunks of their own, outside app.mjs', () => {
    const holders = chunksOf(path.dirname(t.cloud.bundle));
    for (const name of LAZY_PACKAGES) {
      expect(holders.get(name), name).not.toEqual([]);
      expect(holders.get(name), name).not.toContain('app.mjs');
    }
  });

  it('runs a function that uses only a dict without loading the Lambda, S3 or Batch SDK', async () => {
    const { loaded, answer } = await coldCall('hit', ['cold']);
    expect(answer).toEqual({ multinode: 'result', value: 1 });
    expect(await dict<number>('counters').get('cold')).toBe(1);
    expect(loaded).toContain('app.mjs');
    const holders = chunksOf(path.dirname(t.cloud.bundle));
    for (const name of LAZY_PACKAGES)
      expect(
        loaded.filter((file) => holders.get(name)!.includes(file)),
        name,
      ).toEqual([]);
  });

  it('serves a request with a service that uses only a dict without loading the Lambda, S3 or Batch SDK', async () => {
    const request = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/' } },
    };
    const { loaded, answer } = await coldEvent('counter', request);
    expect(answer).toMatchObject({ statusCode: 200, body: '1' });
    const holders = chunksOf(path.dirname(t.cloud.bundle));
    for (const name of LAZY_PACKAGES)
      expect(
        loaded.filter((file) => holders.get(name)!.includes(file)),
        name,
      ).toEqual([]);
  });

  it('loads the Lambda SDK when a function calls another one, and not S3 or Batch', async () => {
    const { loaded, answer } = await coldCall('relay', ['warm']);
    expect(answer).toEqual({ multinode: 'result', value: 1 });
    const holders = chunksOf(path.dirname(t.cloud.bundle));
    expect(loaded.filter((file) => holders.get('@aws-sdk/client-lambda')!.includes(file))).not.toEqual([]);
    for (const name of ['@aws-sdk/client-s3', '@aws-sdk/client-batch'] as const) {
      expect(
        loaded.filter((file) => holders.get(name)!.includes(file)),
        name,
      ).toEqual([]);
    }
  });
});

describe('an app that import()s a CommonJS module', () => {
  /** An app whose function reads a named export of a CommonJS file it imports with `import()`. */
  function cjsApp(): string {
    const dir = mkdtempSync(path.join(work, 'cjs-app-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'cjs-app', private: true, type: 'module' }));
    writeFileSync(path.join(dir, 'dep.cjs'), 'exports.answer = 42;\n');
    writeFileSync(path.join(dir, 'app.ts'), "import * as mn from 'multinode';\nexport const ask = mn.fn(async () => (await import('./dep.cjs')).answer);\n");
    return path.join(dir, 'app.ts');
  }

  /** The answer of a call of `ask` through the bundle's handler, in a fresh node (no endpoint is reached). */
  function callAsk(bundle: string): unknown {
    const event = { multinode: 'call', function: 'ask', args: [], deadline: Date.now() + 60_000, attempt: 1 };
    const script = [
      `const app = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
      "const context = { functionName: 'cjs-ask', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 };",
      `console.log(JSON.stringify(await app.handler(${JSON.stringify(event)}, context)));`,
    ].join('\n');
    const env = { ...process.env, MULTINODE_APP: 'cjs-app', MULTINODE_PREFIX: 'cjs', MULTINODE_BUCKET: 'cjs-payloads', AWS_REGION: 'us-east-1' };
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env, timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as unknown;
  }

  it('is bundled in one file, where the import gets the named exports (split, esbuild would give only a default)', async () => {
    const entry = cjsApp();
    const out = path.join(path.dirname(entry), 'out');
    const bundle = await bundleApp(entry, { outDir: out });
    expect(bundleFiles(out)).toEqual(['app.mjs', 'app.mjs.map']);
    expect(callAsk(bundle.file)).toEqual({ multinode: 'result', value: 42 });
    // What the fallback avoids: the same app split into chunks loses the export.
    const split = path.join(path.dirname(entry), 'split');
    await esbuild.build({ ...appBuildOptions(checkEntry(entry), { outDir: split }, [], true) });
    expect(bundleFiles(split).length).toBeGreaterThan(2);
    expect(callAsk(path.join(split, 'app.mjs'))).toEqual({ multinode: 'result', value: { $t: 'undefined' } });
  });
});
