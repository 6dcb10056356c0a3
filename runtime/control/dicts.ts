/**
 * A dict as an operator sees it: its entries page by page, and one entry to read, set or delete. Values go through
 * the codec as they do for the app (a value set here reads back in the app as the same JavaScript value). Listing
 * is a paginated Scan of the dict's table (the dict's item design makes every key its own partition, which serves
 * point access; listing reads the whole table, and pays for it, even when few keys match the prefix).
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import type { DictClient } from '../dicts/dict-client.js';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.js';
import type { DictEntry, DictListOptions, Page } from './types.js';

export const DICT_LIST_LIMIT = { min: 1, max: 1000, default: 100 } as const;

export class ControlDict {
  readonly name: string;
  readonly #client: DictClient<unknown>;

  constructor(client: DictClient<unknown>) {
    this.name = client.name;
    this.#client = client;
  }

  /** Entries page by page (in the table's order, not sorted), optionally only keys starting with `prefix`. */
  async list(options: DictListOptions = {}): Promise<Page<DictEntry>> {
    const method = `dict("${this.name}").list()`;
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${method}: options must be an object such as { prefix: "user/" }.`);
    const { prefix, limit = DICT_LIST_LIMIT.default } = options;
    if (prefix !== undefined && typeof prefix !== 'string') throw new InvalidArgumentError(`${method}: prefix must be a string, got ${typeof prefix}.`);
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < DICT_LIST_LIMIT.min || limit > DICT_LIST_LIMIT.max) {
      throw new InvalidArgumentError(`${method}: limit must be a whole number from ${DICT_LIST_LIMIT.min} to ${DICT_LIST_LIMIT.max}, got ${String(limit)}.`);
    }
    const listing = fingerprint(['dict', this.name, prefix ?? null]);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, listing, method, 'the same dict listing');
    const page = await this.#client.page({ limit, ...(prefix ? { prefix } : {}), ...(after !== undefined ? { after } : {}) });
    return {
      items: page.entries.map(([key, value]) => ({ key, value })),
      ...(page.last !== undefined ? { cursor: encodeCursor(listing, page.last) } : {}),
    };
  }

  /** The value, or undefined when the key is missing or expired. */
  get(key: string): Promise<unknown> {
    return this.#client.get(key);
  }

  /** Sets the value (any value the codec carries: JSON, Date, Map, Set, BigInt, Uint8Array, ...). */
  set(key: string, value: unknown): Promise<void> {
    return this.#client.set(key, value);
  }

  /** Deletes the entry; true when it existed. */
  delete(key: string): Promise<boolean> {
    return this.#client.delete(key);
  }
}
