/**
 * The local S3: s3rver on 127.0.0.1, storing objects in a directory (the state directory, or a temporary one that
 * is removed on close). Only the payload bucket is used: large call arguments and results travel through it.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startS3(options: { directory?: string; buckets: readonly string[]; port?: number }): Promise<LocalS3> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'multinode-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  // SDK clients keep sockets alive; a server closing idle sockets first makes them meet ECONNRESET.
  if (server.httpServer) server.httpServer.keepAliveTimeout = 65_000;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
}
