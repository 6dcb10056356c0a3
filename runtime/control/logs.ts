/**
 * The seam between the control plane and a reader of the app's logs (CloudWatch Logs, in AWS and in the local cloud).
 * The control plane does not read logs itself: `logs()` and `followLogs()` check their query, name the run's
 * definition when only a run id is given (so one log group is read instead of all), and hand it to the source it was
 * created with. Any object with `read` and `follow` of these shapes fits (the runtime's log reader does).
 */
import type { RuntimeContext } from '../core/context.js';
import type { TimeInput } from './types.js';

/** The least a log line has; a source returns its own, richer entries (typed by ControlLogSource's parameter). */
export interface LogLine {
  /** Unique in its log group. */
  readonly id: string;
  /** When it was written, epoch ms. */
  readonly time: number;
  /** The definition it belongs to, when known. */
  readonly definition?: string;
  /** The line as stored. */
  readonly raw: string;
}

/** Which lines: every field optional, combined with AND. */
export interface ControlLogQuery {
  /** One definition's lines (default: every definition's). */
  readonly definition?: string;
  /** One run's lines: a started run's or job's id, or a scheduled run's `<task>@<scheduled time>`. */
  readonly runId?: string;
  /** From this time on, inclusive. */
  readonly since?: TimeInput;
  /** Up to this time, inclusive. */
  readonly until?: TimeInput;
  /** A CloudWatch Logs filter pattern: terms (`ERROR "timed out"`) or JSON (`{ $.level = "ERROR" }`). */
  readonly filter?: string;
}

export interface ControlLogReadQuery extends ControlLogQuery {
  /** Lines per page (the source's limits apply). */
  readonly limit?: number;
  /** The `cursor` of the previous page of the same query. */
  readonly cursor?: string;
}

export interface ControlLogFollowQuery extends ControlLogQuery {
  /** Stops following: the iterator then ends. */
  readonly signal?: AbortSignal;
}

export interface ControlLogPage<E extends LogLine = LogLine> {
  /** In time order, oldest first. */
  readonly entries: readonly E[];
  readonly cursor?: string;
}

/** What reads the app's logs for the control plane. */
export interface ControlLogSource<E extends LogLine = LogLine> {
  /** A page of lines, oldest first. */
  read(query: ControlLogReadQuery): Promise<ControlLogPage<E>>;
  /** The lines as they come (those already there from `since` first), until `signal` aborts. */
  follow(query: ControlLogFollowQuery): AsyncIterable<E>;
  /** Releases what the source holds (its SDK client); called by the control plane's `close()`. */
  destroy?(): void;
}

/** A log source, or how to make one from the control plane's runtime context (e.g. the runtime's `createLogReader`). */
export type ControlLogSourceOption<E extends LogLine = LogLine> = ControlLogSource<E> | ((context: RuntimeContext) => ControlLogSource<E>);
