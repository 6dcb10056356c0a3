/** A clock the test moves, for the local scheduler: timers fire when `advanceTo` passes their time. */
import type { SchedulerClock } from '../../runtime/local/scheduler.js';

export class TestClock implements SchedulerClock {
  #now: number;
  #timers: Array<{ at: number; callback: () => void }> = [];

  constructor(start: string) {
    this.#now = Date.parse(start);
  }

  now = () => this.#now;

  setTimer = (callback: () => void, delayMs: number) => {
    const timer = { at: this.#now + delayMs, callback };
    this.#timers.push(timer);
    return timer;
  };

  clearTimer = (handle: unknown) => {
    this.#timers = this.#timers.filter((t) => t !== handle);
  };

  /** Moves to `iso`, firing every timer due on the way, in time order. */
  advanceTo(iso: string): void {
    const target = Date.parse(iso);
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = target;
  }
}
