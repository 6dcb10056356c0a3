import { DefinitionError } from '../errors.js';
import { OptionContext } from '../options/context.js';
import { NAME_PATTERN, NAME_RULE } from '../options/fields.js';
import { currentRuntime } from '../runtime-port.js';
import { callerSite, type SourceSite } from '../site.js';
import type { AcquireOptions, Lease, LockHandle } from '../handles.js';
import { Definition } from './base.js';

/** A lock: a named lease held by one holder at a time (conditional writes in the app's state table). */
export class LockDefinition extends Definition<'lock'> implements LockHandle {
  readonly options: Readonly<Record<string, never>> = {};
  readonly placement = null;
  readonly compute = null;

  /** @internal Use `lock(name)`. */
  constructor(site: SourceSite | undefined, name: unknown) {
    const ctx = new OptionContext('lock', site, typeof name === 'string' ? name : undefined);
    // An invalid name stands aside while problems are collected: the definition is then named by its export.
    const valid = typeof name === 'string' && NAME_PATTERN.test(name);
    if (!valid) ctx.check(() => ctx.fail(`the lock name ${JSON.stringify(name) ?? String(name)} is not valid; a lock name is ${NAME_RULE}.`), undefined);
    super('lock', site, valid ? name : undefined);
  }

  private get remote(): LockHandle {
    return currentRuntime(`lock "${this.name}"`).lock(this.name);
  }

  async acquire(options: AcquireOptions): Promise<Lease> {
    return this.remote.acquire(options);
  }
  async withLock<T>(fn: (lease: Lease) => Promise<T> | T, options?: Partial<AcquireOptions>): Promise<T> {
    return this.remote.withLock(fn, options);
  }
}

/** Declares a lock: `export const reindex = lock("reindex")`. */
export function lock(name: string): LockDefinition {
  return new LockDefinition(callerSite(lock), name);
}

/**
 * Runs `fn` while holding the lock `name` (a lease renewed while `fn` runs, released after), without declaring the
 * lock first: `await withLock("reindex", async () => ...)`. Options as for `lock(name).withLock`.
 */
export async function withLock<T>(name: string, fn: (lease: Lease) => Promise<T> | T, options?: Partial<AcquireOptions>): Promise<T> {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new DefinitionError(`withLock: the lock name ${JSON.stringify(name) ?? String(name)} is not valid; a lock name is ${NAME_RULE}.`);
  }
  return currentRuntime(`withLock("${name}")`).lock(name).withLock(fn, options);
}
