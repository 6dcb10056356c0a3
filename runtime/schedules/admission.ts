/**
 * The overlap policy (lib/schedule/overlap.ts) at the moment a fire time may start: whether it starts now, waits,
 * or is skipped, decided on the task's active-run item (active-run.ts) with conditional writes, so deliveries racing
 * on one task (several fire times, duplicates, a person's run now, a backfill) agree.
 *
 * - `allow`: it starts; no request.
 * - the task runs nothing: the fire time takes the active run and starts (one request).
 * - a run is running (its lease not expired):
 *   - `skip`: the fire time is recorded SKIPPED, naming the run in the way;
 *   - `bufferOne`: it becomes the one waiting, recorded PENDING; when one already waits it is SKIPPED;
 *   - `cancelOther`: it becomes the one waiting (a fire time waiting before it is SKIPPED, replaced), and the running
 *     one is asked to stop (CANCELLING; on Batch its container is also sent TerminateJob, whose SIGTERM the
 *     container's executor turns into the run's signal). A backfill never cancels a run: under `cancelOther` its fire
 *     times wait as under `bufferOne`.
 *
 * The executor of the running fire time releases the active run when it ends and gives the turn to the one waiting
 * (a delivery of that fire time). Writes are ordered so that no turn is lost: the waiting fire time is named in the
 * active run before its record says PENDING, and read again after; if the running one ended in between (so its
 * turn found the record not yet PENDING), the waiting fire time takes its turn itself.
 */
import { randomUUID } from 'node:crypto';
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { type OverlapPolicy, runsOneAtATime } from '../../lib/schedule/overlap.js';
import { BatchJobs } from '../batch/batch-jobs.js';
import type { RuntimeContext } from '../core/context.js';
import { asError, type Logger } from '../core/logger.js';
import type { ActiveRuns, WaitingRun } from './active-run.js';
import type { Claim, ScheduleClaims } from './claims.js';
import { deliverScheduled, turnEvent } from './schedule-delivery.js';

/** Rounds of reading and writing the active run before a fire time gives up and is skipped (it keeps changing). */
const MAX_ROUNDS = 5;

export interface AdmissionDeps {
  readonly runtime: RuntimeContext;
  readonly task: { readonly name: string; readonly placement: Placement };
  readonly policy: OverlapPolicy;
  readonly claims: ScheduleClaims;
  readonly active: ActiveRuns;
  readonly log: Logger;
}

/** Whether a fire time starts now; if not, what became of it. */
export type Admission =
  | { readonly start: true; readonly claim: Claim }
  | { readonly start: false; readonly outcome: 'skipped' | 'waiting' | 'duplicate'; readonly reason?: RemoteErrorInfo };

/** A fire time just claimed (its record RUNNING, owned by `claim`): does it start, wait, or is it skipped? */
export async function admitClaimed(deps: AdmissionDeps, claim: Claim, trigger: ScheduledTrigger, leaseUntil: number): Promise<Admission> {
  if (!runsOneAtATime(deps.policy)) return { start: true, claim };
  const { active, claims, task } = deps;
  const time = claim.scheduledTime;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (await active.take(task.name, time, claim.owner, leaseUntil)) return { start: true, claim };
    const slot = await active.read(task.name);
    if (!active.isHeld(slot)) {
      // Freed meanwhile: try again. Free but with a fire time waiting: that one is next (its turn may have been lost,
      // its executor having died: give it again), and it is the run in the way.
      if (!slot?.waiting) continue;
      if (slot.waiting !== time) await giveTurn(deps, { scheduledTime: slot.waiting, trigger: slot.waitingTrigger ?? 'scheduled' });
      return skip(deps, claim, `${task.name}@${slot.waiting} is waiting to run`);
    }
    const holder = slot.holder;
    const waitsLikeBufferOne = deps.policy === 'bufferOne' || (deps.policy === 'cancelOther' && trigger === 'backfill');
    if (deps.policy === 'skip') return skip(deps, claim, `${task.name}@${holder} was running`);
    if (waitsLikeBufferOne) {
      if (slot.waiting) return skip(deps, claim, `${task.name}@${slot.waiting} was already waiting for ${task.name}@${holder} (one waits)`);
      if (!(await active.wait(task.name, time, trigger, { holder }))) continue;
      return waitForTurn(deps, claim, leaseUntil);
    }
    // cancelOther: the newest fire time runs.
    if (!(await active.wait(task.name, time, trigger, { holder, ...(slot.waiting ? { waiting: slot.waiting } : {}) }))) continue;
    if (slot.waiting) {
      await claims.skipWaiting(task.name, slot.waiting, overlapReason(deps, `a newer fire time, ${task.name}@${time}, replaced it`));
    }
    const admission = await waitForTurn(deps, claim, leaseUntil, async () => cancelRunning(deps, holder, time));
    return admission;
  }
  return skip(deps, claim, `the active run of ${task.name} kept changing`);
}

