/**
 * Key schemas of the tables the runtime reads and writes, in one shape for whoever creates them: the CDK
 * constructs (aws-cdk-lib Table props) and the local cloud (CreateTable).
 */
import { DICT_SCHEMA } from './dict/schema.js';
import { STATE_SCHEMA } from './state/schema.js';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** The attribute DynamoDB's TTL reads (epoch seconds). */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes?: ReadonlyArray<{ indexName: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute }>;
}

/** One table per dict. */
export const DICT_TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: DICT_SCHEMA.key, type: 'S' },
  timeToLiveAttribute: DICT_SCHEMA.ttl,
};

/** The app's state table. */
export const STATE_TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: STATE_SCHEMA.partitionKey, type: 'S' },
  sortKey: { name: STATE_SCHEMA.sortKey, type: 'S' },
  timeToLiveAttribute: STATE_SCHEMA.ttl,
};
