/**
 * Scheduled runs: the event EventBridge Scheduler (or the local scheduler) sends, `{ multinode: "schedule", name,
 * scheduledTime, attempt }` (lib/schedule/event.ts), and the same event sent by the runtime (a waiting fire time's
 * turn) and by people (`trigger: "manual"`: run now; `trigger: "backfill"`: a past fire time). Each delivery:
 *
 * 1. ignores a time off the grid (every N days on a DST wall clock fires a daily cron: fire-time.ts);
 * 2. reads the task's pause (pauses.ts), for EventBridge's deliveries only: while paused, the fire time is recorded
 *    PAUSED and nothing runs. Manual runs and backfills are a person's choice and run anyway;
 * 3. claims the scheduled time in the state table (claims.ts): a duplicate delivery returns at once;
 * 4. applies the task's overlap policy (admission.ts): it starts, waits for the running one (PENDING), or is SKIPPED;
 * 5. hands the run to its placement's runner (`SCHEDULED_RUNNERS`): a task on Lambda runs in this invocation
 *    (scheduled-run.ts: signal, heartbeat, retries, grace period); a task on Batch is submitted as a Batch job, so a
 *    duplicate or skipped fire time never starts a container.
 *
 * A run on Lambda that fails (or times out) for good is recorded so and then thrown, so Lambda counts the error;
 * Lambda's own retries of it find the claim finished and stop there.
 */
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { Placement } from '../../lib/placement.js';
import { ScheduledEventError } from '../../lib/schedule/errors.js';
import { parseScheduledEvent, type ScheduledTrigger } from '../../lib/schedule/event.js';
import { isFireTime, isOffGrid } from '../../lib/schedule/fire-time.js';
import { overlapOf } from '../../lib/schedule/overlap.js';
import { envelopeType } from '../core/envelope.js';
import type { EventHandler, HandlerContext } from '../core/event-handler.js';
import { targetDefinition } from '../core/event-handler.js';
import { jobTuningFromEnv } from '../jobs/tuning.js';
import { ActiveRuns } from './active-run.js';
import { type Admission, type AdmissionDeps, admitClaimed, admitWaiting, releaseActiveRun } from './admission.js';
import { runOnBatch } from './batch-runner.js';
import { type Claim, ScheduleClaims, scheduledLeaseMs } from './claims.js';
import { SchedulePauses } from './pauses.js';
import { executeScheduledRun } from './scheduled-run.js';

export interface ScheduleResponse {
  readonly multinode: 'schedule';
  readonly name: string;
  readonly scheduledTime: string;
  /**
   * SUCCEEDED or CANCELLED (run here, on Lambda); `submitted` when handed to Batch; `duplicate` when another delivery
   * had this scheduled time; `paused` when the task is paused (the fire time is recorded PAUSED and does not run);
   * `skipped` when a run of the task was running (recorded SKIPPED: the overlap policy); `waiting` when it waits for
   * the running one to end (recorded PENDING); `off-grid` when it is not a fire time (every N days on a wall clock
   * fires a daily or weekly cron): nothing recorded.
   */
  readonly outcome: 'SUCCEEDED' | 'CANCELLED' | 'duplicate' | 'submitted' | 'paused' | 'skipped' | 'waiting' | 'off-grid';
  readonly attempt?: number;
  /** Present for a manual run (run now) and a backfill. */
  readonly trigger?: 'manual' | 'backfill';
}

/** What a runner needs besides the claim: the task's policy parts and when the run times out. */
interface RunnerInput {
  readonly claim: Claim;
  readonly trigger: ScheduledTrigger;
  readonly admission: AdmissionDeps;
  readonly claims: ScheduleClaims;
}

/** Runs a claimed scheduled time: here (Lambda) or by handing it to its compute (Batch). */
type ScheduledRunner = (
  context: HandlerContext,
  definition: ScheduleDefinition,
  input: RunnerInput,
) => Promise<{ outcome: ScheduleResponse['outcome']; attempt: number }>;

const SCHEDULED_RUNNERS: Record<Placement, ScheduledRunner> = {
  lambda: runHere,
  batch: async (context, definition, { claim, trigger, admission, claims }) => {
    await runOnBatch(context.runtime, definition, claim, { claims, trigger, onFailedSubmit: () => releaseActiveRun(admission, claim.owner) });
    return { outcome: 'submitted', attempt: claim.attempt };
  },
};

/** A delivery as it arrives (Scheduler sends the attempt as a string); `parseScheduledEvent` checks and reads it. */
type ScheduledDelivery = { readonly multinode: 'schedule' };

