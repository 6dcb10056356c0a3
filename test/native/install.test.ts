/**
 * Installing an app's native modules for a target platform with npm's platform selection: sharp for linux-arm64
 * and linux-x64 at the lockfile's versions (from the registry, or npm's cache), the install cache, and the checks
 * that refuse a module without a build for the target (offline fixtures).
 */
import { cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppBundle, bundleAppSync } from '../../runtime/build/bundle.js';
import { installNativeModules, NativeModuleError, type TargetPlatform } from '../../runtime/build/native-install.js';
import { SynthError } from '../../constructs/errors.js';
import { synthApp } from '../constructs/helpers.js';
import { nativeApp, useTempNativeCache } from './fixtures.js';

useTempNativeCache();

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/image-resize');
const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-native-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ARM64: TargetPlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' };
const X64: TargetPlatform = { os: 'linux', cpu: 'x64', libc: 'glibc' };

/** The processor an ELF file is built for, from its e_machine field. */
function elfMachine(file: string): string {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  return ({ 62: 'x64', 183: 'arm64' } as Record<number, string>)[header.readUInt16LE(18)] ?? 'other';
}

function addonsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.node'))
    .map((file) => path.join(dir, file));
}

function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  return lock.packages[`node_modules/${name}`]!.version;
}

describe('sharp, installed for each target', () => {
  let bundle: AppBundle;
  const cacheDir = path.join(work, 'cache');
  beforeAll(() => {
    bundle = bundleAppSync(path.join(EXAMPLE, 'src/app.ts'), { outDir: path.join(work, 'bundle') });
  });

  it.each([
    [ARM64, 'arm64', 'x64'],
    [X64, 'x64', 'arm64'],
  ])('for %j: its own platform packages and binary, none of the other', (platform, cpu, other) => {
    const made = installNativeModules({ appDir: EXAMPLE, externals: bundle.externals, platform, cacheDir });
    const modules = path.join(made.dir, 'node_modules');
    expect(made.modules).toEqual([{ name: 'sharp', version: lockedVersion('sharp'), source: 'lockfile' }]);
    expect(existsSync(path.join(modules, `@img/sharp-linux-${cpu}/package.json`))).toBe(true);
    expect(existsSync(path.join(modules, `@img/sharp-libvips-linux-${cpu}/package.json`))).toBe(true);
    expect(existsSync(path.join(modules, `@img/sharp-linux-${other}`))).toBe(false);
    expect(existsSync(path.join(modules, `@img/sharp-libvips-linux-${other}`))).toBe(false);
    const addons = addonsUnder(modules);
    expect(addons.length).toBeGreaterThan(0);
    expect(addons.map(elfMachine)).toEqual(addons.map(() => cpu));
    // The same versions as the lockfile, down to sharp's own dependencies.
    expect(JSON.parse(readFileSync(path.join(modules, 'sharp/package.json'), 'utf8')).version).toBe(lockedVersion('sharp'));
    expect(JSON.parse(readFileSync(path.join(modules, 'detect-libc/package.json'), 'utf8')).version).toBe(lockedVersion('detect-libc'));
    const generated = JSON.parse(readFileSync(path.join(made.dir, 'package.json'), 'utf8'));
    expect(generated.dependencies).toEqual({ sharp: lockedVersion('sharp') });
    expect(generated.overrides).toMatchObject({
      'detect-libc': lockedVersion('detect-libc'),
      [`@img/sharp-linux-${cpu}`]: lockedVersion(`@img/sharp-linux-${cpu}`),
    });
    // No executables' links (they would be links in the archive) and no npm bookkeeping.
    expect(existsSync(path.join(modules, '.bin'))).toBe(false);
    expect(made.sizeBytes).toBeGreaterThan(1_000_000);
  });

  it('reuses an install without running npm again', () => {
    const first = installNativeModules({ appDir: EXAMPLE, externals: bundle.externals, platform: ARM64, cacheDir });
    const path_ = process.env.PATH;
    process.env.PATH = '';
    try {
      // With no PATH, running npm would fail: the cached install is used.
      const again = installNativeModules({ appDir: EXAMPLE, externals: bundle.externals, platform: ARM64, cacheDir });
      expect(again).toEqual(first);
    } finally {
      process.env.PATH = path_;
    }
  });
});

