/**
 * Bundles an app with esbuild: the user's entry plus the multinode runtime, as ESM. The same bundle runs in Lambda,
 * on Batch and in the local cloud, and is what the manifest is read from.
 *
 * The bundle is split (esbuild's `splitting`): `app.mjs` holds what every cold start needs, and each dynamic
 * `import()` (the Lambda, S3 and Batch SDK packages, runtime/core/sdk-modules.ts; the app's own) becomes a chunk
 * file beside it, read only when first used. A function that only uses dicts never reads those chunks, nor parses
 * their source maps (which Node does for every module it loads with --enable-source-maps).
 *
 * One exception keeps the bundle in one file: code that `import()`s a CommonJS module, other than sdk-modules.ts
 * (which reads the module's `default`). Split, esbuild gives such an import only a `default` export (its named
 * exports would be undefined, https://github.com/evanw/esbuild/issues/3245); in one file it gets them, as in Node.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ManifestError } from '../../lib/errors.js';
import { appFolder } from './app-folder.js';
import { type NativeConfig, readNativeConfig } from './native-config.js';
import { findPackageDir, type NativeInput, nativeInputs, packageNameOf, readPackageJson } from './native-detect.js';
import { moduleFile } from './package-paths.js';

export const BUNDLE_FILE = 'app.mjs';

/** The name of a file of the bundle: `app.mjs`, its chunks (`chunk-<hash>.mjs`), and their source maps. */
export function isBundleFile(name: string): boolean {
  return /^(app|chunk-[A-Z0-9]+)\.mjs(\.map)?$/.test(name);
}

/** The files of the bundle in `dir` (names, sorted): what a deployment target must hold to import `app.mjs`. */
export function bundleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => isBundleFile(name) && statSync(path.join(dir, name)).isFile())
    .sort();
}

export interface BundleOptions {
  /** Directory to write `app.mjs`, its chunks and their source maps into (files of an earlier bundle there are removed). */
  outDir: string;
  /** Minify the bundle (smaller upload, less readable stacks without source maps). Default false. */
  minify?: boolean;
}

export interface AppBundle {
  readonly dir: string;
  /** Absolute path of the bundle file. */
  readonly file: string;
  readonly sizeBytes: number;
  /**
   * Packages kept out of the bundle (native modules, and those the app lists in package.json's
   * `"multinode": { "external": [...] }`): deployed, they are installed beside the bundle for each target platform;
   * here, `node_modules/<name>` in the bundle's folder links to this machine's copy.
   */
  readonly externals: readonly ExternalModule[];
}

/** A package installed beside the bundle rather than bundled. */
export interface ExternalModule {
  readonly name: string;
  /** The version installed on this machine. */
  readonly version: string;
  /** Its folder on this machine. */
  readonly dir: string;
  /** Why it is not bundled. */
  readonly reason: string;
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

/**
 * The esbuild options of an app bundle: one place for the async and sync builds and the input watcher. `external`:
 * packages kept out of the bundle (see runtime/build/native-detect.ts).
 */
export function appBuildOptions(absoluteEntry: string, options: BundleOptions, external: readonly string[] = [], split = true): esbuild.BuildOptions {
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
    outdir: options.outDir,
    entryNames: path.basename(BUNDLE_FILE, '.mjs'),
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: split,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // A package's ESM build before its CommonJS one (esbuild's default for node is the reverse), as CDK's
    // NodejsFunction does for ESM output. The AWS SDK's ESM build is split into modules esbuild can drop when unused
    // (only the commands the runtime sends are kept), where its CommonJS build is one file per package: the bundle
    // is about a quarter smaller and loads about a third faster (bench/bundle.bench.ts).
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    // Stack traces need the mappings, not the sources: a smaller map parses faster at cold start.
    sourcesContent: false,
    keepNames: true,
    minify: options.minify ?? false,
    logLevel: 'silent',
    alias: multinodeAliases(),
    ...(external.length > 0 ? { external: [...external] } : {}),
    // A bundled .node addon is a file beside the bundle rather than a build error, so the build that finds native
    // packages completes (they are then kept out, and the build runs again); an app that bundles one on purpose
    // (package.json "multinode.bundle") gets it this way.
    loader: { '.node': 'file' },
    // Bundled CommonJS dependencies call require() for Node built-ins; give each file of the ESM bundle a require.
    banner: { js: "import { createRequire as __mnCreateRequire } from 'node:module'; const require = __mnCreateRequire(import.meta.url);" },
  };
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

/**
 * One bundling of an app: builds (in memory), looks at the inputs for native packages, builds again without them
 * when there are some (at most a few rounds: keeping one out can only remove inputs), then writes the output and
 * links the externals. An app without native packages builds once, to the same bytes as without this check.
 */
class AppBuild {
  readonly absoluteEntry: string;
  readonly config: NativeConfig;
  readonly external: Set<string>;
  readonly found = new Map<string, NativeInput>();
  rounds = 0;
  /** Split into chunks (see the top of this file), until an import of a CommonJS module says otherwise. */
  split = true;

  constructor(
    readonly entry: string,
    readonly options: BundleOptions,
  ) {
    this.absoluteEntry = checkEntry(entry);
    this.config = readNativeConfig(entry);
    this.external = new Set(this.config.external);
  }

  buildOptions(): esbuild.BuildOptions & { write: false; metafile: true } {
    return { ...appBuildOptions(this.absoluteEntry, this.options, [...this.external].sort(), this.split), write: false, metafile: true };
  }

