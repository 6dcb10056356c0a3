/**
 * Finding a run from its id alone, and reading everything about it.
 *
 * - `<task>@<scheduled time>`: the claim, `sched#<task>` / `<scheduled time>`, one GetItem.
 * - a started run's or job's id: its one shard of the `runsByTime` index, queried for the exact sort key (the id
 *   carries its time), which names its definition; then the record itself. A record stored before the index existed
 *   (or while the index is still being built) is looked for in every function's and job's partition instead, one
 *   GetItem each, in parallel.
 *
 * Reading a run settles it first through its definition's client, as `get` does (a run past its deadline is stored
 * TIMED_OUT, a lost executor's run retried or failed, a job whose Batch job ended reconciled), then reads its record.
 */
import { fromWire } from '../../lib/codec.js';
import { RunNotFoundError } from '../../lib/errors.js';
import type { RuntimePort } from '../../lib/runtime-port.js';
import type { RuntimeContext } from '../core/context.js';
import { RunStore } from '../functions/run-store.js';
import { JobStore } from '../jobs/job-store.js';
import type { ClaimItem } from '../schedules/claims.js';
import { indexPartition, indexSortKey, shardOf } from '../state/run-index.js';
import { partitionKey, RUNS_INDEX } from '../state/schema.js';
import { UnknownRunError } from './errors.js';
import { indexProblem } from './run-listing.js';
import { parseRunId } from './run-ids.js';
import { recordOf, RUN_RECORDS, type RowItem, toSummary } from './run-rows.js';
import { RunsIndexUnavailableError } from './errors.js';
import type { RunDetail, RunKind, RunSummary } from './types.js';

/** Where a run is: its kind, definition and id (the control plane's form). */
export interface RunLocation {
  readonly kind: RunKind;
  readonly name: string;
  readonly id: string;
  /** The stored key's sort key: the id, or the scheduled time. */
  readonly sortKey: string;
}

export async function locateRun(context: RuntimeContext, id: unknown, method: string): Promise<RunLocation> {
  const parsed = parseRunId(id, method);
  if (parsed.form === 'scheduled') {
    const task = context.manifest.definitions.find((d) => d.name === parsed.task && d.kind === 'schedule');
    if (!task) {
      const tasks = context.manifest.definitions.filter((d) => d.kind === 'schedule').map((d) => d.name);
      throw new UnknownRunError(
        parsed.id,
        parsed.task,
        `the app has no scheduled task named "${parsed.task}" (its scheduled tasks: ${tasks.join(', ') || 'none'})`,
      );
    }
    const item = await context.state.get<ClaimItem>(partitionKey('scheduleClaim', parsed.task), parsed.scheduledTime);
    if (!item)
      throw new UnknownRunError(parsed.id, parsed.task, `${parsed.task} has no run scheduled at ${parsed.scheduledTime} (not fired, or expired after 30 days)`);
    return { kind: 'schedule', name: parsed.task, id: parsed.id, sortKey: parsed.scheduledTime };
  }
  const viaIndex = await fromIndex(context, parsed.id, parsed.timeMs).catch((error: unknown) => {
    if (indexProblem(error, context.state.tableName) instanceof RunsIndexUnavailableError) return undefined;
    throw error;
  });
  if (viaIndex) return viaIndex;
  const candidates = context.manifest.definitions.filter((d): d is typeof d & { kind: 'function' | 'job' } => d.kind === 'function' || d.kind === 'job');
  const found = await Promise.all(
    candidates.map(async (d) => ((await context.state.get(`${RUN_RECORDS[d.kind].prefix}#${d.name}`, parsed.id)) ? d : undefined)),
  );
  const owner = found.find((d) => d !== undefined);
  if (!owner) throw new UnknownRunError(parsed.id);
  return { kind: owner.kind, name: owner.name, id: parsed.id, sortKey: parsed.id };
}

async function fromIndex(context: RuntimeContext, id: string, timeMs: number): Promise<RunLocation | undefined> {
  const key = indexSortKey(timeMs, id);
  const { items } = await context.state.queryOnce<RowItem>({
    index: RUNS_INDEX.name,
    partition: [RUNS_INDEX.partitionKey, indexPartition(shardOf(id))],
    sort: { attribute: RUNS_INDEX.sortKey, from: key, to: key },
  });
  const record = items[0] ? recordOf(items[0].pk) : undefined;
  return record ? { kind: record.kind, name: record.name, id, sortKey: id } : undefined;
}

