/**
 * The local scheduler, driven by a fake clock: it fires what the evaluator computes, sends the scheduled event,
 * retries failed deliveries with attempt + 1, reports missed runs, triggers on demand and stops cleanly.
 */
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { resolveApp } from '../../lib/app.js';
import { buildManifest } from '../../lib/manifest.js';
import { fireTimesBetween } from '../../lib/schedule/evaluate.js';
import type { ScheduledEvent } from '../../lib/schedule/event.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';
import { LocalScheduler, type SchedulerClock, SchedulerStoppedError, schedulesOf, systemClock, UnknownScheduleError } from '../../runtime/local/scheduler.js';

/** Time stands still until the test moves it; due timers then run in time order. */
class FakeClock implements SchedulerClock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  readonly delays: number[] = [];

  constructor(start: string) {
    this.#now = Date.parse(start);
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.delays.push(delayMs);
    this.#timers.set(id, { at: this.#now + delayMs, callback });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves to `iso`, running every timer that falls due on the way at its due time. */
  advanceTo(iso: string): void {
    const target = Date.parse(iso);
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
    }
    this.#now = target;
  }

  /** Jumps to `iso` without running timers (the machine slept), then runs those now overdue. */
  sleepUntil(iso: string): void {
    this.#now = Date.parse(iso);
    this.advanceTo(iso);
  }
}

const LONDON_WEEKDAYS: CompiledExpression[] = [{ expression: 'cron(0 23 ? * MON-FRI *)', timezone: 'Europe/London' }];

function recorder() {
  const events: ScheduledEvent[] = [];
  return { events, deliver: (event: ScheduledEvent) => void events.push(event) };
}

