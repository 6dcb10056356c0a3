/**
 * Access to the app's state table (schema.ts): reads, conditional writes and queries by partition. Every kind
 * of state (runs, schedule claims, and jobs, locks and concurrency slots) goes through this class, so the key
 * attributes and the meaning of a failed condition live in one place.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { appliedIfCondition, explainMissing, isConditionalCheckFailed } from '../core/aws-errors.js';
import { withNames } from '../core/expression-names.js';
import { STATE_SCHEMA as S } from './schema.js';

export type Item = Record<string, AttributeValue>;

export interface ConditionalUpdate {
  /** `SET` assignments: attribute -> value. */
  readonly set?: Readonly<Record<string, AttributeValue>>;
  /** Attributes to `REMOVE`. */
  readonly remove?: readonly string[];
  /** Numeric attributes to `ADD` to. */
  readonly add?: Readonly<Record<string, number>>;
  /** A condition expression; write attributes as `#name` (some are reserved words) and values as `:value`. */
  readonly condition?: string;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

export interface QueryPage {
  readonly items: Item[];
  /** The sort key to continue after, when there may be more. */
  readonly lastSortKey?: string;
}

export class StateTable {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  key(pk: string, sk: string): Item {
    return { [S.partitionKey]: { S: pk }, [S.sortKey]: { S: sk } };
  }

  /** A strongly consistent read. */
  async get(pk: string, sk: string): Promise<Item | undefined> {
    const output = await this.#guard(this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(pk, sk), ConsistentRead: true })));
    return output.Item;
  }

  /** Puts `attributes` under (pk, sk) only if no item is there; false when one was. */
  async putIfAbsent(pk: string, sk: string, attributes: Item): Promise<boolean> {
    return this.#conditional(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...attributes, ...this.key(pk, sk) },
          ConditionExpression: `attribute_not_exists(#${S.partitionKey})`,
          ...withNames(`#${S.partitionKey}`),
        }),
      ),
    );
  }

  /** Puts an item, replacing any, when `condition` holds (or always without one); false when it did not hold. */
  async put(pk: string, sk: string, attributes: Item, condition?: { expression: string; values?: Item }): Promise<boolean> {
    return this.#conditional(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...attributes, ...this.key(pk, sk) },
          ...(condition
            ? {
                ConditionExpression: condition.expression,
                ...withNames(condition.expression),
                ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
              }
            : {}),
        }),
      ),
    );
  }

  /**
   * Updates (pk, sk) when `change.condition` holds. Returns the whole item after the update, or undefined when
   * the condition failed. Add `attribute_exists(pk)` to the condition to avoid creating a missing item.
   */
  async update(pk: string, sk: string, change: ConditionalUpdate): Promise<Item | undefined> {
    const values: Item = { ...change.values };
    const clauses: string[] = [];
    const sets = Object.entries(change.set ?? {}).map(([name, value], i) => {
      values[`:set${i}`] = value;
      return `#${name} = :set${i}`;
    });
    if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
    const adds = Object.entries(change.add ?? {}).map(([name, by], i) => {
      values[`:add${i}`] = { N: String(by) };
      return `#${name} :add${i}`;
    });
    if (adds.length > 0) clauses.push(`ADD ${adds.join(', ')}`);
    if (change.remove?.length) clauses.push(`REMOVE ${change.remove.map((name) => `#${name}`).join(', ')}`);
    try {
      const output = await this.#guard(
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(pk, sk),
            UpdateExpression: clauses.join(' '),
            ...(change.condition ? { ConditionExpression: change.condition } : {}),
            ...withNames(clauses.join(' '), change.condition),
            ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return output.Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Deletes (pk, sk) when `condition` holds; returns the deleted item, or undefined when none was deleted. */
  async delete(pk: string, sk: string, condition?: { expression: string; values?: Item }): Promise<Item | undefined> {
    try {
      const output = await this.#guard(
        this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: this.key(pk, sk),
            ReturnValues: 'ALL_OLD',
            ...(condition
              ? {
                  ConditionExpression: condition.expression,
                  ...withNames(condition.expression),
                  ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
                }
              : {}),
          }),
        ),
      );
      return output.Attributes;
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
  async query(pk: string, options: { limit: number; after?: string; descending?: boolean; prefix?: string }): Promise<QueryPage> {
    const keyCondition = `#${S.partitionKey} = :pk${options.prefix === undefined ? '' : ` AND begins_with(#${S.sortKey}, :prefix)`}`;
    const items: Item[] = [];
    let after = options.after;
    for (;;) {
      const output = await this.#guard(
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: keyCondition,
            ...withNames(keyCondition),
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(options.prefix === undefined ? {} : { ':prefix': { S: options.prefix } }) },
            ScanIndexForward: !options.descending,
            Limit: options.limit - items.length,
            ConsistentRead: true,
            ...(after ? { ExclusiveStartKey: this.key(pk, after) } : {}),
          }),
        ),
      );
      items.push(...(output.Items ?? []));
      after = output.LastEvaluatedKey?.[S.sortKey]?.S;
      if (!after || items.length >= options.limit) return { items, ...(after ? { lastSortKey: after } : {}) };
    }
  }

  #conditional(promise: Promise<unknown>): Promise<boolean> {
    return appliedIfCondition(this.#guard(promise));
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

/** Attribute value helpers, so state items read like records. */
export const attr = {
  s: (value: string): AttributeValue => ({ S: value }),
  n: (value: number): AttributeValue => ({ N: String(value) }),
  str: (item: Item, name: string): string | undefined => item[name]?.S,
  num: (item: Item, name: string): number | undefined => (item[name]?.N === undefined ? undefined : Number(item[name]!.N)),
};