describe('a module without a build for the target', () => {
  /** The fixture's addon package, as a file: dependency (locked as such), whose addon is built for x64 only. */
  function addonApp() {
    const made = nativeApp(
      {},
      { 'app.ts': "import * as mn from 'multinode';\nimport addon from 'addon-pkg';\nexport const f = mn.fn(async () => addon.name);" },
    );
    cpSync(path.join(made.dir, 'node_modules/addon-pkg'), path.join(made.dir, 'vendor/addon-pkg'), { recursive: true });
    const lock = {
      name: 'native-app',
      lockfileVersion: 3,
      packages: { '': { name: 'native-app' }, 'node_modules/addon-pkg': { version: '1.0.0', resolved: 'file:vendor/addon-pkg' } },
    };
    writeFileSync(path.join(made.dir, 'package-lock.json'), JSON.stringify(lock));
    return made;
  }

  it('installs for the processor it has an addon for, and refuses the other, naming the module, the addon and the platform', () => {
    const made = addonApp();
    try {
      const bundle = bundleAppSync(made.entry, { outDir: path.join(made.dir, 'out') });
      const cacheDir = path.join(made.dir, 'cache');
      const x64 = installNativeModules({ appDir: made.dir, externals: bundle.externals, platform: X64, cacheDir });
      expect(x64.modules).toEqual([{ name: 'addon-pkg', version: '1.0.0', source: 'lockfile' }]);
      // A copy of the folder, not a link to it.
      expect(existsSync(path.join(x64.dir, 'node_modules/addon-pkg/build/Release/addon.node'))).toBe(true);
      let error: unknown;
      try {
        installNativeModules({ appDir: made.dir, externals: bundle.externals, platform: ARM64, cacheDir });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NativeModuleError);
      expect(error).toMatchObject({ module: 'addon-pkg', platform: 'linux-arm64' });
      expect((error as Error).message).toBe(
        'addon-pkg has no build for linux-arm64: its native addons are built for other processors: build/Release/addon.node (x64). ' +
          'It may compile its addon at install, which builds for this machine, not for the target.',
      );
      // Nothing half-made is left for the next synth to trust.
      expect(readdirSync(cacheDir).filter((name) => name.startsWith('linux-arm64'))).toEqual([]);
      // At synth: the Lambda functions (arm64) need it, and the synth says which, on what, and why not.
      let synthError: unknown;
      try {
        synthApp(made.entry, { prefix: 'addon' });
      } catch (e) {
        synthError = e;
      }
      expect(synthError).toBeInstanceOf(SynthError);
      expect((synthError as Error).message).toBe(
        'TestStack/App: the Lambda functions (f) run on linux-arm64, but addon-pkg has no build for linux-arm64: its native addons are built for other ' +
          'processors: build/Release/addon.node (x64). It may compile its addon at install, which builds for this machine, not for the target.',
      );
    } finally {
      made.cleanup();
    }
  });

  it('refuses a platform package imported directly, before running npm', () => {
    const made = nativeApp(
      {},
      { 'app.ts': "import * as mn from 'multinode';\nimport p from '@fx/platform-linux-x64';\nexport const f = mn.fn(async () => p);" },
    );
    try {
      const bundle = bundleAppSync(made.entry, { outDir: path.join(made.dir, 'out') });
      expect(bundle.externals.map((e) => e.name)).toEqual(['@fx/platform-linux-x64']);
      expect(() => installNativeModules({ appDir: made.dir, externals: bundle.externals, platform: ARM64, cacheDir: path.join(made.dir, 'cache') })).toThrow(
        '@fx/platform-linux-x64 is built for linux x64 only, so it has no build for linux-arm64; import the package that chooses the build for the ' +
          'platform (for @img/sharp-<platform>, import sharp).',
      );
    } finally {
      made.cleanup();
    }
  });
});
