/**
 * Creates an app's tables in the local DynamoDB, as the CDK constructs do in AWS: the state table and one table
 * per dict, with the runtime's key schemas. Tables that already exist (a persisted state directory) are kept.
 * A table is ready only once ACTIVE: until then DynamoDB (and dynalite) answer item requests with
 * ResourceNotFoundException, so creation waits for it.
 *
 * A kept table that lacks an index of its schema (a state directory written by an earlier version) gets it the way
 * AWS adds an index to a deployed table: its items are indexed when they carry the index's keys. dynalite cannot add
 * an index to a table, so the table is made again with its schema and its items written back.
 */
import {
  type AttributeDefinition,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type Projection,
  ScanCommand,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Manifest } from '../../lib/manifest.js';
import type { ResourceNames } from '../../lib/naming.js';
import { awsErrorName } from '../core/aws-errors.js';
import { LocalCloudError } from './errors.js';
import { DICT_TABLE_SCHEMA } from '../dicts/schema.js';
import { STATE_TABLE_SCHEMA } from '../state/schema.js';
import type { GlobalIndexSchema, KeyAttribute, TableSchema } from '../core/table-schema.js';

/** Every table the app needs: [table name, schema]. */
export function appTables(manifest: Manifest, names: ResourceNames): Array<[string, TableSchema]> {
  const tables: Array<[string, TableSchema]> = [[names.stateTable, STATE_TABLE_SCHEMA]];
  for (const definition of manifest.definitions) {
    if (definition.kind === 'dict') tables.push([names.dictTable(definition.name), DICT_TABLE_SCHEMA]);
  }
  return tables;
}

export async function createTables(client: DynamoDBClient, tables: ReadonlyArray<[string, TableSchema]>): Promise<void> {
  await Promise.all(tables.map(([name, schema]) => createTable(client, name, schema)));
}

async function createTable(client: DynamoDBClient, name: string, schema: TableSchema): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createInput(name, schema)));
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceInUseException') throw error;
  }
  const table = await untilActive(client, name);
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  if ((schema.globalSecondaryIndexes ?? []).some((index) => !present.has(index.indexName))) await remake(client, name, schema);
}

function createInput(name: string, schema: TableSchema) {
  const keys: KeySchemaElement[] = [{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }];
  const attributes = new Map<string, AttributeDefinition>();
  const define = (key: KeyAttribute) => attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  define(schema.partitionKey);
  if (schema.sortKey) {
    keys.push({ AttributeName: schema.sortKey.name, KeyType: 'RANGE' });
    define(schema.sortKey);
  }
  const indexes = (schema.globalSecondaryIndexes ?? []).map((index) => {
    define(index.partitionKey);
    if (index.sortKey) define(index.sortKey);
    return globalIndex(index);
  });
  return {
    TableName: name,
    KeySchema: keys,
    AttributeDefinitions: [...attributes.values()],
    BillingMode: 'PAY_PER_REQUEST' as const,
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

function globalIndex(index: GlobalIndexSchema): GlobalSecondaryIndex {
  const keys: KeySchemaElement[] = [{ AttributeName: index.partitionKey.name, KeyType: 'HASH' }];
  if (index.sortKey) keys.push({ AttributeName: index.sortKey.name, KeyType: 'RANGE' });
  const projection = index.projection ?? { type: 'ALL' };
  const Projection: Projection =
    projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.attributes] } : { ProjectionType: projection.type };
  return { IndexName: index.indexName, KeySchema: keys, Projection };
}

/** Makes `name` again with `schema`, keeping its items (read into memory first: local tables are small). */
async function remake(client: DynamoDBClient, name: string, schema: TableSchema): Promise<void> {
  const items: NonNullable<WriteRequest['PutRequest']>['Item'][] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: name, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  await client.send(new DeleteTableCommand({ TableName: name }));
  await untilGone(client, name);
  await client.send(new CreateTableCommand(createInput(name, schema)));
  await untilActive(client, name);
  for (let i = 0; i < items.length; i += 25) {
    let requests: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [name]: requests } }));
      requests = output.UnprocessedItems?.[name] ?? [];
    }
  }
}

/** How long a table may stay CREATING before the local cloud gives up on it. */
const ACTIVE_WITHIN_MS = 30_000;

async function untilActive(client: DynamoDBClient, name: string): Promise<TableDescription> {
  const deadline = Date.now() + ACTIVE_WITHIN_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return Table;
    if (Date.now() > deadline)
      throw new LocalCloudError(`the local DynamoDB table "${name}" is still ${Table?.TableStatus} after ${ACTIVE_WITHIN_MS / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

async function untilGone(client: DynamoDBClient, name: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_WITHIN_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return;
      throw error;
    }
    if (Date.now() > deadline) throw new LocalCloudError(`the local DynamoDB table "${name}" is still there ${ACTIVE_WITHIN_MS / 1000} s after its deletion.`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
