/**
 * Cold start of the Lambda bundle of a minimal app (one function that uses a dict), each import in a fresh `node`
 * (alternating, median of many), with and without --enable-source-maps (what the app's Lambdas run with):
 *
 * - today's whole bundle: the same app in one file that evaluates every SDK client it holds (DynamoDB, Lambda, S3,
 *   Batch) when it loads, with the SDK's CommonJS build, as the bundle was before it was split and before it took
 *   packages' ESM builds first; the baseline, built in this run;
 * - the dict-only cold start: `app.mjs` of the split bundle, which loads DynamoDB only. Target: <= 0.7x today's;
 * - a handler that uses everything: `app.mjs`, then the chunks of the Lambda, S3 and Batch clients (what a handler
 *   that invokes functions, moves payloads through S3 and submits Batch jobs loads at first use; the chunks they
 *   share come with them). Target: no slower than today;
 * - a hand-written handler that imports the SDK packages `app.mjs` loads, bundled by the same esbuild with the same
 *   options: multinode's own cost. Target: multinode <= 1.3x on size and cold import.
 *
 * "The SDK packages app.mjs loads" are read from the bundle itself (esbuild marks each bundled module's path), so the
 * hand-written baseline follows whatever the runtime imports at init.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { appBuildOptions, bundleApp, bundleFiles, checkEntry } from '../runtime/build/bundle.js';
import { median } from './support/stats.js';

const RUNS = 15;
const HANDWRITTEN_TARGET = 1.3;
const DICTS_TARGET = 0.7;
const EVERYTHING_TARGET = 1.0;
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** The SDK clients the runtime held before the bundle was split, all evaluated when it loaded. */
/** The clients a handler that uses everything loads at first use. */
const LAZY_CLIENTS = ['@aws-sdk/client-lambda', '@aws-sdk/client-s3', '@aws-sdk/client-batch'];
const TODAY_CLIENTS = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-lambda', '@aws-sdk/client-s3', '@aws-sdk/client-batch'];

