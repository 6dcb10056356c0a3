/**
 * How many runs wait, run and failed, over every definition: one pass over the `runsByTime` index's shards for the
 * window (in parallel), reading only the rows a status filter keeps (active ones, failed ones, and active ones past
 * their deadline, which timed out). Rows show as they are stored, without the writes a listing's settling makes.
 * Records written before the index existed are not counted.
 */
import { isoMillis, RUN_INDEX_SHARDS } from '../state/run-index.js';
import type { StateTable } from '../state/state-table.js';
import { ACTIVE_WINDOW_MS, shardStream, statusFilter } from './run-listing.js';
import { isActive, recordOf, type RowItem, rowKey, toSummary } from './run-rows.js';
import type { RunCounts, RunStatus } from './types.js';

const COUNTED: ReadonlySet<RunStatus> = new Set<RunStatus>(['PENDING', 'RUNNING', 'CANCELLING', 'FAILED', 'TIMED_OUT']);

export async function countRuns(state: StateTable, now: number, failedSince: number): Promise<{ total: RunCounts; byDefinition: Map<string, RunCounts> }> {
  const since = Math.min(failedSince, now - ACTIVE_WINDOW_MS);
  const filter = statusFilter('any', COUNTED, now);
  const total: Record<keyof RunCounts, number> = { pending: 0, running: 0, failed: 0 };
  const byDefinition = new Map<string, Record<keyof RunCounts, number>>();
  const failedFrom = isoMillis(failedSince);
  const count = (item: RowItem) => {
    const record = recordOf(item.pk);
    if (!record) return;
    let status = toSummary(item, now).status;
    // A run or job active past its deadline timed out (its next read stores so).
    if (record.kind !== 'schedule' && isActive(status) && item.deadline !== undefined && now > item.deadline) status = 'TIMED_OUT';
    let field: keyof RunCounts;
    if (status === 'PENDING') field = 'pending';
    else if (status === 'RUNNING' || status === 'CANCELLING') field = 'running';
    else if ((status === 'FAILED' || status === 'TIMED_OUT') && rowKey(item) >= failedFrom) field = 'failed';
    else return;
    total[field]++;
    let mine = byDefinition.get(record.name);
    if (!mine) byDefinition.set(record.name, (mine = { pending: 0, running: 0, failed: 0 }));
    mine[field]++;
  };
  await Promise.all(
    Array.from({ length: RUN_INDEX_SHARDS }, async (_, shard) => {
      const stream = shardStream(state, shard, { since }, filter, 1000);
      for (;;) {
        await stream.fill();
        if (!stream.head) return;
        count(stream.shift().item);
      }
    }),
  );
  return { total, byDefinition };
}
