/**
 * Access to the app's state table (schema.ts): reads, conditional writes and queries by partition. Every kind
 * of state (runs, schedule claims, jobs, locks, concurrency slots) goes through this class, so the key attributes
 * and the meaning of a failed condition live in one place.
 *
 * Items are plain objects (the document client translates them, see core/clients.ts). Each kind of record declares
 * its attributes once, as an interface next to its store (RunItem, JobItem, ClaimItem, SlotItem, QueueItem,
 * LeaseItem), and reads and writes here are typed by it.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkDocumentClient } from '../core/clients.js';
import { appliedIfCondition, explainMissing, isConditionalCheckFailed } from '../core/aws-errors.js';
import { batchGet, batchWrite } from '../core/dynamo-batch.js';
import { withNames } from '../core/expression-names.js';
import { type ItemRequests, itemRequests } from '../core/item-requests.js';
import { STATE_SCHEMA as S } from './schema.js';

/** The key attributes of every state item. */
export type StateKey = { readonly [K in typeof S.partitionKey | typeof S.sortKey]: string };

/** The TTL attribute (epoch seconds) of records DynamoDB deletes after a while. */
export type Expiring = { readonly [K in typeof S.ttl]: number };

/** A record's item as stored: its attributes and its key. */
export type Stored<A extends object> = A & StateKey;

/** Values of `:placeholders` in conditions: the runtime compares strings and numbers only. */
export type ConditionValues = Readonly<Record<string, string | number>>;

export interface Condition {
  /** Write attributes as `#name` (some are reserved words) and values as `:value`. */
  readonly expression: string;
  readonly values?: ConditionValues;
}

/** The attributes of `A` that hold numbers: what `ADD` may add to. */
type NumericAttributes<A> = { [K in keyof A]-?: NonNullable<A[K]> extends number ? K : never }[keyof A] & string;

export interface ConditionalUpdate<A extends object> {
  /** `SET` assignments: attribute -> value (an undefined value sets nothing). */
  readonly set?: Partial<A>;
  /** Attributes to `REMOVE`. */
  readonly remove?: ReadonlyArray<keyof A & string>;
  /** Numeric attributes to `ADD` to. */
  readonly add?: Partial<Record<NumericAttributes<A>, number>>;
  /** `SET` of a number plus another numeric attribute of the item: attribute -> [number, attribute]. */
  readonly setSum?: Partial<Record<NumericAttributes<A>, readonly [number, NumericAttributes<A>]>>;
  /** `SET` only where the item has no value yet (`if_not_exists`): attribute -> value. */
  readonly setIfAbsent?: Partial<A>;
  /** A condition expression; write attributes as `#name` (some are reserved words) and values as `:value`. */
  readonly condition?: string;
  readonly values?: ConditionValues;
}

/** One Query request of `queryOnce`: a partition (of the table or an index), a sort-key range, a filter. */
export interface RangeQuery {
  /** An index of the table (read eventually consistent); default the table itself (read strongly consistent). */
  readonly index?: string;
  /** The partition: [attribute, value]. */
  readonly partition: readonly [attribute: string, value: string];
  /** Sort keys from `from` to `to`, both inclusive (either may be left out). */
  readonly sort?: { readonly attribute: string; readonly from?: string; readonly to?: string };
  readonly descending?: boolean;
  /** Items to read (before the filter); DynamoDB also stops at 1 MB. */
  readonly limit?: number;
  /** A filter on the items read (they still count against `limit`). */
  readonly filter?: Condition;
  /** Only these attributes (default: all the table or index holds). */
  readonly attributes?: readonly string[];
  /** Where the previous page stopped (its `lastKey`). */
  readonly startKey?: Readonly<Record<string, unknown>>;
}

export interface QueryPage<A extends object> {
  readonly items: Array<Stored<A>>;
  /** The sort key to continue after, when there may be more. */
  readonly lastSortKey?: string;
}

export class StateTable {
  readonly documents: DynamoDBDocumentClient;
  /** Its frequent requests, through a client that caches its middleware when the runtime made the document client. */
  readonly #requests: ItemRequests;