describe('the local scheduler', () => {
  it('fires each schedule at the times the evaluator computes, across a DST change', () => {
    const clock = new FakeClock('2024-03-27T12:00:00Z');
    const { events, deliver } = recorder();
    const hourly: CompiledExpression[] = [{ expression: 'cron(30 * * * ? *)', timezone: 'Asia/Kathmandu' }];
    const scheduler = new LocalScheduler({
      schedules: [
        { name: 'weekdaysAt23', expressions: LONDON_WEEKDAYS },
        { name: 'halfPast', expressions: hourly },
      ],
      deliver,
      clock,
    });
    scheduler.start();
    clock.advanceTo('2024-04-03T12:00:00Z');
    const expected = (expressions: CompiledExpression[]) =>
      fireTimesBetween(expressions, Date.parse('2024-03-27T12:00:00Z'), Date.parse('2024-04-03T12:00:00Z')).map((d) => d.toISOString().replace('.000Z', 'Z'));
    expect(events.filter((e) => e.name === 'weekdaysAt23').map((e) => e.scheduledTime)).toEqual(expected(LONDON_WEEKDAYS));
    expect(events.filter((e) => e.name === 'weekdaysAt23').map((e) => e.scheduledTime)).toEqual([
      '2024-03-27T23:00:00Z',
      '2024-03-28T23:00:00Z',
      '2024-03-29T23:00:00Z',
      '2024-04-01T22:00:00Z',
      '2024-04-02T22:00:00Z',
    ]);
    expect(events.filter((e) => e.name === 'halfPast').map((e) => e.scheduledTime)).toEqual(expected(hourly));
    expect(events.every((e) => e.multinode === 'schedule' && e.attempt === 1)).toBe(true);
    // In time order across schedules.
    expect([...events].sort((a, b) => a.scheduledTime.localeCompare(b.scheduledTime))).toEqual(events);
  });

  it('delivers at the scheduled instant, not before', () => {
    const clock = new FakeClock('2024-01-01T22:59:00Z');
    const { events, deliver } = recorder();
    new LocalScheduler({ schedules: [{ name: 'daily', expressions: [{ expression: 'cron(0 23 * * ? *)', timezone: 'UTC' }] }], deliver, clock }).start();
    clock.advanceTo('2024-01-01T22:59:59.999Z');
    expect(events).toEqual([]);
    clock.advanceTo('2024-01-01T23:00:00Z');
    expect(events).toEqual([{ multinode: 'schedule', name: 'daily', scheduledTime: '2024-01-01T23:00:00Z', attempt: 1 }]);
  });

  it('like AWS, delivers a time reached by both halves of a day-of-month OR day-of-week cron twice, with one run key', () => {
    const clock = new FakeClock('2024-03-14T12:00:00Z');
    const { events, deliver } = recorder();
    const expressions = mn.schedule({ name: 'fifteenthOrFriday', cron: '0 0 15 * 5' }, async () => undefined).schedule.expressions;
    new LocalScheduler({ schedules: [{ name: 'fifteenthOrFriday', expressions }], deliver, clock }).start();
    clock.advanceTo('2024-03-15T12:00:00Z'); // Friday the 15th
    expect(events.map((e) => e.scheduledTime)).toEqual(['2024-03-15T00:00:00Z', '2024-03-15T00:00:00Z']);
  });

  it('fires rate schedules from their StartDate', () => {
    const clock = new FakeClock('2026-05-01T10:07:00Z');
    const { events, deliver } = recorder();
    const expressions = mn.schedule({ name: 'every36h', interval: '36h' }, async () => undefined).schedule.expressions;
    expect(expressions[0]!.expression).toBe('rate(36 hours)');
    const start = Date.parse(expressions[0]!.startDate!);
    new LocalScheduler({ schedules: [{ name: 'every36h', expressions }], deliver, clock }).start();
    clock.advanceTo(new Date(start + 80 * 3_600_000).toISOString());
    expect(events.map((e) => Date.parse(e.scheduledTime))).toEqual([start, start + 36 * 3_600_000, start + 72 * 3_600_000]);
  });

  it('retries a failed delivery with attempt + 1 after a doubling delay, then gives up', async () => {
    const clock = new FakeClock('2024-01-01T22:59:00Z');
    const attempts: Array<{ event: ScheduledEvent; at: string }> = [];
    const errors: Array<{ message: string; attempt: number; willRetry: boolean }> = [];
    const scheduler = new LocalScheduler({
      schedules: [{ name: 'daily', expressions: [{ expression: 'cron(0 23 * * ? *)', timezone: 'UTC' }] }],
      clock,
      maxAttempts: 3,
      retryDelayMs: 1000,
      deliver: async (event) => {
        attempts.push({ event, at: new Date(clock.now()).toISOString() });
        throw new Error(`busy ${event.attempt}`);
      },
      onError: (error, event, willRetry) => errors.push({ message: (error as Error).message, attempt: event.attempt, willRetry }),
    });
    scheduler.start();
    clock.advanceTo('2024-01-01T23:00:00Z');
    await scheduler.idle();
    clock.advanceTo('2024-01-01T23:00:01Z');
    await scheduler.idle();
    clock.advanceTo('2024-01-01T23:00:03Z');
    await scheduler.idle();
    expect(attempts.map(({ event, at }) => [event.attempt, event.scheduledTime, at])).toEqual([
      [1, '2024-01-01T23:00:00Z', '2024-01-01T23:00:00.000Z'],
      [2, '2024-01-01T23:00:00Z', '2024-01-01T23:00:01.000Z'],
      [3, '2024-01-01T23:00:00Z', '2024-01-01T23:00:03.000Z'],
    ]);
    expect(errors).toEqual([
      { message: 'busy 1', attempt: 1, willRetry: true },
      { message: 'busy 2', attempt: 2, willRetry: true },
      { message: 'busy 3', attempt: 3, willRetry: false },
    ]);
    await scheduler.stop();
  });

  it('retries a manual run as a manual run, at the same scheduled time', async () => {
    const clock = new FakeClock('2024-01-01T22:59:59.500Z');
    const attempts: ScheduledEvent[] = [];
    const scheduler = new LocalScheduler({
      schedules: [{ name: 'daily', expressions: [{ expression: 'cron(0 23 * * ? *)', timezone: 'UTC' }] }],
      clock,
      retryDelayMs: 1000,
      deliver: async (event) => {
        attempts.push(event);
        if (event.attempt === 1) throw new Error('busy');
      },
      onError: () => undefined,
    });
    scheduler.trigger('daily');
    await scheduler.idle();
    clock.advanceTo('2024-01-01T23:00:01Z');
    await scheduler.idle();
    expect(attempts).toEqual(
      [1, 2].map((attempt) => ({ multinode: 'schedule', name: 'daily', scheduledTime: '2024-01-01T22:59:59Z', attempt, trigger: 'manual' })),
    );
    await scheduler.stop();
  });

  it('counts a synchronous throw as a failed delivery and stops retrying once stopped', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00Z');
    const attempts: number[] = [];
    const retries: boolean[] = [];
    const scheduler = new LocalScheduler({
      schedules: [{ name: 'daily', expressions: [{ expression: 'cron(0 0 * * ? *)', timezone: 'UTC' }] }],
      clock,
      deliver: (event) => {
        attempts.push(event.attempt);
        throw new Error('no');
      },
      onError: (_error, _event, willRetry) => retries.push(willRetry),
    });
    scheduler.trigger('daily');
    await scheduler.idle();
    expect(clock.pending).toBe(1); // the retry
    await scheduler.stop();
    expect(clock.pending).toBe(0);
    clock.advanceTo('2024-01-01T01:00:00Z');
    expect(attempts).toEqual([1]);
    expect(retries).toEqual([true]);
  });

  it('after the machine slept, fires only the latest missed run and reports the others', () => {
    const clock = new FakeClock('2024-01-01T00:10:00Z');
    const { events, deliver } = recorder();
    const missed: Array<[string, string[]]> = [];
    new LocalScheduler({
      schedules: [{ name: 'hourly', expressions: [{ expression: 'cron(0 * * * ? *)', timezone: 'UTC' }] }],
      deliver,
      clock,
      onMissed: (name, times) => missed.push([name, times.map((t) => t.toISOString())]),
    }).start();
    clock.sleepUntil('2024-01-01T03:30:00Z');
    expect(events.map((e) => e.scheduledTime)).toEqual(['2024-01-01T03:00:00Z']);
    expect(missed).toEqual([['hourly', ['2024-01-01T01:00:00.000Z', '2024-01-01T02:00:00.000Z']]]);
    clock.advanceTo('2024-01-01T04:00:00Z');
    expect(events.map((e) => e.scheduledTime)).toEqual(['2024-01-01T03:00:00Z', '2024-01-01T04:00:00Z']);
  });

  it('every 3 days in New York: fires the daily cron every day as AWS would; upcoming and onMissed list only fire times', () => {
    const clock = new FakeClock('2024-03-08T12:00:00Z');
    const { events, deliver } = recorder();
    const missed: Array<[string, string[]]> = [];
    const expressions = mn.schedule(
      { name: 'everyThirdDay', interval: '3d', referenceTime: '2024-03-01T09:00', timezone: 'America/New_York' },
      async () => undefined,
    ).schedule.expressions;
    expect(expressions).toEqual([{ expression: 'cron(0 9 * * ? *)', timezone: 'America/New_York', filter: { everyDays: 3, referenceDay: '2024-03-01' } }]);
    const scheduler = new LocalScheduler({
      schedules: [{ name: 'everyThirdDay', expressions }],
      deliver,
      clock,
      onMissed: (name, times) => missed.push([name, times.map((t) => t.toISOString())]),
    });
    scheduler.start();
    // Grid days 2024-03-10, 03-13, 03-16 (EDT from 03-10 on); the cron fires on 03-08, 03-09 (EST) and 03-11 too.
    expect(scheduler.upcoming().map((r) => r.scheduledTime.toISOString())).toEqual(['2024-03-10T13:00:00.000Z']);
    clock.advanceTo('2024-03-11T14:00:00Z');
    expect(events.map((e) => e.scheduledTime)).toEqual(['2024-03-08T14:00:00Z', '2024-03-09T14:00:00Z', '2024-03-10T13:00:00Z', '2024-03-11T13:00:00Z']);
    expect(scheduler.upcoming().map((r) => r.scheduledTime.toISOString())).toEqual(['2024-03-13T13:00:00.000Z']);
    // Asleep from 03-11 to 03-17: the deliveries of 03-12 to 03-16 fell due; only 03-13 and 03-16 were runs, and 03-17 (off the grid) fires.
    clock.sleepUntil('2024-03-17T14:00:00Z');
    expect(events.at(-1)!.scheduledTime).toBe('2024-03-17T13:00:00Z');
    expect(missed).toEqual([['everyThirdDay', ['2024-03-13T13:00:00.000Z', '2024-03-16T13:00:00.000Z']]]);
    expect(scheduler.upcoming().map((r) => r.scheduledTime.toISOString())).toEqual(['2024-03-19T13:00:00.000Z']);
  });

  it('waits in steps of at most a day for a far-off run', () => {
    const clock = new FakeClock('2024-01-02T00:00:00Z');
    const { events, deliver } = recorder();
    new LocalScheduler({ schedules: [{ name: 'yearly', expressions: [{ expression: 'cron(0 0 1 1 ? *)', timezone: 'UTC' }] }], deliver, clock }).start();
    clock.advanceTo('2025-01-02T00:00:00Z');
    expect(events.map((e) => e.scheduledTime)).toEqual(['2025-01-01T00:00:00Z']);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('triggers a manual run now, at the current whole second', async () => {
    const clock = new FakeClock('2024-05-05T10:11:12.345Z');
    const { events, deliver } = recorder();
    const scheduler = new LocalScheduler({ schedules: [{ name: 'weekdaysAt23', expressions: LONDON_WEEKDAYS }], deliver, clock });
    expect(scheduler.trigger('weekdaysAt23')).toEqual({
      multinode: 'schedule',
      name: 'weekdaysAt23',
      scheduledTime: '2024-05-05T10:11:12Z',
      attempt: 1,
      trigger: 'manual',
    });
    await scheduler.idle();
    expect(events).toHaveLength(1);
    expect(() => scheduler.trigger('weekdaysAt22')).toThrow(UnknownScheduleError);
    expect(() => scheduler.trigger('weekdaysAt22')).toThrow('There is no schedule "weekdaysAt22"; schedules: "weekdaysAt23".');
    await scheduler.stop();
    expect(() => scheduler.trigger('weekdaysAt23')).toThrow(SchedulerStoppedError);
    expect(() => scheduler.start()).toThrow(SchedulerStoppedError);
  });

  it('stops firing, and stop() waits for deliveries in flight', async () => {
    const clock = new FakeClock('2024-01-01T23:59:00Z');
    let finish: () => void = () => undefined;
    const started: string[] = [];
    const scheduler = new LocalScheduler({
      schedules: [{ name: 'daily', expressions: [{ expression: 'cron(0 0 * * ? *)', timezone: 'UTC' }] }],
      clock,
      deliver: (event) => {
        started.push(event.scheduledTime);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    scheduler.start();
    expect(scheduler.running).toBe(true);
    clock.advanceTo('2024-01-02T00:00:00Z');
    expect(started).toEqual(['2024-01-02T00:00:00Z']);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(scheduler.running).toBe(false);
    clock.advanceTo('2024-01-05T00:00:00Z');
    expect(started).toEqual(['2024-01-02T00:00:00Z']);
  });

  it('lists upcoming runs, soonest first', () => {
    const clock = new FakeClock('2024-03-29T12:00:00Z');
    const scheduler = new LocalScheduler({
      schedules: [
        { name: 'weekdaysAt23', expressions: LONDON_WEEKDAYS },
        { name: 'noon', expressions: [{ expression: 'cron(0 12 * * ? *)', timezone: 'UTC' }] },
      ],
      deliver: () => undefined,
      clock,
    });
    expect(scheduler.upcoming()).toEqual([]);
    scheduler.start();
    expect(scheduler.upcoming()).toEqual([
      { name: 'noon', expression: 0, scheduledTime: new Date('2024-03-29T12:00:00Z') },
      { name: 'weekdaysAt23', expression: 0, scheduledTime: new Date('2024-03-29T23:00:00Z') },
    ]);
  });

  it('takes the schedules of a manifest', () => {
    const app = resolveApp({
      daily: mn.scheduledTask({ referenceTime: '2023-09-08T23:00', interval: '1d', timezone: 'Europe/London' }, async () => undefined),
      work: mn.fn(async () => 1),
    });
    const manifest = buildManifest(app, 'demo');
    const schedules = schedulesOf(manifest);
    expect(schedules).toContainEqual({ name: 'daily', expressions: [{ expression: 'cron(0 23 * * ? *)', timezone: 'Europe/London' }] });
    // Only scheduled tasks (the registry also holds the named schedules of the tests above).
    expect(schedules.map((s) => s.name)).toEqual(manifest.definitions.filter((d) => d.kind === 'schedule').map((d) => d.name));
    expect(schedules.map((s) => s.name)).not.toContain('work');
  });

  it('refuses wrong options', () => {
    const schedules = [{ name: 'a', expressions: LONDON_WEEKDAYS }];
    expect(() => new LocalScheduler({ schedules, deliver: undefined as never })).toThrow('LocalScheduler needs a deliver(event) function.');
    expect(() => new LocalScheduler({ schedules, deliver: () => undefined, maxAttempts: 0 })).toThrow(
      'maxAttempts must be a whole number from 1 to 185, got 0.',
    );
    expect(() => new LocalScheduler({ schedules, deliver: () => undefined, retryDelayMs: -1 })).toThrow('retryDelayMs must be a non-negative number');
    expect(() => new LocalScheduler({ schedules: [...schedules, ...schedules], deliver: () => undefined })).toThrow('Two schedules are named "a".');
    expect(() =>
      new LocalScheduler({
        schedules: [{ name: 'bad', expressions: [{ expression: 'cron(0 0 * * * *)', timezone: 'UTC' }] }],
        deliver: () => undefined,
      }).start(),
    ).toThrow('exactly one of day-of-month and day-of-week must be "?"');
  });

  it('runs on the system clock by default', async () => {
    const start = new Date(Math.ceil((Date.now() + 50) / 1000) * 1000);
    let scheduler: LocalScheduler | undefined;
    const delivered = await new Promise<ScheduledEvent>((resolve) => {
      scheduler = new LocalScheduler({
        schedules: [{ name: 'soon', expressions: [{ expression: 'rate(1 day)', timezone: 'UTC', startDate: start.toISOString() }] }],
        deliver: resolve,
      });
      scheduler.start();
    });
    await scheduler!.stop();
    expect(delivered).toEqual({ multinode: 'schedule', name: 'soon', scheduledTime: start.toISOString().replace('.000Z', 'Z'), attempt: 1 });
    expect(Date.now()).toBeGreaterThanOrEqual(start.getTime());
    expect(systemClock.now()).toBeGreaterThanOrEqual(start.getTime());
  });
});
