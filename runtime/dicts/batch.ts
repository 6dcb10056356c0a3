/**
 * DynamoDB's batch APIs with their partial failures handled: BatchWriteItem and BatchGetItem may return part of
 * a request as `UnprocessedItems`/`UnprocessedKeys` (throttling, size); those are re-sent with backoff until done
 * (docs/aws-behaviour.md, "DynamoDB batch operations"). Chunks run in parallel, a few at a time. The document client
 * hands the unprocessed parts back as plain items, which translate back to the same attributes (numbers included,
 * see core/clients.ts).
 */
import { BatchGetCommand, type BatchGetCommandOutput, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MultinodeError } from '../../lib/errors.js';
import { type Backoff, backoffDelay, sleep } from '../core/retry.js';
import { chunks, mapLimit } from '../core/map-limit.js';
import { BATCH_GET_MAX, BATCH_WRITE_MAX } from './schema.js';
import type { EntryItem, EntryKey } from './items.js';

/** One write of a batch: an entry to put, or a key to delete. */
export type EntryWrite = { readonly PutRequest: { readonly Item: EntryItem } } | { readonly DeleteRequest: { readonly Key: EntryKey } };

/** What is left to read of one request: the keys, and how to read them. */
interface PendingKeys {
  readonly Keys: EntryKey[] | undefined;
  readonly ConsistentRead?: boolean;
}

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
export async function batchWrite(documents: DynamoDBDocumentClient, table: string, requests: EntryWrite[], options: BatchOptions = {}): Promise<void> {
  await mapLimit(chunks(requests, BATCH_WRITE_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: EntryWrite[] = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        if (round > MAX_UNPROCESSED_ROUNDS) {
          throw new BatchIncompleteError(`${pending.length} writes to table ${table} stayed unprocessed after ${MAX_UNPROCESSED_ROUNDS} retries (throttled).`);
        }
        options.onRetry?.(round, pending.length);
        await sleep(backoffDelay(round, options.backoff));
      }
      const output = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (output.UnprocessedItems?.[table] ?? []) as EntryWrite[];
    }
  });
}

/** Reads items by key in batches of 100 (strongly consistent); returns the items found, in no particular order. */
export async function batchGet(documents: DynamoDBDocumentClient, table: string, keys: EntryKey[], options: BatchOptions = {}): Promise<EntryItem[]> {
  const found: EntryItem[] = [];
  await mapLimit(chunks(keys, BATCH_GET_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: PendingKeys | undefined = { Keys: chunk, ConsistentRead: true };
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
      const output: BatchGetCommandOutput = await documents.send(new BatchGetCommand({ RequestItems: { [table]: pending } }));
      found.push(...((output.Responses?.[table] ?? []) as EntryItem[]));
      pending = output.UnprocessedKeys?.[table] as PendingKeys | undefined;
    }
  });
  return found;
}
