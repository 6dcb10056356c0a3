/**
 * The keys of `runsByTime` (schema.ts), the state table's one index: every run record (a started run, a job, a
 * scheduled run's claim) in time order, across definitions.
 *
 * - Partition `tpk = runs#<shard>`: the shard is a stable hash of the record's id modulo RUN_INDEX_SHARDS. Sharding
 *   spreads the index's writes over several partitions (each takes about 1,000 writes per second); a reader queries
 *   the shards in parallel and merges them by sort key, and finds one record from its id by querying its one shard.
 * - Sort `tsk = <time, ISO UTC with milliseconds>#<record id>`: unique, and ordered by time. The time is the one the
 *   id carries: a run's or job's id encodes its creation time (ids.ts), a scheduled run's id is
 *   `<task>@<scheduled time>`. So the id alone gives the exact key.
 *
 * The creating write of each record carries these two attributes (no extra request); status changes update the
 * index's projected attributes as part of the same writes.
 */
import { scheduledRunKey } from '../../lib/schedule/event.js';
import { runIdTime } from './ids.js';
import { RUNS_INDEX } from './schema.js';

/** Shards of the index's partition key. Changing it would hide the records written under the old count. */
export const RUN_INDEX_SHARDS = 8;

/** The index keys a run record carries (absent on records written before the index existed). */
export type RunIndexKeys = { readonly [K in typeof RUNS_INDEX.partitionKey | typeof RUNS_INDEX.sortKey]: string };

/** The id of a scheduled run: `<task>@<scheduled time>` (the scheduled time as its claim's sort key holds it). */
export function scheduledRunId(task: string, scheduledTime: string): string {
  return scheduledRunKey({ name: task, scheduledTime });
}

/** 32-bit FNV-1a of the id's UTF-16 code units, modulo the shard count: stable across processes and releases. */
export function shardOf(recordId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < recordId.length; i++) {
    hash ^= recordId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % RUN_INDEX_SHARDS;
}

/** The index partition of shard `shard`. */
export function indexPartition(shard: number): string {
  return `runs#${shard}`;
}

/** `2024-01-01T23:00:00.000Z`: fixed width, so these strings sort as their times do. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** The index sort key of a record created (or scheduled) at `timeMs`: also the place of any run in time order. */
export function indexSortKey(timeMs: number, recordId: string): string {
  return `${isoMillis(timeMs)}#${recordId}`;
}

/** The index keys of a started run or a job: its id's time. */
export function runIndexKeys(id: string): RunIndexKeys {
  return keys(id, runIdTime(id));
}

/** The index keys of a scheduled run: its scheduled time. */
export function claimIndexKeys(task: string, scheduledTime: string): RunIndexKeys {
  return keys(scheduledRunId(task, scheduledTime), Date.parse(scheduledTime));
}

function keys(recordId: string, timeMs: number): RunIndexKeys {
  return { [RUNS_INDEX.partitionKey]: indexPartition(shardOf(recordId)), [RUNS_INDEX.sortKey]: indexSortKey(timeMs, recordId) } as RunIndexKeys;
}
