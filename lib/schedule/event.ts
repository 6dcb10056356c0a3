/**
 * The event a scheduled task's handler receives, defined once for AWS and the local scheduler.
 *
 * In AWS, each EventBridge schedule's target gets `Input: scheduleTargetInput(name)`; at each invocation the
 * Scheduler substitutes `<aws.scheduler.scheduled-time>` (e.g. `2024-01-01T23:00:00Z`) and
 * `<aws.scheduler.attempt-number>` (e.g. `1`) textually. The placeholders sit inside JSON strings so the template is
 * well-formed JSON before substitution too, as the Scheduler requires of a Lambda target's Input; so AWS delivers
 * the attempt as a string ("1"), and parseScheduledEvent turns it into a number. The local scheduler sends
 * `renderScheduledEvent(...)`, which is what parseScheduledEvent makes of AWS's delivery.
 *
 * A run asked for by a person ("run now": the control plane, `multinode dev --trigger`) is the same event with
 * `trigger: "manual"` (`renderManualEvent`): its scheduled time is the current second, moved one second later when it
 * falls on a whole minute, where EventBridge's fire times are (every schedule fires on whole minutes), so a manual
 * run never takes the record of a scheduled one.
 *
 * A backfill (the control plane's `backfill`: past fire times that never ran) sends the same event for each fire time,
 * with `trigger: "backfill"` (`renderBackfillEvent`).
 */
import { NAME_PATTERN, NAME_RULE } from '../options/fields.js';
import { formatInstantSeconds } from './calendar.js';
import { ScheduledEventError } from './errors.js';

export interface ScheduledEvent {
  /** Marks the event as a scheduled run (the Lambda handler also receives invocations and HTTP events). */
  readonly multinode: 'schedule';
  /** The schedule's name (the definition's name). */
  readonly name: string;
  /** The time the run was scheduled for, ISO UTC at whole seconds: `2024-01-01T23:00:00Z`. */
  readonly scheduledTime: string;
  /** Delivery attempt, from 1. */
  readonly attempt: number;
  /**
   * `manual` for a run a person asked for (run now), `backfill` for a past fire time run by a backfill; absent for
   * EventBridge's own deliveries.
   */
  readonly trigger?: 'manual' | 'backfill';
}

/** What started a scheduled run: its schedule, a person (run now), or a backfill of past fire times. */
export type ScheduledTrigger = 'scheduled' | 'manual' | 'backfill';

/** The triggers an event may name (a scheduled delivery names none). */
const EVENT_TRIGGERS: readonly string[] = ['manual', 'backfill'];

export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';
export const ATTEMPT_NUMBER_PLACEHOLDER = '<aws.scheduler.attempt-number>';

/** The JSON template for a schedule target's `Input`; EventBridge Scheduler fills in the time and attempt. */
export function scheduleTargetInput(name: string): string {
  checkName(name);
  return JSON.stringify({ multinode: 'schedule', name, scheduledTime: SCHEDULED_TIME_PLACEHOLDER, attempt: ATTEMPT_NUMBER_PLACEHOLDER });
}

/** The event for a run of `name` scheduled at `scheduledTime` (what the local scheduler sends). */
export function renderScheduledEvent(name: string, scheduledTime: Date, attempt: number): ScheduledEvent {
  checkName(name);
  if (Number.isNaN(scheduledTime.getTime())) throw new ScheduledEventError('A scheduled event needs a valid scheduledTime, got an invalid Date.');
  if (!Number.isInteger(attempt) || attempt < 1) throw new ScheduledEventError(`A scheduled event's attempt is a whole number from 1, got ${attempt}.`);
  return { multinode: 'schedule', name, scheduledTime: formatInstantSeconds(scheduledTime.getTime()), attempt };
}

/** The scheduled time of a manual run asked for at `nowMs`: the current second, or the next one on a whole minute. */
export function manualRunTime(nowMs: number): Date {
  const second = Math.floor(nowMs / 1000) * 1000;
  return new Date(second % 60_000 === 0 ? second + 1000 : second);
}

/** The event of a manual run of `name` asked for at `nowMs` (attempt 1, `trigger: "manual"`). */
export function renderManualEvent(name: string, nowMs: number): ScheduledEvent {
  return { ...renderScheduledEvent(name, manualRunTime(nowMs), 1), trigger: 'manual' };
}

/** The event that runs the past fire time `scheduledTime` of `name` for a backfill (attempt 1, `trigger: "backfill"`). */
export function renderBackfillEvent(name: string, scheduledTime: Date): ScheduledEvent {
  return { ...renderScheduledEvent(name, scheduledTime, 1), trigger: 'backfill' };
}

/**
 * The scheduled event in `value` (as AWS delivers it, or as the local scheduler sends it), or undefined when `value`
 * is not a scheduled event at all. Throws ScheduledEventError when it says `multinode: "schedule"` but is malformed.
 */
export function parseScheduledEvent(value: unknown): ScheduledEvent | undefined {
  if (typeof value !== 'object' || value === null || (value as { multinode?: unknown }).multinode !== 'schedule') return undefined;
  const { name, scheduledTime, attempt, trigger } = value as Record<string, unknown>;
  const problem = (what: string) => new ScheduledEventError(`Malformed scheduled event ${JSON.stringify(value)}: ${what}.`);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw problem(`"name" must be a schedule name (${NAME_RULE})`);
  const time = typeof scheduledTime === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(scheduledTime) ? Date.parse(scheduledTime) : NaN;
  if (Number.isNaN(time)) throw problem('"scheduledTime" must be an ISO UTC date-time such as "2024-01-01T23:00:00Z"');
  const count = typeof attempt === 'string' && /^\d+$/.test(attempt) ? Number(attempt) : attempt;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw problem('"attempt" must be a whole number from 1');
  if (trigger !== undefined && !EVENT_TRIGGERS.includes(trigger as string)) throw problem('"trigger" must be "manual" or "backfill" when present');
  return {
    multinode: 'schedule',
    name,
    scheduledTime: formatInstantSeconds(time),
    attempt: count,
    ...(trigger !== undefined ? { trigger: trigger as 'manual' | 'backfill' } : {}),
  };
}

/** The key that identifies one scheduled run across retries and duplicate deliveries: name + scheduled time. */
export function scheduledRunKey(event: Pick<ScheduledEvent, 'name' | 'scheduledTime'>): string {
  return `${event.name}@${event.scheduledTime}`;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new ScheduledEventError(`A schedule name must be ${NAME_RULE}, got ${JSON.stringify(name)}.`);
  }
}
