/**
 * The app-selection rule (bin/app-target.ts) and the per-entry state directories behind it: an entry argument is
 * recognized by its ending and must exist; without it the app is the running dev (or the only app) of the current
 * folder's package; two entries of one package keep their state apart; a state directory of an earlier version moves
 * into its entry's own; and each way of not finding an app says what to do.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseApp, findTarget, looksLikeEntry, packageFolder, splitEntry } from '../../bin/app-target.js';
import { UsageError } from '../../bin/io.js';
import { ManifestError, MultinodeError } from '../../lib/errors.js';
import { StateDirError } from '../../runtime/local/errors.js';
import { defaultStateDir, migrateLegacyStateDir, prepareStateDir, readStateMarker } from '../../runtime/local/state-dir.js';
import { tempApp } from '../helpers/temp-app.js';

const source = `import * as mn from 'multinode';\nexport const echo = mn.fn(async (v: unknown) => v);\n`;

/** An HTTP server standing in for a running dev's Lambda endpoint: a dev counts as running when it answers. */
let alive: Server;
let aliveUrl: string;
beforeAll(async () => {
  alive = createServer((_, response) => response.end('ok'));
  await new Promise<void>((resolve) => alive.listen(0, '127.0.0.1', resolve));
  aliveUrl = `http://127.0.0.1:${(alive.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => alive.close(() => resolve())));

/** Writes the state directory of `entry` as a dev leaves it: its marker, and a cloud.json reaching `endpoint`. */
async function devState(entry: string, app: string, endpoint?: string): Promise<string> {
  const stateDir = defaultStateDir(entry);
  await prepareStateDir(stateDir, app, entry);
  if (endpoint) {
    const config = { app, prefix: 'local', bucket: 'b', region: 'us-east-1', endpoints: { lambda: endpoint } };
    const manifest = { manifestVersion: 1, app: { name: app }, definitions: [], secrets: [], config: [] };
    writeFileSync(path.join(stateDir, 'cloud.json'), JSON.stringify({ config, manifest, services: [] }));
  }
  return stateDir;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error,
  );
}

describe('the entry argument', () => {
  it('is the first positional argument when it ends like a module; it must exist', () => {
    const app = tempApp({ 'src/app.ts': source, 'src/job.mjs': source });
    try {
      expect(['app.ts', 'a.mts', 'b.cts', 'c.tsx', 'd.js', 'e.mjs', 'f.cjs', 'g.jsx'].every(looksLikeEntry)).toBe(true);
      expect(['echo', 'daily@2024-01-01T23:00:00.000Z', '01hqz8m3kd0000000000000000', 'list'].some(looksLikeEntry)).toBe(false);
      expect(splitEntry(['src/app.ts', 'echo'], app.dir)).toEqual({ entry: path.join(app.dir, 'src/app.ts'), rest: ['echo'] });
      expect(splitEntry(['echo', 'src/app.ts'], app.dir)).toEqual({ rest: ['echo', 'src/app.ts'] });
      expect(splitEntry([], app.dir)).toEqual({ rest: [] });
      expect(() => splitEntry(['src/ap.ts', 'echo'], app.dir)).toThrow(ManifestError);
      expect(() => splitEntry(['src/ap.ts'], app.dir)).toThrow(/The app entry src\/ap\.ts does not exist/);
      // A path to an existing file that is no module is meant as the entry, and refused as one; a name never is.
      expect(() => splitEntry(['package.json'], app.dir)).toThrow(/package\.json is not a JavaScript or TypeScript module/);
      writeFileSync(path.join(app.dir, 'marks'), '');
      expect(splitEntry(['marks', 'list'], app.dir)).toEqual({ rest: ['marks', 'list'] });
    } finally {
      app.cleanup();
    }
  });
});

describe('state directories, one per entry', () => {
  it('keeps two entries of one package apart, and refuses an entry the directory does not hold', async () => {
    const app = tempApp({ 'src/app.ts': source, 'src/jobs.ts': source }, 'two-entries');
    try {
      const first = defaultStateDir(path.join(app.dir, 'src/app.ts'));
      const second = defaultStateDir(path.join(app.dir, 'src/jobs.ts'));
      expect(first).toBe(path.join(app.dir, '.multinode', 'src-app.ts'));
      expect(second).toBe(path.join(app.dir, '.multinode', 'src-jobs.ts'));
      await prepareStateDir(first, 'two-entries', path.join(app.dir, 'src/app.ts'));
      expect(readStateMarker(first)).toEqual({ app: 'two-entries', entry: path.join(app.dir, 'src/app.ts') });
      // The marker stores the entry relative to the directory: the project can move.
      expect(JSON.parse(readFileSync(path.join(first, 'state.json'), 'utf8')).entry).toBe(path.join('..', '..', 'src', 'app.ts'));
      expect(readFileSync(path.join(app.dir, '.multinode', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
      const error = await failure(prepareStateDir(first, 'two-entries', path.join(app.dir, 'src/jobs.ts')));
      expect(error).toBeInstanceOf(StateDirError);
      expect(error.message).toMatch(/holds the data of the entry .*src\/app\.ts, not .*src\/jobs\.ts: each entry keeps its own\. Pass --state-dir/);
    } finally {
      app.cleanup();
    }
  });

  it("moves the state directory of an earlier version into its entry's own, unless a dev may run from it or it is another app's", async () => {
    const app = tempApp({ 'src/app.ts': source }, 'legacy-app');
    const entry = path.join(app.dir, 'src/app.ts');
    const legacy = path.join(app.dir, '.multinode');
    try {
      mkdirSync(path.join(legacy, 'dynamodb'), { recursive: true });
      writeFileSync(path.join(legacy, 'state.json'), JSON.stringify({ multinode: 1, app: 'legacy-app' }));
      writeFileSync(path.join(legacy, 'dynamodb', 'CURRENT'), 'data');
      writeFileSync(path.join(legacy, '.gitignore'), '*\n');
      expect(await migrateLegacyStateDir(entry, 'other-app')).toBeUndefined();
      writeFileSync(path.join(legacy, 'cloud.json'), '{}');
      expect((await failure(migrateLegacyStateDir(entry, 'legacy-app'))).message).toMatch(
        /state directory of an earlier multinode version, and its cloud\.json says a multinode dev may be running from it\. Stop that multinode dev/,
      );
      rmSync(path.join(legacy, 'cloud.json'));
      expect(await migrateLegacyStateDir(entry, 'legacy-app')).toBe(path.join(legacy, 'src-app.ts'));
      expect(readFileSync(path.join(legacy, 'src-app.ts', 'dynamodb', 'CURRENT'), 'utf8')).toBe('data');
      expect(existsSync(path.join(legacy, 'state.json'))).toBe(false);
      await prepareStateDir(defaultStateDir(entry), 'legacy-app', entry);
      expect(readStateMarker(defaultStateDir(entry))).toEqual({ app: 'legacy-app', entry });
      expect(await migrateLegacyStateDir(entry, 'legacy-app')).toBeUndefined();
    } finally {
      app.cleanup();
    }
  });
});

describe('choosing the app to build (dev, run, manifest, cdk, token, schedules)', () => {
  it('takes the entry given, else the running dev of the package, else its only app; else asks, listing the apps', async () => {
    const app = tempApp({ 'src/app.ts': source, 'src/jobs.ts': source }, 'choose-app');
    const appEntry = path.join(app.dir, 'src/app.ts');
    const jobsEntry = path.join(app.dir, 'src/jobs.ts');
    const cwd = path.join(app.dir, 'src');
    try {
      expect(packageFolder(cwd)).toBe(app.dir);
      expect(await chooseApp('dev', { entry: jobsEntry, cwd })).toEqual({ entry: jobsEntry, stateDir: defaultStateDir(jobsEntry) });
      const none = await failure(chooseApp('dev', { cwd }));
      expect(none).toBeInstanceOf(UsageError);
      expect(none.message).toMatch(/^missing <entry>: the app module, e\.g\. src\/app\.ts \(no app has run in .* yet/);

      await devState(appEntry, 'choose-app');
      expect(await chooseApp('dev', { cwd })).toEqual({ entry: appEntry, stateDir: defaultStateDir(appEntry) });
      await devState(jobsEntry, 'choose-app', 'http://127.0.0.1:9');
      const two = await failure(chooseApp('manifest', { cwd }));
      expect(two).toBeInstanceOf(UsageError);
      expect(two.message).toBe(`missing <entry>: 2 apps have run in ${app.dir} (app.ts, jobs.ts); name one, e.g. multinode manifest app.ts.`);

      // A dev that answers decides.
      await devState(jobsEntry, 'choose-app', aliveUrl);
      const chosen = await chooseApp('run', { cwd });
      expect(chosen).toMatchObject({ entry: jobsEntry, stateDir: defaultStateDir(jobsEntry), running: { config: { app: 'choose-app' } } });
      // --state-dir names its entry.
      expect(await chooseApp('token', { cwd, stateDir: defaultStateDir(appEntry) })).toMatchObject({ entry: appEntry });
      const foreign = path.join(app.dir, 'elsewhere');
      expect((await failure(chooseApp('token', { cwd, stateDir: foreign }))).message).toMatch(/does not name an existing entry/);
    } finally {
      app.cleanup();
    }
  });
});

describe('finding the running app to operate (status, runs, logs, ...)', () => {
  it('finds the one running dev of the package from any folder in it; a cloud.json of a dev that is gone does not count', async () => {
    const app = tempApp({ 'src/app.ts': source, 'src/jobs.ts': source }, 'find-target');
    const appEntry = path.join(app.dir, 'src/app.ts');
    const jobsEntry = path.join(app.dir, 'src/jobs.ts');
    const cwd = path.join(app.dir, 'src');
    try {
      const none = await failure(findTarget('status', { flags: {}, cwd }));
      expect(none).toBeInstanceOf(MultinodeError);
      expect(none.message).toMatch(
        /^No multinode dev is running in .*find-target|No multinode dev is running in .*\. Start one with: multinode dev <entry>; or reach/,
      );

      await devState(appEntry, 'find-target', 'http://127.0.0.1:9');
      const gone = await failure(findTarget('status', { flags: {}, cwd }));
      expect(gone.message).toMatch(
        /No multinode dev is running in .* \(app\.ts ran there before\)\. Start one with: multinode dev app\.ts; or reach the deployed app/,
      );
      const named = await failure(findTarget('runs', { entry: appEntry, flags: {}, cwd }));
      expect(named.message).toMatch(
        /No multinode dev is running for app\.ts \(its state directory .* has no live cloud\)\. Start it with: multinode dev app\.ts/,
      );

      const jobsDir = await devState(jobsEntry, 'find-target', aliveUrl);
      const target = await findTarget('status', { flags: {}, cwd: app.dir });
      expect(target).toMatchObject({ kind: 'dev', stateDir: jobsDir, entry: jobsEntry, description: 'multinode dev of find-target (src/jobs.ts)' });
      expect(await findTarget('status', { flags: { 'state-dir': jobsDir }, cwd })).toMatchObject({ kind: 'dev', entry: jobsEntry });

      await devState(appEntry, 'find-target', aliveUrl);
      const two = await failure(findTarget('logs', { flags: {}, cwd }));
      expect(two).toBeInstanceOf(UsageError);
      expect(two.message).toBe(`multinode dev runs for 2 apps in ${app.dir} (app.ts, jobs.ts); name one, e.g. multinode logs app.ts.`);
      expect(await findTarget('logs', { entry: appEntry, flags: {}, cwd })).toMatchObject({ kind: 'dev', entry: appEntry });
    } finally {
      app.cleanup();
    }
  });

  it('refuses flags that do not go together', async () => {
    await expect(findTarget('status', { flags: { region: 'eu-west-1' }, cwd: '.' })).rejects.toThrow(/--region goes with --stack <name>/);
    await expect(findTarget('status', { flags: { stack: 'Shop', 'state-dir': 'x' }, cwd: '.' })).rejects.toThrow(UsageError);
    await expect(findTarget('status', { flags: { stack: 'not a stack' }, cwd: '.' })).rejects.toThrow(
      /^--stack "not a stack" is not a CloudFormation stack name/,
    );
    await expect(findTarget('status', { flags: { stack: 'Shop', region: 'mars' }, cwd: '.' })).rejects.toThrow(UsageError);
  });
});
