/**
 * Installs an app's external (native) modules for a target platform, without Docker: `npm install` with npm's
 * platform selection (`--os`, `--cpu`, `--libc`), so platform packages such as `@img/sharp-linux-arm64` are chosen
 * for the target rather than for this machine. Versions are the app's lockfile's: each module at its locked
 * version, and every package under it pinned to its locked version (npm `overrides`). The result is checked: every
 * compiled addon (`.node`) must be built for the target's processor, and a module with platform packages for Linux
 * must have one for the target. Installs are cached by their inputs (the generated package.json and the platform)
 * under `node_modules/.cache/multinode/native/` of the app's project, so only the first synth of a set of versions
 * uses the network.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { ExternalModule } from './bundle.js';
import { isPlatformSpecific, type PackageJson, readPackageJson } from './native-detect.js';

/** A platform to install for: Linux on a processor, with a C library (Lambda and the Node.js images use glibc). */
export interface TargetPlatform {
  readonly os: 'linux';
  readonly cpu: 'x64' | 'arm64';
  readonly libc: 'glibc' | 'musl';
}

/** `linux-arm64`, or `linux-x64-musl` for musl. */
export function platformName(platform: TargetPlatform): string {
  return `${platform.os}-${platform.cpu}${platform.libc === 'glibc' ? '' : `-${platform.libc}`}`;
}

/** A module that cannot be installed for the target: the message names the module and the platform. */
export class NativeModuleError extends Error {
  override readonly name = 'NativeModuleError';
  constructor(
    message: string,
    readonly module: string | undefined,
    readonly platform: string,
  ) {
    super(message);
  }
}

export interface NativeInstallOptions {
  /** The app's folder (its package.json's): the lockfile is looked for here and above. */
  readonly appDir: string;
  readonly externals: readonly ExternalModule[];
  readonly platform: TargetPlatform;
  /**
   * Where installs are kept.
   *
   * @default - $MULTINODE_NATIVE_CACHE, else `node_modules/.cache/multinode/native` of the app's project
   */
  readonly cacheDir?: string;
}

