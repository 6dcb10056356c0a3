/**
 * The handler's event kind for job attempts on Lambda: `{ multinode: "job", job, id, attempt }`, sent by an
 * asynchronous invoke. The outcome is recorded in the state table, never thrown: Lambda's own retries of the
 * event would only find the attempt already taken.
 */
import type { JobDefinition } from '../../lib/definitions/job.js';
import type { EventHandler } from '../core/event-handler.js';
import { targetDefinition } from '../core/event-handler.js';
import { isJobEvent, type JobEvent } from './launcher.js';
import { type AttemptOutcome, executeAttempt } from './executor.js';
import { executorDeps } from './factory.js';

export interface JobResponse {
  readonly multinode: 'job';
  readonly id: string;
  readonly attempt: number;
  readonly outcome: AttemptOutcome;
}

export const jobEvent: EventHandler<JobEvent> = {
  name: 'job',
  accepts: isJobEvent,
  async handle(event, context): Promise<JobResponse> {
    const job = targetDefinition(context, event.job, 'job') as JobDefinition<unknown, unknown>;
    const computeEndsAt = context.runtime.clock() + context.lambda.getRemainingTimeInMillis();
    const outcome = await executeAttempt(executorDeps(context.runtime, job, { computeEndsAt, log: context.log }), event.id, event.attempt, event.slot);
    return { multinode: 'job', id: event.id, attempt: event.attempt, outcome };
  },
};
