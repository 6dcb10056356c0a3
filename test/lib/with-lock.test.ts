/** The top-level withLock(name, fn): validates the name and runs through the installed runtime's lock. */
import { afterEach, describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { installRuntime, type RuntimePort } from '../../lib/runtime-port.js';

let uninstall: (() => void) | undefined;
afterEach(() => uninstall?.());

describe('withLock(name, fn)', () => {
  it('runs fn while holding the named lock, through the runtime', async () => {
    const held: string[] = [];
    const port = {
      lock: (name: string) => ({
        name,
        acquire: async () => {
          throw new Error('not used');
        },
        withLock: async <T>(fn: (lease: mn.Lease) => Promise<T> | T, options?: Partial<mn.AcquireOptions>) => {
          held.push(`${name} ${JSON.stringify(options)}`);
          return fn({ lock: name, expiresAt: new Date(0), signal: new AbortController().signal, release: async () => undefined });
        },
      }),
    } as unknown as RuntimePort;
    uninstall = installRuntime(port);
    expect(await mn.withLock('reindex', (lease) => `ran under ${lease.lock}`, { ttl: '30s' })).toBe('ran under reindex');
    expect(held).toEqual(['reindex {"ttl":"30s"}']);
  });

  it('refuses a bad name and rejects without a runtime', async () => {
    await expect(mn.withLock('a b', () => 1)).rejects.toThrow(/withLock: the lock name "a b" is not valid; a lock name is 1 to 64 characters/);
    await expect(mn.withLock('ok', () => 1)).rejects.toThrow(/^withLock\("ok"\) needs the multinode runtime/);
  });
});