/**
 * A delivery of a fire time recorded PENDING (its turn, or a duplicate of a delivery that made it wait): it starts
 * when it is the one waiting and the task runs nothing; otherwise it keeps waiting.
 */
export async function admitWaiting(deps: AdmissionDeps, scheduledTime: string, leaseMs: number): Promise<Admission> {
  const { active, claims, task, runtime } = deps;
  const owner = randomUUID();
  if (!runsOneAtATime(deps.policy)) {
    // The policy changed (a deploy) while it waited: it starts.
    const claim = await claims.startWaiting(task.name, scheduledTime, owner, leaseMs, task.placement);
    return claim ? { start: true, claim } : { start: false, outcome: 'duplicate' };
  }
  if (!(await active.take(task.name, scheduledTime, owner, runtime.clock() + leaseMs, true))) return { start: false, outcome: 'waiting' };
  const claim = await claims.startWaiting(task.name, scheduledTime, owner, leaseMs, task.placement);
  if (claim) return { start: true, claim };
  // It stopped waiting meanwhile (cancelled, or paused): hand the task on.
  await releaseActiveRun(deps, owner);
  return { start: false, outcome: 'duplicate' };
}

/**
 * The end of a run that held the task's active run: releases it, and gives the turn to the fire time waiting. A
 * release that finds another holder (this executor's lease had expired and another fire time took over) does nothing.
 */
export async function releaseActiveRun(deps: AdmissionDeps, owner: string): Promise<void> {
  if (!runsOneAtATime(deps.policy)) return;
  const released = await deps.active.release(deps.task.name, owner);
  if (released?.waiting) await giveTurn(deps, released.waiting);
}

/** Sends the waiting fire time's turn: a delivery of it (it starts there). A failure is logged: the next fire time repairs it. */
async function giveTurn(deps: AdmissionDeps, waiting: WaitingRun): Promise<void> {
  try {
    await deliverScheduled(deps.runtime, deps.task, turnEvent(deps.task.name, waiting));
    deps.log.info(`gave the turn to ${deps.task.name}@${waiting.scheduledTime}, which was waiting`);
  } catch (error) {
    deps.log.warn(`could not give the turn to ${deps.task.name}@${waiting.scheduledTime}; the task's next delivery will`, asError(error));
  }
}

async function skip(deps: AdmissionDeps, claim: Claim, why: string): Promise<Admission> {
  const reason = overlapReason(deps, why);
  const recorded = await deps.claims.setAside(claim, { status: 'SKIPPED', reason });
  return recorded ? { start: false, outcome: 'skipped', reason } : { start: false, outcome: 'duplicate' };
}

/**
 * Named as the fire time waiting, the claim becomes PENDING; `then` runs after (cancelOther: stop the running one).
 * Read again: if the running one ended in between, its turn found the record not yet PENDING, so take it here.
 */
async function waitForTurn(deps: AdmissionDeps, claim: Claim, leaseUntil: number, then?: () => Promise<void>): Promise<Admission> {
  const { active, claims, task } = deps;
  if (!(await claims.setAside(claim, { status: 'PENDING' }))) {
    await active.forgetWaiting(task.name, claim.scheduledTime);
    return { start: false, outcome: 'duplicate' };
  }
  await then?.();
  const slot = await active.read(task.name);
  if (!active.isHeld(slot) && slot?.waiting === claim.scheduledTime) {
    const admission = await admitWaiting(deps, claim.scheduledTime, leaseUntil - deps.runtime.clock());
    if (admission.start || admission.outcome === 'duplicate') return admission;
  }
  return { start: false, outcome: 'waiting' };
}

/** cancelOther: the running fire time is asked to stop; on Batch, its container is also told (TerminateJob). */
async function cancelRunning(deps: AdmissionDeps, holder: string, newcomer: string): Promise<void> {
  const reason: RemoteErrorInfo = {
    type: 'RunCancelledError',
    message: `${deps.task.name}@${holder} was cancelled: a newer fire time, ${deps.task.name}@${newcomer}, came while it ran (overlap "cancelOther")`,
  };
  const cancelled = await deps.claims.cancel(deps.task.name, holder, reason);
  deps.log.info(`asked ${deps.task.name}@${holder} to stop (overlap "cancelOther"): it is ${cancelled.status ?? 'gone'}`);
  if (cancelled.changed && cancelled.placement === 'batch' && cancelled.runner) {
    await new BatchJobs(deps.runtime)
      .terminate(cancelled.runner, `multinode: ${reason.message}`)
      .catch((error: unknown) => deps.log.warn(`could not stop the Batch job ${cancelled.runner}; its executor sees the cancel itself`, asError(error)));
  }
}

function overlapReason(deps: AdmissionDeps, why: string): RemoteErrorInfo {
  return { type: 'OverlapSkipped', message: `${why} (overlap "${deps.policy}")` };
}