  constructor(
    documents: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {
    this.documents = checkDocumentClient(documents, `StateTable "${tableName}"`);
    this.#requests = itemRequests(this.documents);
  }

  key(pk: string, sk: string): StateKey {
    return { [S.partitionKey]: pk, [S.sortKey]: sk };
  }

  /** A strongly consistent read. */
  async get<A extends object>(pk: string, sk: string): Promise<Stored<A> | undefined> {
    const output = await this.#guard(this.#requests.get({ TableName: this.tableName, Key: this.key(pk, sk), ConsistentRead: true }));
    return output.Item as Stored<A> | undefined;
  }

  /** Strongly consistent reads of items of one partition (BatchGetItem, 100 keys a request); found items by sort key. */
  async getMany<A extends object>(pk: string, sks: readonly string[]): Promise<Map<string, Stored<A>>> {
    const items = await this.#guard(
      batchGet<StateKey, Stored<A>>(
        this.documents,
        this.tableName,
        [...new Set(sks)].map((sk) => this.key(pk, sk)),
      ),
    );
    return new Map(items.map((item) => [item[S.sortKey], item]));
  }

  /** Puts items of one partition, replacing any (BatchWriteItem, 25 a request): unconditional writes only. */
  async putMany<A extends object>(pk: string, items: ReadonlyArray<readonly [sk: string, attributes: A]>): Promise<void> {
    const unique = new Map(items.map(([sk, attributes]) => [sk, attributes]));
    const requests = [...unique].map(([sk, attributes]) => ({ PutRequest: { Item: { ...attributes, ...this.key(pk, sk) } } }));
    await this.#guard(batchWrite(this.documents, this.tableName, requests));
  }

  /** Puts `attributes` under (pk, sk) only if no item is there; false when one was. */
  async putIfAbsent<A extends object>(pk: string, sk: string, attributes: A): Promise<boolean> {
    return this.put(pk, sk, attributes, { expression: `attribute_not_exists(#${S.partitionKey})` });
  }

