/**
 * The Lambda bundle of a minimal app (one function) vs a minimal hand-written handler that imports the same AWS SDK
 * clients, bundled by the same esbuild with the same options: file size, and cold import time (a fresh `node` per
 * import, alternating, median of many). Target: multinode <= 1.3x on both.
 *
 * "The same SDK clients" are read from the multinode bundle itself (esbuild marks each bundled module's path), so
 * the baseline follows whatever the runtime imports.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleApp } from '../runtime/build/bundle.js';

const RUNS = 15;
const TARGET = 1.3;
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** The `@aws-sdk/client-*` and `@aws-sdk/lib-*` packages bundled into a (non-minified) esbuild bundle. */
function sdkPackages(bundle: string): string[] {
  const found = new Set<string>();
  for (const match of readFileSync(bundle, 'utf8').matchAll(/^\/\/ node_modules\/(@aws-sdk\/(?:client|lib)-[a-z0-9-]+)\//gm)) found.add(match[1]!);
  return [...found].sort();
}

/** The client class each SDK package exports. */
const CLIENTS: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-lambda': 'LambdaClient',
  '@aws-sdk/client-s3': 'S3Client',
  '@aws-sdk/client-batch': 'BatchClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
};

/** A minimal handler that creates one client of each package (a document client on top of DynamoDB's). */
function baselineSource(packages: string[]): string {
  const imports = new Set<string>();
  const clients: string[] = [];
  for (const name of packages) {
    if (name === '@aws-sdk/lib-dynamodb') {
      imports.add("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
      imports.add("import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';");
      clients.push('DynamoDBDocumentClient.from(new DynamoDBClient({}))');
      continue;
    }
    const client = CLIENTS[name];
    if (!client) throw new Error(`the bench does not know the client class of ${name}`);
    imports.add(`import { ${client} } from '${name}';`);
    clients.push(`new ${client}({})`);
  }
  return [...imports, `const clients = [${clients.join(', ')}];`, 'export const handler = async (event) => ({ clients: clients.length, event });'].join('\n');
}

/** ms to import `file` in a fresh node process (module loading and top-level code), with extra node flags. */
function coldImport(file: string, flags: string[] = []): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'eu-west-1' },
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed:\n${run.stderr}`);
  return Number(run.stdout.trim().split('\n').at(-1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(6)} KiB`;

const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-bundle-bench-'));
try {
  mkdirSync(path.join(work, 'app'));
  writeFileSync(path.join(work, 'app', 'package.json'), JSON.stringify({ name: 'minimal', type: 'module' }));
  const entry = path.join(work, 'app', 'app.ts');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the template literal is the generated app's source.
  writeFileSync(entry, "import * as mn from 'multinode';\nexport const hello = mn.fn(async (name: string) => `hello ${name}`);\n");
  const ours = await bundleApp(entry, { outDir: path.join(work, 'multinode') });

  const packages = sdkPackages(ours.file);
  const baselineEntry = path.join(work, 'baseline.mjs');
  writeFileSync(baselineEntry, baselineSource(packages));
  const baselineFile = path.join(work, 'baseline-out', 'handler.mjs');
  await esbuild.build({
    entryPoints: [baselineEntry],
    outfile: baselineFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    keepNames: true,
    minify: false,
    logLevel: 'silent',
    nodePaths: [path.join(REPO, 'node_modules')],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });

  /** Median cold import of both files, alternating, with the given node flags. */
  const measure = (flags: string[]) => {
    const oursTimes: number[] = [];
    const baselineTimes: number[] = [];
    coldImport(ours.file, flags);
    coldImport(baselineFile, flags);
    for (let i = 0; i < RUNS; i++) {
      oursTimes.push(coldImport(ours.file, flags));
      baselineTimes.push(coldImport(baselineFile, flags));
    }
    return { ours: median(oursTimes), baseline: median(baselineTimes) };
  };
  const plain = measure([]);
  // What the app's Lambdas run with by default (NODE_OPTIONS=--enable-source-maps); the baseline has its map too.
  const mapped = measure(['--enable-source-maps']);

  const sizeRatio = ours.sizeBytes / statSync(baselineFile).size;
  console.log(`SDK packages in the multinode bundle: ${packages.join(', ') || '(none)'}`);
  console.log(`multinode bundle (app.mjs)        ${kb(ours.sizeBytes)}   source map ${kb(statSync(`${ours.file}.map`).size)}`);
  console.log(`hand-written handler, same SDK    ${kb(statSync(baselineFile).size)}   source map ${kb(statSync(`${baselineFile}.map`).size)}`);
  console.log(`cold import, median of ${RUNS}:                        multinode ${plain.ours.toFixed(0)} ms, hand-written ${plain.baseline.toFixed(0)} ms`);
  console.log(
    `cold import with --enable-source-maps, median of ${RUNS}: multinode ${mapped.ours.toFixed(0)} ms, hand-written ${mapped.baseline.toFixed(0)} ms`,
  );
  console.log(`size ratio: ${sizeRatio.toFixed(2)}x (target <= ${TARGET}x) ${sizeRatio <= TARGET ? 'OK' : 'ABOVE TARGET'}`);
  for (const [label, times] of [
    ['cold import ratio', plain],
    ['cold import ratio with source maps', mapped],
  ] as const) {
    const ratio = times.ours / times.baseline;
    console.log(`${label}: ${ratio.toFixed(2)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'OK' : 'ABOVE TARGET'}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