/**
 * A listed run whose stored status cannot be the truth, settled through its definition's client (as `get` settles
 * it), then read back as a row; undefined for scheduled runs (nothing settles them) or when it is gone.
 */
export async function settleRun(context: RuntimeContext, port: RuntimePort, kind: RunKind, name: string, id: string): Promise<RunSummary | undefined> {
  if (kind === 'schedule') return undefined;
  try {
    if (kind === 'function') await port.function(name).get(id);
    else await port.job(name).get(id);
  } catch (error) {
    if (error instanceof RunNotFoundError) return undefined;
    throw error;
  }
  const item = await context.state.get<RowItem>(`${RUN_RECORDS[kind].prefix}#${name}`, id);
  return item ? toSummary(item, context.clock()) : undefined;
}

/** Everything about the run at `where`, settled first through its definition's client. */
export async function readRun(context: RuntimeContext, port: RuntimePort, where: RunLocation): Promise<RunDetail> {
  const { state, payloads, clock, manifest } = context;
  const definition = manifest.definitions.find((d) => d.name === where.name && d.kind === where.kind);
  const placement = definition?.placement ?? undefined;
  const gone = () => new UnknownRunError(where.id, where.name, 'it was removed meanwhile');
  try {
    if (where.kind === 'function') {
      if (definition) await port.function(where.name).get(where.id);
      const store = new RunStore(where.name, state, payloads, clock);
      const record = await store.read(where.id);
      if (!record) throw gone();
      const result = record.status === 'SUCCEEDED' ? (await store.toInfo(record)).result : undefined;
      return {
        ...toSummary(record.item as RowItem, clock()),
        ...(placement ? { placement } : {}),
        deadline: new Date(record.deadline),
        input: fromWire(await store.args(record)),
        ...(record.status === 'SUCCEEDED' ? { result } : {}),
        ...(record.batchJobId ? { batchJobId: record.batchJobId } : {}),
        ...(record.heartbeatAt !== undefined ? { heartbeatAt: new Date(record.heartbeatAt) } : {}),
      };
    }
    if (where.kind === 'job') {
      if (definition) await port.job(where.name).get(where.id);
      const store = new JobStore(where.name, state, payloads, clock);
      const record = await store.read(where.id);
      const progress = await store.progress(record);
      return {
        ...toSummary(record.item as RowItem, clock()),
        placement: placement ?? record.placement,
        deadline: new Date(record.deadline),
        maxAttempts: record.maxAttempts,
        input: await store.input(record),
        ...(progress !== undefined ? { progress } : {}),
        ...(record.status === 'SUCCEEDED' ? { result: progress } : {}),
        ...(record.batchJobId ? { batchJobId: record.batchJobId } : {}),
        ...(record.heartbeatAt !== undefined ? { heartbeatAt: new Date(record.heartbeatAt) } : {}),
        ...(record.cancelRequestedAt !== undefined ? { cancelRequestedAt: new Date(record.cancelRequestedAt) } : {}),
      };
    }
    const item = await state.get<ClaimItem>(partitionKey('scheduleClaim', where.name), where.sortKey);
    if (!item) throw gone();
    const summary = toSummary(item as unknown as RowItem, clock());
    const ranOn = placement ?? item.placement;
    return {
      ...summary,
      ...(ranOn ? { placement: ranOn } : {}),
      ...(ranOn === 'batch' && item.runner ? { batchJobId: item.runner } : {}),
      ...(summary.status === 'RUNNING' || summary.status === 'CANCELLING' ? { leaseUntil: new Date(item.leaseUntil) } : {}),
      ...(item.heartbeatAt !== undefined && (summary.status === 'RUNNING' || summary.status === 'CANCELLING')
        ? { heartbeatAt: new Date(item.heartbeatAt) }
        : {}),
      ...(item.cancelRequestedAt !== undefined ? { cancelRequestedAt: new Date(item.cancelRequestedAt) } : {}),
    };
  } catch (error) {
    // Removed between finding it and reading it (a job's `remove`).
    if (error instanceof RunNotFoundError && !(error instanceof UnknownRunError)) throw gone();
    throw error;
  }
}
