/**
 * Heavy scheduled tasks: EventBridge Scheduler always targets a Lambda (the app's dispatcher function for tasks
 * placed on Batch). The handler claims the scheduled time in the state table and applies the overlap policy first
 * (schedule-event.ts): a duplicate or skipped delivery stops there, before any container starts. The winner submits
 * the Batch job, passing only the scheduled time, the claim's owner token, the trigger and the deadline; the
 * container records itself as the claim's runner (a second container for the claim, from a SubmitJob sent twice,
 * stops there), runs the task (scheduled-run.ts) and finishes the claim (runtime/entry/batch-entry.ts).
 */
import { WaitTimeoutError } from '../../lib/errors.js';
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import type { RuntimeContext } from '../core/context.js';
import { toRemoteError } from '../core/remote-error.js';
import { sleep } from '../core/retry.js';
import { BatchJobs, TASK_ENV } from '../batch/batch-jobs.js';
import { jobTuningFromEnv } from '../jobs/tuning.js';
import { type Claim, type ClaimState, type ClaimStatus, isFinalClaim, LEASE_MARGIN_MS, ScheduleClaims } from './claims.js';

/**
 * Submits the Batch job that runs a claimed scheduled time, whose timeout counts from now. Batch's own attempt
 * timeout (a backstop) leaves the grace period after it. A failed submit finishes the claim FAILED (and
 * `onFailedSubmit` hands the task on).
 */
export async function runOnBatch(
  runtime: RuntimeContext,
  definition: ScheduleDefinition,
  claim: Claim,
  options: { claims: ScheduleClaims; trigger: ScheduledTrigger; onFailedSubmit?: () => Promise<void> },
): Promise<void> {
  const timeoutSeconds = definition.options.timeoutSeconds;
  const graceSeconds = jobTuningFromEnv().graceMs / 1000;
  try {
    await new BatchJobs(runtime).submit({
      definition: runtime.definition(definition.name, 'schedule'),
      task: 'schedule',
      run: claim.scheduledTime,
      attempt: claim.attempt,
      environment: {
        [TASK_ENV.claim]: claim.owner,
        [TASK_ENV.deadline]: String(runtime.clock() + timeoutSeconds * 1000),
        ...(options.trigger === 'scheduled' ? {} : { [TASK_ENV.trigger]: options.trigger }),
      },
      attemptSeconds: timeoutSeconds + graceSeconds + LEASE_MARGIN_MS / 1000,
    });
  } catch (error) {
    await options.claims.finish(claim, { status: 'FAILED', error: toRemoteError(error) });
    await options.onFailedSubmit?.();
    throw error;
  }
}

/**
 * Waits for a scheduled run handed to Batch to end (its claim final: SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, SKIPPED or
 * PAUSED): what a caller that fired a Batch-placed task (`multinode run`) waits for before reporting, since the
 * dispatcher answers once it submitted.
 */
export async function awaitScheduledRun(
  context: RuntimeContext,
  name: string,
  scheduledTime: string,
  options: { timeoutMs: number; pollMs?: number },
): Promise<ClaimState & { status: Exclude<ClaimStatus, 'PENDING' | 'RUNNING' | 'CANCELLING'> }> {
  const claims = new ScheduleClaims(context.state, context.clock);
  const giveUpAt = context.clock() + options.timeoutMs;
  for (;;) {
    const claim = await claims.read(name, scheduledTime);
    if (claim && isFinalClaim(claim.status)) return { ...claim, status: claim.status as Exclude<ClaimStatus, 'PENDING' | 'RUNNING' | 'CANCELLING'> };
    if (context.clock() >= giveUpAt)
      throw new WaitTimeoutError(`${name} (scheduled ${scheduledTime}) was still running on Batch after ${Math.round(options.timeoutMs / 1000)} s.`);
    await sleep(options.pollMs ?? 250);
  }
}
