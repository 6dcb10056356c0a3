/**
 * DynamoDB tables: one per dict, and the app's state table. On-demand billing, point-in-time recovery, a TTL
 * attribute, AWS-managed encryption at rest. Key schemas come from the runtime, which reads and writes the items.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DICT_TABLE_SCHEMA } from '../runtime/dicts/schema.js';
import { STATE_TABLE_SCHEMA } from '../runtime/state/schema.js';
import type { TableSchema } from '../runtime/core/table-schema.js';

export interface AppTableProps {
  /** Physical table name; the runtime finds the table by it. Required. */
  readonly tableName: string;
  /**
   * What happens to the table (and its data) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Point-in-time recovery.
   *
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Deletion protection.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
}

function createTable(scope: Construct, schema: TableSchema, props: AppTableProps): dynamodb.Table {
  const attribute = (key: { name: string; type: 'S' | 'N' | 'B' }) => ({ name: key.name, type: key.type as dynamodb.AttributeType });
  const table = new dynamodb.Table(scope, 'Table', {
    tableName: props.tableName,
    partitionKey: attribute(schema.partitionKey),
    ...(schema.sortKey ? { sortKey: attribute(schema.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: schema.timeToLiveAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: props.deletionProtection ?? false,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  for (const index of schema.globalSecondaryIndexes ?? []) {
    const projection = index.projection ?? { type: 'ALL' };
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      projectionType: dynamodb.ProjectionType[projection.type],
      ...(projection.type === 'INCLUDE' ? { nonKeyAttributes: [...projection.attributes] } : {}),
    });
  }
  return table;
}

/** The table of one dict. Usable on its own: `new DictTable(this, 'Cache', { tableName: 'my-app-dict-cache' })`. */
export class DictTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AppTableProps) {
    super(scope, id);
    this.table = createTable(this, DICT_TABLE_SCHEMA, props);
  }
}

/**
 * The app's state table: invocations, jobs, schedule de-duplication, locks, paused schedules; with the index
 * `runsByTime` that lists every run across definitions (runtime/state/run-index.ts).
 */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;
  /** Whether the schema has secondary indexes (their ARNs need their own permission). */
  readonly hasIndexes: boolean;

  constructor(scope: Construct, id: string, props: AppTableProps) {
    super(scope, id);
    this.table = createTable(this, STATE_TABLE_SCHEMA, props);
    this.hasIndexes = (STATE_TABLE_SCHEMA.globalSecondaryIndexes ?? []).length > 0;
  }
}
