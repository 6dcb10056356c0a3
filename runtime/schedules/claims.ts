/**
 * Schedule claims: at most one run per schedule and scheduled time, whatever EventBridge delivers. EventBridge
 * Scheduler and Lambda's asynchronous queue are at-least-once (docs/aws-behaviour.md, "Scheduler delivery is at
 * least once"), and a Unix cron with both day fields compiles to two schedules that both fire when a day matches
 * both; every delivery first claims `sched#<name>` / `<scheduled time>` with a conditional put, and only the winner
 * runs.
 *
 * The claim is also the fire time's record in the run history, listed with every other run (state/run-index.ts): its
 * id is `<task>@<scheduled time>`, and it says when the run started and ended, how (status, error), how many attempts
 * it took, where it ran and what asked for it (`trigger`). Each fire time is recorded once:
 *
 *   absent -> RUNNING (claimed: it runs) -> SUCCEEDED | FAILED | TIMED_OUT | CANCELLED
 *   absent -> PAUSED (the task was paused; it does not run)
 *   RUNNING -> SKIPPED | PENDING (a run of the task was running: the overlap policy, admission.ts)
 *   PENDING -> RUNNING (the running one ended and handed over) | PAUSED | SKIPPED (a newer one replaced it) | CANCELLED
 *   RUNNING -> CANCELLING (cancel: the executor's heartbeat sees it, the run's signal fires) -> CANCELLED
 *   PAUSED | SKIPPED -> RUNNING (a backfill's delivery only: a fire time that never ran)
 *
 * A claim holds a lease (the run's timeout, the grace period and a margin): a delivery that finds a RUNNING claim whose
 * lease expired (its executor crashed) takes it over as the next attempt; a finished claim is never run again.
 * Records are kept CLAIM_RETENTION_DAYS from when they were written, not from their scheduled time: a backfilled fire
 * time of last month is kept as long as one that ran today.
 */
import { randomUUID } from 'node:crypto';
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { claimIndexKeys, type RunIndexKeys } from '../state/run-index.js';
import { partitionKey, STATE_SCHEMA } from '../state/schema.js';
import type { Expiring, StateTable, Stored } from '../state/state-table.js';

/** How long a fire time's record is kept after it was written (DynamoDB TTL). */
export const CLAIM_RETENTION_DAYS = 30;

/**
 * PENDING: waiting for the task's running run to end (overlap `bufferOne`, `cancelOther`). RUNNING until it ends
 * SUCCEEDED, FAILED, TIMED_OUT or CANCELLED (CANCELLING while a cancel request reaches it). SKIPPED: a run of the task
 * was running (overlap `skip`, or one was already waiting). PAUSED: the fire time came while the task was paused.
 */
export type ClaimStatus = 'PENDING' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED' | 'SKIPPED' | 'PAUSED';

/**
 * Extra time a claim's lease gets beyond the task's timeout and the grace period before another delivery may take it
 * over (and the task's active run counts as free).
 */
export const LEASE_MARGIN_MS = 60_000;

/** The lease of a run starting now: its timeout, the grace period after it, and a margin. */
export function scheduledLeaseMs(definition: { readonly options: { readonly timeoutSeconds: number } }, graceMs: number): number {
  return definition.options.timeoutSeconds * 1000 + graceMs + LEASE_MARGIN_MS;
}

/** Statuses no executor changes any more. */
export const FINAL_CLAIM_STATUSES: readonly ClaimStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED', 'PAUSED'];

/** Final statuses of fire times that did not run: a backfill may run them. */
export const NOT_RUN_STATUSES: readonly ClaimStatus[] = ['SKIPPED', 'PAUSED'];

export function isFinalClaim(status: ClaimStatus): boolean {
  return FINAL_CLAIM_STATUSES.includes(status);
}

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
 * (state/run-index.ts) and `trigger` are written at creation; claims stored before them lack them, and those stored
 * before the run history lack `startedAt`, `placement` and the heartbeat.
 */
