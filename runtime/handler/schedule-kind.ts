/**
 * Scheduled runs: the event EventBridge Scheduler (or the local scheduler) sends, `{ multinode: "schedule", name,
 * scheduledTime, attempt }` (lib/schedule/event.ts). Each delivery first claims the scheduled time in the state
 * table (schedule-claims.ts); a duplicate delivery returns at once without running anything.
 *
 * Lambda-placed tasks run here, with `maxRetries` retries inside the run's timeout. Tasks placed elsewhere (Batch,
 * the jobs issue) go to the runner registered for their placement, after the claim, so a duplicate never starts a
 * container. A run that fails for good is recorded FAILED and then thrown, so Lambda counts the error; Lambda's
 * own retries of it find the claim finished and stop there.
 */
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { RemoteErrorInfo, ScheduledRun } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import { parseScheduledEvent, type ScheduledEvent } from '../../lib/schedule/event.js';
import { toRemoteError, toThrowable } from '../remote-error.js';
import { backoffDelay, sleep } from '../retry.js';
import { ScheduleClaims, type Claim } from '../state/schedule-claims.js';
import { withDeadline } from './deadline.js';
import { targetDefinition } from './target.js';
import type { EventKind, HandlerContext } from './types.js';

export interface ScheduleResponse {
  readonly multinode: 'schedule';
  readonly name: string;
  readonly scheduledTime: string;
  /** SUCCEEDED, or `duplicate` when another delivery had this scheduled time, or `submitted` when handed off. */
  readonly outcome: 'SUCCEEDED' | 'duplicate' | 'submitted';
  readonly attempt?: number;
}

/** Runs a claimed scheduled time elsewhere than in this Lambda (registered per placement by the jobs issue). */
export type ScheduledRunner = (context: HandlerContext, definition: ScheduleDefinition, claim: Claim, claims: ScheduleClaims) => Promise<void>;

const runners = new Map<Placement, ScheduledRunner>();

export function registerScheduledRunner(placement: Placement, runner: ScheduledRunner): void {
  runners.set(placement, runner);
}

/** Extra time a claim's lease gets beyond the task's timeout before another delivery may take it over. */
const LEASE_MARGIN_MS = 60_000;

export const scheduleKind: EventKind<ScheduledEvent> = {
  name: 'schedule',
  matches: (event) => typeof event === 'object' && event !== null && (event as { multinode?: unknown }).multinode === 'schedule',
  async handle(raw, context): Promise<ScheduleResponse> {
    const event = parseScheduledEvent(raw)!;
    const definition = targetDefinition(context, event.name, 'schedule') as ScheduleDefinition;
    const { state, clock, tuning } = context.runtime;
    const claims = new ScheduleClaims(state, clock);
    const timeoutMs = definition.options.timeoutSeconds * 1000;
    const claimed = await claims.claim(definition.name, event.scheduledTime, timeoutMs + LEASE_MARGIN_MS);
    const base = { multinode: 'schedule' as const, name: definition.name, scheduledTime: event.scheduledTime };
    if (!claimed.claimed) {
      console.log(
        `${definition.name}: the run scheduled for ${event.scheduledTime} was already ` +
          `${claimed.status === 'RUNNING' ? 'started' : claimed.status.toLowerCase()} by another delivery; skipped.`,
      );
      return { ...base, outcome: 'duplicate' };
    }
    const claim = claimed.claim;
    if (definition.placement !== 'lambda') {
      const runner = runners.get(definition.placement);
      if (!runner) {
        const error: RemoteErrorInfo = {
          type: 'PlacementUnavailableError',
          message: `schedule "${definition.name}" is placed on ${definition.placement}, which this runtime build cannot run.`,
        };
        await claims.finish(claim, { status: 'FAILED', error });
        throw toThrowable(error);
      }
      await runner(context, definition, claim, claims);
      return { ...base, outcome: 'submitted', attempt: claim.attempt };
    }
    const deadline = clock() + timeoutMs;
    for (let retry = 0; ; retry++) {
      const run: ScheduledRun = { name: definition.name, scheduledTime: new Date(event.scheduledTime), attempt: claim.attempt + retry };
      try {
        await withDeadline(() => definition.handler(run), deadline, clock, `${definition.name} (scheduled ${event.scheduledTime})`);
        await claims.finish(claim, { status: 'SUCCEEDED' });
        return { ...base, outcome: 'SUCCEEDED', attempt: run.attempt };
      } catch (error) {
        const remote = toRemoteError(error);
        if (retry >= definition.options.maxRetries || clock() >= deadline || remote.type === 'TimeoutError') {
          await claims.finish(claim, { status: 'FAILED', error: remote });
          throw error;
        }
        console.error(
          `${definition.name}: the run scheduled for ${event.scheduledTime} failed (attempt ${run.attempt}: ${remote.type}: ${remote.message}); retrying`,
        );
        await sleep(backoffDelay(retry + 1, tuning.retryBackoff));
      }
    }
  },
};
