import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ManifestError } from '../../lib/errors.js';
import { normalizeAppName } from '../../lib/manifest.js';

/**
 * The app's name: the `name` of the nearest package.json above the entry, else the entry's folder (skipping a
 * `src` folder). Normalized to letters, digits and "-" since it prefixes stack and resource names.
 */
export function readAppName(entry: string): string {
  const entryDir = path.dirname(path.resolve(entry));
  for (let dir = entryDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      let name: unknown;
      try {
        name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
      } catch (error) {
        throw new ManifestError(`Cannot read ${file} for the app name: ${(error as Error).message}`);
      }
      if (typeof name === 'string' && normalizeAppName(name)) return normalizeAppName(name);
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const folder = path.basename(entryDir) === 'src' ? path.basename(path.dirname(entryDir)) : path.basename(entryDir);
  const name = normalizeAppName(folder);
  if (!name) {
    throw new ManifestError(`Cannot derive an app name for ${entry}: give the package.json a "name" (letters, digits and "-").`);
  }
  return name;
}