export interface ClaimItem extends Expiring, Partial<RunIndexKeys> {
  readonly status: ClaimStatus;
  /** The executor's token (absent while PENDING, and on SKIPPED and PAUSED records: nobody runs them). */
  readonly owner?: string;
  readonly attempts: number;
  /** When the record was written first. */
  readonly claimedAt: number;
  /** When the run started: on Lambda at its claim (or when it stopped waiting), on Batch when its container started. */
  readonly startedAt?: number;
  /** Until when its executor holds it; another delivery may take it over after. */
  readonly leaseUntil: number;
  /** Where it runs. */
  readonly placement?: Placement;
  /** The compute that started the run (`start`): the Batch job id. */
  readonly runner?: string;
  /** When its executor last reported. */
  readonly heartbeatAt?: number;
  /** When a cancel was asked for. */
  readonly cancelRequestedAt?: number;
  readonly finishedAt?: number;
  /**
   * A RemoteErrorInfo as JSON: why it FAILED or TIMED_OUT, and why it was SKIPPED or CANCELLED (the run in the way,
   * who cancelled it).
   */
  readonly error?: string;
  /** What asked for the run. Absent on claims stored before it existed: scheduled. */
  readonly trigger?: ScheduledTrigger;
}

/** A claim as tests and tools read it. */
export interface ClaimState {
  readonly status: ClaimStatus;
  readonly attempts: number;
  readonly trigger: ScheduledTrigger;
  readonly error?: RemoteErrorInfo;
}

export type ClaimResult = { readonly claimed: true; readonly claim: Claim } | { readonly claimed: false; readonly status: ClaimStatus };

/** How a claim ends: its final status and, but for SUCCEEDED, what went wrong (a cancel keeps the reason it was given). */
export type ClaimOutcome =
  | { readonly status: 'SUCCEEDED' }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: RemoteErrorInfo }
  | { readonly status: 'CANCELLED'; readonly error?: RemoteErrorInfo };

/** What a cancel request found and did. */
export interface CancelOutcome {
  /**
   * The status after the request: CANCELLING (its executor stops it), CANCELLED (it never started), or as it was
   * (undefined: there is no record).
   */
  readonly status: ClaimStatus | undefined;
  /** Whether the request changed it. */
  readonly changed: boolean;
  readonly placement?: Placement;
  /** The Batch job running it, when its container started. */
  readonly runner?: string;
}

export class ScheduleClaims {
  constructor(
    readonly table: StateTable,
    readonly clock: () => number,
  ) {}

