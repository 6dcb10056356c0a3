/**
 * Which packages the bundler keeps out of the bundle (native modules), the app's package.json override, the links
 * to this machine's copies beside a local bundle, and that an app without native modules bundles to the same bytes
 * as before the check existed.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../lib/errors.js';
import { appBuildOptions, bundleApp, bundleAppSync, checkEntry } from '../../runtime/build/bundle.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { nativeApp } from './fixtures.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function outDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-native-out-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function app(packageJson: Record<string, unknown> = {}, extra: Record<string, string> = {}) {
  const made = nativeApp(packageJson, extra);
  cleanups.push(made.cleanup);
  return made;
}

describe('detection', () => {
  it('keeps each kind of native package out, and only the outermost, with why', async () => {
    const made = app();
    const out = outDir();
    const bundle = await bundleApp(made.entry, { outDir: out });
    expect(bundle.externals.map((e) => [e.name, e.reason])).toEqual([
      ['addon-pkg', 'it holds a native addon (build/Release/addon.node)'],
      ['gyp-pkg', 'it builds a native addon (binding.gyp)'],
      ['loader-pkg', 'it loads a native addon with node-gyp-build'],
      ['platform-parent', 'it loads platform-specific packages (@fx/platform-linux-x64 on this machine)'],
    ]);
    expect(bundle.externals.every((e) => e.version === '1.0.0' && e.dir === path.join(made.dir, 'node_modules', e.name))).toBe(true);
    const text = readFileSync(bundle.file, 'utf8');
    for (const name of ['addon-pkg', 'gyp-pkg', 'loader-pkg', 'platform-parent']) expect(text).toMatch(new RegExp(`from "${name}"`));
    // The plain package is bundled; the platform package under platform-parent is not even looked at.
    expect(text).toContain('plain-value-bundled');
    expect(text).not.toContain('linux-x64');
    // The addon did not become a file beside the bundle (the build that found it was not written).
    expect(existsSync(path.join(out, 'addon.node'))).toBe(false);
    expect(path.basename(bundle.file)).toBe('app.mjs');
  });

  it("links node_modules/<name> beside the bundle to this machine's copies, so the bundle runs from any folder", async () => {
    const made = app();
    const out = outDir();
    const loaded = await loadManifest(made.entry, { outDir: out });
    expect(loaded.manifest.definitions.map((d) => d.name)).toEqual(['f']);
    for (const name of ['addon-pkg', 'platform-parent']) {
      const link = path.join(out, 'node_modules', name);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(path.join(made.dir, 'node_modules', name));
    }
    expect(existsSync(path.join(out, 'node_modules', 'plain-pkg'))).toBe(false);
  });

  it('finds sharp without being told: it loads its binary from platform packages', () => {
    const bundle = bundleAppSync(path.join(REPO, 'examples/image-resize/src/app.ts'), { outDir: outDir() });
    expect(bundle.externals).toEqual([
      {
        name: 'sharp',
        version: JSON.parse(readFileSync(path.join(REPO, 'node_modules/sharp/package.json'), 'utf8')).version,
        dir: path.join(REPO, 'node_modules/sharp'),
        reason: expect.stringMatching(/^it loads platform-specific packages \(.*@img\/sharp-linux-x64.* on this machine\)$/),
      },
    ]);
  });

  it('bundles an app without native modules to the same bytes as esbuild alone, with no node_modules beside it', async () => {
    const entry = path.join(REPO, 'examples/tweet-summaries/src/app.ts');
    const ours = outDir();
    const bundle = await bundleApp(entry, { outDir: ours });
    expect(bundle.externals).toEqual([]);
    const plain = outDir();
    const { loader: _loader, ...options } = appBuildOptions(checkEntry(entry), { outDir: plain });
    await esbuild.build(options);
    expect(readFileSync(bundle.file).equals(readFileSync(path.join(plain, 'app.mjs')))).toBe(true);
    expect(readFileSync(`${bundle.file}.map`).equals(readFileSync(path.join(plain, 'app.mjs.map')))).toBe(true);
    expect(existsSync(path.join(ours, 'node_modules'))).toBe(false);
  });
});

describe('the app\'s override: package.json "multinode": { "external", "bundle" }', () => {
  it('keeps a listed package out even when nothing marks it native, and bundles a listed native one', async () => {
    const made = app({ multinode: { external: ['plain-pkg'], bundle: ['gyp-pkg', 'loader-pkg'] } });
    const bundle = await bundleApp(made.entry, { outDir: outDir() });
    expect(bundle.externals.map((e) => [e.name, e.reason])).toEqual([
      ['addon-pkg', 'it holds a native addon (build/Release/addon.node)'],
      ['plain-pkg', 'package.json lists it in "multinode.external"'],
      ['platform-parent', 'it loads platform-specific packages (@fx/platform-linux-x64 on this machine)'],
    ]);
    const text = readFileSync(bundle.file, 'utf8');
    expect(text).not.toContain('plain-value-bundled');
    expect(text).toContain("module.exports = 'gyp'".replace(/'/g, '"'));
  });

  it('installs a listed package the code loads by a computed name (not imported by the bundle)', async () => {
    const made = app(
      { multinode: { external: ['plain-pkg'] } },
      { 'app.ts': "import * as mn from 'multinode';\nexport const f = mn.fn(async (n: string) => n);" },
    );
    const bundle = await bundleApp(made.entry, { outDir: outDir() });
    expect(bundle.externals.map((e) => e.name)).toEqual(['plain-pkg']);
  });

  it.each([
    [{ multinode: [] }, '"multinode" must be an object'],
    [{ multinode: { externals: ['x'] } }, '"multinode" has the unknown key "externals" (did you mean "external"?), it takes "external" and "bundle"'],
    [{ multinode: { external: 'sharp' } }, '"multinode.external" must be an array of package names'],
    [
      { multinode: { bundle: ['Not A Name'] } },
      '"multinode.bundle" holds "Not A Name", which is not a package name (such as "sharp" or "@img/sharp-linux-arm64")',
    ],
    [{ multinode: { external: ['plain-pkg'], bundle: ['plain-pkg'] } }, '"multinode" lists "plain-pkg" both in "external" and in "bundle"'],
  ])('refuses %j, naming the file and the form', async (packageJson, problem) => {
    const made = app(packageJson);
    const error = await bundleApp(made.entry, { outDir: outDir() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toBe(
      `${path.join(made.dir, 'package.json')}: ${problem}; write "multinode": { "external": ["<package>", ...], "bundle": ["<package>", ...] }.`,
    );
  });

  it('refuses an external package that is not installed', async () => {
    const made = app({ multinode: { external: ['not-installed'] } });
    const error = await bundleApp(made.entry, { outDir: outDir() }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `${path.join(made.dir, 'package.json')} lists "not-installed" in "multinode.external", but it is not installed (no node_modules/not-installed in ` +
        `${made.dir} or a folder above it): install it, or remove it from the list.`,
    );
  });
});
