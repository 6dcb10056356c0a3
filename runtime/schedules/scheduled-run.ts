/**
 * Runs a claimed fire time, wherever it runs (the delivering Lambda invocation, or a Batch container), with the job
 * executor's scheme (runtime/jobs/executor.ts) and its timings (runtime/jobs/tuning.ts):
 *
 * - the handler gets `run.signal`, which fires on a cancel request (seen by a heartbeat on the claim every
 *   `heartbeatMs`), at the run's deadline, and when its compute is told to stop (a Batch container's SIGTERM, from
 *   TerminateJob); it then has the grace period (`graceMs`) to stop, after which the run is recorded without waiting
 *   for it (on Lambda the invocation returns; a container exits);
 * - a run that throws is retried (`maxRetries`) while time remains; a cancelled or timed-out run is never retried;
 * - the outcome goes to the claim: SUCCEEDED, FAILED, TIMED_OUT or CANCELLED (a cancel request wins over a late
 *   success), and a task that runs one at a time hands its active run to the fire time waiting (admission.ts).
 */
import { RunCancelledError, RunTimedOutError, MultinodeError } from '../../lib/errors.js';
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { RemoteErrorInfo, ScheduledRun } from '../../lib/handles.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import type { RuntimeContext } from '../core/context.js';
import { FINAL_WRITE_MARGIN_MS } from '../core/deadline.js';
import { withLog } from '../core/invocation-log.js';
import { asError, type Logger } from '../core/logger.js';
import { toRemoteError } from '../core/remote-error.js';
import { backoffDelay, sleep } from '../core/retry.js';
import { CONTAINER_STOP_TIMEOUT_MS, type JobTuning } from '../jobs/tuning.js';
import type { Claim, ScheduleClaims } from './claims.js';

/** The run's compute was told to stop (a Batch container's SIGTERM) without a cancel or a timeout explaining it. */
export class ScheduledRunStoppedError extends MultinodeError {}

/** The claim is no longer this executor's (its lease expired and another delivery took it over, or it ended). */
class ClaimLostError extends MultinodeError {}

export interface ScheduledRunDeps {
  readonly runtime: RuntimeContext;
  readonly definition: ScheduleDefinition;
  readonly claim: Claim;
  readonly claims: ScheduleClaims;
  readonly trigger: ScheduledTrigger;
  /** When the run times out, epoch ms by the runtime's clock (its timeout after it started). */
  readonly deadline: number;
  /** When the compute itself ends (a Lambda invocation's timeout): the signal fires early enough for the grace period. */
  readonly computeEndsAt?: number;
  /** Aborts when the compute is told to stop (SIGTERM in a Batch container). */
  readonly stopSignal?: AbortSignal;
  /** How long the compute lives on after `stopSignal`; default ECS's stop timeout. */
  readonly stopTimeoutMs?: number;
  /** The Batch job running it: the claim is finished only if no other container started it. */
  readonly runner?: string;
  readonly tuning: Pick<JobTuning, 'heartbeatMs' | 'graceMs'>;
  readonly log: Logger;
}

/** How the run ended: the claim's final status, or `lost` (nothing written: the claim is another executor's). */
export interface ScheduledRunOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED' | 'lost';
  /** The last attempt made. */
  readonly attempt: number;
  /** What the handler threw (FAILED), or why it stopped (TIMED_OUT, CANCELLED). */
  readonly error?: unknown;
}

type Ended = { kind: 'done' } | { kind: 'threw'; error: unknown } | { kind: 'grace' };

