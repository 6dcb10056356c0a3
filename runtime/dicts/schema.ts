/**
 * The DynamoDB item design of a dict: one table per dict (`resourceNames(prefix).dictTable(name)`), one item per
 * entry. The CDK constructs and the local cloud create the tables from these constants.
 *
 * | attribute | type | holds |
 * |---|---|---|
 * | `k` | S | the key: the table's partition key (no sort key) |
 * | `n` | N | the value, when it is a plain number DynamoDB can hold exactly (so `increment` is one atomic ADD) |
 * | `v` | S | any other value, as the codec's JSON |
 * | `h` | S | hash of `v`'s canonical form: what compare-and-set (`update`) compares |
 * | `x` | N | expiry in epoch SECONDS: the table's TTL attribute; absent when the entry never expires |
 *
 * Why the key alone is the partition key: every point operation (get, set, increment, CAS) goes to its own
 * partition, so a dict has no per-partition throughput ceiling (a single-partition design caps at 1,000 writes
 * and 3,000 reads per second). The price: `keys({ prefix })` and `entries()` are a paginated Scan of the table
 * (filtered server-side), not a Query. Listing is the rare operation; point access is the common one.
 */
import type { TableSchema } from '../core/table-schema.js';

export const DICT_SCHEMA = {
  /** Partition key attribute (type S). */
  key: 'k',
  number: 'n',
  value: 'v',
  hash: 'h',
  /** TTL attribute (type N, epoch seconds). */
  ttl: 'x',
} as const;

/** The key schema of a dict's table. */
export const DICT_TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: DICT_SCHEMA.key, type: 'S' },
  timeToLiveAttribute: DICT_SCHEMA.ttl,
};

/** DynamoDB's item limit: 400 KB, attribute names and values included. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
/** DynamoDB's partition key limit. */
export const KEY_LIMIT_BYTES = 2048;