  /** The TTL of a record written now. */
  #expiry(): number {
    return Math.ceil(this.clock() / 1000) + CLAIM_RETENTION_DAYS * 86400;
  }

  #key(name: string): string {
    return partitionKey('scheduleClaim', name);
  }

  /**
   * Claims the run of `name` at `scheduledTime` (ISO UTC) for `leaseMs`; `claimed: false` for a duplicate delivery (and
   * for a PENDING record: the caller decides whether it is its turn). A backfill's delivery also claims a fire time
   * recorded SKIPPED or PAUSED: it never ran. On Batch the run starts when its container says so (`start`).
   */
  async claim(
    name: string,
    scheduledTime: string,
    leaseMs: number,
    trigger: ScheduledTrigger = 'scheduled',
    placement: Placement = 'lambda',
  ): Promise<ClaimResult> {
    const pk = this.#key(name);
    const owner = randomUUID();
    const now = this.clock();
    const fresh: ClaimItem = {
      status: 'RUNNING',
      owner,
      attempts: 1,
      claimedAt: now,
      ...(placement === 'lambda' ? { startedAt: now } : {}),
      leaseUntil: now + leaseMs,
      placement,
      trigger,
      [STATE_SCHEMA.ttl]: this.#expiry(),
      ...claimIndexKeys(name, scheduledTime),
    };
    const notRun = trigger === 'backfill' ? ` OR #status IN (${NOT_RUN_STATUSES.map((_, i) => `:notRun${i}`).join(', ')})` : '';
    const created = await this.table.put(pk, scheduledTime, fresh, {
      expression: `attribute_not_exists(#${STATE_SCHEMA.partitionKey})${notRun}`,
      ...(notRun ? { values: Object.fromEntries(NOT_RUN_STATUSES.map((status, i) => [`:notRun${i}`, status])) } : {}),
    });
    if (created) return { claimed: true, claim: { name, scheduledTime, owner, attempt: 1 } };
    const taken = await this.table.update<ClaimItem>(pk, scheduledTime, {
      set: { owner, claimedAt: now, leaseUntil: now + leaseMs, ...(placement === 'lambda' ? { startedAt: now } : {}) },
      add: { attempts: 1 },
      remove: ['runner', ...(placement === 'lambda' ? [] : (['startedAt'] as const))],
      condition: 'attribute_exists(#pk) AND #status = :running AND #leaseUntil < :now',
      values: { ':running': 'RUNNING', ':now': now },
    });
    if (taken) return { claimed: true, claim: { name, scheduledTime, owner, attempt: taken.attempts ?? 2 } };
    const current = await this.table.get<ClaimItem>(pk, scheduledTime);
    return { claimed: false, status: current?.status ?? 'RUNNING' };
  }

  /**
   * Records the fire time `scheduledTime` of a paused task as PAUSED (it does not run): also a fire time that was
   * waiting for the running one (PENDING) and whose turn came while paused. Returns the status it had (`absent` when
   * there was no record), or undefined when the time already has another record (a duplicate delivery, or it ran
   * before the pause).
   */
  async recordPaused(name: string, scheduledTime: string, trigger: ScheduledTrigger = 'scheduled'): Promise<'absent' | 'PENDING' | undefined> {
    const now = this.clock();
    const item: ClaimItem = {
      status: 'PAUSED',
      attempts: 0,
      claimedAt: now,
      leaseUntil: now,
      finishedAt: now,
      trigger,
      [STATE_SCHEMA.ttl]: this.#expiry(),
      ...claimIndexKeys(name, scheduledTime),
    };
    if (await this.table.putIfAbsent<ClaimItem>(this.#key(name), scheduledTime, item)) return 'absent';
    const paused = await this.table.update<ClaimItem>(this.#key(name), scheduledTime, {
      set: { status: 'PAUSED', finishedAt: now },
      condition: '#status = :pending',
      values: { ':pending': 'PENDING' },
    });
    return paused ? 'PENDING' : undefined;
  }

  /**
   * A claimed fire time that does not start now (a run of the task is running): SKIPPED, with why, or PENDING (it
   * waits for the running run to end). False when the claim is no longer this executor's.
   */
  async setAside(claim: Claim, outcome: { status: 'SKIPPED'; reason: RemoteErrorInfo } | { status: 'PENDING' }): Promise<boolean> {
    const now = this.clock();
    const item = await this.table.update<ClaimItem>(this.#key(claim.name), claim.scheduledTime, {
      set: {
        status: outcome.status,
        attempts: claim.attempt - 1,
        ...(outcome.status === 'SKIPPED' ? { finishedAt: now, error: JSON.stringify(outcome.reason) } : {}),
      },
      remove: ['owner', 'startedAt'],
      condition: '#owner = :owner AND #status = :running',
      values: { ':owner': claim.owner, ':running': 'RUNNING' },
    });
    return item !== undefined;
  }

  /**
   * A PENDING fire time whose turn came: RUNNING for the executor `owner` (the token it took the task's active run
   * with); undefined when it is not PENDING any more.
   */
  async startWaiting(name: string, scheduledTime: string, owner: string, leaseMs: number, placement: Placement = 'lambda'): Promise<Claim | undefined> {
    const now = this.clock();
    const item = await this.table.update<ClaimItem>(this.#key(name), scheduledTime, {
      set: { status: 'RUNNING', owner, leaseUntil: now + leaseMs, placement, ...(placement === 'lambda' ? { startedAt: now } : {}) },
      add: { attempts: 1 },
      condition: '#status = :pending',
      values: { ':pending': 'PENDING' },
    });
    return item ? { name, scheduledTime, owner, attempt: item.attempts } : undefined;
  }

  /** A PENDING fire time a newer one replaced (overlap `cancelOther`): SKIPPED, with why. */
  async skipWaiting(name: string, scheduledTime: string, reason: RemoteErrorInfo): Promise<boolean> {
    const item = await this.table.update<ClaimItem>(this.#key(name), scheduledTime, {
      set: { status: 'SKIPPED', finishedAt: this.clock(), error: JSON.stringify(reason) },
      condition: '#status = :pending',
      values: { ':pending': 'PENDING' },
    });
    return item !== undefined;
  }

  /**
   * The compute that runs a claimed time says so, and the run starts: RUNNING for the first `runner` (or the same one
   * again), CANCELLING when a cancel request came first (it stops at once), undefined for any other runner or a claim
   * that ended or was taken over. A submission made twice (an SDK retry after a lost answer starts a second Batch job)
   * runs once.
   */
  async start(claim: Claim, runner: string): Promise<'RUNNING' | 'CANCELLING' | undefined> {
    const item = await this.table.update<ClaimItem>(this.#key(claim.name), claim.scheduledTime, {
      set: { runner, startedAt: this.clock() },
      condition: '#owner = :owner AND #status IN (:running, :cancelling) AND (attribute_not_exists(#runner) OR #runner = :runner)',
      values: { ':owner': claim.owner, ':running': 'RUNNING', ':cancelling': 'CANCELLING', ':runner': runner },
    });
    return item?.status === 'RUNNING' || item?.status === 'CANCELLING' ? item.status : undefined;
  }

  /**
   * The executor reports: returns the status (CANCELLING when a cancel was asked for), or undefined when the claim is
   * no longer this executor's (it ended, or was taken over).
   */
  async heartbeat(claim: Claim): Promise<'RUNNING' | 'CANCELLING' | undefined> {
    const item = await this.table.update<ClaimItem>(this.#key(claim.name), claim.scheduledTime, {
      set: { heartbeatAt: this.clock() },
      condition: '#owner = :owner AND #status IN (:running, :cancelling)',
      values: { ':owner': claim.owner, ':running': 'RUNNING', ':cancelling': 'CANCELLING' },
    });
    return item?.status === 'RUNNING' || item?.status === 'CANCELLING' ? item.status : undefined;
  }

  /**
   * Records the outcome; false when the claim was taken over meanwhile (this executor's lease had expired), or for a
   * success that met a cancel request (the run is then CANCELLING: end it CANCELLED). With `runner`, only if no other
   * compute started the run (a duplicate container that died must not end the run of the one still running it).
   */
  async finish(claim: Claim, outcome: ClaimOutcome, options: { runner?: string } = {}): Promise<boolean> {
    const values: Record<string, string> = { ':owner': claim.owner, ':running': 'RUNNING' };
    // A cancel request wins over a late success.
    const conditions = ['#owner = :owner', '#status = :running'];
    if (outcome.status !== 'SUCCEEDED') {
      conditions[1] = '#status IN (:running, :cancelling)';
      values[':cancelling'] = 'CANCELLING';
    }
    if (options.runner !== undefined) {
      conditions.push('(attribute_not_exists(#runner) OR #runner = :runner)');
      values[':runner'] = options.runner;
    }
    const item = await this.table.update<ClaimItem>(this.#key(claim.name), claim.scheduledTime, {
      set: {
        status: outcome.status,
        finishedAt: this.clock(),
        ...(outcome.status !== 'SUCCEEDED' && outcome.error ? { error: JSON.stringify(outcome.error) } : {}),
      },
      condition: conditions.join(' AND '),
      values,
    });
    return item !== undefined;
  }

  /**
   * Asks for a fire time's run to stop: a RUNNING one becomes CANCELLING (its executor's heartbeat sees it and fires
   * the run's signal), a PENDING one CANCELLED at once (it never started). `reason` is kept as the record's error.
   * Anything else is left as it is.
   */
  async cancel(name: string, scheduledTime: string, reason: RemoteErrorInfo): Promise<CancelOutcome> {
    const now = this.clock();
    const running = await this.table.update<ClaimItem>(this.#key(name), scheduledTime, {
      set: { status: 'CANCELLING', cancelRequestedAt: now, error: JSON.stringify(reason) },
      condition: '#status = :running',
      values: { ':running': 'RUNNING' },
    });
    if (running) return outcomeOf(running, true);
    const waiting = await this.table.update<ClaimItem>(this.#key(name), scheduledTime, {
      set: { status: 'CANCELLED', cancelRequestedAt: now, finishedAt: now, error: JSON.stringify(reason) },
      condition: '#status = :pending',
      values: { ':pending': 'PENDING' },
    });
    if (waiting) return outcomeOf(waiting, true);
    const current = await this.item(name, scheduledTime);
    return current ? outcomeOf(current, false) : { status: undefined, changed: false };
  }

  /** The stored record of a fire time, or undefined. */
  item(name: string, scheduledTime: string): Promise<Stored<ClaimItem> | undefined> {
    return this.table.get<ClaimItem>(this.#key(name), scheduledTime);
  }

  /** The claim's stored state (for tests and tools); `error` when the run FAILED, or why it was skipped or cancelled. */
  async read(name: string, scheduledTime: string): Promise<ClaimState | undefined> {
    const item = await this.item(name, scheduledTime);
    if (!item) return undefined;
    return {
      status: item.status,
      attempts: item.attempts ?? 0,
      trigger: item.trigger ?? 'scheduled',
      ...(item.error ? { error: JSON.parse(item.error) as RemoteErrorInfo } : {}),
    };
  }
}

function outcomeOf(item: ClaimItem, changed: boolean): CancelOutcome {
  return { status: item.status, changed, ...(item.placement ? { placement: item.placement } : {}), ...(item.runner ? { runner: item.runner } : {}) };
}
