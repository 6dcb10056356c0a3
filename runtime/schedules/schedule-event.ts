/**
 * Scheduled runs: the event EventBridge Scheduler (or the local scheduler) sends, `{ multinode: "schedule", name,
 * scheduledTime, attempt }` (lib/schedule/event.ts). Each delivery first claims the scheduled time in the state
 * table (schedule-claims.ts); a duplicate delivery returns at once without running anything.
 *
 * Each placement has its runner (`SCHEDULED_RUNNERS`): Lambda-placed tasks run in this invocation, with `maxRetries`
 * retries inside the run's timeout; Batch-placed tasks are submitted as a Batch job after the claim, so a duplicate
 * never starts a container. A run that fails for good is recorded FAILED and then thrown, so Lambda counts the
 * error; Lambda's own retries of it find the claim finished and stop there.
 *
 * Before claiming, a scheduled delivery reads the task's pause (pauses.ts): while the task is paused, the fire time
 * is recorded PAUSED and nothing runs. A manual run (`trigger: "manual"`) is a person's choice and runs anyway.
 */
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { ScheduledRun } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import { parseScheduledEvent } from '../../lib/schedule/event.js';
import { isOffGrid } from '../../lib/schedule/fire-time.js';
import { envelopeType } from '../core/envelope.js';
import { toRemoteError } from '../core/remote-error.js';
import { backoffDelay, sleep } from '../core/retry.js';
import { runOnBatch } from './batch-runner.js';
import { ScheduleClaims, type Claim } from './claims.js';
import { SchedulePauses } from './pauses.js';
import { withDeadline } from '../core/deadline.js';
import { withLog } from '../core/invocation-log.js';
import { asError } from '../core/logger.js';
import { targetDefinition } from '../core/event-handler.js';
import type { EventHandler, HandlerContext } from '../core/event-handler.js';

export interface ScheduleResponse {
  readonly multinode: 'schedule';
  readonly name: string;
  readonly scheduledTime: string;
  /**
   * SUCCEEDED; `duplicate` when another delivery had this scheduled time; `submitted` when handed off (Batch);
   * `paused` when the task is paused (the fire time is recorded PAUSED and does not run); `off-grid` when it is not
   * a fire time (every N days on a wall clock fires a daily or weekly cron): nothing recorded.
   */
  readonly outcome: 'SUCCEEDED' | 'duplicate' | 'submitted' | 'paused' | 'off-grid';
  readonly attempt?: number;
  /** Present for a manual run (run now). */
  readonly trigger?: 'manual';
}

/** Runs a claimed scheduled time: here (Lambda) or by handing it to its compute (Batch). */
type ScheduledRunner = (
  context: HandlerContext,
  definition: ScheduleDefinition,
  claim: Claim,
  claims: ScheduleClaims,
) => Promise<{ outcome: ScheduleResponse['outcome']; attempt: number }>;

const SCHEDULED_RUNNERS: Record<Placement, ScheduledRunner> = {
  lambda: runHere,
  batch: async (context, definition, claim, claims) => {
    await runOnBatch(context.runtime, definition, claim, claims);
    return { outcome: 'submitted', attempt: claim.attempt };
  },
};

/** Extra time a claim's lease gets beyond the task's timeout before another delivery may take it over. */
const LEASE_MARGIN_MS = 60_000;

/** A delivery as it arrives (Scheduler sends the attempt as a string); `parseScheduledEvent` checks and reads it. */
type ScheduledDelivery = { readonly multinode: 'schedule' };

export const scheduleEvent: EventHandler<ScheduledDelivery> = {
  name: 'schedule',
  accepts: (event): event is ScheduledDelivery => envelopeType(event) === 'schedule',
  async handle(raw, context): Promise<ScheduleResponse> {
    const event = parseScheduledEvent(raw)!;
    const definition = targetDefinition(context, event.name, 'schedule') as ScheduleDefinition;
    // Before the claim: a delivery off the grid is no run at all (nothing recorded, nothing submitted).
    if (isOffGrid(definition.schedule, Date.parse(event.scheduledTime))) {
      context.log.debug('off the grid: not a fire time; ignored', { definition: definition.name, kind: 'schedule', scheduledTime: event.scheduledTime });
      return { multinode: 'schedule', name: definition.name, scheduledTime: event.scheduledTime, outcome: 'off-grid' };
    }
    const { state, clock } = context.runtime;
    const claims = new ScheduleClaims(state, clock);
    const trigger = event.trigger ?? 'scheduled';
    const base = {
      multinode: 'schedule' as const,
      name: definition.name,
      scheduledTime: event.scheduledTime,
      ...(event.trigger ? { trigger: event.trigger } : {}),
    };
    const log = context.log.child({ definition: definition.name, kind: 'schedule', runId: event.scheduledTime });
    if (trigger === 'scheduled' && (await new SchedulePauses(state, clock).read(definition.name))) {
      const recorded = await claims.recordPaused(definition.name, event.scheduledTime, trigger);
      log.info(recorded ? 'paused: fire time recorded PAUSED, not run' : 'paused, and this fire time already has a record; skipped', {
        attempt: event.attempt,
      });
      return { ...base, outcome: recorded ? 'paused' : 'duplicate' };
    }
    const timeoutMs = definition.options.timeoutSeconds * 1000;
    const claimed = await claims.claim(definition.name, event.scheduledTime, timeoutMs + LEASE_MARGIN_MS, trigger);
    if (!claimed.claimed) {
      const seen = claimed.status === 'RUNNING' ? 'started' : claimed.status.toLowerCase();
      log.info(`already ${seen} by another delivery; skipped`, { attempt: event.attempt });
      return { ...base, outcome: 'duplicate' };
    }
    return { ...base, ...(await SCHEDULED_RUNNERS[definition.placement]({ ...context, log }, definition, claimed.claim, claims)) };
  },
};

/** Runs a Lambda-placed task in this invocation, with its retries, until the run's deadline. */
async function runHere(
  context: HandlerContext,
  definition: ScheduleDefinition,
  claim: Claim,
  claims: ScheduleClaims,
): Promise<{ outcome: 'SUCCEEDED'; attempt: number }> {
  const { clock, tuning } = context.runtime;
  const scheduledTime = claim.scheduledTime;
  const deadline = clock() + definition.options.timeoutSeconds * 1000;
  for (let retry = 0; ; retry++) {
    const attempt = claim.attempt + retry;
    const log = context.log.child({ attempt });
    const run: ScheduledRun = { name: definition.name, scheduledTime: new Date(scheduledTime), attempt, log };
    try {
      await withDeadline(() => withLog(log, () => definition.handler(run)), deadline, clock, `${definition.name} (scheduled ${scheduledTime})`);
      await claims.finish(claim, { status: 'SUCCEEDED' });
      return { outcome: 'SUCCEEDED', attempt: run.attempt };
    } catch (error) {
      const remote = toRemoteError(error);
      if (retry >= definition.options.maxRetries || clock() >= deadline || remote.type === 'TimeoutError') {
        await claims.finish(claim, { status: 'FAILED', error: remote });
        throw error;
      }
      log.warn(`attempt ${attempt} failed; retrying`, asError(error));
      await sleep(backoffDelay(retry + 1, tuning.retryBackoff));
    }
  }
}
