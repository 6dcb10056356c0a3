/**
 * The local scheduler: the local cloud's EventBridge Scheduler. It fires each compiled expression of each schedule
 * at the times lib/schedule/evaluate.ts computes (the same evaluator `multinode schedules` prints), and hands
 * `deliver` the event the real Scheduler would put in the target's input.
 *
 *   const scheduler = new LocalScheduler({ schedules: schedulesOf(manifest), deliver: (event) => invokeAsync(event) });
 *   scheduler.start();                 // fires from now on
 *   scheduler.trigger('daily');        // one run now (`multinode dev --trigger daily`)
 *   await scheduler.stop();            // no more deliveries; waits for those in flight
 *
 * Like AWS, each compiled expression is its own schedule: when a Unix cron compiles to two expressions (day-of-month
 * OR day-of-week) and both match one time, the run is delivered twice and the runtime's de-duplication by
 * (name, scheduledTime) keeps one. A failed delivery (deliver throws or rejects) is retried with attempt + 1 after
 * a doubling delay, up to `maxAttempts`. Runs that fell due while this process could not fire them (the machine
 * slept) are not all replayed: only the latest fires, and `onMissed` hears about the others.
 *
 * An expression with a day filter (every N days on a wall clock) fires here on every day, as in AWS: ignoring the
 * days off the grid is the runtime's job, not the local cloud's. `upcoming` and `onMissed` list only true fire times.
 */
import { MultinodeError } from '../../lib/errors.js';
import { listWords } from '../../lib/format.js';
import { definitionsOf, type Manifest } from '../../lib/manifest.js';
import { fireTimes, gridFireTimes, passesFilter } from '../../lib/schedule/evaluate.js';
import { renderManualEvent, renderScheduledEvent, type ScheduledEvent } from '../../lib/schedule/event.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';

