/**
 * Bundles an app with esbuild: the user's entry plus the multinode runtime, in one ESM file. The same bundle runs
 * in Lambda, on Batch and in the local cloud, and is what the manifest is read from.
 */
import { existsSync, statSync } from 'node:fs';
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

/** Throws a ManifestError naming the entry when it does not exist or is not a file. */
export function checkEntry(entry: string): string {
  const absolute = path.resolve(entry);
  if (!existsSync(absolute)) throw new ManifestError(`The app entry ${entry} does not exist (looked for ${absolute}).`);
  if (!statSync(absolute).isFile()) throw new ManifestError(`The app entry ${entry} is not a file.`);
  return absolute;
}

/** Resolves `multinode` imports in app code to this copy of the package (see package-paths.ts). */
const multinodePlugin: esbuild.Plugin = {
  name: 'multinode-self',
  setup(build) {
    build.onResolve({ filter: /^multinode(\/.*)?$/ }, (args) => {
      if (args.path === 'multinode') return { path: moduleFile('lib/index') };
      if (args.path === 'multinode/runtime') return { path: moduleFile('runtime/index') };
      return {
        errors: [{ text: `"${args.path}" cannot be imported by app code: apps import "multinode" (and "multinode/runtime"); "multinode/constructs" belongs in CDK code.` }],
      };
    });
  },
};

export async function bundleApp(entry: string, options: BundleOptions): Promise<AppBundle> {
  const absoluteEntry = checkEntry(entry);
  await mkdir(options.outDir, { recursive: true });
  const outfile = path.join(options.outDir, BUNDLE_FILE);
  const contents = [
    `import * as userModule from ${JSON.stringify(absoluteEntry)};`,
    `import { startApp } from ${JSON.stringify(moduleFile('runtime/app-entry'))};`,
    'const entryPoints = startApp(userModule);',
    'export const manifest = entryPoints.manifest;',
  ].join('\n');
  try {
    await esbuild.build({
      stdin: { contents, resolveDir: path.dirname(absoluteEntry), sourcefile: 'multinode-app-entry.js', loader: 'js' },
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      keepNames: true,
      minify: options.minify ?? false,
      logLevel: 'silent',
      plugins: [multinodePlugin],
      // Bundled CommonJS dependencies call require() for Node built-ins; give the ESM bundle a require.
      banner: { js: "import { createRequire as __mnCreateRequire } from 'node:module'; const require = __mnCreateRequire(import.meta.url);" },
    });
  } catch (error) {
    const failure = error as Partial<esbuild.BuildFailure>;
    if (!Array.isArray(failure.errors)) throw error;
    const formatted = await esbuild.formatMessages(failure.errors, { kind: 'error', color: false, terminalWidth: 100 });
    throw new ManifestError(`The app ${entry} does not build:\n${relativize(formatted.join('').trimEnd())}`);
  }
  return { dir: options.outDir, file: outfile, sizeBytes: statSync(outfile).size };
}

/** esbuild prints paths relative to its working directory; keep them, but strip the synthetic entry's noise. */
function relativize(text: string): string {
  return text.replace(/multinode-app-entry\.js:\d+:\d+: /g, '');
}
