/**
 * A dict over its DynamoDB table (item design: schema.ts). Reads are strongly consistent and never show an
 * expired entry; writes check key rules and the item size before sending.
 */
import { type DynamoDBDocumentClient, type NumberValue, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidArgumentError, KeyNotFoundError, NotANumberError, ValueTooLargeError } from '../../lib/errors.js';
import type { DictHandle, SetOptions } from '../../lib/handles.js';
import { parseDurationSeconds, DURATION_FORMS } from '../../lib/units/duration.js';
import { checkDocumentClient } from '../core/clients.js';
import { appliedIfCondition, awsErrorName, explainMissing, isConditionalCheckFailed } from '../core/aws-errors.js';
import { withNames } from '../core/expression-names.js';
import { type ItemRequests, itemRequests } from '../core/item-requests.js';
import { batchGet, batchWrite, type BatchOptions } from '../core/dynamo-batch.js';
import {
  checkKey,
  dynamoNumber,
  type EntryItem,
  entryItem,
  type EntryKey,
  entryKey,
  expiryFor,
  isExpired,
  itemValue,
  storeValue,
  type StoredValue,
} from './items.js';
import { DICT_SCHEMA as S, ITEM_LIMIT_BYTES } from './schema.js';

export interface DictClientOptions {
  /** The document client (core/clients.ts). */
  readonly documents: DynamoDBDocumentClient;
  /** The dict's name (for messages). */
  readonly name: string;
  /** Its table. */
  readonly table: string;
  /** Epoch ms; injectable so TTL tests need no waiting. */
  readonly clock?: () => number;
  readonly batch?: BatchOptions;
}

/** Condition: the entry is absent or expired (`:now` = epoch seconds). */
const ABSENT = `attribute_not_exists(#${S.key}) OR #${S.ttl} <= :now`;
/** Condition: the entry exists and is not expired. */
const PRESENT = `attribute_exists(#${S.key}) AND (attribute_not_exists(#${S.ttl}) OR #${S.ttl} > :now)`;

/** Values of conditions: strings, safe integers, and dict numbers with their exact text. */
type Values = Record<string, string | number | NumberValue>;

export class DictClient<V = unknown> implements DictHandle<V> {
  readonly name: string;
  readonly #documents: DynamoDBDocumentClient;
  /** Its point reads and writes, through a client that caches its middleware when the runtime made the document client. */
  readonly #requests: ItemRequests;
  readonly #table: string;
  readonly #clock: () => number;
  readonly #batch: BatchOptions;

  constructor(options: DictClientOptions) {
    this.name = options.name;
    this.#documents = checkDocumentClient(options.documents, `dict "${options.name}"`);
    this.#requests = itemRequests(this.#documents);
    this.#table = options.table;
    this.#clock = options.clock ?? Date.now;
    this.#batch = options.batch ?? {};
  }

  async get(key: string): Promise<V | undefined> {
    const item = await this.#read(checkKey(this.name, key));
    return item ? (itemValue(item) as V) : undefined;
  }

  async require(key: string): Promise<V> {
    const item = await this.#read(checkKey(this.name, key));
    if (!item) throw new KeyNotFoundError(this.name, key);
    return itemValue(item) as V;
  }

  getOrThrow(key: string): Promise<V> {
    return this.require(key);
  }

  async has(key: string): Promise<boolean> {
    return (await this.#read(checkKey(this.name, key), `#${S.key}, #${S.ttl}`)) !== undefined;
  }

  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    const item = this.#item(key, value, options);
    await this.#guard(this.#requests.put({ TableName: this.#table, Item: item }));
  }

  async setIfAbsent(key: string, value: V, options?: SetOptions): Promise<boolean> {
    return this.#putIfAbsent(this.#item(key, value, options));
  }

