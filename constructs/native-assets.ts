/**
 * What each deployment target downloads when the app has external (native) modules, made at synth without Docker:
 *  - Lambda: a folder asset with the bundle (`app.mjs`, its chunks, their maps) and `node_modules` holding the modules
 *    installed for Linux on the functions' architecture (arm64 by default);
 *  - Batch: per processor architecture its containers run on (x86_64 on Fargate by default and on GPU instances), a
 *    gzipped tar of the same files, which the container's bootstrap unpacks before importing the bundle.
 * An app without externals keeps its plain bundle: the folder of `app.mjs` and its chunks for Lambda, and for Batch a
 * gzipped tar of the bundle's files (`bundleArchive`).
 *
 * Both are made next to the bundle (in its content-hashed folder) and named by the install's key, so an unchanged
 * app and lockfile give the same assets and deploy as a no-op.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { bundleFiles } from '../runtime/build/bundle.js';
import { type NativeInstall, installNativeModules, NativeModuleError, platformName, type TargetPlatform } from '../runtime/build/native-install.js';
import { folderEntries, type TarEntry, tarGzip } from '../runtime/build/tar.js';
import type { AppBuild } from './build.js';
import { SynthError } from './errors.js';

/**
 * Lambda's limit on a function's code, unzipped, layers included: 250 MB as AWS writes it (MiB), 262,144,000 bytes
 * (docs/aws-behaviour.md, "Lambda deployment package size").
 */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

/** The processor architectures multinode installs native modules for. */
export type CpuArchitecture = 'x86_64' | 'arm64';

function targetOf(architecture: CpuArchitecture): TargetPlatform {
  return { os: 'linux', cpu: architecture === 'arm64' ? 'arm64' : 'x64', libc: 'glibc' };
}

/** Installs per bundle folder and platform, within this process. */
const installs = new Map<string, NativeInstall>();

/** Installs the app's externals for `architecture`; a module without a build for it fails the synth, naming it and who needs it. */
function install(scope: Construct, build: AppBuild, architecture: CpuArchitecture, who: string, definitions: readonly string[]): NativeInstall {
  const platform = targetOf(architecture);
  const cacheKey = `${build.dir}\0${platformName(platform)}`;
  const cached = installs.get(cacheKey);
  if (cached) return cached;
  try {
    const made = installNativeModules({ appDir: build.appDir, externals: build.externals, platform });
    installs.set(cacheKey, made);
    return made;
  } catch (error) {
    if (!(error instanceof NativeModuleError)) throw error;
    const names = definitions.length > 0 ? ` (${definitions.join(', ')})` : '';
    throw new SynthError(`${who}${names} run on ${error.platform}, but ${error.message}`, scope, undefined, { cause: error });
  }
}

/** The archives made in the bundle's folder, kept out of the Lambda asset of that folder. */
const ARCHIVES = '*.tar.gz';

/** In MB as AWS writes them (MiB). */
function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Fails the synth when the functions' code would be over Lambda's unzipped limit, naming the modules and the functions. */
export function checkLambdaCodeSize(
  scope: Construct,
  totalBytes: number,
  modules: ReadonlyArray<{ readonly name: string; readonly version: string }>,
  platform: string,
  definitions: readonly string[],
): void {
  if (totalBytes <= LAMBDA_UNZIPPED_LIMIT_BYTES) return;
  const names = modules.map((m) => `${m.name}@${m.version}`).join(', ');
  throw new SynthError(
    `the Lambda functions (${definitions.join(', ')}) would hold ${megabytes(totalBytes)} unzipped (the bundle and node_modules with ${names} for ` +
      `${platform}), over Lambda's 250 MB; run the definitions that need these modules on AWS Batch ` +
      '(compute: "batch"), whose containers have no such limit.',
    scope,
  );
}

/**
 * The code of the app's Lambda functions: the bundle folder, or for an app with externals a folder holding the
 * bundle and its node_modules for Linux on `architecture`, no larger than Lambda's 250 MB unzipped.
 */
export function lambdaCode(scope: Construct, build: AppBuild, architecture: lambda.Architecture, definitions: readonly string[]): lambda.Code {
  if (build.externals.length === 0) return lambda.Code.fromAsset(build.dir, { exclude: [ARCHIVES] });
  const arch: CpuArchitecture = architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'x86_64';
  const made = install(scope, build, arch, 'the Lambda functions', definitions);
  const dir = path.join(build.dir, `lambda-${platformName(targetOf(arch))}-${made.key}`);
  if (!existsSync(path.join(dir, '.complete'))) {
    const staging = `${dir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const name of bundleFiles(build.dir)) copyFileSync(path.join(build.dir, name), path.join(staging, name));
    cpSync(path.join(made.dir, 'node_modules'), path.join(staging, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    writeFileSync(path.join(staging, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
  const total = made.sizeBytes + bundleFiles(build.dir).reduce((sum, name) => sum + statSync(path.join(build.dir, name)).size, 0);
  checkLambdaCodeSize(scope, total, made.modules, platformName(targetOf(arch)), definitions);
  // The folder's content follows from the bundle (its folder's name is its hash) and the install (its key).
  const assetHash = createHash('sha256').update(path.basename(build.dir)).update(path.basename(dir)).digest('hex');
  return lambda.Code.fromAsset(dir, { assetHash, assetHashType: AssetHashType.CUSTOM, exclude: ['.complete'] });
}

/** The bundle's files (`app.mjs`, its chunks, their source maps) as tar entries. */
function bundleEntries(build: AppBuild): TarEntry[] {
  return bundleFiles(build.dir).map((name) => ({ type: 'file' as const, path: name, data: readFileSync(path.join(build.dir, name)) }));
}

/** Writes `file` (through a temporary name, so a failed write leaves nothing) unless it exists. */
function writeArchive(file: string, entries: () => TarEntry[]): string {
  if (!existsSync(file)) {
    const staging = `${file}.tmp-${process.pid}`;
    writeFileSync(staging, tarGzip(entries()));
    renameSync(staging, file);
  }
  return file;
}

/**
 * A gzipped tar of the bundle's files: what Batch containers download for an app without externals. The bundle is
 * split in several files (runtime/build/bundle.ts), and the container's bootstrap unpacks the archive.
 */
export function bundleArchive(build: AppBuild): string {
  return writeArchive(path.join(build.dir, 'batch-bundle.tar.gz'), () => bundleEntries(build));
}

/**
 * The file Batch containers on `architecture` download: the bundle's archive, or for an app with externals a gzipped
 * tar of the bundle and its node_modules for Linux on that architecture.
 */
export function batchDownload(scope: Construct, build: AppBuild, architecture: CpuArchitecture, definitions: readonly string[]): string {
  if (build.externals.length === 0) return bundleArchive(build);
  const made = install(scope, build, architecture, 'the Batch jobs', definitions);
  const file = path.join(build.dir, `batch-${platformName(targetOf(architecture))}-${made.key}.tar.gz`);
  return writeArchive(file, () => [...bundleEntries(build), ...folderEntries(path.join(made.dir, 'node_modules'), 'node_modules')]);
}
