/**
 * Where a job attempt runs is its launcher's business: Lambda (an asynchronous invoke of the job's function) or
 * AWS Batch (a SubmitJob of its job definition). The job client and the executor only talk to this interface, so
 * both placements share one state model.
 */
import type { BatchJobView } from '../batch/batch-jobs.js';

/** The event that runs one attempt of a job (the payload of the asynchronous invoke). */
export interface JobEvent {
  readonly multinode: 'job';
  readonly job: string;
  readonly id: string;
  readonly attempt: number;
  /** The concurrency slot handed to the attempt (runtime/state/concurrency.ts); without one the job waits in line. */
  readonly slot?: number;
}

export function isJobEvent(event: unknown): event is JobEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    e.multinode === 'job' &&
    typeof e.job === 'string' &&
    typeof e.id === 'string' &&
    typeof e.attempt === 'number' &&
    (e.slot === undefined || typeof e.slot === 'number')
  );
}

export interface AttemptLauncher {
  /**
   * Sends attempt `attempt` of job `id`, holding concurrency slot `slot`, to its compute; resolves with the Batch job
   * id when Batch runs it.
   */
  launch(id: string, attempt: number, deadline: number, slot: number): Promise<{ batchJobId?: string }>;
  /** Stops an attempt's compute hard (Batch TerminateJob); nothing to do on Lambda. */
  stop(batchJobId: string | undefined, reason: string): Promise<void>;
  /** Batch's status of attempts' jobs (Batch placement only). */
  describe?(batchJobIds: readonly string[]): Promise<ReadonlyMap<string, BatchJobView>>;
}
