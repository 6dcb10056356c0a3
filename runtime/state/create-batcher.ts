/**
 * New items of one partition created in the same turn of the event loop, sent together: a put-if-absent for one,
 * BatchWriteItem (25 a request, unprocessed parts re-sent) for more. A burst of `start`s then records its runs with a
 * request per 25, not one each. Only for items whose sort key nobody else can hold (fresh run ids: a millisecond time
 * and 80 random bits), where BatchWriteItem's lack of a condition loses nothing.
 */
import type { StateTable } from './state-table.js';

interface Pending<A extends object> {
  readonly attributes: A;
  readonly waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
}

export class CreateBatcher<A extends object> {
  #pending: Map<string, Pending<A>> | undefined;

  constructor(
    readonly table: StateTable,
    readonly pk: string,
  ) {}

  /** Resolves once the item (pk, sk) is written. */
  create(sk: string, attributes: A): Promise<void> {
    if (!this.#pending) {
      this.#pending = new Map();
      setImmediate(() => void this.#flush());
    }
    const pending = this.#pending;
    return new Promise((resolve, reject) => {
      const same = pending.get(sk);
      if (same) same.waiters.push({ resolve, reject });
      else pending.set(sk, { attributes, waiters: [{ resolve, reject }] });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending!;
    this.#pending = undefined;
    try {
      const items = [...batch].map(([sk, { attributes }]) => [sk, attributes] as const);
      if (items.length === 1) await this.table.putIfAbsent(this.pk, items[0]![0], items[0]![1]);
      else await this.table.putMany(this.pk, items);
      for (const { waiters } of batch.values()) for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const { waiters } of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}
