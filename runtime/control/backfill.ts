/**
 * Backfill: running the past fire times of a scheduled task that never ran, oldest first.
 *
 * - **The plan** is every fire time in [from, to) by the task's own rule (lib/schedule/fire-time.ts, from the spec:
 *   a rate schedule's StartDate says nothing about the grid's past), less those with a record of a run: one Query of
 *   the task's partition over the window (its keys are the scheduled times). A fire time recorded SKIPPED or PAUSED
 *   never ran, so it is planned; any other record (it ran, runs, or waits) is left alone. So a second backfill of the
 *   same window runs nothing again.
 * - **Each fire time** is delivered as EventBridge delivers it, an asynchronous invoke of the task's target, with the
 *   scheduled event of that time marked `trigger: "backfill"`; its delivery claims it like any other (once, whatever
 *   is delivered twice), goes through the overlap policy, and records it. At most `concurrency` are in flight: the
 *   next is sent when one of them has a final record. A task whose runs never overlap (every overlap policy but
 *   `allow`) is backfilled one fire time at a time.
 * - A backfill is a person's choice, like run now: it runs while the task is paused, and under `cancelOther` it never
 *   cancels a running run (its fire times wait for it).
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import type { ScheduledTaskManifest } from '../../lib/manifest.js';
import { formatInstantSeconds } from '../../lib/schedule/calendar.js';
import { describeScheduleSpec } from '../../lib/schedule/describe.js';
import { renderBackfillEvent } from '../../lib/schedule/event.js';
import { fireTimesInWindow } from '../../lib/schedule/fire-time.js';
import { overlapOf, runsOneAtATime } from '../../lib/schedule/overlap.js';
import type { RuntimeContext } from '../core/context.js';
import { sleep } from '../core/retry.js';
import { type ClaimItem, NOT_RUN_STATUSES } from '../schedules/claims.js';
import { deliverScheduled } from '../schedules/schedule-delivery.js';
import { scheduledRunId } from '../state/run-index.js';
import { partitionKey, STATE_SCHEMA } from '../state/schema.js';
import type { Stored } from '../state/state-table.js';
import { isActive, type RowItem, toSummary } from './run-rows.js';
import { parseTime } from './time.js';
import type { BackfillOptions, BackfillPlan, BackfillResult, BackfillRun } from './types.js';

export const BACKFILL_LIMITS = {
  /** A window with more fire times than this needs `yes: true`. */
  confirmAbove: 1000,
  /** At most this many fire times per backfill: split a larger window. */
  max: 100_000,
  concurrency: { min: 1, max: 100, default: 1 },
  /** How long a sent fire time may go without a record before it counts as undelivered, by default. */
  deliveryWaitMs: 5 * 60_000,
} as const;

/** The attributes the plan reads of each record in the window. */
const PLAN_ATTRIBUTES = [STATE_SCHEMA.sortKey, 'status', 'claimedAt'] as const;

