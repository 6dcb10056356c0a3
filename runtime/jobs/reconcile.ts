/**
 * Reconciliation: what a reader does when the stored state of a job cannot be the whole truth, so that no job stays
 * RUNNING (or CANCELLING, or PENDING) forever:
 *  - past its deadline plus the grace period -> TIMED_OUT (and its Batch job is terminated);
 *  - CANCELLING for longer than the grace period -> CANCELLED (its Batch job terminated);
 *  - its Batch job ended (Batch's own status, from DescribeJobs or a job state-change event) without the attempt
 *    writing an outcome: the container died (killed, out of memory, image or bundle failure) -> a failed attempt;
 *  - on Lambda, RUNNING without a heartbeat for `staleAfterMs`: the invocation died -> a failed attempt.
 * A failed attempt is retried (PENDING, back in line for a concurrency slot) while attempts and time remain, else
 * FAILED with the reason. Every write is conditional on the state that was read, so racing readers settle it once.
 *
 * `reconcile` only changes the job's state and says what it did; `reconcileJob` then tells the job's concurrency gate
 * (an ended job frees its slot, a requeued one waits for a slot and its next attempt is launched when it gets one).
 */
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { ConcurrencyGate } from '../state/concurrency.js';
import type { BatchJobView } from '../batch/batch-jobs.js';
import type { AttemptLauncher } from './launcher.js';
import { isFinal, type JobRecord, type JobStore } from './job-store.js';
import type { JobTuning } from './tuning.js';

export interface ReconcileDeps {
  readonly store: JobStore;
  readonly launcher: AttemptLauncher;
  readonly tuning: JobTuning;
  readonly clock: () => number;
  readonly timeoutSeconds: number;
}

/** Remote error type of an attempt whose compute ended without reporting. */
export const LOST_ATTEMPT_TYPE = 'AttemptLost';

/** The job after reconciliation, and what reconciliation did to it: ended it, or put it back in line. */
export interface Reconciled {
  readonly record: JobRecord;
  readonly action?: 'ended' | 'requeued';
}

/** Reconciles one job's state; `batch` is Batch's view of its attempt's job when known (else it is asked). */
export async function reconcile(deps: ReconcileDeps, record: JobRecord, batch?: BatchJobView): Promise<Reconciled> {
  return (await settleOnce(deps, record, batch)) ?? { record };
}

/** Reconciles one job and tells its gate what became of it; a job still waiting reconciles the gate too. */
export async function reconcileJob(deps: ReconcileDeps & { readonly gate: ConcurrencyGate }, record: JobRecord, batch?: BatchJobView): Promise<JobRecord> {
  const done = await reconcile(deps, record, batch);
  if (done.action === 'ended') await deps.gate.settled(record.id);
  else if (done.action === 'requeued') await deps.gate.requeue(record.id);
  else if (done.record.status === 'PENDING') await deps.gate.reconcile([record.id]);
  return done.record;
}

/** Reconciles many jobs with one DescribeJobs for their Batch jobs, and their gate once for the waiting ones. */
export async function reconcileAll(deps: ReconcileDeps & { readonly gate: ConcurrencyGate }, records: readonly JobRecord[]): Promise<JobRecord[]> {
  const ids = records.filter((r) => !isFinal(r.status) && r.batchJobId).map((r) => r.batchJobId!);
  const views = ids.length > 0 && deps.launcher.describe ? await deps.launcher.describe(ids) : new Map<string, BatchJobView>();
  const done = await Promise.all(records.map((r) => reconcile(deps, r, r.batchJobId ? views.get(r.batchJobId) : undefined)));
  for (const { record, action } of done) {
    if (action === 'ended') await deps.gate.settled(record.id);
    else if (action === 'requeued') await deps.gate.requeue(record.id);
  }
  const waiting = done.filter((d) => !d.action && d.record.status === 'PENDING').map((d) => d.record.id);
  if (waiting.length > 0) await deps.gate.reconcile(waiting);
  return done.map((d) => d.record);
}

