import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Writes a throwaway app (files by relative path) into a temp dir; returns its dir and a cleanup. */
export function tempApp(files: Record<string, string>, packageName = 'temp-app'): { dir: string; entry: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-test-app-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: packageName, type: 'module' }));
  for (const [file, contents] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), contents);
  }
  return { dir, entry: path.join(dir, 'app.ts'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
