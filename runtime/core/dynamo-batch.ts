/**
 * DynamoDB's batch APIs with their partial failures handled: BatchWriteItem and BatchGetItem may return part of
 * a request as `UnprocessedItems`/`UnprocessedKeys` (throttling, size); those are re-sent with backoff until done
 * (docs/aws-behaviour.md, "DynamoDB batch operations"). Chunks run in parallel, a few at a time. The document client
 * hands the unprocessed parts back as plain items, which translate back to the same attributes (numbers included,
 * see core/clients.ts).
 */
import { BatchGetCommand, type BatchGetCommandOutput, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MultinodeError } from '../../lib/errors.js';
import { type Backoff, backoffDelay, sleep } from './retry.js';
import { chunks, mapLimit } from './map-limit.js';

/** BatchWriteItem takes at most 25 puts/deletes; BatchGetItem at most 100 keys. */
export const BATCH_WRITE_MAX = 25;
export const BATCH_GET_MAX = 100;

/** An item's key (its key attributes), and an item, as plain objects. */
type Key = Record<string, unknown>;
type Item = Record<string, unknown>;

/** One write of a batch: an item to put, or a key to delete. */
export type BatchWrite<I extends Item = Item, K extends Key = Key> =
  | { readonly PutRequest: { readonly Item: I } }
  | { readonly DeleteRequest: { readonly Key: K } };

/** What is left to read of one request: the keys, and how to read them. */
interface PendingKeys<K> {
  readonly Keys: K[] | undefined;
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
export async function batchWrite<W extends BatchWrite>(
  documents: DynamoDBDocumentClient,
  table: string,
  requests: W[],
  options: BatchOptions = {},
): Promise<void> {
  await mapLimit(chunks(requests, BATCH_WRITE_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: W[] = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        if (round > MAX_UNPROCESSED_ROUNDS) {
          throw new BatchIncompleteError(`${pending.length} writes to table ${table} stayed unprocessed after ${MAX_UNPROCESSED_ROUNDS} retries (throttled).`);
        }
        options.onRetry?.(round, pending.length);
        await sleep(backoffDelay(round, options.backoff));
      }
      const output = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (output.UnprocessedItems?.[table] ?? []) as W[];
    }
  });
}

/** Reads items by key in batches of 100 (strongly consistent); returns the items found, in no particular order. */
export async function batchGet<K extends Key, I extends Item>(
  documents: DynamoDBDocumentClient,
  table: string,
  keys: K[],
  options: BatchOptions = {},
): Promise<I[]> {
  const found: I[] = [];
  await mapLimit(chunks(keys, BATCH_GET_MAX), BATCH_PARALLELISM, async (chunk) => {
    let pending: PendingKeys<K> | undefined = { Keys: chunk, ConsistentRead: true };
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
      found.push(...((output.Responses?.[table] ?? []) as I[]));
      pending = output.UnprocessedKeys?.[table] as PendingKeys<K> | undefined;
    }
  });
  return found;
}
