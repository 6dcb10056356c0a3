/**
 * Bundles an app with esbuild: the user's entry plus the multinode runtime, in one ESM file. The same bundle runs
 * in Lambda, on Batch and in the local cloud, and is what the manifest is read from.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ManifestError } from '../../lib/errors.js';
import { moduleFile } from './package-paths.js';

export const BUNDLE_FILE = 'app.mjs';

export interface BundleOptions {
  /** Directory to write `app.mjs` (and its source map) into. */
  outDir: string;
  /** Minify the bundle (smaller upload, less readable stacks without source maps). Default false. */
  minify?: boolean;
}

export interface AppBundle {
  readonly dir: string;
  /** Absolute path of the bundle file. */
  readonly file: string;
  readonly sizeBytes: number;
}

/** What an app entry is, for the messages that refuse one. */
export const ENTRY_RULE =
  "an entry is the app's module (.ts, .mts, .tsx, .js, .mjs or .jsx) that exports its definitions (fn, job, schedule, service, dict, lock), " +
  'e.g. src/app.ts';

/** The file endings of an app entry. */
export const MODULE_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx']);

/** Throws a ManifestError naming the entry when it does not exist, is not a file or is not a module. */
export function checkEntry(entry: string): string {
  const absolute = path.resolve(entry);
  if (!existsSync(absolute)) throw new ManifestError(`The app entry ${entry} does not exist (looked for ${absolute}).`);
  if (!statSync(absolute).isFile()) throw new ManifestError(`The app entry ${entry} is not a file.`);
  if (!MODULE_EXTENSIONS.has(path.extname(absolute).toLowerCase())) {
    throw new ManifestError(`The app entry ${entry} is not a JavaScript or TypeScript module: ${ENTRY_RULE}.`);
  }
  return absolute;
}

/**
 * `multinode` imports in app code resolve to this copy of the package (see package-paths.ts). Other subpaths
 * (`multinode/constructs`) are not for app code; their build error is rewritten to say so.
 */
function multinodeAliases(): Record<string, string> {
  return { multinode: moduleFile('lib/index'), 'multinode/runtime': moduleFile('runtime/index') };
}

function explainMessage(message: esbuild.Message): esbuild.Message {
  const match = /originally "(multinode\/[^"]+)"/.exec(message.text);
  if (!match) return message;
  return {
    ...message,
    notes: [],
    text: `"${match[1]}" cannot be imported by app code: apps import "multinode" (and "multinode/runtime"); "multinode/constructs" belongs in CDK code.`,
  };
}

/** The esbuild options of an app bundle: one place for the async and sync builds and the input watcher. */
export function appBuildOptions(absoluteEntry: string, options: BundleOptions): esbuild.BuildOptions {
  const resolveDir = path.dirname(absoluteEntry);
  // Relative specifiers keep machine paths out of the bundle and its source map (same project, same bundle).
  const relative = (file: string) => `./${path.relative(resolveDir, file).split(path.sep).join('/')}`.replace(/^\.\/\.\.\//, '../');
  const contents = [
    // First: definitions created while the user's module loads record their problems, reported together.
    `import ${JSON.stringify(relative(moduleFile('runtime/entry/collect-definition-problems')))};`,
    `import * as userModule from ${JSON.stringify(relative(absoluteEntry))};`,
    `import { startApp } from ${JSON.stringify(relative(moduleFile('runtime/entry/app-entry')))};`,
    'const entryPoints = startApp(userModule);',
    'export const manifest = entryPoints.manifest;',
    'export const handler = entryPoints.handler;',
    'export const batch = entryPoints.batch;',
  ].join('\n');
  return {
    stdin: { contents, resolveDir, sourcefile: 'multinode-app-entry.js', loader: 'js' },
    outfile: path.join(options.outDir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Stack traces need the mappings, not the sources: a smaller map parses faster at cold start.
    sourcesContent: false,
    keepNames: true,
    minify: options.minify ?? false,
    logLevel: 'silent',
    alias: multinodeAliases(),
    // Bundled CommonJS dependencies call require() for Node built-ins; give the ESM bundle a require.
    banner: { js: "import { createRequire as __mnCreateRequire } from 'node:module'; const require = __mnCreateRequire(import.meta.url);" },
  };
}

function result(options: BundleOptions): AppBundle {
  const file = path.join(options.outDir, BUNDLE_FILE);
  return { dir: options.outDir, file, sizeBytes: statSync(file).size };
}

function buildFailure(entry: string, error: unknown): never {
  const failure = error as Partial<esbuild.BuildFailure>;
  if (!Array.isArray(failure.errors)) throw error;
  const messages = dedupe(failure.errors.map(explainMessage)).map(formatMessage);
  throw new ManifestError(`The app ${entry} does not build:\n${messages.join('\n')}`);
}

/** `src/app.ts:3:12: error: Unexpected ";"` then the source line and a caret, like a compiler. */
function formatMessage(message: esbuild.Message): string {
  const where = message.location;
  if (!where) return `error: ${message.text}`;
  const absolute = path.resolve(where.file);
  const relative = path.relative(process.cwd(), absolute);
  const file = relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
  const caret = `${' '.repeat(where.column)}^`;
  return `${file}:${where.line}:${where.column + 1}: error: ${message.text}\n    ${where.lineText}\n    ${caret}`;
}

/** Bundles the app at `entry` into `options.outDir/app.mjs`. Build errors become a ManifestError with file:line. */
export async function bundleApp(entry: string, options: BundleOptions): Promise<AppBundle> {
  const absoluteEntry = checkEntry(entry);
  await mkdir(options.outDir, { recursive: true });
  try {
    await esbuild.build(appBuildOptions(absoluteEntry, options));
  } catch (error) {
    buildFailure(entry, error);
  }
  return result(options);
}

/** `bundleApp` for synchronous callers (CDK constructs build during their constructor). */
export function bundleAppSync(entry: string, options: BundleOptions): AppBundle {
  const absoluteEntry = checkEntry(entry);
  mkdirSync(options.outDir, { recursive: true });
  try {
    esbuild.buildSync(appBuildOptions(absoluteEntry, options));
  } catch (error) {
    buildFailure(entry, error);
  }
  return result(options);
}

/** One message per distinct text and location (the alias rewrite can make several identical). */
function dedupe(messages: esbuild.Message[]): esbuild.Message[] {
  const seen = new Set<string>();
  // An unknown multinode/ subpath also makes esbuild try to read our index file as a directory: noise.
  return messages.filter((m) => {
    if (/^Cannot read directory .*index\.[jt]s": not a directory$/.test(m.text)) return false;
    const key = `${m.text}@${m.location?.file}:${m.location?.line}:${m.location?.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
