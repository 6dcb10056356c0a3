/**
 * `multinode dev` rebuilds on every change of a file the bundle is built from, however the editor saves it:
 * written in place, or written to a temporary file renamed over the original (what `sed -i` and many editors do),
 * in any order, and for files outside the entry's folder that the entry imports.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { tempApp } from '../helpers/temp-app.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-dev-rebuild-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function saveInPlace(file: string, text: string): void {
  writeFileSync(file, text);
}

function saveByRename(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

describe('multinode dev rebuilds', () => {
  it('on every save of the entry and of a file outside its folder, in place or by rename', async () => {
    const entrySource = (tag: string) =>
      `import * as mn from 'multinode';\nimport { greeting } from '../shared/greeting.js';\n` +
      `export const api = mn.service({}, () => new Response(greeting() + ' / ' + ${JSON.stringify(tag)}));\n`;
    const sharedSource = (word: string) => `export function greeting(): string {\n  return ${JSON.stringify(word)};\n}\n`;
    const app = tempApp({ 'src/app.ts': entrySource('entry-1'), 'shared/greeting.ts': sharedSource('shared-1') }, 'rebuild-by-rename');
    const entry = path.join(app.dir, 'src/app.ts');
    const shared = path.join(app.dir, 'shared/greeting.ts');
    const dev = startCli(['dev', entry, '--port', '0', '--no-schedules', '--state-dir', path.join(scratch, 'state')], app.dir);
    try {
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      const body = async () => (await fetch(url!)).text();
      expect(await body()).toBe('shared-1 / entry-1');
      const served = (text: string) => until(body, (seen) => seen === text, `the service to answer "${text}"`, { timeoutMs: 20_000, intervalMs: 100 });

      // The entry: by rename, then in place (the save that used to be missed), then by rename again.
      saveByRename(entry, entrySource('entry-2'));
      await served('shared-1 / entry-2');
      saveInPlace(entry, entrySource('entry-3'));
      await served('shared-1 / entry-3');
      saveByRename(entry, entrySource('entry-4'));
      await served('shared-1 / entry-4');

      // A file outside the entry's folder that the bundle imports, the same three ways.
      saveByRename(shared, sharedSource('shared-2'));
      await served('shared-2 / entry-4');
      saveInPlace(shared, sharedSource('shared-3'));
      await served('shared-3 / entry-4');
      saveByRename(shared, sharedSource('shared-4'));
      await served('shared-4 / entry-4');
      expect(dev.stdout()).toMatch(/greeting\.ts changed; rebuilding/);
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });
});
