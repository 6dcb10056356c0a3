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
 * | schedule pause | `pause#<schedule>` | `pause` | a paused scheduled task (runtime/schedules/pauses.ts) |
 * | active scheduled run | `active#<schedule>` | `run` | the run of a task that runs one at a time, and the one waiting (runtime/schedules/active-run.ts) |
 *
 * Runs of one function share a partition: starting more than ~1,000 runs per second of one function would
 * throttle on it (calls, `call`/`map`, keep no state and have no such ceiling).
 *
 * One sparse global secondary index, `runsByTime` (run-index.ts), lists the runs of every definition by time: runs,
 * jobs and schedule claims carry its keys (`tpk`, `tsk`) from their creating write; locks, slots and pauses do not,
 * so they are not in it (nor is an active-run record).
 */
import type { GlobalIndexSchema, TableSchema } from '../core/table-schema.js';

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

/**
 * The index of runs by time (run-index.ts says how its keys are made). Its projection holds what a list row shows:
 * statuses, attempts, times, the error and the trigger of every kind of run record (`status` of runs and claims,
 * `jobStatus` of jobs, ...), never heartbeats, progress or payloads, so a heartbeat or a progress write does not write
 * the index (docs/aws-behaviour.md, "DynamoDB index reads and writes"). Each name here is an attribute of RunItem,
 * JobItem or ClaimItem (checked by a test).
 */
export const RUNS_INDEX = {
  name: 'runsByTime',
  partitionKey: 'tpk',
  sortKey: 'tsk',
  projected: ['status', 'jobStatus', 'attempts', 'createdAt', 'startedAt', 'finishedAt', 'deadline', 'error', 'failure', 'claimedAt', 'leaseUntil', 'trigger'],
} as const;

const RUNS_INDEX_SCHEMA: GlobalIndexSchema = {
  indexName: RUNS_INDEX.name,
  partitionKey: { name: RUNS_INDEX.partitionKey, type: 'S' },
  sortKey: { name: RUNS_INDEX.sortKey, type: 'S' },
  projection: { type: 'INCLUDE', attributes: RUNS_INDEX.projected },
};

/**
 * The key schema of the state table. A deployed table gains at most one new index per deploy, so a second index is
 * added in a later release than the first (docs/aws-behaviour.md, "DynamoDB index changes").
 */
export const STATE_TABLE_SCHEMA: TableSchema = {
  partitionKey: { name: STATE_SCHEMA.partitionKey, type: 'S' },
  sortKey: { name: STATE_SCHEMA.sortKey, type: 'S' },
  timeToLiveAttribute: STATE_SCHEMA.ttl,
  globalSecondaryIndexes: [RUNS_INDEX_SCHEMA],
};

/** Partition key prefixes, one per type of record. */
export const RECORD_PREFIXES = {
  run: 'run',
  scheduleClaim: 'sched',
  job: 'job',
  lock: 'lock',
  concurrency: 'conc',
  schedulePause: 'pause',
  scheduleActive: 'active',
} as const;

export type RecordType = keyof typeof RECORD_PREFIXES;

/** The partition key of `name`'s records of one type: `run#buildReport`. */
export function partitionKey(type: RecordType, name: string): string {
  return `${RECORD_PREFIXES[type]}#${name}`;
}
