/**
 * The app's say on native modules: package.json's `"multinode": { "external": [...], "bundle": [...] }`, read
 * from the app's package.json (the nearest one above the entry) by every build of the app, so `multinode dev`, the
 * manifest and the CDK constructs keep the same modules out of the bundle.
 *
 *  - `external`: packages installed beside the bundle instead of bundled, besides those detected
 *    (runtime/build/native-detect.ts), also when the bundle's imports do not name them (code that loads a module
 *    with a computed name);
 *  - `bundle`: packages bundled even though they are detected as native (one with a JavaScript fallback, say).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { closest } from '../../lib/format.js';
import { ManifestError } from '../../lib/errors.js';
import { appFolder } from './app-folder.js';

export interface NativeConfig {
  /** The package.json it was read from; undefined when the app has none. */
  readonly file: string | undefined;
  readonly external: readonly string[];
  readonly bundle: readonly string[];
}

const KEYS = ['external', 'bundle'] as const;
/** npm's rule for package names: lowercase, URL-safe, an optional @scope. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
export const NATIVE_CONFIG_FORM = '"multinode": { "external": ["<package>", ...], "bundle": ["<package>", ...] }';

/** Reads and checks the `multinode` field of the app's package.json; a wrong one is a ManifestError naming the file. */
export function readNativeConfig(entry: string): NativeConfig {
  const file = path.join(appFolder(entry), 'package.json');
  if (!existsSync(file)) return { file: undefined, external: [], bundle: [] };
  let json: { multinode?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as { multinode?: unknown };
  } catch (error) {
    throw new ManifestError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const field = json.multinode;
  if (field === undefined) return { file, external: [], bundle: [] };
  const fail = (problem: string): never => {
    throw new ManifestError(`${file}: ${problem}; write ${NATIVE_CONFIG_FORM}.`);
  };
  if (typeof field !== 'object' || field === null || Array.isArray(field)) fail('"multinode" must be an object');
  const record = field as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const suggestion = closest(key, KEYS);
    fail(`"multinode" has the unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}, it takes "external" and "bundle"`);
  }
  const list = (key: (typeof KEYS)[number]): string[] => {
    const value = record[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail(`"multinode.${key}" must be an array of package names`);
    for (const name of value) {
      if (typeof name !== 'string' || !PACKAGE_NAME.test(name)) {
        fail(`"multinode.${key}" holds ${JSON.stringify(name)}, which is not a package name (such as "sharp" or "@img/sharp-linux-arm64")`);
      }
    }
    return [...new Set(value as string[])];
  };
  const external = list('external');
  const bundle = list('bundle');
  const both = external.filter((name) => bundle.includes(name));
  if (both.length > 0) fail(`"multinode" lists ${both.map((n) => `"${n}"`).join(', ')} both in "external" and in "bundle"`);
  return { file, external, bundle };
}
