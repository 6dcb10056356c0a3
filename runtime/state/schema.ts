/**
 * The app's state table (`resourceNames(prefix).stateTable`): one table for every kind of runtime state, told
 * apart by the partition key's prefix. Each kind owns its prefix, so a new kind (jobs, locks, ...) adds items
 * without touching the others.
 *
 * Keys: `pk` (S, partition key) and `sk` (S, sort key); `ttl` (N, epoch seconds) is the TTL attribute.
 *
 * | kind | pk | sk | what |
 * |---|---|---|---|
 * | run | `run#<function>` | run id (time-sortable) | an invocation started with `fn.start`: `list` is a Query newest first |
 * | schedule claim | `sched#<schedule>` | scheduled time, ISO UTC | de-duplicates deliveries of one scheduled time |
 * | job | `job#<job>` | job id | reserved for jobs (the jobs issue) |
 * | lock | `lock#<lock>` | `lease` | reserved for locks (the jobs issue) |
 * | concurrency | `conc#<definition>` | `slot#<nnnn>` or `queue#<id>` | maxConcurrency of started runs and jobs (concurrency.ts) |
 *
 * Runs of one function share a partition: starting more than ~1,000 runs per second of one function would
 * throttle on it (calls, `call`/`map`, keep no state and have no such ceiling).
 */

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

/** Partition key prefixes, one per kind of state. */
export const STATE_KINDS = {
  run: 'run',
  scheduleClaim: 'sched',
  job: 'job',
  lock: 'lock',
  concurrency: 'conc',
} as const;

export type StateKind = keyof typeof STATE_KINDS;

/** The partition key of `name`'s items of one kind: `run#buildReport`. */
export function partitionKey(kind: StateKind, name: string): string {
  return `${STATE_KINDS[kind]}#${name}`;
}
