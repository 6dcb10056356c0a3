/** Errors of the schedule model: each names what was wrong and what is allowed. */
import { MultinodeError } from '../errors.js';
import { showValue } from '../format.js';

/** The schedule option a problem belongs to. */
export type ScheduleOption = 'cron' | 'interval' | 'referenceTime' | 'timezone';

/**
 * A schedule's timing options are invalid or cannot be compiled to EventBridge Scheduler. Thrown by the pure
 * parsers and the compiler; `schedule({...})` turns it into a DefinitionError that also names the definition.
 */
export class ScheduleError extends MultinodeError {
  constructor(
    readonly option: ScheduleOption | null,
    readonly value: unknown,
    /** What is wrong and what is allowed, phrased to follow `option "cron" is "...": `. */
    readonly problem: string,
  ) {
    super(option ? `option "${option}" is ${showValue(value)}: ${problem}` : problem);
  }
}

/** An EventBridge Scheduler expression (`cron(...)`, `rate(...)`) is malformed or breaks one of AWS's rules. */
export class ScheduleExpressionError extends MultinodeError {}

/** A value claims to be a scheduled event (`multinode: "schedule"`) but does not have its shape. */
export class ScheduledEventError extends MultinodeError {}
