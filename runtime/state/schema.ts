/**
 * The app's state table (`resourceNames(prefix).stateTable`): one table for every type of runtime record, told
 * apart by the partition key's prefix. Each type owns its prefix, so a new type adds items without touching the
 * others.
 *
 * Keys: `pk` (S, partition key) and `sk` (S, sort key); `ttl` (N, epoch seconds) is the TTL attribute.
 *
 * | record | pk | sk | what |
 * |---|---|---|---|
 * | run | `run#<function>` | run id (time-sortable) | an invocation started with `fn.start`: `list` is a Query newest first |
 * | schedule claim | `sched#<schedule>` | scheduled time, ISO UTC | de-duplicates deliveries of one scheduled time |
 * | job | `job#<job>` | job id | a job started with `job.start` (runtime/jobs/job-store.ts) |
 * | lock | `lock#<lock>` | `lease` | a lock's lease (runtime/locks/lock-client.ts) |
 * | concurrency | `conc#<definition>` | `slot#<nnnn>` or `queue#<id>` | maxConcurrency of started runs and jobs (state/concurrency.ts) |
 *
 * Runs of one function share a partition: starting more than ~1,000 runs per second of one function would
 * throttle on it (calls, `call`/`map`, keep no state and have no such ceiling).
 */
import type { TableSchema } from '../core/table-schema.js';

/**
 * How long the state of runs and jobs is kept after its creation (DynamoDB TTL). Their large inputs and results live
 * in the payload bucket, whose lifecycle must keep them at least as long.
 */
export const STATE_RETENTION_DAYS = 30;

export const STATE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttl: 'ttl',
} as const;

/** The key schema of the state table. */
export const STATE_TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: STATE_SCHEMA.partitionKey, type: 'S' },
  sortKey: { name: STATE_SCHEMA.sortKey, type: 'S' },
  timeToLiveAttribute: STATE_SCHEMA.ttl,
};

/** Partition key prefixes, one per type of record. */
export const RECORD_PREFIXES = {
  run: 'run',
  scheduleClaim: 'sched',
  job: 'job',
  lock: 'lock',
  concurrency: 'conc',
} as const;

export type RecordType = keyof typeof RECORD_PREFIXES;

/** The partition key of `name`'s records of one type: `run#buildReport`. */
export function partitionKey(type: RecordType, name: string): string {
  return `${RECORD_PREFIXES[type]}#${name}`;
}
