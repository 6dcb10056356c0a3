/**
 * Point reads of one partition asked for in the same turn of the event loop, sent together: a GetItem for one key,
 * BatchGetItem (strongly consistent too, 100 keys a request) for more. A process awaiting many runs at once
 * (`Promise.all(ids.map((id) => fn.awaitResult(id)))`) then polls them with a request per 100 runs, not one per run.
 */
import type { StateTable, Stored } from './state-table.js';

interface Waiter<A extends object> {
  resolve(item: Stored<A> | undefined): void;
  reject(error: unknown): void;
}

export class ReadBatcher<A extends object> {
  #pending: Map<string, Array<Waiter<A>>> | undefined;

  constructor(
    readonly table: StateTable,
    readonly pk: string,
  ) {}

  /** The item (pk, sk) as stored now, read strongly consistent; undefined when there is none. */
  read(sk: string): Promise<Stored<A> | undefined> {
    if (!this.#pending) {
      this.#pending = new Map();
      setImmediate(() => void this.#flush());
    }
    const pending = this.#pending;
    return new Promise((resolve, reject) => {
      const waiters = pending.get(sk);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(sk, [{ resolve, reject }]);
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending!;
    this.#pending = undefined;
    const keys = [...batch.keys()];
    try {
      const found = keys.length === 1 ? new Map([[keys[0]!, await this.table.get<A>(this.pk, keys[0]!)]]) : await this.table.getMany<A>(this.pk, keys);
      for (const [sk, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(sk));
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}