export async function executeScheduledRun(deps: ScheduledRunDeps): Promise<ScheduledRunOutcome> {
  const { runtime, definition, claim, claims, tuning } = deps;
  const { clock } = runtime;
  const id = claim.scheduledTime;
  const controller = new AbortController();
  const signal = controller.signal;
  const timers: NodeJS.Timeout[] = [];
  const abort = (reason: Error) => {
    if (!signal.aborted) controller.abort(reason);
  };
  // When the compute itself ends: the signal fires the grace period (and the final write) before it.
  let hardStop = deps.computeEndsAt === undefined ? Number.POSITIVE_INFINITY : deps.computeEndsAt - FINAL_WRITE_MARGIN_MS;
  const timedOut = () => new RunTimedOutError(definition.name, id, definition.options.timeoutSeconds);
  timers.push(setTimeout(() => abort(timedOut()), Math.max(0, Math.min(deps.deadline, hardStop - tuning.graceMs) - clock())));
  timers.push(
    setInterval(() => {
      void claims.heartbeat(claim).then(
        (status) => {
          if (status === 'CANCELLING') abort(new RunCancelledError(definition.name, id));
          else if (status === undefined) abort(new ClaimLostError(`${definition.name}@${id} is no longer this executor's`));
        },
        () => undefined, // a failed heartbeat is tried again on the next beat
      );
    }, tuning.heartbeatMs),
  );
  const onStop = () => {
    hardStop = Math.min(hardStop, clock() + (deps.stopTimeoutMs ?? CONTAINER_STOP_TIMEOUT_MS) - FINAL_WRITE_MARGIN_MS);
    void claims.read(definition.name, id).then(
      (now) => {
        if (now?.status === 'CANCELLING') abort(new RunCancelledError(definition.name, id));
        else if (clock() >= deps.deadline) abort(timedOut());
        else abort(new ScheduledRunStoppedError(`${definition.name}@${id}: the compute running it was told to stop (SIGTERM)`));
      },
      () => abort(new ScheduledRunStoppedError(`${definition.name}@${id}: the compute running it was told to stop (SIGTERM)`)),
    );
  };
  deps.stopSignal?.addEventListener('abort', onStop, { once: true });
  if (deps.stopSignal?.aborted) onStop();
  // Once aborted, the handler has the grace period to stop.
  let graceOver: () => void = () => undefined;
  const grace = new Promise<Ended>((resolve) => (graceOver = () => resolve({ kind: 'grace' })));
  signal.addEventListener('abort', () => timers.push(setTimeout(graceOver, Math.max(0, Math.min(tuning.graceMs, hardStop - clock())))), { once: true });

  let attempt = claim.attempt;
  let ended: Ended = { kind: 'grace' };
  try {
    for (let retry = 0; ; retry++) {
      attempt = claim.attempt + retry;
      const log = deps.log.child({ attempt });
      const run: ScheduledRun = { name: definition.name, scheduledTime: new Date(id), attempt, trigger: deps.trigger, signal, log };
      const ran = Promise.resolve()
        .then(() => withLog(log, () => definition.handler(run)))
        .then(
          (): Ended => ({ kind: 'done' }),
          (error: unknown): Ended => ({ kind: 'threw', error }),
        );
      ended = await Promise.race([ran, grace]);
      if (signal.aborted || ended.kind !== 'threw') break;
      if (retry >= definition.options.maxRetries || clock() >= deps.deadline) break;
      log.warn(`attempt ${attempt} failed; retrying`, asError(ended.error));
      // Stopped while waiting to retry: the reason decides the outcome.
      const waited = await sleep(backoffDelay(retry + 1, runtime.tuning.retryBackoff), signal).then(
        () => true,
        () => false,
      );
      if (!waited) break;
    }
  } finally {
    for (const timer of timers) clearTimeout(timer);
    deps.stopSignal?.removeEventListener('abort', onStop);
  }
  return conclude(deps, attempt, signal.aborted ? (signal.reason as Error) : undefined, ended);
}

/** Writes the outcome (what stopped the run decides, then how the handler ended). */
async function conclude(deps: ScheduledRunDeps, attempt: number, reason: Error | undefined, ended: Ended): Promise<ScheduledRunOutcome> {
  const { claims, claim } = deps;
  const finish = (outcome: Parameters<ScheduleClaims['finish']>[1]) => claims.finish(claim, outcome, deps.runner === undefined ? {} : { runner: deps.runner });
  if (reason instanceof ClaimLostError) return { status: 'lost', attempt };
  if (reason instanceof RunCancelledError)
    return (await finish({ status: 'CANCELLED' })) ? { status: 'CANCELLED', attempt, error: reason } : { status: 'lost', attempt };
  if (reason instanceof RunTimedOutError) {
    const error: RemoteErrorInfo = { type: 'TimeoutError', message: reason.message };
    return (await finish({ status: 'TIMED_OUT', error })) ? { status: 'TIMED_OUT', attempt, error: reason } : { status: 'lost', attempt };
  }
  const failure = reason ?? (ended.kind === 'threw' ? ended.error : undefined);
  if (failure !== undefined) {
    return (await finish({ status: 'FAILED', error: toRemoteError(failure) })) ? { status: 'FAILED', attempt, error: failure } : { status: 'lost', attempt };
  }
  if (await finish({ status: 'SUCCEEDED' })) return { status: 'SUCCEEDED', attempt };
  // Refused: a cancel request came as it succeeded (it ends CANCELLED), or the claim is another executor's.
  if ((await claims.read(claim.name, claim.scheduledTime))?.status === 'CANCELLING' && (await finish({ status: 'CANCELLED' }))) {
    return { status: 'CANCELLED', attempt, error: new RunCancelledError(deps.definition.name, claim.scheduledTime) };
  }
  return { status: 'lost', attempt };
}
