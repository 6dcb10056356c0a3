/**
 * The key schema of a table the runtime reads and writes, in one shape for whoever creates it: the CDK constructs
 * (aws-cdk-lib Table props) and the local cloud (CreateTable). Each table's owner defines its schema
 * (dicts/schema.ts, state/schema.ts).
 */
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
