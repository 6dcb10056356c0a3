/**
 * Jobs behind their definition's concurrency gate (runtime/state/concurrency.ts): at most `maxConcurrency` jobs hold a
 * slot (an attempt launched, waiting for the job's lock, or running), and only a holder runs. This module says, for
 * jobs, how a waiting job is launched (its next attempt, with the slot) and how a slot whose check time passed is
 * judged, by the job's own reconciliation (reconcile.ts): an ended job releases it; a job whose attempt died goes back
 * in line; an attempt still running (fresh heartbeat on Lambda, a live container on Batch) or still queued on Batch
 * keeps it; an attempt handed a slot but never started on Lambda (a lost invoke) goes back in line.
 */
import { JobNotFoundError } from '../../lib/errors.js';
import { toRemoteError } from '../core/remote-error.js';
import { ConcurrencyGate, type SlotVerdict } from '../state/concurrency.js';
import { isFinal, type JobRecord, type JobStore } from './job-store.js';
import { reconcile, type ReconcileDeps } from './reconcile.js';

/** The gate of a job definition, and the reconciliation that uses it. */
export interface JobQueue {
  readonly gate: ConcurrencyGate;
  readonly reconcile: ReconcileDeps & { readonly gate: ConcurrencyGate };
}

export function jobQueue(base: ReconcileDeps, limit: number): JobQueue {
  const { store, launcher, clock } = base;
  const staleAfterMs = (record: JobRecord) => record.tuning.staleAfterMs ?? base.tuning.staleAfterMs;
  const gate = new ConcurrencyGate({
    table: store.table,
    name: store.jobName,
    limit,
    clock,
    members: {
      async waiting(id) {
        const record = await readOrNothing(store, id);
        if (record?.status !== 'PENDING' || clock() >= record.deadline) return undefined;
        const attempt = record.attempts + 1;
        return {
          checkAfterMs: staleAfterMs(record),
          async launch(slot) {
            try {
              const { batchJobId } = await launcher.launch(id, attempt, record.deadline, slot);
              if (batchJobId) await store.setBatchJob(id, attempt, batchJobId);
            } catch (error) {
              // Nothing will run it: record why, rather than leave it PENDING until its deadline.
              await store.settle(record, { status: 'FAILED', error: toRemoteError(error) });
              throw error;
            }
          },
        };
      },
      async inspect(id): Promise<SlotVerdict> {
        const record = await readOrNothing(store, id);
        if (!record) return 'release';
        const done = await reconcile(base, record);
        if (done.action === 'ended' || isFinal(done.record.status)) return 'release';
        if (done.action === 'requeued') return 'requeue';
        if (done.record.status !== 'PENDING') return 'keep';
        // Handed a slot, not started: Batch still has the attempt's job queued, or the invoke was lost.
        const now = done.record;
        return now.placement === 'batch' && now.batchJobId !== undefined && now.batchAttempt === now.attempts + 1 ? 'keep' : 'requeue';
      },
    },
  });
  return { gate, reconcile: { ...base, gate } };
}

async function readOrNothing(store: JobStore, id: string): Promise<JobRecord | undefined> {
  try {
    return await store.read(id);
  } catch (error) {
    if (error instanceof JobNotFoundError) return undefined;
    throw error;
  }
}