export interface NativeInstall {
  /** The folder holding `node_modules` with the modules for the platform. */
  readonly dir: string;
  /** Identifies the install's inputs (versions, pins, platform). */
  readonly key: string;
  /** The modules installed at top level, with their versions. */
  readonly modules: ReadonlyArray<{ readonly name: string; readonly version: string; readonly source: 'lockfile' | 'installed' }>;
  /** Bytes of every file of `node_modules`. */
  readonly sizeBytes: number;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Lockfile {
  readonly dir: string;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];

/** The nearest npm lockfile (v2 or v3, with `packages`) in `dir` or above. */
export function findLockfile(dir: string): Lockfile | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    for (const name of LOCKFILES) {
      const file = path.join(at, name);
      if (!existsSync(file)) continue;
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { packages?: Record<string, LockEntry> };
        if (parsed.packages) return { dir: at, packages: parsed.packages };
      } catch {
        // An unreadable lockfile: versions then come from node_modules.
      }
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/** The lockfile key of the package `name` as Node resolves it from the package at key `from` (`node_modules/a/node_modules/b`). */
function resolveKey(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (base === '') return undefined;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

/** Every package under the lockfile entries `roots` (their dependencies, optional and peer ones too), by key. */
function closure(lock: Lockfile, roots: readonly string[]): Map<string, LockEntry> {
  const seen = new Map<string, LockEntry>();
  const queue = [...roots];
  while (queue.length > 0) {
    const key = queue.shift()!;
    if (seen.has(key)) continue;
    const entry = lock.packages[key];
    if (!entry) continue;
    seen.set(key, entry);
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
      const found = resolveKey(lock, key, name);
      if (found) queue.push(found);
    }
  }
  return seen;
}

function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function matches(values: readonly string[] | undefined, value: string): boolean {
  if (!values || values.length === 0) return true;
  const allowed = values.filter((v) => !v.startsWith('!'));
  return !values.includes(`!${value}`) && (allowed.length === 0 || allowed.includes(value));
}

function fitsPlatform(entry: { os?: string[]; cpu?: string[]; libc?: string[] }, platform: TargetPlatform): boolean {
  return matches(entry.os, platform.os) && matches(entry.cpu, platform.cpu) && matches(entry.libc, platform.libc);
}

function describePlatforms(entry: { os?: string[]; cpu?: string[]; libc?: string[] }): string {
  return [entry.os?.join('/'), entry.cpu?.join('/'), entry.libc?.join('/')].filter(Boolean).join(' ');
}

/** What goes into the generated package.json: each module at its locked version, and the pins under them. */
function plan(options: NativeInstallOptions, lock: Lockfile | undefined) {
  const dependencies: Record<string, string> = {};
  const modules: Array<{ name: string; version: string; source: 'lockfile' | 'installed' }> = [];
  const roots: string[] = [];
  for (const external of options.externals) {
    const key = lock ? path.relative(lock.dir, external.dir).split(path.sep).join('/') : undefined;
    const entry = key !== undefined ? lock?.packages[key] : undefined;
    if (key !== undefined && entry) roots.push(key);
    const local = entry?.link || entry?.resolved?.startsWith('file:');
    if (local) {
      // A package from a folder of the project (a workspace, a file: dependency): installed as a copy of it.
      const target = entry!.link ? lock!.packages[entry!.resolved ?? ''] : undefined;
      const folder = entry!.link ? path.resolve(lock!.dir, entry!.resolved!) : path.resolve(lock!.dir, entry!.resolved!.slice('file:'.length));
      dependencies[external.name] = `file:${folder}`;
      modules.push({ name: external.name, version: target?.version ?? entry!.version ?? external.version, source: 'lockfile' });
      if (entry!.link && entry!.resolved) roots.push(entry!.resolved);
      continue;
    }
    const version = entry?.version ?? external.version;
    dependencies[external.name] = version;
    modules.push({ name: external.name, version, source: entry?.version ? 'lockfile' : 'installed' });
  }
  const overrides: Record<string, string> = {};
  if (lock) {
    const versions = new Map<string, Set<string>>();
    for (const [key, entry] of closure(lock, roots)) {
      if (!entry.version || entry.link || entry.resolved?.startsWith('file:')) continue;
      const name = nameOfKey(key);
      versions.set(name, (versions.get(name) ?? new Set()).add(entry.version));
    }
    // A package locked at one version everywhere under the modules is pinned; one locked at several is left to npm.
    for (const [name, found] of [...versions].sort(([a], [b]) => a.localeCompare(b))) {
      if (found.size === 1 && !(name in dependencies)) overrides[name] = [...found][0]!;
    }
  }
  return { dependencies, overrides, modules, roots };
}

/** The project's npm settings (a private registry, say) apply to the install too. */
function copyNpmrc(options: NativeInstallOptions, lock: Lockfile | undefined, into: string): void {
  for (const dir of [options.appDir, lock?.dir]) {
    const file = dir ? path.join(dir, '.npmrc') : undefined;
    if (file && existsSync(file)) {
      copyFileSync(file, path.join(into, '.npmrc'));
      return;
    }
  }
}

function defaultCacheDir(options: NativeInstallOptions, lock: Lockfile | undefined): string {
  if (process.env.MULTINODE_NATIVE_CACHE) return path.resolve(process.env.MULTINODE_NATIVE_CACHE);
  return path.join(lock?.dir ?? options.appDir, 'node_modules', '.cache', 'multinode', 'native');
}

/** A module that is itself built for other platforms (`@img/sharp-linux-x64` imported directly) cannot be installed. */
function checkDirectModules(options: NativeInstallOptions): void {
  const name = platformName(options.platform);
  for (const external of options.externals) {
    const json = readPackageJson(external.dir);
    if (json && isPlatformSpecific(json) && !fitsPlatform(json, options.platform)) {
      throw new NativeModuleError(
        `${external.name} is built for ${describePlatforms(json)} only, so it has no build for ${name}; import the package that chooses ` +
          `the build for the platform (for @img/sharp-<platform>, import sharp).`,
        external.name,
        name,
      );
    }
  }
}

/** Installs (or finds in the cache) the externals for the platform. */
export function installNativeModules(options: NativeInstallOptions): NativeInstall {
  const lock = findLockfile(options.appDir);
  checkDirectModules(options);
  const { dependencies, overrides, modules, roots } = plan(options, lock);
  const appJson = readPackageJson(options.appDir) as (PackageJson & { allowScripts?: unknown }) | undefined;
  const manifest = {
    name: 'multinode-native-modules',
    private: true,
    description: 'The native modules of a multinode app, installed for one platform (generated; do not edit).',
    dependencies,
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    // The app's approvals of install scripts apply here too.
    ...(appJson?.allowScripts !== undefined ? { allowScripts: appJson.allowScripts } : {}),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const key = createHash('sha256').update(text).update(platformName(options.platform)).digest('hex').slice(0, 16);
  const cache = options.cacheDir ?? defaultCacheDir(options, lock);
  const dir = path.join(cache, `${platformName(options.platform)}-${key}`);
  if (!existsSync(path.join(dir, '.complete'))) {
    const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(staging, { recursive: true });
    try {
      writeFileSync(path.join(staging, 'package.json'), text);
      copyNpmrc(options, lock, staging);
      runNpm(staging, options.platform, Object.keys(dependencies));
      // Links of executables and npm's own record of the install: not part of what the app loads.
      rmSync(path.join(staging, 'node_modules', '.bin'), { recursive: true, force: true });
      rmSync(path.join(staging, 'node_modules', '.package-lock.json'), { force: true });
      verify(path.join(staging, 'node_modules'), options.platform, lock, roots);
      writeFileSync(path.join(staging, '.complete'), '');
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another synth may have finished the same install meanwhile.
      if (!existsSync(path.join(dir, '.complete'))) throw error;
    }
  }
  return { dir, key, modules, sizeBytes: folderSize(path.join(dir, 'node_modules')) };
}

function runNpm(cwd: string, platform: TargetPlatform, names: readonly string[]): void {
  const args = [
    'install',
    `--os=${platform.os}`,
    `--cpu=${platform.cpu}`,
    `--libc=${platform.libc}`,
    '--omit=dev',
    '--no-package-lock',
    '--install-links',
    // npm's own cache first: a set of versions installed once (for any platform) installs again without the network.
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--loglevel=error',
  ];
  // Install scripts that fetch prebuilt addons (prebuild-install, node-pre-gyp) read the target from these.
  const env = {
    ...process.env,
    npm_config_platform: platform.os,
    npm_config_arch: platform.cpu,
    npm_config_target_platform: platform.os,
    npm_config_target_arch: platform.cpu,
    npm_config_libc: platform.libc,
  };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, args, { cwd, env, encoding: 'utf8', timeout: 10 * 60_000, shell: process.platform === 'win32' });
  const name = platformName(platform);
  if (run.error) {
    throw new NativeModuleError(`Cannot run npm to install ${names.join(', ')} for ${name}: ${run.error.message}`, undefined, name);
  }
  if (run.status !== 0) {
    const output = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim();
    const unsupported = /EBADPLATFORM[\s\S]*?Unsupported platform for ([^:\s]+)/.exec(output);
    const module = unsupported?.[1]?.replace(/@[^@/]+$/, '');
    throw new NativeModuleError(
      module
        ? `${module} has no build for ${name}: npm refused it (${firstLines(output, 6)})`
        : `npm could not install ${names.join(', ')} for ${name} (exit code ${run.status}):\n${firstLines(output, 20)}`,
      module ?? (names.length === 1 ? names[0] : undefined),
      name,
    );
  }
}

function firstLines(text: string, count: number): string {
  return text.split('\n').slice(0, count).join('\n');
}

/** ELF machine numbers (e_machine) of the processors we install for. */
const ELF_MACHINE: Record<TargetPlatform['cpu'], number> = { x64: 0x3e, arm64: 0xb7 };
const MACHINE_NAMES: Record<number, string> = { 62: 'x64', 183: 'arm64', 3: 'x86', 40: 'arm', 21: 'ppc64', 22: 's390x', 243: 'riscv64' };

/** The processor a `.node` file is built for: an ELF machine name, `not ELF` (a macOS or Windows binary), or unreadable. */
function addonMachine(file: string): string {
  const header = Buffer.alloc(20);
  let read = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      read = readSync(fd, header, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return 'unreadable';
  }
  if (read < 20 || header.readUInt32BE(0) !== 0x7f454c46) return 'not ELF';
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  return MACHINE_NAMES[machine] ?? `ELF machine ${machine}`;
}

/** The package folders of a node_modules tree, nested ones too. */
function packageFolders(nodeModules: string): string[] {
  const folders: string[] = [];
  if (!existsSync(nodeModules)) return folders;
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const full = path.join(nodeModules, name);
    const inside = name.startsWith('@') ? readdirSync(full).map((n) => path.join(full, n)) : [full];
    for (const folder of inside) {
      folders.push(folder);
      folders.push(...packageFolders(path.join(folder, 'node_modules')));
    }
  }
  return folders;
}

