/**
 * Reconciliation: what a reader does when the stored state of a job cannot be the whole truth, so that no job stays
 * RUNNING (or CANCELLING, or PENDING) forever:
 *  - past its deadline plus the grace period -> TIMED_OUT (and its Batch job is terminated);
 *  - CANCELLING for longer than the grace period -> CANCELLED (its Batch job terminated);
 *  - its Batch job ended (Batch's own status, from DescribeJobs or a job state-change event) without the attempt
 *    writing an outcome: the container died (killed, out of memory, image or bundle failure) -> a failed attempt;
 *  - on Lambda, RUNNING without a heartbeat for `staleAfterMs`: the invocation died -> a failed attempt.
 * A failed attempt is retried (PENDING, the next attempt dispatched) while attempts and time remain, else FAILED
 * with the reason. Every write is conditional on the state that was read, so racing readers settle it once.
 */
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { AttemptDispatcher, BatchJobView } from './dispatch.js';
import { isFinal, type JobRecord, type JobStore } from './job-store.js';
import type { JobTuning } from './tuning.js';

export interface ReconcileDeps {
  readonly store: JobStore;
  readonly dispatcher: AttemptDispatcher;
  readonly tuning: JobTuning;
  readonly clock: () => number;
  readonly timeoutSeconds: number;
}

/** Remote error type of an attempt whose compute ended without reporting. */
export const LOST_ATTEMPT_TYPE = 'AttemptLost';

/** Reconciles one job; `batch` is Batch's view of its attempt's job when known (else it is asked). */
export async function reconcile(deps: ReconcileDeps, record: JobRecord, batch?: BatchJobView): Promise<JobRecord> {
  const settled = await settleOnce(deps, record, batch);
  return settled ?? record;
}

/** Reconciles many jobs with one DescribeJobs for their Batch jobs. */
export async function reconcileAll(deps: ReconcileDeps, records: readonly JobRecord[]): Promise<JobRecord[]> {
  const ids = records.filter((r) => !isFinal(r.status) && r.batchJobId).map((r) => r.batchJobId!);
  const views = ids.length > 0 && deps.dispatcher.describe ? await deps.dispatcher.describe(ids) : new Map<string, BatchJobView>();
  return Promise.all(records.map((r) => reconcile(deps, r, r.batchJobId ? views.get(r.batchJobId) : undefined)));
}

async function settleOnce(deps: ReconcileDeps, record: JobRecord, known?: BatchJobView): Promise<JobRecord | undefined> {
  if (isFinal(record.status)) return undefined;
  const { store, dispatcher, clock } = deps;
  const tuning = { ...deps.tuning, ...record.tuning };
  const now = clock();
  if (now >= record.deadline + tuning.graceMs) {
    const error: RemoteErrorInfo = { type: 'TimeoutError', message: `job ${store.jobName} ${record.id} did not finish within its timeout of ${deps.timeoutSeconds} s (counted from its creation).` };
    const settled = await store.settle(record, { status: 'TIMED_OUT', error });
    if (settled) await dispatcher.stop(record.batchJobId, 'multinode: the job timed out').catch(() => undefined);
    return settled ?? (await store.read(record.id));
  }
  if (record.status === 'CANCELLING' && record.cancelRequestedAt !== undefined && now >= record.cancelRequestedAt + tuning.graceMs) {
    const settled = await store.settle(record, { status: 'CANCELLED' });
    if (settled) await dispatcher.stop(record.batchJobId, 'multinode: the job was cancelled').catch(() => undefined);
    return settled ?? (await store.read(record.id));
  }
  const attemptOfBatchJob = record.batchAttempt;
  if (record.batchJobId && attemptOfBatchJob !== undefined && dispatcher.describe) {
    const running = record.status !== 'PENDING' && attemptOfBatchJob === record.attempts;
    const pending = record.status === 'PENDING' && attemptOfBatchJob === record.attempts + 1;
    if (running || pending) {
      const view = known ?? (await dispatcher.describe([record.batchJobId])).get(record.batchJobId);
      if (view && (view.status === 'FAILED' || view.status === 'SUCCEEDED')) {
        if (record.status === 'CANCELLING') return (await store.settle(record, { status: 'CANCELLED' })) ?? (await store.read(record.id));
        const error: RemoteErrorInfo = {
          type: LOST_ATTEMPT_TYPE,
          message: `attempt ${attemptOfBatchJob} of job ${store.jobName} ${record.id} ended without finishing the job: its Batch job ${record.batchJobId} is ${view.status}${view.reason ? ` (${view.reason})` : ''}.`,
        };
        return failedAttempt(deps, record, attemptOfBatchJob, error);
      }
    }
  }
  if (record.placement === 'lambda' && record.status === 'RUNNING' && record.heartbeatAt !== undefined && now - record.heartbeatAt > tuning.staleAfterMs) {
    const error: RemoteErrorInfo = {
      type: LOST_ATTEMPT_TYPE,
      message: `attempt ${record.attempts} of job ${store.jobName} ${record.id} stopped reporting (no heartbeat for ${Math.round((now - record.heartbeatAt) / 1000)} s): its Lambda invocation ended without finishing the job (crashed, out of memory or stopped).`,
    };
    return failedAttempt(deps, record, record.attempts, error);
  }
  return undefined;
}

/** Attempt `attempt` failed without reporting: the next one while attempts and time remain, else FAILED. */
async function failedAttempt(deps: ReconcileDeps, record: JobRecord, attempt: number, error: RemoteErrorInfo): Promise<JobRecord> {
  const { store, dispatcher, clock } = deps;
  if (attempt < record.maxAttempts && clock() < record.deadline) {
    const requeued = await store.settle(record, { status: 'PENDING', attempts: attempt, error });
    if (!requeued) return store.read(record.id);
    const { batchJobId } = await dispatcher.dispatch(record.id, attempt + 1, record.deadline);
    if (batchJobId) await store.setBatchJob(record.id, attempt + 1, batchJobId);
    return store.read(record.id);
  }
  return (await store.settle(record, { status: 'FAILED', error })) ?? (await store.read(record.id));
}
