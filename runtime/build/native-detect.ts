/**
 * Which packages of an app cannot be bundled: native modules. esbuild bundles JavaScript; a package that loads a
 * compiled addon (a `.node` file) must stay a real package in a `node_modules` folder beside the bundle, with the
 * addon built for the machine it runs on. A package of the bundle's inputs is native when
 *  - it holds a `.node` addon that the bundle imports, or
 *  - its package.json says it is built for one platform (`os` or `cpu`, as `@img/sharp-linux-arm64`), or
 *  - it has platform-specific optional dependencies (installed ones with `os` or `cpu`: sharp, esbuild), or
 *  - it builds or fetches an addon at install (`gypfile`, a `binding.gyp`, node-pre-gyp's `binary`), or depends on
 *    an addon loader (`node-gyp-build`, `bindings`, `prebuild-install`, `node-pre-gyp`, ...).
 * Only the outermost native packages (those imported by bundled code) become externals: sharp's own platform
 * packages come with sharp when it is installed for a platform.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Packages that load or fetch a compiled addon: depending on one means having one. */
export const ADDON_LOADERS = [
  'bindings',
  'node-gyp-build',
  'node-gyp-build-optional-packages',
  'prebuild-install',
  'node-pre-gyp',
  '@mapbox/node-pre-gyp',
  'cmake-js',
  'pkg-prebuilds',
] as const;

export interface PackageJson {
  name?: string;
  version?: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  gypfile?: boolean;
  binary?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface Classified {
  readonly stamp: string;
  readonly name: string;
  readonly version: string;
  /** Why the package is native; undefined when it is not. */
  readonly reason: string | undefined;
}

/** By package folder: classifying reads a few files, and dev rebuilds or repeated synths see the same packages. */
const classified = new Map<string, Classified>();

const BUILTINS = new Set(builtinModules);

/** The package a bare import names (`@scope/name/sub` -> `@scope/name`); undefined for relative paths and Node built-ins. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || path.isAbsolute(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  if (BUILTINS.has(name) || BUILTINS.has(specifier)) return undefined;
  return name;
}

/** The package folder a file belongs to (`.../node_modules/@img/sharp-linux-x64`), or undefined outside node_modules. */
export function packageDirOf(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = file.slice(at + marker.length).split(path.sep);
  const segments = rest[0]?.startsWith('@') ? 2 : 1;
  if (rest.length <= segments) return undefined;
  return path.join(file.slice(0, at + marker.length), ...rest.slice(0, segments));
}

export function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Where `name` resolves from `fromDir`, as Node looks for it: `node_modules/<name>` in each folder up to the root. */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function isPlatformSpecific(json: PackageJson): boolean {
  return (Array.isArray(json.os) && json.os.length > 0) || (Array.isArray(json.cpu) && json.cpu.length > 0);
}

/** Why the package in `dir` is native, or undefined. */
function nativeReason(dir: string, json: PackageJson): string | undefined {
  if (isPlatformSpecific(json)) return 'it is built for one platform (its package.json lists "os" or "cpu")';
  if (json.gypfile === true || existsSync(path.join(dir, 'binding.gyp'))) return 'it builds a native addon (binding.gyp)';
  if (typeof json.binary === 'object' && json.binary !== null && 'module_path' in json.binary) return 'it downloads a native addon (node-pre-gyp)';
  const dependencies = { ...json.dependencies, ...json.optionalDependencies };
  const loader = ADDON_LOADERS.find((name) => name in dependencies);
  if (loader) return `it loads a native addon with ${loader}`;
  const platformPackages = Object.keys(json.optionalDependencies ?? {}).filter((name) => {
    const found = findPackageDir(name, dir);
    const optional = found ? readPackageJson(found) : undefined;
    return optional !== undefined && isPlatformSpecific(optional);
  });
  if (platformPackages.length > 0) return `it loads platform-specific packages (${platformPackages.join(', ')} on this machine)`;
  return undefined;
}

/** The package in `dir`: its name, version and why it is native (cached by folder and package.json stamp). */
export function classifyPackage(dir: string): Classified | undefined {
  let stamp: string;
  try {
    const stat = statSync(path.join(dir, 'package.json'));
    stamp = `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return undefined;
  }
  const cached = classified.get(dir);
  if (cached?.stamp === stamp) return cached;
  const json = readPackageJson(dir);
  if (!json) return undefined;
  const result: Classified = { stamp, name: json.name ?? path.basename(dir), version: json.version ?? '0.0.0', reason: nativeReason(dir, json) };
  classified.set(dir, result);
  return result;
}

/** A native package among a bundle's inputs. */
export interface NativeInput {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly reason: string;
}

/**
 * The native packages among the bundle's input files (absolute paths): each package folder is looked at once. A
 * `.node` input marks its package native even when its package.json says nothing.
 */
export function nativeInputs(inputs: Iterable<string>): NativeInput[] {
  const dirs = new Map<string, string | undefined>();
  for (const file of inputs) {
    const dir = packageDirOf(file);
    if (dir === undefined) continue;
    if (file.endsWith('.node')) dirs.set(dir, `it holds a native addon (${path.relative(dir, file).split(path.sep).join('/')})`);
    else if (!dirs.has(dir)) dirs.set(dir, undefined);
  }
  const found: NativeInput[] = [];
  for (const [dir, addon] of dirs) {
    const info = classifyPackage(dir);
    if (!info) continue;
    const reason = info.reason ?? addon;
    if (reason) found.push({ name: info.name, version: info.version, dir, reason });
  }
  return found;
}