/** `.node` files of a package, not counting nested packages. */
function addonsOf(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const stat = lstatSync(full);
      if (stat.isDirectory() && name !== 'node_modules') walk(full);
      else if (stat.isFile() && name.endsWith('.node')) found.push(full);
    }
  };
  walk(folder);
  return found;
}

/**
 * The installed tree fits the platform: each package with addons has one for the target's processor, and each
 * package with platform packages for the target's OS got one for the target (sharp gets `@img/sharp-linux-arm64`).
 */
function verify(nodeModules: string, platform: TargetPlatform, lock: Lockfile | undefined, roots: readonly string[]): void {
  const name = platformName(platform);
  const wanted = ELF_MACHINE[platform.cpu];
  const wantedName = MACHINE_NAMES[wanted]!;
  for (const folder of packageFolders(nodeModules)) {
    const json = readPackageJson(folder);
    const packageName = json?.name ?? path.basename(folder);
    const addons = addonsOf(folder);
    if (addons.length > 0) {
      const machines = addons.map(addonMachine);
      if (!machines.includes(wantedName)) {
        const found = addons.map((file, i) => `${path.relative(folder, file).split(path.sep).join('/')} (${machines[i]})`).join(', ');
        throw new NativeModuleError(
          `${packageName} has no build for ${name}: its native addons are built for other processors: ${found}. ` +
            'It may compile its addon at install, which builds for this machine, not for the target.',
          packageName,
          name,
        );
      }
    }
    const platformPackages = platformOptionals(json, folder, lock, roots);
    const forOs = platformPackages.filter((p) => matches(p.os, platform.os));
    if (forOs.length > 0 && !forOs.some((p) => fitsPlatform(p, platform) && existsSync(path.join(nodeModules, p.name, 'package.json')))) {
      const offered = platformPackages.map((p) => `${p.name} (${describePlatforms(p)})`).join(', ');
      throw new NativeModuleError(
        `${packageName} has no build for ${name} (${platform.os} ${platform.cpu} ${platform.libc}): its platform packages are ${offered}.`,
        packageName,
        name,
      );
    }
  }
}

