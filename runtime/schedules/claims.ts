/**
 * Schedule claims: at most one run per schedule and scheduled time, whatever EventBridge delivers. EventBridge
 * Scheduler and Lambda's asynchronous queue are at-least-once (docs/aws-behaviour.md, "Scheduler delivery is at
 * least once"), and a Unix cron with both day fields compiles to two schedules that both fire when a day matches
 * both; every delivery first claims
 * `sched#<name>` / `<scheduled time>` with a conditional put, and only the winner runs.
 *
 * A claim holds a lease (the run's timeout): a delivery that finds a RUNNING claim whose lease expired (its
 * executor crashed) takes it over as the next attempt; a finished claim (SUCCEEDED or FAILED) is never run again.
 * Batch-placed schedules claim here too, before submitting their job.
 *
 * The claim is also the scheduled run's record, listed with every other run (state/run-index.ts): its id is
 * `<task>@<scheduled time>`. A fire time that came while the task was paused (pauses.ts) is recorded PAUSED and never
 * runs, even if delivered again after a resume.
 */
import { randomUUID } from 'node:crypto';
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { claimIndexKeys, type RunIndexKeys } from '../state/run-index.js';
import { partitionKey, STATE_SCHEMA } from '../state/schema.js';
import type { Expiring, StateTable } from '../state/state-table.js';

/** How long claims are kept after their scheduled time. */
export const CLAIM_RETENTION_DAYS = 30;

/** RUNNING until it ends SUCCEEDED or FAILED; PAUSED: the fire time came while the task was paused, and did not run. */
export type ClaimStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'PAUSED';

export interface Claim {
  readonly name: string;
  readonly scheduledTime: string;
  /** The executor's token: only it may finish the claim. */
  readonly owner: string;
  /** 1 for the first executor, more when an expired claim was taken over. */
  readonly attempt: number;
}

/**
 * A claim's item in the state table (besides its key): the one definition of its attributes. The index keys
 * (state/run-index.ts) and `trigger` are written at creation; claims stored before them lack them.
 */
export interface ClaimItem extends Expiring, Partial<RunIndexKeys> {
  readonly status: ClaimStatus;
  /** The executor's token (absent on a PAUSED record: nobody runs it). */
  readonly owner?: string;
  readonly attempts: number;
  readonly claimedAt: number;
  readonly leaseUntil: number;
  /** The compute that started the run (`start`). */
  readonly runner?: string;
  readonly finishedAt?: number;
  /** A RemoteErrorInfo as JSON, when FAILED. */
  readonly error?: string;
  /** What asked for the run: its schedule, or a person (run now). Absent on claims stored before it existed: scheduled. */
  readonly trigger?: ScheduledTrigger;
}

/** A claim as the control plane and tools read it. */
export interface ClaimState {
  readonly status: ClaimStatus;
  readonly attempts: number;
  readonly trigger: ScheduledTrigger;
  readonly error?: RemoteErrorInfo;
}

export type ClaimResult = { readonly claimed: true; readonly claim: Claim } | { readonly claimed: false; readonly status: ClaimStatus };

export class ScheduleClaims {
  constructor(
    readonly table: StateTable,
    readonly clock: () => number,
  ) {}