/** Time and timers, injectable so tests drive the scheduler with a fake clock. */
export interface SchedulerClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One scheduled task: its name and compiled expressions (the manifest's `schedule.expressions`). */
export interface LocalSchedule {
  readonly name: string;
  readonly expressions: readonly CompiledExpression[];
}

export interface LocalSchedulerOptions {
  readonly schedules: readonly LocalSchedule[];
  /** Receives each run; may return a promise. A throw or rejection counts as a failed delivery. */
  readonly deliver: (event: ScheduledEvent) => unknown;
  readonly clock?: SchedulerClock;
  /** Delivery attempts per run, 1 to 185 (EventBridge's maximum retry count); default 3. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubling after each; default 1000 ms. */
  readonly retryDelayMs?: number;
  /** A delivery failed; `willRetry` says whether another attempt follows. Default: a line on stderr. */
  readonly onError?: (error: unknown, event: ScheduledEvent, willRetry: boolean) => void;
  /** Times that fell due while the scheduler could not fire (only the latest of them was delivered). */
  readonly onMissed?: (name: string, scheduledTimes: readonly Date[]) => void;
}

/** `trigger` named a schedule the scheduler does not have. */
export class UnknownScheduleError extends MultinodeError {}

/** The scheduler was used after `stop()`. */
export class SchedulerStoppedError extends MultinodeError {}

/** A planned fire time of one expression. */
export interface UpcomingRun {
  readonly name: string;
  /** Index into the schedule's expressions. */
  readonly expression: number;
  readonly scheduledTime: Date;
}

interface Cursor {
  readonly name: string;
  readonly index: number;
  readonly compiled: CompiledExpression;
  readonly times: Generator<number>;
  next: number | undefined;
}

/** Timers longer than this are split: Node's setTimeout overflows past 2^31 - 1 ms. */
const MAX_TIMER_MS = 24 * 3_600_000;

export class LocalScheduler {
  readonly #schedules: ReadonlyMap<string, LocalSchedule>;
  readonly #deliver: (event: ScheduledEvent) => unknown;
  readonly #clock: SchedulerClock;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #onError: NonNullable<LocalSchedulerOptions['onError']>;
  readonly #onMissed: LocalSchedulerOptions['onMissed'];
  #cursors: Cursor[] = [];
  #timer: unknown;
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryTimers = new Set<unknown>();

  constructor(options: LocalSchedulerOptions) {
    const { schedules, deliver, maxAttempts = 3, retryDelayMs = 1000 } = options;
    if (typeof deliver !== 'function') throw new TypeError('LocalScheduler needs a deliver(event) function.');
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 185)
      throw new RangeError(`maxAttempts must be a whole number from 1 to 185, got ${maxAttempts}.`);
    if (!Number.isFinite(retryDelayMs) || retryDelayMs < 0)
      throw new RangeError(`retryDelayMs must be a non-negative number of milliseconds, got ${retryDelayMs}.`);
    const byName = new Map<string, LocalSchedule>();
    for (const schedule of schedules) {
      if (byName.has(schedule.name)) throw new RangeError(`Two schedules are named "${schedule.name}".`);
      byName.set(schedule.name, schedule);
    }
    this.#schedules = byName;
    this.#deliver = deliver;
    this.#clock = options.clock ?? systemClock;
    this.#maxAttempts = maxAttempts;
    this.#retryDelayMs = retryDelayMs;
    this.#onError = options.onError ?? defaultOnError;
    this.#onMissed = options.onMissed;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** Starts firing every schedule at its times from now on. */
  start(): void {
    if (this.#state === 'stopped') throw new SchedulerStoppedError('This scheduler was stopped; create a new one.');
    if (this.#state === 'running') return;
    this.#state = 'running';
    const now = this.#clock.now();
    this.#cursors = [...this.#schedules.values()].flatMap(({ name, expressions }) =>
      expressions.map((compiled, index) => {
        const times = fireTimes(compiled, now);
        return { name, index, compiled, times, next: times.next().value ?? undefined };
      }),
    );
    this.#arm();
  }

  /** Stops firing and retrying; resolves once deliveries already handed to `deliver` have settled. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    for (const timer of this.#retryTimers) this.#clock.clearTimer(timer);
    this.#retryTimers.clear();
    await this.idle();
  }

  /**
   * Delivers one manual run of `name` now (attempt 1, `trigger: "manual"`, scheduled at the current whole second, or
   * the next one on a whole minute: lib/schedule/event.ts), with the usual retries. It runs even while the task is
   * paused.
   */
  trigger(name: string): ScheduledEvent {
    if (this.#state === 'stopped') throw new SchedulerStoppedError('This scheduler was stopped; create a new one.');
    if (!this.#schedules.has(name)) {
      const known = [...this.#schedules.keys()].map((n) => `"${n}"`);
      throw new UnknownScheduleError(
        `There is no schedule "${name}"; ${known.length > 0 ? `schedules: ${listWords(known, 'and')}` : 'the app has no schedules'}.`,
      );
    }
    const event = renderManualEvent(name, this.#clock.now());
    this.#attempt(event);
    return event;
  }

  /** The next `count` planned runs, soonest first (empty unless started); deliveries a filter ignores are not runs. */
  upcoming(count = 10): UpcomingRun[] {
    const runs: UpcomingRun[] = [];
    for (const { name, index, compiled, next } of this.#cursors) {
      const run = next === undefined || compiled.filter === undefined ? next : gridFireTimes(compiled, next).next().value;
      if (run !== undefined) runs.push({ name, expression: index, scheduledTime: new Date(run) });
    }
    return runs.sort((a, b) => a.scheduledTime.getTime() - b.scheduledTime.getTime()).slice(0, count);
  }

  /** Resolves when no delivery is in flight (retries waiting on their timer do not count). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #arm(): void {
    if (this.#state !== 'running') return;
    let soonest: number | undefined;
    for (const cursor of this.#cursors) if (cursor.next !== undefined && (soonest === undefined || cursor.next < soonest)) soonest = cursor.next;
    if (soonest === undefined) return;
    const delay = Math.min(Math.max(0, soonest - this.#clock.now()), MAX_TIMER_MS);
    this.#timer = this.#clock.setTimer(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#state !== 'running') return;
    const now = this.#clock.now();
    const due: ScheduledEvent[] = [];
    for (const cursor of this.#cursors) {
      const times: number[] = [];
      while (cursor.next !== undefined && cursor.next <= now) {
        times.push(cursor.next);
        cursor.next = cursor.times.next().value ?? undefined;
      }
      const latest = times.pop();
      if (latest === undefined) continue;
      const missed = times.filter((time) => passesFilter(cursor.compiled, time));
      if (missed.length > 0)
        this.#onMissed?.(
          cursor.name,
          missed.map((time) => new Date(time)),
        );
      due.push(renderScheduledEvent(cursor.name, new Date(latest), 1));
    }
    due.sort((a, b) => a.scheduledTime.localeCompare(b.scheduledTime));
    for (const event of due) this.#attempt(event);
    this.#arm();
  }

  #attempt(event: ScheduledEvent): void {
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(this.#deliver(event));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    const settled = outcome.then(
      () => undefined,
      (error: unknown) => this.#failed(error, event),
    );
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  #failed(error: unknown, event: ScheduledEvent): void {
    const willRetry = event.attempt < this.#maxAttempts && this.#state !== 'stopped';
    this.#onError(error, event, willRetry);
    if (!willRetry) return;
    const retry: ScheduledEvent = {
      ...renderScheduledEvent(event.name, new Date(event.scheduledTime), event.attempt + 1),
      ...(event.trigger ? { trigger: event.trigger } : {}),
    };
    const timer = this.#clock.setTimer(
      () => {
        this.#retryTimers.delete(timer);
        if (this.#state !== 'stopped') this.#attempt(retry);
      },
      this.#retryDelayMs * 2 ** (event.attempt - 1),
    );
    this.#retryTimers.add(timer);
  }
}

/** The scheduled tasks of a manifest, as the local scheduler takes them. */
export function schedulesOf(manifest: Manifest): LocalSchedule[] {
  return definitionsOf(manifest, 'schedule').map((definition) => ({ name: definition.name, expressions: definition.schedule.expressions }));
}

function defaultOnError(error: unknown, event: ScheduledEvent, willRetry: boolean): void {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `multinode: scheduled run ${event.name} at ${event.scheduledTime} failed (attempt ${event.attempt}${willRetry ? ', will retry' : ', giving up'}): ` +
      `${reason}\n`,
  );
}
