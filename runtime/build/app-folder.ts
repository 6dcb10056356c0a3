import { existsSync } from 'node:fs';
import path from 'node:path';

/** The app's folder: the one of the nearest package.json above the entry, else the entry's own folder. */
export function appFolder(entry: string): string {
  const entryDir = path.dirname(path.resolve(entry));
  for (let dir = entryDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return entryDir;
  }
}