/** Checks the options and plans the backfill of `task`: the fire times in the window without a record of a run. */
export async function planBackfill(
  context: RuntimeContext,
  task: ScheduledTaskManifest,
  options: BackfillOptions,
): Promise<BackfillPlan & { known: Map<string, number> }> {
  const method = 'backfill()';
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${method}: options must be an object such as { from: "2024-01-01T00:00:00Z", to: "2024-01-08T00:00:00Z" }.`);
  }
  const known = new Set(['from', 'to', 'concurrency', 'dryRun', 'yes', 'onProgress', 'deliveryWaitMs', 'signal']);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`${method}: unknown option ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${[...known].join(', ')}.`);
  if (options.from === undefined || options.to === undefined)
    throw new InvalidArgumentError(`${method}: from and to are required: the window [from, to) to backfill.`);
  const from = parseTime(options.from, `${method}: from`);
  const to = parseTime(options.to, `${method}: to`);
  const now = context.clock();
  if (from >= to) {
    throw new InvalidArgumentError(
      `${method}: the window is reversed or empty: from (${iso(from)}) must be before to (${iso(to)}); the window is [from, to), to excluded.`,
    );
  }
  if (to > now) {
    throw new InvalidArgumentError(
      `${method}: to (${iso(to)}) is in the future (now is ${iso(now)}): a backfill runs past fire times; the schedule delivers those to come.`,
    );
  }
  const policy = overlapOf(task.options);
  const concurrency = options.concurrency ?? BACKFILL_LIMITS.concurrency.default;
  const { min, max } = BACKFILL_LIMITS.concurrency;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < min || concurrency > max) {
    throw new InvalidArgumentError(`${method}: concurrency must be a whole number from ${min} to ${max}, got ${String(concurrency)}.`);
  }
  if (concurrency > 1 && runsOneAtATime(policy)) {
    throw new InvalidArgumentError(
      `${method}: concurrency ${concurrency} would run fire times of ${task.name} side by side, but its overlap policy is "${policy}": its runs ` +
        'never overlap. Backfill it with concurrency 1 (the default), or declare it with overlap: "allow".',
    );
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new InvalidArgumentError(`${method}: signal must be an AbortSignal.`);
  for (const flag of ['dryRun', 'yes'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw new InvalidArgumentError(`${method}: ${flag} must be true or false.`);
  }
  const times = fireTimesInWindow(task.schedule, from, to, BACKFILL_LIMITS.max + 1);
  if (times.length === 0) {
    throw new InvalidArgumentError(
      `${method}: ${task.name} has no fire time from ${iso(from)} to ${iso(to)} (its schedule: ${describeScheduleSpec(task.schedule.spec)}); ` +
        'widen the window.',
    );
  }
  if (times.length > BACKFILL_LIMITS.max) {
    throw new InvalidArgumentError(
      `${method}: the window holds more than ${BACKFILL_LIMITS.max.toLocaleString('en-US')} fire times of ${task.name}; backfill it in smaller windows.`,
    );
  }
  if (times.length > BACKFILL_LIMITS.confirmAbove && options.yes !== true && options.dryRun !== true) {
    throw new InvalidArgumentError(
      `${method}: the window holds ${times.length.toLocaleString('en-US')} fire times of ${task.name}, more than ` +
        `${BACKFILL_LIMITS.confirmAbove.toLocaleString('en-US')}: pass yes: true (--yes) to run them all, or look at them first with dryRun.`,
    );
  }
  const recorded = await recordsIn(context, task.name, times[0]!, times[times.length - 1]!);
  const toRun = times.filter((time) => {
    const record = recorded.get(formatInstantSeconds(time));
    return !record || NOT_RUN_STATUSES.includes(record.status);
  });
  const before = new Map<string, number>();
  for (const time of toRun) {
    const record = recorded.get(formatInstantSeconds(time));
    if (record) before.set(formatInstantSeconds(time), record.claimedAt);
  }
  return {
    name: task.name,
    from: new Date(from),
    to: new Date(to),
    fireTimes: times.length,
    alreadyRecorded: times.length - toRun.length,
    toRun: toRun.map((time) => new Date(time)),
    concurrency,
    known: before,
  };
}

/** Runs a plan: each fire time sent oldest first, at most `concurrency` without a final record. */
export async function runBackfill(
  context: RuntimeContext,
  task: ScheduledTaskManifest,
  plan: BackfillPlan & { known: Map<string, number> },
  options: BackfillOptions,
): Promise<BackfillRun[]> {
  const waitMs = options.deliveryWaitMs ?? BACKFILL_LIMITS.deliveryWaitMs;
  const queue = [...plan.toRun];
  const runs: BackfillRun[] = [];
  const inFlight = new Map<string, { time: Date; sentAt: number }>();
  const report = (run: BackfillRun) => options.onProgress?.(run);
  let pause = 50;
  while (queue.length > 0 || inFlight.size > 0) {
    // Stopped: nothing more is sent; the fire times in flight run anyway, and are waited for.
    if (options.signal?.aborted) queue.length = 0;
    while (inFlight.size < plan.concurrency && queue.length > 0) {
      const time = queue.shift()!;
      const scheduledTime = formatInstantSeconds(time.getTime());
      await deliverScheduled(context, task, renderBackfillEvent(task.name, time));
      inFlight.set(scheduledTime, { time, sentAt: Date.now() });
      report({ id: scheduledRunId(task.name, scheduledTime), scheduledTime: time, status: 'SENT' });
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 1000);
    const items = await Promise.all(
      [...inFlight.keys()].map((time) => context.state.get<ClaimItem>(partitionKey('scheduleClaim', task.name), time).then((item) => [time, item] as const)),
    );
    for (const [scheduledTime, item] of items) {
      const sent = inFlight.get(scheduledTime)!;
      const id = scheduledRunId(task.name, scheduledTime);
      // The record its delivery wrote (a record from before, SKIPPED or PAUSED, is not it).
      const fresh = item !== undefined && item.claimedAt !== plan.known.get(scheduledTime);
      let run: BackfillRun | undefined;
      if (fresh) {
        const status = toSummary(item as unknown as Stored<RowItem>, context.clock()).status;
        if (!isActive(status)) run = { id, scheduledTime: sent.time, status };
      } else if (Date.now() - sent.sentAt > waitMs) {
        run = { id, scheduledTime: sent.time, status: 'UNDELIVERED' };
      }
      if (!run) continue;
      inFlight.delete(scheduledTime);
      runs.push(run);
      report(run);
      pause = 50;
    }
  }
  return runs.sort((a, b) => a.scheduledTime.getTime() - b.scheduledTime.getTime());
}

/** The records of `task` from `first` to `last` (scheduled times, inclusive), by scheduled time: paginated Queries. */
async function recordsIn(
  context: RuntimeContext,
  task: string,
  first: number,
  last: number,
): Promise<Map<string, { status: ClaimItem['status']; claimedAt: number }>> {
  const found = new Map<string, { status: ClaimItem['status']; claimedAt: number }>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await context.state.queryOnce<Pick<ClaimItem, 'status' | 'claimedAt'> & { sk: string }>({
      partition: [STATE_SCHEMA.partitionKey, partitionKey('scheduleClaim', task)],
      sort: { attribute: STATE_SCHEMA.sortKey, from: formatInstantSeconds(first), to: formatInstantSeconds(last) },
      attributes: PLAN_ATTRIBUTES,
      ...(startKey ? { startKey } : {}),
    });
    for (const item of page.items) found.set(item.sk, { status: item.status, claimedAt: item.claimedAt });
    startKey = page.lastKey;
  } while (startKey);
  return found;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The result of a dry run: the plan, nothing sent. */
export function dryRunResult(plan: BackfillPlan): BackfillResult {
  return { ...publicPlan(plan), dryRun: true, runs: [] };
}

export function publicPlan(plan: BackfillPlan & { known?: unknown }): BackfillPlan {
  const { known: _known, ...rest } = plan;
  return rest;
}
