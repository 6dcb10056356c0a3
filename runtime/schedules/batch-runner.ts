/**
 * Heavy scheduled tasks: EventBridge Scheduler always targets a Lambda (the app's dispatcher function for tasks
 * placed on Batch). The handler claims the scheduled time in the state table first (a conditional put,
 * runtime/state/schedule-claims.ts): a duplicate delivery stops there, before any container starts. The winner
 * submits the Batch job, passing only the scheduled time, the claim's owner token and the deadline; the
 * container records itself as the claim's runner (a second container for the claim, from a SubmitJob sent twice,
 * stops there), runs the task and finishes the claim (container-entry.ts).
 */
import { WaitTimeoutError } from '../../lib/errors.js';
import type { RuntimeContext } from '../core/context.js';
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { Claim, ClaimState, ClaimStatus } from './claims.js';
import { toRemoteError } from '../core/remote-error.js';
import { sleep } from '../core/retry.js';
import { ScheduleClaims } from './claims.js';
import { BatchJobs, TASK_ENV } from '../batch/batch-jobs.js';

/** Submits the Batch job that runs a claimed scheduled time; a failed submit finishes the claim FAILED. */
export async function runOnBatch(runtime: RuntimeContext, definition: ScheduleDefinition, claim: Claim, claims: ScheduleClaims): Promise<void> {
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
}

/**
 * Waits for a scheduled run handed to Batch to end (its claim SUCCEEDED, FAILED or PAUSED): what a caller that fired a
 * Batch-placed task (`multinode run`) waits for before reporting, since the dispatcher answers once it submitted.
 */
export async function awaitScheduledRun(
  context: RuntimeContext,
  name: string,
  scheduledTime: string,
  options: { timeoutMs: number; pollMs?: number },
): Promise<ClaimState & { status: Exclude<ClaimStatus, 'RUNNING'> }> {
  const claims = new ScheduleClaims(context.state, context.clock);
  const giveUpAt = context.clock() + options.timeoutMs;
  for (;;) {
    const claim = await claims.read(name, scheduledTime);
    if (claim && claim.status !== 'RUNNING') return { ...claim, status: claim.status };
    if (context.clock() >= giveUpAt)
      throw new WaitTimeoutError(`${name} (scheduled ${scheduledTime}) was still running on Batch after ${Math.round(options.timeoutMs / 1000)} s.`);
    await sleep(options.pollMs ?? 250);
  }
}