/** The files a bundle file imports statically (`import ... from "./x.mjs"`), itself first, transitively. */
function staticFiles(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const files = [file];
  for (const match of text.matchAll(/^(?:import\s+(?:[^'"();]*?\s+from\s+)?|\}\s*from\s+)"(\.\/[^"]+\.mjs)";$/gm)) {
    files.push(...staticFiles(path.join(path.dirname(file), match[1]!), seen));
  }
  return files;
}

/** The `@aws-sdk/client-*` and `@aws-sdk/lib-*` packages in (non-minified) bundle files. */
function sdkPackages(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^\/\/ node_modules\/(@aws-sdk\/(?:client|lib)-[a-z0-9-]+)\//gm)) found.add(match[1]!);
  }
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
function handwrittenSource(packages: string[]): string {
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

/** ms to import `files` in order in a fresh node process (module loading and top-level code), with node flags. */
function coldImport(files: readonly string[], flags: string[]): number {
  const imports = files.map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)});`).join(' ');
  const script = `const t = performance.now(); ${imports} console.log(performance.now() - t);`;
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'eu-west-1' },
  });
  if (run.status !== 0) throw new Error(`importing ${files.join(', ')} failed:\n${run.stderr}`);
  return Number(run.stdout.trim().split('\n').at(-1));
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(6)} KiB`;
const sizeOf = (files: readonly string[]) => files.reduce((sum, file) => sum + statSync(file).size, 0);
const verdict = (ratio: number, target: number) => `${ratio.toFixed(2)}x (target <= ${target.toFixed(1)}x) ${ratio <= target ? 'OK' : 'ABOVE TARGET'}`;

const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-bundle-bench-'));
try {
  mkdirSync(path.join(work, 'app'));
  writeFileSync(path.join(work, 'app', 'package.json'), JSON.stringify({ name: 'minimal', type: 'module' }));
  const entry = path.join(work, 'app', 'app.ts');
  writeFileSync(
    entry,
    [
      "import * as mn from 'multinode';",
      "const counters = mn.dict<number>('counters');",
      'export const hit = mn.fn(async (key: string) => counters.increment(key));',
      '',
    ].join('\n'),
  );
  const ours = await bundleApp(entry, { outDir: path.join(work, 'multinode') });
  const dir = path.dirname(ours.file);
  const atInit = staticFiles(ours.file);
  const chunks = bundleFiles(dir)
    .filter((name) => name.endsWith('.mjs') && name !== path.basename(ours.file))
    .map((name) => path.join(dir, name));
  const clientChunks = chunks.filter((file) => LAZY_CLIENTS.some((name) => sdkPackages([file]).includes(name)));
  if (clientChunks.length === 0) throw new Error('no chunk holds the Lambda, S3 or Batch client: the bundle is not split');

  // Today's whole bundle: the same app in one file, with every client it held evaluated at load.
  const todayDir = path.join(work, 'today');
  // As it was built then: esbuild's own package resolution for node, which takes the SDK's CommonJS build.
  const options = { ...appBuildOptions(checkEntry(entry), { outDir: todayDir }, [], false), mainFields: ['main', 'module'] };
  // The SDK packages are marked free of side effects: a bare `import "x"` would be dropped, so each is used.
  const imports = TODAY_CLIENTS.map((name, i) => `import * as sdk${i} from ${JSON.stringify(name)};`);
  const contents = `${options.stdin!.contents}\n${imports.join('\n')}\nglobalThis.__todayClients = [${TODAY_CLIENTS.map((_, i) => `sdk${i}`).join(', ')}];`;
  await esbuild.build({ ...options, stdin: { ...options.stdin!, contents }, nodePaths: [path.join(REPO, 'node_modules')] });
  const today = path.join(todayDir, 'app.mjs');

  const packages = sdkPackages(atInit);
  const handwrittenEntry = path.join(work, 'handwritten.mjs');
  writeFileSync(handwrittenEntry, handwrittenSource(packages));
  const handwritten = path.join(work, 'handwritten-out', 'handler.mjs');
  await esbuild.build({
    entryPoints: [handwrittenEntry],
    outfile: handwritten,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: appBuildOptions(checkEntry(entry), { outDir: work }).mainFields,
    sourcemap: 'linked',
    keepNames: true,
    minify: false,
    logLevel: 'silent',
    nodePaths: [path.join(REPO, 'node_modules')],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });

  const variants = {
    today: [today],
    dicts: [ours.file],
    everything: [ours.file, ...clientChunks],
    handwritten: [handwritten],
  } as const;
  type Variant = keyof typeof variants;
  /** Median cold import of every variant, alternating, with the given node flags. */
  const measure = (flags: string[]): Record<Variant, number> => {
    const times = Object.fromEntries(Object.keys(variants).map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    for (const files of Object.values(variants)) coldImport(files, flags);
    for (let i = 0; i < RUNS; i++) for (const [variant, files] of Object.entries(variants)) times[variant as Variant].push(coldImport(files, flags));
    return Object.fromEntries(Object.entries(times).map(([v, t]) => [v, median(t)])) as Record<Variant, number>;
  };
  const plain = measure([]);
  const mapped = measure(['--enable-source-maps']);

  console.log(`SDK packages app.mjs loads at init: ${packages.join(', ') || '(none)'}`);
  console.log(`SDK packages in chunks loaded at first use: ${sdkPackages(chunks).join(', ') || '(none)'}`);
  console.log(`today's whole bundle (one file)          ${kb(statSync(today).size)}`);
  console.log(`multinode app.mjs and its static chunks  ${kb(sizeOf(atInit))}   (${atInit.length} files)`);
  console.log(`multinode, every file of the bundle      ${kb(sizeOf([ours.file, ...chunks]))}   (${chunks.length + 1} files)`);
  console.log(`hand-written handler, same SDK at init   ${kb(statSync(handwritten).size)}`);
  for (const [label, times] of [
    ['cold import', plain],
    ['cold import with --enable-source-maps', mapped],
  ] as const) {
    console.log(`\n${label}, median of ${RUNS}:`);
    console.log(
      `  today's whole bundle ${times.today.toFixed(0)} ms, dict-only ${times.dicts.toFixed(0)} ms, everything ${times.everything.toFixed(0)} ms, ` +
        `hand-written ${times.handwritten.toFixed(0)} ms`,
    );
    console.log(`  dict-only / today's whole bundle: ${verdict(times.dicts / times.today, DICTS_TARGET)}`);
    console.log(`  everything / today's whole bundle: ${verdict(times.everything / times.today, EVERYTHING_TARGET)}`);
    console.log(`  multinode / hand-written: ${verdict(times.dicts / times.handwritten, HANDWRITTEN_TARGET)}`);
  }
  const sizeRatio = sizeOf(atInit) / statSync(handwritten).size;
  console.log(`\nsize at init, multinode / hand-written: ${verdict(sizeRatio, HANDWRITTEN_TARGET)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
