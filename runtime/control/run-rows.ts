/**
 * Run records as rows: a started run (`run#<function>`), a job (`job#<job>`) or a scheduled run's claim
 * (`sched#<task>`) read from the state table or its `runsByTime` index, turned into a RunSummary. Each record type
 * names its status differently (`status`, `jobStatus`) and keeps its error under its own name (`error`, `failure`);
 * this module is the one place that knows.
 *
 * Every row has a place in time, its key: `<time ISO ms>#<id>` (state/run-index.ts), which is the index's sort key
 * and is computed the same way for records read from the table (those stored before the index have no `tsk`).
 */
import type { RemoteErrorInfo, Status } from '../../lib/handles.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { runIdTime } from '../state/ids.js';
import { indexSortKey, scheduledRunId } from '../state/run-index.js';
import { RECORD_PREFIXES, RUNS_INDEX, STATE_SCHEMA } from '../state/schema.js';
import type { RunKind, RunStatus, RunSummary } from './types.js';

/** The attributes of a run record a row needs (the index's projection, and the table's keys). */
export const ROW_ATTRIBUTES: readonly string[] = [STATE_SCHEMA.partitionKey, STATE_SCHEMA.sortKey, RUNS_INDEX.sortKey, ...RUNS_INDEX.projected];

/** A run record's row attributes, whichever record type it is. */
export interface RowItem {
  readonly pk: string;
  readonly sk: string;
  readonly tsk?: string;
  readonly status?: string;
  readonly jobStatus?: string;
  readonly attempts?: number;
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline?: number;
  readonly error?: string;
  readonly failure?: string;
  readonly claimedAt?: number;
  readonly leaseUntil?: number;
  readonly trigger?: ScheduledTrigger;
}

/** The record types of runs, by kind: their partition-key prefix and status attribute. */
export const RUN_RECORDS: Readonly<Record<RunKind, { readonly prefix: string; readonly status: 'status' | 'jobStatus' }>> = {
  function: { prefix: RECORD_PREFIXES.run, status: 'status' },
  job: { prefix: RECORD_PREFIXES.job, status: 'jobStatus' },
  schedule: { prefix: RECORD_PREFIXES.scheduleClaim, status: 'status' },
};

const ACTIVE: ReadonlySet<string> = new Set<Status>(['PENDING', 'RUNNING', 'CANCELLING']);

export function isActive(status: RunStatus): boolean {
  return ACTIVE.has(status);
}

/** The kind and definition of a record, from its partition key; undefined for records that are not runs. */
export function recordOf(pk: string): { kind: RunKind; name: string } | undefined {
  const hash = pk.indexOf('#');
  if (hash < 0) return undefined;
  const prefix = pk.slice(0, hash);
  const kind = (Object.keys(RUN_RECORDS) as RunKind[]).find((k) => RUN_RECORDS[k].prefix === prefix);
  return kind ? { kind, name: pk.slice(hash + 1) } : undefined;
}

/** The run's id: the sort key, or `<task>@<scheduled time>` for a scheduled run. */
export function rowId(kind: RunKind, name: string, sk: string): string {
  return kind === 'schedule' ? scheduledRunId(name, sk) : sk;
}

/** A record's place in time (see above). */
export function rowKey(item: RowItem): string {
  if (item.tsk) return item.tsk;
  const record = recordOf(item.pk);
  if (record?.kind === 'schedule') return indexSortKey(Date.parse(item.sk), rowId('schedule', record.name, item.sk));
  return indexSortKey(runIdTime(item.sk), item.sk);
}

/** The status as stored (a claim's status, a run's `status`, a job's `jobStatus`). */
export function storedStatus(item: RowItem): RunStatus {
  return (item.jobStatus ?? item.status ?? 'PENDING') as RunStatus;
}

/**
 * Whether the stored status cannot be the whole truth and a read through the definition's client would settle it (as
 * `get` does): an active run or job past its deadline (it timed out), or a job CANCELLING (it may have ended). Such
 * rows are rare; the others show as stored.
 */
export function needsSettling(kind: RunKind, item: RowItem, now: number): boolean {
  if (kind === 'schedule') return false;
  const status = storedStatus(item);
  if (!isActive(status)) return false;
  return status === 'CANCELLING' || (item.deadline !== undefined && now > item.deadline);
}

/** Statuses whose rows carry the error: what went wrong, or (scheduled runs) why the fire time did not run or stopped. */
const WITH_ERROR: ReadonlySet<RunStatus> = new Set<RunStatus>(['FAILED', 'TIMED_OUT', 'SKIPPED', 'CANCELLED']);

/**
 * The row of a run record. A scheduled run RUNNING past its lease shows TIMED_OUT (its executor stopped reporting), one
 * CANCELLING past it CANCELLED.
 */
export function toSummary(item: RowItem, now: number): RunSummary {
  const record = recordOf(item.pk);
  if (!record) throw new Error(`not a run record: ${item.pk}`);
  const { kind, name } = record;
  let status = storedStatus(item);
  const lapsed = kind === 'schedule' && item.leaseUntil !== undefined && item.leaseUntil < now;
  if (lapsed && status === 'RUNNING') status = 'TIMED_OUT';
  else if (lapsed && status === 'CANCELLING') status = 'CANCELLED';
  const createdAt = kind === 'schedule' ? item.claimedAt : item.createdAt;
  // Claims stored before the run history have no startedAt: those that ran (then only SUCCEEDED or FAILED) started when
  // claimed. A new one without it has not started (waiting, queued on Batch, skipped, paused).
  const legacyRan = status === 'SUCCEEDED' || status === 'FAILED';
  const startedAt = kind === 'schedule' ? (item.startedAt ?? (legacyRan ? item.claimedAt : undefined)) : item.startedAt;
  const endedAt = isActive(status) ? undefined : lapsed ? item.leaseUntil : item.finishedAt;
  const errorText =
    WITH_ERROR.has(status) && (kind === 'schedule' || status === 'FAILED' || status === 'TIMED_OUT') ? (kind === 'job' ? item.failure : item.error) : undefined;
  const error = errorText ? parseError(errorText) : kind === 'schedule' && status === 'TIMED_OUT' ? leaseError(name, item) : undefined;
  return {
    id: rowId(kind, name, item.sk),
    name,
    kind,
    status,
    attempts: item.attempts ?? 0,
    createdAt: new Date(createdAt ?? (kind === 'schedule' ? Date.parse(item.sk) : runIdTime(item.sk))),
    ...(startedAt !== undefined ? { startedAt: new Date(startedAt) } : {}),
    ...(endedAt !== undefined ? { endedAt: new Date(endedAt) } : {}),
    ...(startedAt !== undefined ? { durationMs: Math.max(0, (endedAt ?? now) - startedAt) } : {}),
    ...(kind === 'schedule' ? { scheduledTime: new Date(item.sk), trigger: item.trigger ?? 'scheduled' } : {}),
    ...(error ? { error } : {}),
  };
}

function parseError(text: string): RemoteErrorInfo {
  try {
    return JSON.parse(text) as RemoteErrorInfo;
  } catch {
    return { type: 'Error', message: text };
  }
}

function leaseError(name: string, item: RowItem): RemoteErrorInfo {
  return {
    type: 'TimeoutError',
    message:
      `${name} (scheduled ${item.sk}) did not finish within its lease (until ${new Date(item.leaseUntil ?? 0).toISOString()}): ` +
      'its executor stopped reporting.',
  };
}