  /** Claims the run of `name` at `scheduledTime` (ISO UTC) for `leaseMs`; `claimed: false` for a duplicate delivery. */
  async claim(name: string, scheduledTime: string, leaseMs: number, trigger: ScheduledTrigger = 'scheduled'): Promise<ClaimResult> {
    const pk = partitionKey('scheduleClaim', name);
    const owner = randomUUID();
    const now = this.clock();
    const fresh: ClaimItem = {
      status: 'RUNNING',
      owner,
      attempts: 1,
      claimedAt: now,
      leaseUntil: now + leaseMs,
      trigger,
      [STATE_SCHEMA.ttl]: Math.ceil(Date.parse(scheduledTime) / 1000) + CLAIM_RETENTION_DAYS * 86400,
      ...claimIndexKeys(name, scheduledTime),
    };
    if (await this.table.putIfAbsent(pk, scheduledTime, fresh)) return { claimed: true, claim: { name, scheduledTime, owner, attempt: 1 } };
    const taken = await this.table.update<ClaimItem>(pk, scheduledTime, {
      set: { owner, claimedAt: now, leaseUntil: now + leaseMs },
      add: { attempts: 1 },
      remove: ['runner'],
      condition: 'attribute_exists(#pk) AND #status = :running AND #leaseUntil < :now',
      values: { ':running': 'RUNNING', ':now': now },
    });
    if (taken) return { claimed: true, claim: { name, scheduledTime, owner, attempt: taken.attempts ?? 2 } };
    const current = await this.table.get<ClaimItem>(pk, scheduledTime);
    return { claimed: false, status: current?.status ?? 'RUNNING' };
  }

  /**
   * Records the fire time `scheduledTime` of a paused task as PAUSED (it does not run): false when the time already
   * has a record (a duplicate delivery, or it ran before the pause).
   */
  async recordPaused(name: string, scheduledTime: string, trigger: ScheduledTrigger = 'scheduled'): Promise<boolean> {
    const now = this.clock();
    return this.table.putIfAbsent<ClaimItem>(partitionKey('scheduleClaim', name), scheduledTime, {
      status: 'PAUSED',
      attempts: 0,
      claimedAt: now,
      leaseUntil: now,
      finishedAt: now,
      trigger,
      [STATE_SCHEMA.ttl]: Math.ceil(Date.parse(scheduledTime) / 1000) + CLAIM_RETENTION_DAYS * 86400,
      ...claimIndexKeys(name, scheduledTime),
    });
  }

  /**
   * The compute that runs a claimed time says so: true for the first `runner` (or the same one again), false for any
   * other. A submission made twice (an SDK retry after a lost answer starts a second Batch job) runs once.
   */
  async start(claim: Claim, runner: string): Promise<boolean> {
    const item = await this.table.update<ClaimItem>(partitionKey('scheduleClaim', claim.name), claim.scheduledTime, {
      set: { runner: runner },
      condition: '#owner = :owner AND #status = :running AND (attribute_not_exists(#runner) OR #runner = :runner)',
      values: { ':owner': claim.owner, ':running': 'RUNNING', ':runner': runner },
    });
    return item !== undefined;
  }

  /**
   * Records the outcome; false when the claim was taken over meanwhile (this executor's lease had expired). With
   * `runner`, only if no other compute started the run (a duplicate container that died must not end the run of the
   * one still running it).
   */
  async finish(
    claim: Claim,
    outcome: { status: 'SUCCEEDED' } | { status: 'FAILED'; error: RemoteErrorInfo },
    options: { runner?: string } = {},
  ): Promise<boolean> {
    const item = await this.table.update<ClaimItem>(partitionKey('scheduleClaim', claim.name), claim.scheduledTime, {
      set: {
        status: outcome.status,
        finishedAt: this.clock(),
        ...(outcome.status === 'FAILED' ? { error: JSON.stringify(outcome.error) } : {}),
      },
      condition: options.runner === undefined ? '#owner = :owner' : '#owner = :owner AND (attribute_not_exists(#runner) OR #runner = :runner)',
      values: { ':owner': claim.owner, ...(options.runner === undefined ? {} : { ':runner': options.runner }) },
    });
    return item !== undefined;
  }

  /** The claim's stored state (for tests and tools); `error` when the run FAILED. */
  async read(name: string, scheduledTime: string): Promise<ClaimState | undefined> {
    const item = await this.table.get<ClaimItem>(partitionKey('scheduleClaim', name), scheduledTime);
    if (!item) return undefined;
    return {
      status: item.status,
      attempts: item.attempts ?? 0,
      trigger: item.trigger ?? 'scheduled',
      ...(item.error ? { error: JSON.parse(item.error) as RemoteErrorInfo } : {}),
    };
  }
}
