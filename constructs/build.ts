/**
 * Builds an app once for the CDK: one esbuild bundle (app.mjs, its chunks, their source maps) read for the manifest
 * and shipped as the code of every Lambda and of the Batch containers. No Docker: the bundle comes from our own esbuild.
 *
 * Bundles land in `<bundle root>/<content hash>/`; MultinodeApp's root is the CDK output folder (`cdk.out`, which
 * projects already ignore), so nothing is written into the app's own folders (`.multinode/` is `multinode dev`'s).
 * The folder name is the hash of the bundle, so concurrent synths of one app never write into a folder another one
 * reads, and the same source gives the same folder (and the same CDK asset hash, so an unchanged app deploys as a
 * no-op). Old bundles are pruned.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appFolder } from '../runtime/build/app-folder.js';
import { BUNDLE_FILE, type ExternalModule, HOST_MODULES_FOLDER } from '../runtime/build/bundle.js';
import { loadManifestSync } from '../runtime/build/load-manifest.js';
import { ManifestError } from '../lib/errors.js';
import type { Manifest } from '../lib/manifest.js';
import { SynthError } from './errors.js';

export interface AppBuild {
  /** The app's manifest, read from the bundle. */
  readonly manifest: Manifest;
  /** Folder holding `app.mjs`, its chunks and their source maps: the code asset of every Lambda. */
  readonly dir: string;
  /** The bundle file itself (the Batch containers fetch it). */
  readonly file: string;
  /** What the app printed while loading. */
  readonly logs: string;
  /**
   * Packages kept out of the bundle (native modules): each target gets them installed for its platform beside the
   * bundle (constructs/native-assets.ts).
   */
  readonly externals: readonly ExternalModule[];
  /** The app's folder (its package.json's): where its lockfile and image folders are found. */
  readonly appDir: string;
}

export interface BuildOptions {
  /**
   * The app's name.
   *
   * @default - the `name` of the nearest package.json above the entry, else the entry's folder
   */
  readonly appName?: string;
  /**
   * Parent folder of the bundle folders.
   *
   * @default - a `multinode-cdk` folder in the system's temporary folder
   */
  readonly bundleRoot?: string;
}

/** Bundles kept besides the ones written in the last 10 minutes (those may belong to a synth still running). */
const KEEP_BUNDLES = 3;
const FRESH_MS = 10 * 60 * 1000;

/** One build per entry and options in a process: several constructs (and tests) may ask for the same app. */
const builds = new Map<string, AppBuild>();

export function buildApp(entry: string, options: BuildOptions = {}): AppBuild {
  const absolute = path.resolve(entry);
  const root = path.resolve(options.bundleRoot ?? path.join(os.tmpdir(), 'multinode-cdk'));
  const key = JSON.stringify([absolute, root, options.appName ?? null]);
  const cached = builds.get(key);
  if (cached) return cached;
  const build = buildFresh(absolute, entry, root, options.appName);
  builds.set(key, build);
  return build;
}

/** Forgets the builds of this process (for long-lived tools that rebuild after changes). */
export function clearBuildCache(): void {
  builds.clear();
}

function buildFresh(absolute: string, entry: string, root: string, appName: string | undefined): AppBuild {
  // The folders made here, outermost first, so a failed build leaves nothing behind.
  const made = mkdirSync(root, { recursive: true });
  const staging = mkdtempSync(path.join(root, 'tmp-'));
  let loaded: ReturnType<typeof loadManifestSync>;
  try {
    loaded = loadManifestSync(absolute, { outDir: staging, ...(appName ? { appName } : {}) });
  } catch (error) {
    rmSync(made ?? staging, { recursive: true, force: true });
    if (error instanceof ManifestError) throw new SynthError(`Cannot deploy the app ${entry}: ${error.message}`);
    throw error;
  }
  // The links to this machine's copies of the externals served the manifest's load; targets get their own installs.
  rmSync(path.join(staging, HOST_MODULES_FOLDER), { recursive: true, force: true });
  const dir = path.join(root, contentHash(staging));
  if (existsSync(dir)) {
    rmSync(staging, { recursive: true, force: true });
    const now = new Date();
    utimesSync(dir, now, now);
  } else {
    try {
      renameSync(staging, dir);
    } catch {
      // Another process just produced the same bundle: its folder holds identical content.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  prune(root, dir);
  return {
    manifest: loaded.manifest,
    dir,
    file: path.join(dir, BUNDLE_FILE),
    logs: loaded.logs,
    externals: loaded.bundle?.externals ?? [],
    appDir: appFolder(absolute),
  };
}

function contentHash(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort())
    if (statSync(path.join(dir, name)).isFile())
      hash
        .update(name)
        .update('\0')
        .update(readFileSync(path.join(dir, name)));
  return hash.digest('hex').slice(0, 16);
}

function prune(root: string, current: string): void {
  const now = Date.now();
  const folders = readdirSync(root)
    .map((name) => path.join(root, name))
    .filter((folder) => folder !== current)
    .map((folder) => ({ folder, mtime: safeMtime(folder) }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const [index, { folder, mtime }] of folders.entries()) {
    if (index >= KEEP_BUNDLES && now - mtime > FRESH_MS) rmSync(folder, { recursive: true, force: true });
  }
}

function safeMtime(folder: string): number {
  try {
    return statSync(folder).mtimeMs;
  } catch {
    return 0;
  }
}

/** Where MultinodeApp keeps bundles: inside the CDK output folder of the app that `outdir` belongs to. */
export function bundleRootIn(outdir: string): string {
  return path.join(outdir, 'multinode-bundles');
}