/** The platform-specific optional dependencies of an installed package, with their `os`/`cpu`/`libc` from the lockfile. */
function platformOptionals(
  json: PackageJson | undefined,
  folder: string,
  lock: Lockfile | undefined,
  roots: readonly string[],
): Array<{ name: string; os?: string[]; cpu?: string[]; libc?: string[] }> {
  if (!json?.optionalDependencies || !lock) return [];
  const keyOf = (dependency: string) => {
    for (const root of roots) {
      const found = resolveKey(lock, root, dependency);
      if (found) return found;
    }
    return resolveKey(lock, '', dependency);
  };
  const result: Array<{ name: string; os?: string[]; cpu?: string[]; libc?: string[] }> = [];
  for (const dependency of Object.keys(json.optionalDependencies)) {
    const key = keyOf(dependency);
    const entry = key ? lock.packages[key] : readPackageJson(path.join(folder, 'node_modules', dependency));
    if (entry && isPlatformSpecific(entry as PackageJson)) result.push({ name: dependency, ...pick(entry) });
  }
  return result;
}

function pick(entry: { os?: string[]; cpu?: string[]; libc?: string[] }) {
  return { ...(entry.os ? { os: entry.os } : {}), ...(entry.cpu ? { cpu: entry.cpu } : {}), ...(entry.libc ? { libc: entry.libc } : {}) };
}

/** Bytes of the files under `dir` (links not followed). */
export function folderSize(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = lstatSync(full);
    total += stat.isDirectory() ? folderSize(full) : stat.size;
  }
  return total;
}
