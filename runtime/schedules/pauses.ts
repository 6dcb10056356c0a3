/**
 * Pausing a scheduled task: one item in the state table, `pause#<task>` / `pause`, present while the task is paused.
 * Every scheduled delivery reads it first (one strongly consistent GetItem) and, while it is there, records the fire
 * time PAUSED (claims.ts) instead of running it, on Lambda and Batch alike (the dispatcher reads it before any
 * container is submitted).
 *
 * EventBridge Scheduler keeps invoking the target while a task is paused: each fire time costs one short invocation
 * that records it. A pause lives in the state table, so a deploy leaves it in place; to stop the invocations
 * themselves, disable the schedule at deploy time (the `overrides` of MultinodeApp: `enabled: false`).
 *
 * A manual run (`trigger: "manual"`, run now) is a person's explicit choice: it runs even while the task is paused
 * and does not read the pause.
 */
import { STATE_SCHEMA, partitionKey } from '../state/schema.js';
import type { StateTable } from '../state/state-table.js';

/** The sort key of a pause item (the partition is the task's). */
const PAUSE_SORT_KEY = 'pause';

/** A pause's item in the state table (besides its key). No TTL: it lasts until the task is resumed. */
export interface PauseItem {
  /** When it was paused, epoch ms. */
  readonly pausedAt: number;
  /** Who paused it, as the pauser said (a user name, `dashboard`, ...). */
  readonly pausedBy?: string;
  /** Why, as the pauser said. */
  readonly reason?: string;
}

/** A paused task's pause. */
export interface PauseState {
  readonly pausedAt: Date;
  readonly pausedBy?: string;
  readonly reason?: string;
}

export class SchedulePauses {
  constructor(
    readonly table: StateTable,
    readonly clock: () => number,
  ) {}

  /** The task's pause, or undefined when it runs (a strongly consistent read: a pause is seen at once). */
  async read(task: string): Promise<PauseState | undefined> {
    const item = await this.table.get<PauseItem>(partitionKey('schedulePause', task), PAUSE_SORT_KEY);
    return item ? toState(item) : undefined;
  }

  /**
   * Pauses the task; a task already paused keeps its first pause (returned, with `changed: false`), so pausing twice
   * is harmless.
   */
  async pause(task: string, note: { pausedBy?: string; reason?: string } = {}): Promise<{ changed: boolean; pause: PauseState }> {
    const item: PauseItem = {
      pausedAt: this.clock(),
      ...(note.pausedBy !== undefined ? { pausedBy: note.pausedBy } : {}),
      ...(note.reason !== undefined ? { reason: note.reason } : {}),
    };
    if (await this.table.putIfAbsent(partitionKey('schedulePause', task), PAUSE_SORT_KEY, item)) return { changed: true, pause: toState(item) };
    const current = await this.read(task);
    // Resumed between the two requests: pause again.
    return current ? { changed: false, pause: current } : this.pause(task, note);
  }

  /** Resumes the task; returns the pause it had, or undefined when it was not paused. */
  async resume(task: string): Promise<PauseState | undefined> {
    const removed = await this.table.delete<PauseItem>(partitionKey('schedulePause', task), PAUSE_SORT_KEY, {
      expression: `attribute_exists(#${STATE_SCHEMA.partitionKey})`,
    });
    return removed ? toState(removed) : undefined;
  }
}

function toState(item: PauseItem): PauseState {
  return {
    pausedAt: new Date(item.pausedAt),
    ...(item.pausedBy !== undefined ? { pausedBy: item.pausedBy } : {}),
    ...(item.reason !== undefined ? { reason: item.reason } : {}),
  };
}
