/**
 * DynamoDB's batch APIs with their partial failures handled: BatchWriteItem and BatchGetItem may return part of
 * a request as `UnprocessedItems`/`UnprocessedKeys` (throttling, size); those are re-sent with backoff until done
 * (docs/aws-behaviour.md, "DynamoDB batch operations"). Chunks run in parallel, a few at a time.
 */
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { MultinodeError } from '../../lib/errors.js';
import { type Backoff, backoffDelay, sleep } from '../core/retry.js';
import { chunks, mapLimit } from '../core/map-limit.js';
import { BATCH_GET_MAX, BATCH_WRITE_MAX } from './schema.js';
import type { Item } from './items.js';

/** Batch requests in flight at once per call. */
export const BATCH_PARALLELISM = 8;
/** Rounds of re-sending unprocessed parts before giving up. */
export const MAX_UNPROCESSED_ROUNDS = 12;

/** A batch operation still had unprocessed items after every retry. */
export class BatchIncompleteError extends MultinodeError {}

export interface BatchOptions {
  /** Injected in tests to watch retries. */
  readonly onRetry?: (round: number, remaining: number) => void;
  readonly backoff?: Backoff;
}

/** Writes (puts and deletes) in batches of 25; every request's key must be unique across `requests`. */
export async function batchWrite(client: DynamoDBClient, table: string, requests: WriteRequest[], options: BatchOptions = {}): Promise<void> {
  await mapLimit(chunks(requests, BATCH_WRITE_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: WriteRequest[] = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        if (round > MAX_UNPROCESSED_ROUNDS) {
          throw new BatchIncompleteError(`${pending.length} writes to table ${table} stayed unprocessed after ${MAX_UNPROCESSED_ROUNDS} retries (throttled).`);
        }
        options.onRetry?.(round, pending.length);
        await sleep(backoffDelay(round, options.backoff));
      }
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = output.UnprocessedItems?.[table] ?? [];
    }
  });
}

/** Reads items by key in batches of 100 (strongly consistent); returns the items found, in no particular order. */
export async function batchGet(client: DynamoDBClient, table: string, keys: Item[], options: BatchOptions & { projection?: string } = {}): Promise<Item[]> {
  const found: Item[] = [];
  await mapLimit(chunks(keys, BATCH_GET_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: KeysAndAttributes | undefined = { Keys: chunk, ConsistentRead: true };
    for (let round = 0; pending?.Keys?.length; round++) {
      if (round > 0) {
        if (round > MAX_UNPROCESSED_ROUNDS) {
          throw new BatchIncompleteError(
            `${pending.Keys.length} reads from table ${table} stayed unprocessed after ${MAX_UNPROCESSED_ROUNDS} retries (throttled).`,
          );
        }
        options.onRetry?.(round, pending.Keys.length);
        await sleep(backoffDelay(round, options.backoff));
      }
      const output: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: pending } }));
      found.push(...(output.Responses?.[table] ?? []));
      pending = output.UnprocessedKeys?.[table];
    }
  });
  return found;
}
