/**
 * The key schema of a table the runtime reads and writes, in one shape for whoever creates it: the CDK constructs
 * (aws-cdk-lib Table props) and the local cloud (CreateTable). Each table's owner defines its schema
 * (dicts/schema.ts, state/schema.ts).
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/**
 * The attributes a secondary index holds besides its keys and the table's: all of them, none, or the listed ones
 * (an update that changes none of an index's keys and projected attributes does not write the index).
 */
export type IndexProjection = { readonly type: 'ALL' } | { readonly type: 'KEYS_ONLY' } | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] };

export interface GlobalIndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Default `ALL`. */
  readonly projection?: IndexProjection;
}

export interface TableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** The attribute DynamoDB's TTL reads (epoch seconds). */
  readonly timeToLiveAttribute?: string;
  /**
   * Sparse global secondary indexes: an item is in an index only when it has the index's key attributes. A deployed
   * table gains at most one new index per deploy (one per table update in CloudFormation).
   */
  readonly globalSecondaryIndexes?: readonly GlobalIndexSchema[];
}
