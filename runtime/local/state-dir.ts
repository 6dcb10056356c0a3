/**
 * The local cloud's state directory: DynamoDB data, S3 objects, logs and the built bundle, so data survives a restart
 * of `multinode dev`. One per app entry, by default `<app folder>/.multinode/<entry key>/` (`.multinode/src-app.ts/`
 * for `src/app.ts`), so two entries of one package keep their runs and dicts apart. A marker file says which app and
 * entry it belongs to; a directory that is not one of ours, one whose marker is unreadable, or one of another app or
 * entry is refused with a clear error rather than written into.
 *
 * Layout: `state.json` (marker), `dynamodb/` (LevelDB), `s3/` (objects), `build/` (bundles), `logs/` (CloudWatch
 * Logs), `cloud.json` (the running cloud's endpoints, while it runs), `.gitignore` (everything).
 *
 * Earlier versions kept one state directory per package, `<app folder>/.multinode/` itself; `migrateLegacyStateDir`
 * moves it into the entry's own folder the first time an entry of that app opens its default directory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appFolder } from '../build/app-folder.js';
import { CLOUD_FILE } from '../entry/connect.js';
import { StateDirError } from './errors.js';

export const STATE_MARKER = 'state.json';
const STATE_VERSION = 1;
/** The folder next to the app's package.json that holds its entries' state directories. */
export const STATE_FOLDER = '.multinode';
const GITIGNORE = '# multinode dev state: local data, not source\n*\n';

/** What a state directory's marker says: its app, and (since state directories are per entry) its entry. */
export interface StateMarker {
  readonly app: string;
  /** The entry's absolute path (stored relative to the state directory); absent in markers of earlier versions. */
  readonly entry?: string;
}

export interface StateDirLayout {
  readonly root: string;
  readonly dynamodb: string;
  readonly s3: string;
  readonly build: string;
  /** CloudWatch Logs: a folder per log group, a JSON-lines file per stream. */
  readonly logs: string;
  /** Written while a local cloud runs: how to reach it (see connect). */
  readonly cloudFile: string;
}

export function stateDirLayout(root: string): StateDirLayout {
  return {
    root,
    dynamodb: path.join(root, 'dynamodb'),
    s3: path.join(root, 's3'),
    build: path.join(root, 'build'),
    logs: path.join(root, 'logs'),
    cloudFile: path.join(root, CLOUD_FILE),
  };
}

/**
 * Checks (or creates) the state directory of `app` (and of its `entry`, when given: a state directory holds one entry's
 * data); throws StateDirError when it cannot be used.
 */
