/**
 * Apps with native packages made on the fly (no network): packages written into the app's node_modules, each with
 * one of the signs the bundler looks for, and addons that are ELF headers of a chosen processor (enough for the
 * checks that read them; nothing loads them).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempApp } from '../helpers/temp-app.js';

/** The first 64 bytes of an ELF shared object for `machine` (0x3e x86-64, 0xb7 aarch64), little-endian, 64-bit. */
export function elfHeader(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(3, 16); // a shared object
  header.writeUInt16LE(machine, 18);
  return header;
}

export const X64 = 0x3e;
export const ARM64 = 0xb7;

function pkg(name: string, json: Record<string, unknown>, files: Record<string, string> = {}): Record<string, string> {
  const dir = `node_modules/${name}`;
  const out: Record<string, string> = { [`${dir}/package.json`]: JSON.stringify({ name, version: '1.0.0', main: 'index.js', ...json }) };
  for (const [file, text] of Object.entries(files)) out[`${dir}/${file}`] = text;
  return out;
}

/** Packages with each sign of a native module, and a plain one. */
export const NATIVE_PACKAGES: Record<string, string> = {
  // A compiled addon required by a literal path (loaded only when asked, so the manifest loads).
  ...pkg('addon-pkg', {}, { 'index.js': "exports.load = () => require('./build/Release/addon.node'); exports.name = 'addon';" }),
  ...pkg('gyp-pkg', {}, { 'index.js': "module.exports = 'gyp';", 'binding.gyp': '{ "targets": [] }' }),
  ...pkg('loader-pkg', { dependencies: { 'node-gyp-build': '^4.8.0' } }, { 'index.js': "module.exports = 'loader';" }),
  // sharp's shape: optional platform packages, one installed here.
  ...pkg(
    'platform-parent',
    { optionalDependencies: { '@fx/platform-linux-x64': '1.0.0', '@fx/platform-darwin-arm64': '1.0.0' } },
    { 'index.js': "module.exports = () => require('@fx/platform-linux-x64');" },
  ),
  ...pkg('@fx/platform-linux-x64', { os: ['linux'], cpu: ['x64'] }, { 'index.js': "module.exports = 'linux-x64';" }),
  ...pkg('plain-pkg', {}, { 'index.js': "module.exports = 'plain-value-bundled';" }),
};

/** An app importing every package of NATIVE_PACKAGES; `packageJson` adds to its package.json. */
export function nativeApp(packageJson: Record<string, unknown> = {}, extra: Record<string, string> = {}) {
  const made = tempApp({
    ...NATIVE_PACKAGES,
    'package.json': JSON.stringify({ name: 'native-app', type: 'module', ...packageJson }),
    'app.ts': [
      "import * as mn from 'multinode';",
      "import addon from 'addon-pkg';",
      "import gyp from 'gyp-pkg';",
      "import loader from 'loader-pkg';",
      "import platform from 'platform-parent';",
      "import plain from 'plain-pkg';",
      'export const f = mn.fn(async () => [addon.name, gyp, loader, typeof platform, plain]);',
    ].join('\n'),
    ...extra,
  });
  const addon = path.join(made.dir, 'node_modules/addon-pkg/build/Release/addon.node');
  mkdirSync(path.dirname(addon), { recursive: true });
  writeFileSync(addon, elfHeader(X64));
  return made;
}

/** Native installs of this test file go to a folder of its own, removed at exit (not the project's cache). */
export function useTempNativeCache(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-native-cache-'));
  process.env.MULTINODE_NATIVE_CACHE = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