  /** Puts an item, replacing any, when `condition` holds (or always without one); false when it did not hold. */
  async put<A extends object>(pk: string, sk: string, attributes: A, condition?: Condition): Promise<boolean> {
    return appliedIfCondition(
      this.#guard(
        this.#requests.put({
          TableName: this.tableName,
          Item: { ...attributes, ...this.key(pk, sk) },
          ...conditionInput(condition),
        }),
      ),
    );
  }

  /**
   * Updates (pk, sk) when `change.condition` holds. Returns the whole item after the update, or undefined when
   * the condition failed. Add `attribute_exists(pk)` to the condition to avoid creating a missing item.
   */
  async update<A extends object>(pk: string, sk: string, change: ConditionalUpdate<A>): Promise<Stored<A> | undefined> {
    const values: Record<string, unknown> = { ...change.values };
    const clauses: string[] = [];
    const sets = Object.entries(change.set ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([name, value], i) => {
        values[`:set${i}`] = value;
        return `#${name} = :set${i}`;
      });
    for (const [i, [name, sum]] of Object.entries<readonly [number, string] | undefined>(change.setSum ?? {}).entries()) {
      if (!sum) continue;
      values[`:sum${i}`] = sum[0];
      sets.push(`#${name} = :sum${i} + #${sum[1]}`);
    }
    for (const [i, [name, value]] of Object.entries(change.setIfAbsent ?? {}).entries()) {
      if (value === undefined) continue;
      values[`:ifAbsent${i}`] = value;
      sets.push(`#${name} = if_not_exists(#${name}, :ifAbsent${i})`);
    }
    if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
    const adds = Object.entries<number | undefined>(change.add ?? {})
      .filter(([, by]) => by !== undefined)
      .map(([name, by], i) => {
        values[`:add${i}`] = by;
        return `#${name} :add${i}`;
      });
    if (adds.length > 0) clauses.push(`ADD ${adds.join(', ')}`);
    if (change.remove?.length) clauses.push(`REMOVE ${change.remove.map((name) => `#${name}`).join(', ')}`);
    try {
      const output = await this.#guard(
        this.#requests.update({
          TableName: this.tableName,
          Key: this.key(pk, sk),
          UpdateExpression: clauses.join(' '),
          ...(change.condition ? { ConditionExpression: change.condition } : {}),
          ...withNames(clauses.join(' '), change.condition),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes as Stored<A> | undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Deletes (pk, sk) when `condition` holds; returns the deleted item, or undefined when none was deleted. */
  async delete<A extends object>(pk: string, sk: string, condition?: Condition): Promise<Stored<A> | undefined> {
    try {
      const output = await this.#guard(
        this.#requests.delete({ TableName: this.tableName, Key: this.key(pk, sk), ReturnValues: 'ALL_OLD', ...conditionInput(condition) }),
      );
      return output.Attributes as Stored<A> | undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * One page of a partition, by sort key (newest first for time-sortable keys when `descending`); with `prefix`, only
   * the items whose sort key starts with it. The page holds `limit` items unless the partition ends first: DynamoDB
   * stops a query at 1 MB, so large items (inline arguments, results) take several requests to fill a page.
   */
  async query<A extends object>(pk: string, options: { limit: number; after?: string; descending?: boolean; prefix?: string }): Promise<QueryPage<A>> {
    const keyCondition = `#${S.partitionKey} = :pk${options.prefix === undefined ? '' : ` AND begins_with(#${S.sortKey}, :prefix)`}`;
    const items: Array<Stored<A>> = [];
    let after = options.after;
    for (;;) {
      const output = await this.#guard(
        this.#requests.query({
          TableName: this.tableName,
          KeyConditionExpression: keyCondition,
          ...withNames(keyCondition),
          ExpressionAttributeValues: { ':pk': pk, ...(options.prefix === undefined ? {} : { ':prefix': options.prefix }) },
          ScanIndexForward: !options.descending,
          Limit: options.limit - items.length,
          ConsistentRead: true,
          ...(after ? { ExclusiveStartKey: this.key(pk, after) } : {}),
        }),
      );
      items.push(...((output.Items ?? []) as Array<Stored<A>>));
      after = (output.LastEvaluatedKey as StateKey | undefined)?.[S.sortKey];
      if (!after || items.length >= options.limit) return { items, ...(after ? { lastSortKey: after } : {}) };
    }
  }

  /**
   * One Query request, as given: the items that passed the filter and where it stopped (`lastKey`, absent at the end
   * of the range). For callers that page and merge themselves (the control plane's listings).
   */
  async queryOnce<A extends object>(query: RangeQuery): Promise<{ items: Array<Stored<A>>; lastKey?: Record<string, unknown> }> {
    const values: Record<string, unknown> = { ':partition': query.partition[1], ...query.filter?.values };
    let keyCondition = `#${query.partition[0]} = :partition`;
    const sort = query.sort;
    if (sort?.from !== undefined && sort.to !== undefined) {
      keyCondition += ` AND #${sort.attribute} BETWEEN :from AND :to`;
      Object.assign(values, { ':from': sort.from, ':to': sort.to });
    } else if (sort?.from !== undefined) {
      keyCondition += ` AND #${sort.attribute} >= :from`;
      values[':from'] = sort.from;
    } else if (sort?.to !== undefined) {
      keyCondition += ` AND #${sort.attribute} <= :to`;
      values[':to'] = sort.to;
    }
    const projection = query.attributes?.map((name) => `#${name}`).join(', ');
    const output = await this.#guard(
      this.#requests.query({
        TableName: this.tableName,
        ...(query.index ? { IndexName: query.index } : { ConsistentRead: true }),
        KeyConditionExpression: keyCondition,
        ...(query.filter ? { FilterExpression: query.filter.expression } : {}),
        ...(projection ? { ProjectionExpression: projection } : {}),
        ...withNames(keyCondition, query.filter?.expression, projection),
        ExpressionAttributeValues: values,
        ScanIndexForward: !query.descending,
        ...(query.limit !== undefined ? { Limit: query.limit } : {}),
        ...(query.startKey ? { ExclusiveStartKey: query.startKey } : {}),
      }),
    );
    return { items: (output.Items ?? []) as Array<Stored<A>>, ...(output.LastEvaluatedKey ? { lastKey: output.LastEvaluatedKey } : {}) };
  }

  async #guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw error;
      return explainMissing(error, `The app's state table "${this.tableName}"`);
    }
  }
}

/** The condition parameters of a write: the expression, the names it uses, its values. */
function conditionInput(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...withNames(condition.expression),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}
