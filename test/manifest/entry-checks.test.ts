/**
 * An entry must be a JavaScript or TypeScript module that declares definitions: a file that is not a module
 * (package.json) or a module that declares none is an error naming the file and what an entry must be, for every
 * command that reads an app.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestError } from '../../lib/errors.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { runCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function app(files: Record<string, string>) {
  const created = tempApp(files, 'entry-checks');
  cleanups.push(created.cleanup);
  return created;
}

const WHAT_AN_ENTRY_IS =
  /an entry is the app's module \(\.ts, \.mts, \.tsx, \.js, \.mjs or \.jsx\) that exports its definitions \(fn, job, schedule, service, dict, lock\)/;

describe('the app entry', () => {
  it('refuses a file that is not a module (multinode manifest package.json)', async () => {
    const { dir } = app({ 'app.ts': 'export const x = 1;\n' });
    const result = await runCli(['manifest', 'package.json'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/The app entry (\S*\/)?package\.json is not a JavaScript or TypeScript module/);
    expect(result.stderr).toMatch(WHAT_AN_ENTRY_IS);
    for (const command of ['dev', 'run', 'schedules']) {
      const other = await runCli(command === 'run' ? [command, 'package.json', 'x'] : [command, 'package.json'], dir);
      expect(other.code, command).toBe(1);
      expect(other.stderr, command).toMatch(/The app entry (\S*\/)?package\.json is not a JavaScript or TypeScript module/);
    }
  });

  it('refuses a module that declares no definitions, naming it', async () => {
    const { dir, entry } = app({ 'app.ts': "export const answer = 42;\nexport function helper() {\n  return 'x';\n}\n" });
    const result = await runCli(['manifest', 'app.ts'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/The app (\S*\/)?app\.ts declares no definitions/);
    expect(result.stderr).toMatch(WHAT_AN_ENTRY_IS);
    await expect(loadManifest(entry)).rejects.toThrow(ManifestError);
    await expect(loadManifest(entry)).rejects.toThrow(`The app ${entry} declares no definitions`);
  });

  it('still takes an entry in JavaScript', async () => {
    const { dir } = app({ 'app.mjs': "import * as mn from 'multinode';\nexport const d = mn.dict('d');\n" });
    const result = await runCli(['manifest', path.join(dir, 'app.mjs')], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\bd\b.*dict/);
  });
});
