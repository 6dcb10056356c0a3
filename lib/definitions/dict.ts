import { OptionContext } from '../options/context.js';
import { NAME_PATTERN, NAME_RULE } from '../options/fields.js';
import { currentRuntime } from '../runtime-port.js';
import { callerSite, type SourceSite } from '../site.js';
import type { DictHandle, SetOptions } from '../handles.js';
import { Definition, objectOptions } from './base.js';

/** Options of `dict(name, options)`. None yet: table settings (removal policy, ...) are construct props. */
export type DictOptions = Record<string, never>;

/** A dict: a named key-value store shared by every part of the app. */
export class DictDefinition<V> extends Definition<'dict'> implements DictHandle<V> {
  readonly options: Readonly<Record<string, never>> = {};
  readonly placement = null;
  readonly compute = null;

  /** @internal Use `dict(name)`. */
  constructor(site: SourceSite | undefined, name: unknown, rawOptions: unknown) {
    const ctx = new OptionContext('dict', site, typeof name === 'string' ? name : undefined);
    // An invalid name stands aside while problems are collected: the definition is then named by its export.
    const valid = typeof name === 'string' && NAME_PATTERN.test(name);
    if (!valid) ctx.check(() => ctx.fail(`the dict name ${JSON.stringify(name) ?? String(name)} is not valid; a dict name is ${NAME_RULE}.`), undefined);
    ctx.checkKeys(objectOptions(ctx, rawOptions), []);
    super('dict', site, valid ? name : undefined);
  }

  private get remote(): DictHandle<V> {
    return currentRuntime(`dict "${this.name}"`).dict(this.name) as DictHandle<V>;
  }

  async get(key: string): Promise<V | undefined> {
    return this.remote.get(key);
  }
  async require(key: string): Promise<V> {
    return this.remote.require(key);
  }
  async getOrThrow(key: string): Promise<V> {
    return this.remote.getOrThrow(key);
  }
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    return this.remote.set(key, value, options);
  }
  async setIfAbsent(key: string, value: V, options?: SetOptions): Promise<boolean> {
    return this.remote.setIfAbsent(key, value, options);
  }
  async update(key: string, change: { expected: V | undefined; value: V }, options?: SetOptions): Promise<boolean> {
    return this.remote.update(key, change, options);
  }
  async increment(key: string, by?: number): Promise<number> {
    return this.remote.increment(key, by);
  }
  async delete(key: string): Promise<boolean> {
    return this.remote.delete(key);
  }
  async has(key: string): Promise<boolean> {
    return this.remote.has(key);
  }
  async *keys(options?: { prefix?: string }): AsyncIterable<string> {
    yield* this.remote.keys(options);
  }
  async *entries(options?: { prefix?: string }): AsyncIterable<[string, V]> {
    yield* this.remote.entries(options);
  }
  async getMany(keys: Iterable<string>): Promise<Array<V | undefined>> {
    return this.remote.getMany(keys);
  }
  async setMany(entries: Iterable<readonly [string, V]>, options?: SetOptions): Promise<void> {
    return this.remote.setMany(entries, options);
  }
  async deleteMany(keys: Iterable<string>): Promise<void> {
    return this.remote.deleteMany(keys);
  }
}

/** Declares a dict: `export const summaries = dict<string>("tweet_summaries")`. */
export function dict<V = unknown>(name: string, options?: DictOptions): DictDefinition<V> {
  return new DictDefinition<V>(callerSite(dict), name, options);
}
