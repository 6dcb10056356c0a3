/**
 * The local DynamoDB: dynalite on 127.0.0.1, in memory or persisted in a directory (LevelDB). dynalite speaks the
 * real wire protocol; its gaps (no TTL deletion, no transactions) are ones the runtime does not rely on: reads
 * filter expired entries themselves, and writes use single-item conditions.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import dynalite from 'dynalite';
import { StateDirError } from './errors.js';
import { serveLocal } from './http-server.js';

export interface LocalDynamo {
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** Directory of the LevelDB store; omitted: in memory. */
  readonly path?: string;
  readonly port?: number;
}

export async function startDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  if (options.path) await probeStore(options.path);
  const server: Server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite carries on with a request's database work after its connection is gone: requests in flight at close
  // finish first, or that work would fail later on the closed database.
  const local = await serveLocal(server, { port: options.port ?? 0, name: 'the local DynamoDB', drainMs: 2000 });
  return { endpoint: local.url, close: local.close };
}

/**
 * Opens and closes the store once before dynalite does: dynalite reports a store it cannot open as an uncaught
 * exception on the first request; here it becomes a clear error instead.
 */
async function probeStore(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  const require = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const { Level } = require('level') as { Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> } };
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    const reason = ((error as { cause?: Error }).cause ?? (error as Error)).message;
    if (/lock/i.test(reason)) {
      throw new StateDirError(
        `The state directory ${path} is in use by another process (another "multinode dev" or "multinode run" of this app?). Stop it, or pass ` +
          `--state-dir to use another directory.`,
      );
    }
    throw new StateDirError(
      `The state directory ${path} cannot be opened: ${reason}. It may be corrupt: move it away (its data is lost to this run) or pass --state-dir to ` +
        `use another directory.`,
    );
  }
  await db.close();
}
