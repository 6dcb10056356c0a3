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
import { ConcurrencyGate, type SlotVerdict, type Ticket, type Waiting } from '../state/concurrency.js';
import { isFinal, type JobRecord, type JobStore, type Seen } from './job-store.js';
import { reconcile, type ReconcileDeps } from './reconcile.js';
import type { JobTuning } from './tuning.js';

/** The gate of a job definition, and the reconciliation that uses it. */
export interface JobQueue {
  readonly gate: ConcurrencyGate;
  readonly reconcile: ReconcileDeps & { readonly gate: ConcurrencyGate };
  /** How the gate launches `record`, a waiting job: its next attempt, with the slot. */
  waiting(record: JobRecord): Waiting;
  /** What a waiting job's place in line carries: its next attempt, deadline and staleness limit. */
  ticket(record: JobRecord): Ticket;
}

export function jobQueue(base: ReconcileDeps, limit: number): JobQueue {
  const { store, launcher, clock } = base;
  const staleAfterMs = (record: JobRecord) => jobTicket(record, base.tuning).checkAfterMs!;
  const ticket = (record: JobRecord): Ticket => jobTicket(record, base.tuning);
  /** The job `seen` waits for its attempt `attempt`. */
  const launchable = (seen: Seen, attempt: number, deadline: number, checkAfterMs: number): Waiting => ({
    checkAfterMs,
    ticket: { attempt, deadline, checkAfterMs },
    async launch(slot) {
      try {
        const { batchJobId } = await launcher.launch(seen.id, attempt, deadline, slot);
        if (batchJobId) await store.setBatchJob(seen.id, attempt, batchJobId);
      } catch (error) {
        // Nothing will run it: record why, rather than leave it PENDING until its deadline.
        await store.settle(seen, { status: 'FAILED', error: toRemoteError(error) });
        throw error;
      }
    },
  });
  const waiting = (record: JobRecord): Waiting => launchable(record, record.attempts + 1, record.deadline, staleAfterMs(record));
  const gate = new ConcurrencyGate({
    table: store.table,
    name: store.jobName,
    limit,
    clock,
    members: {
      async waiting(id, ticket) {
        const { attempt, deadline, checkAfterMs } = ticket ?? {};
        if (typeof attempt === 'number' && typeof deadline === 'number' && typeof checkAfterMs === 'number') {
          const seen: Seen = { id, status: 'PENDING', attempts: attempt - 1 };
          return clock() < deadline ? launchable(seen, attempt, deadline, checkAfterMs) : undefined;
        }
        const record = await readOrNothing(store, id);
        if (record?.status !== 'PENDING' || clock() >= record.deadline) return undefined;
        return waiting(record);
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
  return { gate, reconcile: { ...base, gate }, waiting, ticket };
}

/** What a waiting job's place in line carries: its next attempt, deadline and staleness limit (its own, else `tuning`'s). */
export function jobTicket(record: JobRecord, tuning: Pick<JobTuning, 'staleAfterMs'>): Ticket {
  return { attempt: record.attempts + 1, deadline: record.deadline, checkAfterMs: record.tuning.staleAfterMs ?? tuning.staleAfterMs };
}

async function readOrNothing(store: JobStore, id: string): Promise<JobRecord | undefined> {
  try {
    return await store.read(id);
  } catch (error) {
    if (error instanceof JobNotFoundError) return undefined;
    throw error;
  }
}