export const scheduleEvent: EventHandler<ScheduledDelivery> = {
  name: 'schedule',
  accepts: (event): event is ScheduledDelivery => envelopeType(event) === 'schedule',
  async handle(raw, context): Promise<ScheduleResponse> {
    const event = parseScheduledEvent(raw)!;
    const definition = targetDefinition(context, event.name, 'schedule') as ScheduleDefinition;
    const time = Date.parse(event.scheduledTime);
    // Before the claim: a delivery off the grid is no run at all (nothing recorded, nothing submitted).
    if (isOffGrid(definition.schedule, time)) {
      context.log.debug('off the grid: not a fire time; ignored', { definition: definition.name, kind: 'schedule', scheduledTime: event.scheduledTime });
      return { multinode: 'schedule', name: definition.name, scheduledTime: event.scheduledTime, outcome: 'off-grid' };
    }
    const trigger = event.trigger ?? 'scheduled';
    if (trigger === 'backfill' && !isFireTime(definition.schedule, time)) {
      throw new ScheduledEventError(`A backfill of ${definition.name} sent ${event.scheduledTime}, which is not one of its fire times.`);
    }
    const { state, clock } = context.runtime;
    const claims = new ScheduleClaims(state, clock);
    const active = new ActiveRuns(state, clock);
    const base = {
      multinode: 'schedule' as const,
      name: definition.name,
      scheduledTime: event.scheduledTime,
      ...(event.trigger ? { trigger: event.trigger } : {}),
    };
    const log = context.log.child({ definition: definition.name, kind: 'schedule', runId: event.scheduledTime });
    if (trigger === 'scheduled' && (await new SchedulePauses(state, clock).read(definition.name))) {
      const was = await claims.recordPaused(definition.name, event.scheduledTime, trigger);
      // A fire time whose turn came while paused stops waiting.
      if (was === 'PENDING') await active.forgetWaiting(definition.name, event.scheduledTime);
      log.info(was ? 'paused: fire time recorded PAUSED, not run' : 'paused, and this fire time already has a record; skipped', { attempt: event.attempt });
      return { ...base, outcome: was ? 'paused' : 'duplicate' };
    }
    const leaseMs = scheduledLeaseMs(definition, jobTuningFromEnv().graceMs);
    const admission: AdmissionDeps = {
      runtime: context.runtime,
      task: { name: definition.name, placement: definition.placement },
      policy: overlapOf(definition.options),
      claims,
      active,
      log,
    };
    const claimed = await claims.claim(definition.name, event.scheduledTime, leaseMs, trigger, definition.placement);
    let admitted: Admission;
    if (claimed.claimed) admitted = await admitClaimed(admission, claimed.claim, trigger, clock() + leaseMs);
    else if (claimed.status === 'PENDING') admitted = await admitWaiting(admission, event.scheduledTime, leaseMs);
    else {
      const seen = claimed.status === 'RUNNING' ? 'started' : claimed.status.toLowerCase();
      log.info(`already ${seen} by another delivery; skipped`, { attempt: event.attempt });
      return { ...base, outcome: 'duplicate' };
    }
    if (!admitted.start) {
      if (admitted.outcome === 'skipped') log.info(`skipped: ${admitted.reason?.message ?? 'a run of the task was running'}`);
      else if (admitted.outcome === 'waiting') log.info('waiting for the running fire time to end');
      return { ...base, outcome: admitted.outcome };
    }
    const input: RunnerInput = { claim: admitted.claim, trigger, admission, claims };
    return { ...base, ...(await SCHEDULED_RUNNERS[definition.placement]({ ...context, log }, definition, input)) };
  },
};

/** Runs a Lambda-placed task in this invocation until its deadline (and grace period), then hands the task on. */
async function runHere(
  context: HandlerContext,
  definition: ScheduleDefinition,
  { claim, trigger, admission, claims }: RunnerInput,
): Promise<{ outcome: 'SUCCEEDED' | 'CANCELLED' | 'duplicate'; attempt: number }> {
  const { clock } = context.runtime;
  const outcome = await executeScheduledRun({
    runtime: context.runtime,
    definition,
    claim,
    claims,
    trigger,
    deadline: clock() + definition.options.timeoutSeconds * 1000,
    computeEndsAt: clock() + context.lambda.getRemainingTimeInMillis(),
    tuning: jobTuningFromEnv(),
    log: context.log,
  });
  await releaseActiveRun(admission, claim.owner);
  if (outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT') throw outcome.error;
  return { outcome: outcome.status === 'lost' ? 'duplicate' : outcome.status, attempt: outcome.attempt };
}