async function settleOnce(deps: ReconcileDeps, record: JobRecord, known?: BatchJobView): Promise<Reconciled | undefined> {
  if (isFinal(record.status)) return undefined;
  const { store, launcher, clock } = deps;
  const tuning = { ...deps.tuning, ...record.tuning };
  const now = clock();
  if (now >= record.deadline + tuning.graceMs) {
    const error: RemoteErrorInfo = {
      type: 'TimeoutError',
      message: `job ${store.jobName} ${record.id} did not finish within its timeout of ${deps.timeoutSeconds} s (counted from its creation).`,
    };
    const settled = await store.settle(record, { status: 'TIMED_OUT', error });
    if (settled) await launcher.stop(record.batchJobId, 'multinode: the job timed out').catch(() => undefined);
    return settled ? { record: settled, action: 'ended' } : { record: await store.read(record.id) };
  }
  if (record.status === 'CANCELLING' && record.cancelRequestedAt !== undefined && now >= record.cancelRequestedAt + tuning.graceMs) {
    const settled = await store.settle(record, { status: 'CANCELLED' });
    if (settled) await launcher.stop(record.batchJobId, 'multinode: the job was cancelled').catch(() => undefined);
    return settled ? { record: settled, action: 'ended' } : { record: await store.read(record.id) };
  }
  const attemptOfBatchJob = record.batchAttempt;
  if (record.batchJobId && attemptOfBatchJob !== undefined && launcher.describe) {
    const running = record.status !== 'PENDING' && attemptOfBatchJob === record.attempts;
    const pending = record.status === 'PENDING' && attemptOfBatchJob === record.attempts + 1;
    if (running || pending) {
      const view = known ?? (await launcher.describe([record.batchJobId])).get(record.batchJobId);
      if (view && (view.status === 'FAILED' || view.status === 'SUCCEEDED')) {
        if (record.status === 'CANCELLING') return ended(store, record, await store.settle(record, { status: 'CANCELLED' }));
        const error: RemoteErrorInfo = {
          type: LOST_ATTEMPT_TYPE,
          message:
            `attempt ${attemptOfBatchJob} of job ${store.jobName} ${record.id} ended without finishing the job: its Batch job ` +
            `${record.batchJobId} is ${view.status}${view.reason ? ` (${view.reason})` : ''}.`,
        };
        return failedAttempt(deps, record, attemptOfBatchJob, error);
      }
    }
  }
  if (record.placement === 'lambda' && record.status === 'RUNNING' && record.heartbeatAt !== undefined && now - record.heartbeatAt > tuning.staleAfterMs) {
    const error: RemoteErrorInfo = {
      type: LOST_ATTEMPT_TYPE,
      message:
        `attempt ${record.attempts} of job ${store.jobName} ${record.id} stopped reporting (no heartbeat for ` +
        `${Math.round((now - record.heartbeatAt) / 1000)} s): its Lambda invocation ended without finishing the job (crashed, out of memory or stopped).`,
    };
    return failedAttempt(deps, record, record.attempts, error);
  }
  return undefined;
}

/** Attempt `attempt` failed without reporting: back in line for the next one while attempts and time remain, else FAILED. */
async function failedAttempt(deps: ReconcileDeps, record: JobRecord, attempt: number, error: RemoteErrorInfo): Promise<Reconciled> {
  const { store, clock } = deps;
  if (attempt < record.maxAttempts && clock() < record.deadline) {
    const requeued = await store.settle(record, { status: 'PENDING', attempts: attempt, error }, { heartbeat: true });
    return requeued ? { record: requeued, action: 'requeued' } : { record: await store.read(record.id) };
  }
  return ended(store, record, await store.settle(record, { status: 'FAILED', error }, { heartbeat: true }));
}

async function ended(store: JobStore, seen: JobRecord, settled: JobRecord | undefined): Promise<Reconciled> {
  return settled ? { record: settled, action: 'ended' } : { record: await store.read(seen.id) };
}