  async update(key: string, change: { expected: V | undefined; value: V }, options?: SetOptions): Promise<boolean> {
    if (typeof change !== 'object' || change === null || !('expected' in change) || !('value' in change)) {
      throw new InvalidArgumentError(
        `dict "${this.name}".update(key, change): change must be { expected, value } (expected undefined means "only if absent").`,
      );
    }
    const item = this.#item(key, change.value, options);
    if (change.expected === undefined) return this.#putIfAbsent(item);
    const [attribute, value] = compared(storeValue(change.expected, 'expected'));
    return this.#conditional({
      TableName: this.#table,
      Item: item,
      ConditionExpression: `${PRESENT} AND #${attribute} = :expected`,
      ...withNames(PRESENT, `#${attribute}`),
      ExpressionAttributeValues: { ...this.#now(), ':expected': value },
    });
  }

  async increment(key: string, by = 1): Promise<number> {
    checkKey(this.name, key);
    if (typeof by !== 'number' || !Number.isFinite(by) || /e/i.test(String(by))) {
      throw new InvalidArgumentError(`dict "${this.name}".increment: "by" must be a finite number written without exponent, got ${String(by)}.`);
    }
    for (;;) {
      // Fast path: one atomic ADD on a live (or absent) number entry.
      try {
        const output = await this.#guard(
          this.#requests.update({
            TableName: this.#table,
            Key: entryKey(key),
            UpdateExpression: `ADD #${S.number} :by`,
            ConditionExpression: `attribute_not_exists(#${S.value}) AND (attribute_not_exists(#${S.ttl}) OR #${S.ttl} > :now)`,
            ExpressionAttributeNames: { [`#${S.number}`]: S.number, [`#${S.value}`]: S.value, [`#${S.ttl}`]: S.ttl },
            ExpressionAttributeValues: { ...this.#now(), ':by': dynamoNumber(String(by)) },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return Number((output.Attributes as EntryItem | undefined)?.[S.number]);
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      // Slow path: the entry is expired (counts as 0), or holds a non-number value.
      const item = await this.#read(key, undefined, true);
      if (item === undefined || isExpired(item, this.#clock())) {
        const won = await this.#putIfAbsent(entryItem(this.name, key, { n: String(by) }, undefined));
        if (won) return by;
        continue;
      }
      const current = itemValue(item);
      if (typeof current !== 'number') {
        throw new NotANumberError(`dict "${this.name}": cannot increment key ${JSON.stringify(key)}: it holds ${describe(current)}, not a number.`);
      }
      // A number stored as JSON (exponent form): compare-and-set the sum.
      const next = current + by;
      if (await this.#replaceIf(key, storeValue(current, 'value'), storeValue(next, 'value'), item[S.ttl])) return next;
    }
  }

  async delete(key: string): Promise<boolean> {
    const output = await this.#guard(this.#requests.delete({ TableName: this.#table, Key: entryKey(checkKey(this.name, key)), ReturnValues: 'ALL_OLD' }));
    return output.Attributes !== undefined && !isExpired(output.Attributes as EntryItem, this.#clock());
  }

  async *keys(options?: { prefix?: string }): AsyncIterable<string> {
    for await (const item of this.#scan(options?.prefix, `#${S.key}`)) yield item[S.key];
  }

  async *entries(options?: { prefix?: string }): AsyncIterable<[string, V]> {
    for await (const item of this.#scan(options?.prefix)) yield [item[S.key], itemValue(item) as V];
  }

  async getMany(keys: Iterable<string>): Promise<Array<V | undefined>> {
    const list = [...iterate(keys, this.name, 'getMany(keys)')].map((key, i) => checkKey(this.name, key, `key at keys[${i}]`));
    const unique = [...new Set(list)];
    const items = await this.#guard(batchGet<EntryKey, EntryItem>(this.#documents, this.#table, unique.map(entryKey), this.#batch));
    const now = this.#clock();
    const byKey = new Map<string, unknown>();
    for (const item of items) if (!isExpired(item, now)) byKey.set(item[S.key], itemValue(item));
    return list.map((key) => byKey.get(key) as V | undefined);
  }

  async setMany(entries: Iterable<readonly [string, V]>, options?: SetOptions): Promise<void> {
    const expiry = this.#expiry(options);
    // BatchWriteItem refuses two writes to one key in a request; the last value wins, as with sequential sets.
    const byKey = new Map<string, EntryItem>();
    let index = 0;
    for (const entry of iterate(entries, this.name, 'setMany(entries)')) {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new InvalidArgumentError(`dict "${this.name}".setMany: entries[${index}] must be a [key, value] pair.`);
      }
      const key = checkKey(this.name, entry[0], `key at entries[${index}]`);
      byKey.delete(key);
      byKey.set(key, entryItem(this.name, key, storeValue(entry[1], `entries[${index}][1]`), expiry));
      index++;
    }
    await this.#guard(
      batchWrite(
        this.#documents,
        this.#table,
        [...byKey.values()].map((Item) => ({ PutRequest: { Item } })),
        this.#batch,
      ),
    );
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const unique = new Set([...iterate(keys, this.name, 'deleteMany(keys)')].map((key, i) => checkKey(this.name, key, `key at keys[${i}]`)));
    await this.#guard(
      batchWrite(
        this.#documents,
        this.#table,
        [...unique].map((k) => ({ DeleteRequest: { Key: entryKey(k) } })),
        this.#batch,
      ),
    );
  }

  // ---- internals

  #now(): Values {
    return { ':now': Math.floor(this.#clock() / 1000) };
  }

  #expiry(options: SetOptions | undefined): number | undefined {
    if (options === undefined || options.ttl === undefined) return undefined;
    const parsed = parseDurationSeconds(options.ttl);
    if ('problem' in parsed || parsed.seconds <= 0) {
      throw new InvalidArgumentError(`dict "${this.name}": ttl ${JSON.stringify(options.ttl)} is not valid; expected ${DURATION_FORMS}, longer than 0.`);
    }
    return expiryFor(this.#clock(), parsed.seconds);
  }

  #item(key: string, value: V, options: SetOptions | undefined): EntryItem {
    return entryItem(this.name, checkKey(this.name, key), storeValue(value, 'value'), this.#expiry(options));
  }

  /** The live item for `key`, or undefined when missing or expired. */
  async #read(key: string, projection?: string, includeExpired = false): Promise<EntryItem | undefined> {
    const output = await this.#guard(
      this.#requests.get({
        TableName: this.#table,
        Key: entryKey(key),
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection, ...withNames(projection) } : {}),
      }),
    );
    const item = output.Item as EntryItem | undefined;
    if (!item || (!includeExpired && isExpired(item, this.#clock()))) return undefined;
    return item;
  }

  /** Writes `next` only if the live entry still holds `current`. */
  async #replaceIf(key: string, current: StoredValue, next: StoredValue, expiry: number | undefined): Promise<boolean> {
    const [attribute, value] = compared(current);
    return this.#conditional({
      TableName: this.#table,
      Item: entryItem(this.name, key, next, expiry),
      ConditionExpression: `${PRESENT} AND #${attribute} = :expected`,
      ...withNames(PRESENT, `#${attribute}`),
      ExpressionAttributeValues: { ...this.#now(), ':expected': value },
    });
  }

  async *#scan(prefix: string | undefined, projection?: string): AsyncIterable<EntryItem> {
    const filter = this.#scanFilter(prefix);
    let start: Record<string, unknown> | undefined;
    do {
      const output = await this.#guard(
        this.#documents.send(
          new ScanCommand({
            TableName: this.#table,
            ConsistentRead: true,
            FilterExpression: filter.expression,
            ...withNames(filter.expression, projection),
            ExpressionAttributeValues: filter.values,
            ...(projection ? { ProjectionExpression: projection } : {}),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of output.Items ?? []) yield item as EntryItem;
      start = output.LastEvaluatedKey;
    } while (start);
  }

  /**
   * One page of live entries, as `entries` reads them (a Scan: the table's order, not sorted; expired entries and
   * keys without `prefix` are filtered on the server): at most `limit`, and `last`, the key to pass as `after` for the
   * next page, when there may be more. A Scan may start after any key, so a page may end at its last entry.
   */
  async page(options: { prefix?: string; limit: number; after?: string }): Promise<{ entries: Array<[string, V]>; last?: string }> {
    const filter = this.#scanFilter(options.prefix);
    const entries: Array<[string, V]> = [];
    let start: Record<string, unknown> | undefined = options.after === undefined ? undefined : entryKey(options.after);
    let scanned = 0;
    for (;;) {
      const output = await this.#guard(
        this.#documents.send(
          new ScanCommand({
            TableName: this.#table,
            ConsistentRead: true,
            // At least the entries still wanted, and as many items as all requests before read: a prefix that few keys
            // match takes a few requests (the reads double), not one per page-sized slice of the table, and never more
            // than twice the items read before the page filled.
            Limit: Math.max(options.limit - entries.length, scanned),
            FilterExpression: filter.expression,
            ...withNames(filter.expression),
            ExpressionAttributeValues: filter.values,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      scanned += output.ScannedCount ?? 0;
      for (const item of (output.Items ?? []) as EntryItem[]) {
        // The page is full with more of this response left: it ends at its last entry, where the next page starts.
        if (entries.length === options.limit) return { entries, last: entries.at(-1)![0] };
        entries.push([item[S.key], itemValue(item) as V]);
      }
      start = output.LastEvaluatedKey;
      if (!start) return { entries };
      if (entries.length >= options.limit) return { entries, last: (start as EntryItem)[S.key] };
    }
  }

  #scanFilter(prefix: string | undefined): { expression: string; values: Values } {
    if (prefix !== undefined && (typeof prefix !== 'string' || Buffer.byteLength(prefix) > 2048)) {
      throw new InvalidArgumentError(`dict "${this.name}": prefix must be a string of at most 2048 bytes.`);
    }
    const filters = [`(attribute_not_exists(#${S.ttl}) OR #${S.ttl} > :now)`];
    const values = this.#now();
    if (prefix) {
      filters.push(`begins_with(#${S.key}, :prefix)`);
      values[':prefix'] = prefix;
    }
    return { expression: filters.join(' AND '), values };
  }

  /** Writes `item` only if its key has no live entry (none, or an expired one); true when it did. */
  #putIfAbsent(item: Parameters<ItemRequests['put']>[0]['Item']): Promise<boolean> {
    return this.#conditional({ TableName: this.#table, Item: item, ConditionExpression: ABSENT, ...withNames(ABSENT), ExpressionAttributeValues: this.#now() });
  }

  /** Runs a conditional write: true when it was applied, false when its condition failed. */
  #conditional(input: Parameters<ItemRequests['put']>[0]): Promise<boolean> {
    return appliedIfCondition(this.#guard(this.#requests.put(input)));
  }

  /** Turns the service's errors for a missing table or an oversize item into ours. */
  async #guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (awsErrorName(error) === 'ValidationException' && /item size/i.test((error as Error).message)) {
        throw new ValueTooLargeError(
          `dict "${this.name}": an entry is over DynamoDB's 400 KB item limit (${(error as Error).message}).`,
          ITEM_LIMIT_BYTES + 1,
          ITEM_LIMIT_BYTES,
        );
      }
      return explainMissing(error, `The table "${this.#table}" of dict "${this.name}"`);
    }
  }
}

/** What compare-and-set compares for a stored value: the number itself, or the hash of its JSON. */
function compared(stored: StoredValue): [attribute: string, value: string | NumberValue] {
  return 'n' in stored ? [S.number, dynamoNumber(stored.n)] : [S.hash, stored.h];
}

function iterate<T>(items: Iterable<T>, dict: string, what: string): Iterable<T> {
  if (items === null || typeof items !== 'object' || typeof (items as Iterable<T>)[Symbol.iterator] !== 'function' || typeof items === 'string') {
    throw new InvalidArgumentError(`dict "${dict}".${what}: expected an array or other iterable, got ${items === null ? 'null' : typeof items}.`);
  }
  return items;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : `a ${typeof value}`;
}