export async function prepareStateDir(root: string, app: string, entry?: string): Promise<StateDirLayout> {
  const layout = stateDirLayout(root);
  let known: StateMarker | undefined;
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw new StateDirError(`The state directory ${root} is a file, not a directory. Remove it or pass --state-dir.`);
    const entries = readdirSync(root).filter((name) => name !== '.gitignore');
    known = readStateMarker(root);
    if (!known && entries.length > 0) {
      throw new StateDirError(
        `The directory ${root} is not a multinode state directory (it has no ${STATE_MARKER}) and is not empty; refusing to write into it. Pass ` +
          `--state-dir with an empty or new directory.`,
      );
    }
    if (known && known.app !== app) {
      throw new StateDirError(`The state directory ${root} belongs to the app "${known.app}", not "${app}". Pass --state-dir to use another directory.`);
    }
    if (known?.entry !== undefined && entry !== undefined && path.resolve(entry) !== known.entry) {
      throw new StateDirError(
        `The state directory ${root} holds the data of the entry ${known.entry}, not ${path.resolve(entry)}: each entry keeps its own. ` +
          'Pass --state-dir to use another directory.',
      );
    }
  }
  await mkdir(root, { recursive: true });
  const entryField = entry !== undefined ? path.resolve(entry) : known?.entry;
  const marker = { multinode: STATE_VERSION, app, ...(entryField !== undefined ? { entry: path.relative(root, entryField) } : {}) };
  await writeFile(path.join(root, STATE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  await writeFile(path.join(root, '.gitignore'), GITIGNORE);
  // The folder of the default layout is all state too.
  if (path.basename(path.dirname(root)) === STATE_FOLDER) await writeFile(path.join(path.dirname(root), '.gitignore'), GITIGNORE);
  await Promise.all([layout.dynamodb, layout.s3, layout.build, layout.logs].map((dir) => mkdir(dir, { recursive: true })));
  return layout;
}

/**
 * The marker of the state directory `root`: undefined when it has none; StateDirError when it is unreadable or not
 * ours.
 */
export function readStateMarker(root: string): StateMarker | undefined {
  const marker = path.join(root, STATE_MARKER);
  if (!existsSync(marker)) return undefined;
  let parsed: { multinode?: unknown; app?: unknown; entry?: unknown };
  try {
    parsed = JSON.parse(readFileSync(marker, 'utf8')) as typeof parsed;
  } catch (error) {
    throw new StateDirError(
      `The state directory ${root} is corrupt: ${STATE_MARKER} is not valid JSON (${(error as Error).message}). Move the directory away or pass ` +
        `--state-dir.`,
    );
  }
  if (parsed?.multinode !== STATE_VERSION || typeof parsed.app !== 'string' || (parsed.entry !== undefined && typeof parsed.entry !== 'string')) {
    throw new StateDirError(
      `The state directory ${root} is corrupt: ${STATE_MARKER} does not describe a multinode state directory of version ${STATE_VERSION}. Move it ` +
        `away or pass --state-dir.`,
    );
  }
  return { app: parsed.app, ...(typeof parsed.entry === 'string' ? { entry: path.resolve(root, parsed.entry) } : {}) };
}

/** A state directory found under an app folder's `.multinode/`. */
export interface FoundStateDir extends StateMarker {
  readonly root: string;
}

/** The state directories of the default layout under `folder` (`<folder>/.multinode/*` with a readable marker). */
export function stateDirsIn(folder: string): FoundStateDir[] {
  const parent = path.join(folder, STATE_FOLDER);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) return [];
  const found: FoundStateDir[] = [];
  for (const name of readdirSync(parent).sort()) {
    const root = path.join(parent, name);
    if (!statSync(root).isDirectory()) continue;
    let marker: StateMarker | undefined;
    try {
      marker = readStateMarker(root);
    } catch {
      continue; // Not readable: the command that opens it says why.
    }
    if (marker) found.push({ root, ...marker });
  }
  return found;
}

/**
 * Moves the state directory of an earlier version (`<app folder>/.multinode/` itself, one per package) into the
 * default directory of `entry`, so its data is kept. Nothing to do when there is none, or when it belongs to another
 * app. Refused while a `cloud.json` says a `multinode dev` may be running from it. Returns the new directory when it
 * moved something.
 */
export async function migrateLegacyStateDir(entry: string, app: string): Promise<string | undefined> {
  const legacy = path.join(appFolder(entry), STATE_FOLDER);
  const marker = readStateMarker(legacy);
  if (!marker || marker.app !== app) return undefined;
  const target = defaultStateDir(entry);
  if (existsSync(path.join(legacy, CLOUD_FILE))) {
    throw new StateDirError(
      `${legacy} is the state directory of an earlier multinode version, and its ${CLOUD_FILE} says a multinode dev may be running from it. ` +
        `Stop that multinode dev, then run this again: its data then moves to ${target}. (If none is running, delete ${path.join(legacy, CLOUD_FILE)}.)`,
    );
  }
  if (existsSync(target)) {
    throw new StateDirError(`${legacy} holds the data of an earlier multinode version, and ${target} exists already: move one of them away.`);
  }
  await mkdir(target, { recursive: true });
  const siblings = new Set(stateDirsIn(path.dirname(legacy)).map((d) => path.basename(d.root)));
  for (const name of readdirSync(legacy)) {
    if (name === '.gitignore' || name === path.basename(target) || siblings.has(name)) continue;
    await rename(path.join(legacy, name), path.join(target, name));
  }
  return target;
}

/**
 * `<app folder>/.multinode/<entry key>`: the app folder is the one of the nearest package.json above the entry (else
 * the entry's own folder); the key is the entry's path in it, with "-" for each separator (`src-app.ts`).
 */
export function defaultStateDir(entry: string): string {
  const folder = appFolder(entry);
  return path.join(folder, STATE_FOLDER, entryKey(folder, entry));
}

/** The name of an entry's state directory in its app folder's `.multinode/`. */
export function entryKey(folder: string, entry: string): string {
  return path.relative(folder, path.resolve(entry)).split(path.sep).join('-');
}

export { appFolder };
