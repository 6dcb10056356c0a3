/**
 * Heavy scheduled tasks: EventBridge Scheduler always targets a Lambda (the app's dispatcher function for tasks
 * placed on Batch). The handler claims the scheduled time in the state table first (a conditional put,
 * runtime/state/schedule-claims.ts): a duplicate delivery stops there, before any container starts. The winner
 * submits the Batch job, passing only the scheduled time, the claim's owner token and the deadline; the
 * container runs the task and finishes the claim (container-entry.ts).
 */
import type { ScheduledRunner } from '../handler/schedule-kind.js';
import { toRemoteError } from '../remote-error.js';
import { BatchJobs, TASK_ENV } from './batch-jobs.js';

export const batchScheduledRunner: ScheduledRunner = async (context, definition, claim, claims) => {
  const runtime = context.runtime;
  const timeoutSeconds = definition.options.timeoutSeconds;
  try {
    await new BatchJobs(runtime).submit({
      definition: runtime.definition(definition.name, 'schedule'),
      task: 'schedule',
      run: claim.scheduledTime,
      attempt: claim.attempt,
      environment: { [TASK_ENV.claim]: claim.owner, [TASK_ENV.deadline]: String(runtime.clock() + timeoutSeconds * 1000) },
      attemptSeconds: timeoutSeconds,
    });
  } catch (error) {
    await claims.finish(claim, { status: 'FAILED', error: toRemoteError(error) });
    throw error;
  }
};