  /** True when the build must run again (it found native packages it did not keep out yet). */
  needsAnotherRound(result: esbuild.BuildResult<{ metafile: true }>): boolean {
    this.rounds++;
    const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(process.cwd(), input));
    const natives = nativeInputs(inputs).filter((n) => !this.config.bundle.includes(n.name) && !this.external.has(n.name));
    for (const native of natives) {
      const seen = this.found.get(native.name);
      if (seen && seen.version !== native.version) {
        throw new ManifestError(
          `The app ${this.entry} bundles two versions of the native module ${native.name} (${seen.version} in ${seen.dir}, ${native.version} in ` +
            `${native.dir}); one copy is installed beside the bundle, so give the app one version (npm dedupe, or overrides in package.json).`,
        );
      }
      this.found.set(native.name, native);
    }
    const fresh = natives.filter((n) => !this.external.has(n.name));
    for (const native of fresh) this.external.add(native.name);
    if (fresh.length > 0 && this.rounds < 4) return true;
    if (this.split && importsCommonJs(result.metafile)) {
      this.split = false;
      return true;
    }
    return false;
  }

  /** Writes the output files, links the externals, and describes the bundle. */
  finish(result: esbuild.BuildResult<{ write: false; metafile: true }>): AppBundle {
    // Chunks of an earlier build (a rebuild in the same folder) would pile up: their names change with their content.
    for (const name of existsSync(this.options.outDir) ? bundleFiles(this.options.outDir) : []) rmSync(path.join(this.options.outDir, name));
    for (const output of result.outputFiles) {
      mkdirSync(path.dirname(output.path), { recursive: true });
      writeFileSync(output.path, output.contents);
    }
    const externals = this.externals(result.metafile);
    linkHostModules(this.options.outDir, externals);
    const file = path.join(this.options.outDir, BUNDLE_FILE);
    return { dir: this.options.outDir, file, sizeBytes: statSync(file).size, externals };
  }

  /** Native packages the bundled code imports, and every package the app lists as external. */
  private externals(metafile: esbuild.Metafile): ExternalModule[] {
    const imported = new Set<string>();
    for (const output of Object.values(metafile.outputs)) {
      for (const item of output.imports) {
        const name = item.external ? packageNameOf(item.path) : undefined;
        if (name !== undefined && this.external.has(name)) imported.add(name);
      }
    }
    const modules: ExternalModule[] = [];
    for (const name of [...new Set([...this.config.external, ...imported])].sort()) {
      const native = this.found.get(name);
      if (native) {
        modules.push({ name, version: native.version, dir: native.dir, reason: native.reason });
        continue;
      }
      const dir = findPackageDir(name, appFolder(this.absoluteEntry));
      if (!dir) {
        throw new ManifestError(
          `${this.config.file} lists "${name}" in "multinode.external", but it is not installed (no node_modules/${name} in ` +
            `${appFolder(this.absoluteEntry)} or a folder above it): install it, or remove it from the list.`,
        );
      }
      modules.push({ name, version: readPackageJson(dir)?.version ?? '0.0.0', dir, reason: 'package.json lists it in "multinode.external"' });
    }
    return modules;
  }
}

/**
 * True when a module other than sdk-modules.ts `import()`s a CommonJS module: split, that import would lose the
 * module's named exports (see the top of this file).
 */
function importsCommonJs(metafile: esbuild.Metafile): boolean {
  const ours = moduleFile('runtime/core/sdk-modules');
  return Object.entries(metafile.inputs).some(
    ([file, input]) =>
      path.resolve(process.cwd(), file) !== ours &&
      input.imports.some((item) => item.kind === 'dynamic-import' && !item.external && metafile.inputs[item.path]?.format === 'cjs'),
  );
}

/**
 * `node_modules/<name>` beside the bundle links to this machine's copy of each external, so the bundle imports it
 * wherever it is written (a build folder, a temporary folder) and the package finds its own dependencies where it
 * is installed.
 */
function linkHostModules(outDir: string, externals: readonly ExternalModule[]): void {
  const folder = path.join(outDir, 'node_modules');
  rmSync(folder, { recursive: true, force: true });
  for (const external of externals) {
    const link = path.join(folder, external.name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(external.dir, link, process.platform === 'win32' ? 'junction' : 'dir');
  }
}

/** The `node_modules` folder of host links that a bundle's folder holds when the app has externals. */
export const HOST_MODULES_FOLDER = 'node_modules';

/** Bundles the app at `entry` into `options.outDir/app.mjs`. Build errors become a ManifestError with file:line. */
export async function bundleApp(entry: string, options: BundleOptions): Promise<AppBundle> {
  const build = new AppBuild(entry, options);
  await mkdir(options.outDir, { recursive: true });
  for (;;) {
    let result: esbuild.BuildResult<{ write: false; metafile: true }>;
    try {
      result = await esbuild.build(build.buildOptions());
    } catch (error) {
      buildFailure(entry, error);
    }
    if (!build.needsAnotherRound(result)) return build.finish(result);
  }
}

/** `bundleApp` for synchronous callers (CDK constructs build during their constructor). */
export function bundleAppSync(entry: string, options: BundleOptions): AppBundle {
  const build = new AppBuild(entry, options);
  mkdirSync(options.outDir, { recursive: true });
  for (;;) {
    let result: esbuild.BuildResult<{ write: false; metafile: true }>;
    try {
      result = esbuild.buildSync(build.buildOptions());
    } catch (error) {
      buildFailure(entry, error);
    }
    if (!build.needsAnotherRound(result)) return build.finish(result);
  }
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
