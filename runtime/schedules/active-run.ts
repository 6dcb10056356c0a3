/**
 * The active run of a scheduled task that runs one at a time (every overlap policy but `allow`): one item in the
 * state table, `active#<task>` / `run`, holding which fire time is running (`holder`, with its claim's owner token and
 * lease) and which one waits for it (`waiting`: overlap `bufferOne` and `cancelOther`).
 *
 * - A fire time starts only by taking the item (one conditional update): it is free (no holder, or the holder's lease
 *   expired: its executor died) and nobody waits, or the one waiting is this fire time.
 * - The run's executor releases it when the run ends (a conditional update on its owner token), and the answer names
 *   the fire time waiting, which it then hands the turn to (schedule-delivery.ts: a delivery of that fire time).
 *
 * So a fire time costs two more state-table requests than a task whose runs overlap: the take and the release. The
 * item has no TTL: it lives as long as the task (a few dozen bytes).
 */
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { partitionKey } from '../state/schema.js';
import type { StateTable } from '../state/state-table.js';

/** The sort key of the item (the partition is the task's). */
const ACTIVE_SORT_KEY = 'run';

/** The item's attributes (besides its key). */
export interface ActiveItem {
  /** The scheduled time of the fire time running now (absent: none). */
  readonly holder?: string;
  /** Its claim's owner token: only its executor releases it. */
  readonly owner?: string;
  /** Its claim's lease: past it, the holder's executor is considered dead and the item free. */
  readonly leaseUntil?: number;
  /** The scheduled time of the fire time waiting for the running one to end. */
  readonly waiting?: string;
  /** What asked for the one waiting. */
  readonly waitingTrigger?: ScheduledTrigger;
}

/** The fire time waiting, as the release hands it over. */
export interface WaitingRun {
  readonly scheduledTime: string;
  readonly trigger: ScheduledTrigger;
}

export class ActiveRuns {
  constructor(
    readonly table: StateTable,
    readonly clock: () => number,
  ) {}

  #key(task: string): string {
    return partitionKey('scheduleActive', task);
  }

  /**
   * Makes `scheduledTime` the running fire time when the task has none running (or its holder's lease expired):
   * as a newcomer only when nobody waits; as the one waiting (`asWaiting`) only when it is this fire time. False when
   * it is not its turn.
   */
  async take(task: string, scheduledTime: string, owner: string, leaseUntil: number, asWaiting = false): Promise<boolean> {
    const free = '(attribute_not_exists(#holder) OR #leaseUntil < :now)';
    const item = await this.table.update<ActiveItem>(this.#key(task), ACTIVE_SORT_KEY, {
      set: { holder: scheduledTime, owner, leaseUntil },
      ...(asWaiting ? { remove: ['waiting', 'waitingTrigger'] as const } : {}),
      condition: asWaiting ? `${free} AND #waiting = :time` : `${free} AND attribute_not_exists(#waiting)`,
      values: { ':now': this.clock(), ...(asWaiting ? { ':time': scheduledTime } : {}) },
    });
    return item !== undefined;
  }

  /** Ends the hold of the executor `owner`; returns the fire time waiting (if any), or undefined when it held nothing. */
  async release(task: string, owner: string): Promise<{ waiting?: WaitingRun } | undefined> {
    const item = await this.table.update<ActiveItem>(this.#key(task), ACTIVE_SORT_KEY, {
      remove: ['holder', 'owner', 'leaseUntil'],
      condition: '#owner = :owner',
      values: { ':owner': owner },
    });
    if (!item) return undefined;
    return item.waiting ? { waiting: { scheduledTime: item.waiting, trigger: item.waitingTrigger ?? 'scheduled' } } : {};
  }

  /**
   * Makes `scheduledTime` the fire time waiting. `expected` is the state it was read in: the update applies only if
   * the same fire time still runs (its lease not expired) and the same one (or none) waits, so a newcomer replaces a
   * waiting fire time only knowingly (`cancelOther`).
   */
  async wait(task: string, scheduledTime: string, trigger: ScheduledTrigger, expected: { holder: string; waiting?: string }): Promise<boolean> {
    const item = await this.table.update<ActiveItem>(this.#key(task), ACTIVE_SORT_KEY, {
      set: { waiting: scheduledTime, waitingTrigger: trigger },
      condition: `#holder = :holder AND #leaseUntil >= :now AND ${expected.waiting === undefined ? 'attribute_not_exists(#waiting)' : '#waiting = :waiting'}`,
      values: { ':holder': expected.holder, ':now': this.clock(), ...(expected.waiting === undefined ? {} : { ':waiting': expected.waiting }) },
    });
    return item !== undefined;
  }

  /** Forgets the fire time waiting when it is `scheduledTime` (it was cancelled or paused): true when it was. */
  async forgetWaiting(task: string, scheduledTime: string): Promise<boolean> {
    const item = await this.table.update<ActiveItem>(this.#key(task), ACTIVE_SORT_KEY, {
      remove: ['waiting', 'waitingTrigger'],
      condition: '#waiting = :time',
      values: { ':time': scheduledTime },
    });
    return item !== undefined;
  }

  /** The item as stored (a strongly consistent read), or undefined. */
  read(task: string): Promise<ActiveItem | undefined> {
    return this.table.get<ActiveItem>(this.#key(task), ACTIVE_SORT_KEY);
  }

  /** Whether the holder in `item` still holds (present, its lease not expired). */
  isHeld(item: ActiveItem | undefined): item is ActiveItem & { holder: string } {
    return item?.holder !== undefined && (item.leaseUntil ?? 0) >= this.clock();
  }
}
