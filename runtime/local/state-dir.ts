/**
 * The local cloud's state directory (default `<app>/.multinode/`): DynamoDB data, S3 objects, logs and the built
 * bundle, so data survives a restart of `multinode dev`. A marker file says which app it belongs to; a directory that is
 * not one of ours, or one whose marker is unreadable, is refused with a clear error rather than written into.
 *
 * Layout: `state.json` (marker), `dynamodb/` (LevelDB), `s3/` (objects), `build/` (bundles), `logs/` (CloudWatch
 * Logs), `cloud.json` (the running cloud's endpoints, while it runs), `.gitignore` (everything).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appFolder } from '../build/app-folder.js';
import { CLOUD_FILE } from '../entry/connect.js';
import { StateDirError } from './errors.js';

export const STATE_MARKER = 'state.json';
const STATE_VERSION = 1;

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

/** Checks (or creates) the state directory of `app`; throws StateDirError when it cannot be used. */
export async function prepareStateDir(root: string, app: string): Promise<StateDirLayout> {
  const layout = stateDirLayout(root);
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw new StateDirError(`The state directory ${root} is a file, not a directory. Remove it or pass --state-dir.`);
    const marker = path.join(root, STATE_MARKER);
    const entries = readdirSync(root).filter((name) => name !== '.gitignore');
    if (!existsSync(marker)) {
      if (entries.length > 0) {
        throw new StateDirError(
          `The directory ${root} is not a multinode state directory (it has no ${STATE_MARKER}) and is not empty; refusing to write into it. Pass ` +
            `--state-dir with an empty or new directory.`,
        );
      }
    } else {
      let parsed: { multinode?: unknown; app?: unknown };
      try {
        parsed = JSON.parse(readFileSync(marker, 'utf8')) as typeof parsed;
      } catch (error) {
        throw new StateDirError(
          `The state directory ${root} is corrupt: ${STATE_MARKER} is not valid JSON (${(error as Error).message}). Move the directory away or pass ` +
            `--state-dir.`,
        );
      }
      if (parsed.multinode !== STATE_VERSION || typeof parsed.app !== 'string') {
        throw new StateDirError(
          `The state directory ${root} is corrupt: ${STATE_MARKER} does not describe a multinode state directory of version ${STATE_VERSION}. Move it ` +
            `away or pass --state-dir.`,
        );
      }
      if (parsed.app !== app) {
        throw new StateDirError(`The state directory ${root} belongs to the app "${parsed.app}", not "${app}". Pass --state-dir to use another directory.`);
      }
    }
  }
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, STATE_MARKER), `${JSON.stringify({ multinode: STATE_VERSION, app }, null, 2)}\n`);
  await writeFile(path.join(root, '.gitignore'), '# multinode dev state: local data, not source\n*\n');
  await Promise.all([layout.dynamodb, layout.s3, layout.build, layout.logs].map((dir) => mkdir(dir, { recursive: true })));
  return layout;
}

/** `<app>/.multinode`: next to the nearest package.json above the entry (else next to the entry). */
export function defaultStateDir(entry: string): string {
  return path.join(appFolder(entry), '.multinode');
}

export { appFolder };
