/**
 * Creates an app's tables in the local DynamoDB, as the CDK constructs do in AWS: the state table and one table
 * per dict, with the runtime's key schemas. Tables that already exist (a persisted state directory) are kept.
 * A table is ready only once ACTIVE: until then DynamoDB (and dynalite) answer item requests with
 * ResourceNotFoundException, so creation waits for it.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import type { Manifest } from '../../lib/manifest.js';
import type { ResourceNames } from '../../lib/naming.js';
import { awsErrorName } from '../core/aws-errors.js';
import { LocalCloudError } from './errors.js';
import { DICT_TABLE_SCHEMA } from '../dicts/schema.js';
import { STATE_TABLE_SCHEMA } from '../state/schema.js';
import type { TableSchema } from '../core/table-schema.js';

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
  const keys: KeySchemaElement[] = [{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }];
  const attributes: AttributeDefinition[] = [{ AttributeName: schema.partitionKey.name, AttributeType: schema.partitionKey.type }];
  if (schema.sortKey) {
    keys.push({ AttributeName: schema.sortKey.name, KeyType: 'RANGE' });
    attributes.push({ AttributeName: schema.sortKey.name, AttributeType: schema.sortKey.type });
  }
  try {
    await client.send(new CreateTableCommand({ TableName: name, KeySchema: keys, AttributeDefinitions: attributes, BillingMode: 'PAY_PER_REQUEST' }));
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceInUseException') throw error;
  }
  await untilActive(client, name);
}

/** How long a table may stay CREATING before the local cloud gives up on it. */
const ACTIVE_WITHIN_MS = 30_000;

async function untilActive(client: DynamoDBClient, name: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_WITHIN_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new LocalCloudError(`the local DynamoDB table "${name}" is still ${Table?.TableStatus} after ${ACTIVE_WITHIN_MS / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
