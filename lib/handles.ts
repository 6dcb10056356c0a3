/**
 * The typed remote API of each definition: what user code calls on `fn`, `job`, `dict` and `lock` handles.
 * The model only declares it; the runtime (installed at start, or by `connect`) carries it out.
 */
import type { DurationInput } from './units/duration.js';
import type { ScheduledTrigger } from './schedule/event.js';

/** Lifecycle of a started function invocation or job. */
export type Status = 'PENDING' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

export const STATUSES: readonly Status[] = ['PENDING', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
export const FINAL_STATUSES: readonly Status[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

/** An error raised in remote code, as it travelled back: its class name, message and stack. */
export interface RemoteErrorInfo {
  readonly type: string;
  readonly message: string;
  readonly stack?: string;
}

/** State of an invocation started with `start` (functions) or of a job. */
export interface RunInfo<R> {
  readonly id: string;
  /** The definition's name. */
  readonly name: string;
  readonly status: Status;
  /** The return value, or for generators the latest `yield`. */
  readonly result: R | undefined;
  readonly error: RemoteErrorInfo | undefined;
  /** Attempts made so far (1 + retries). */
  readonly attempts: number;
  readonly createdAt: Date;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
}

export interface MapOptions {
  /** At most this many calls in flight; default: the function's `maxConcurrency`. */
  concurrency?: number;
  /** Return failures in place (as `InvocationFailedError`) instead of rejecting on the first one. */
  returnExceptions?: boolean;
}

export interface ListOptions {
  /** Page size, 1..50 (default 50). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when there is a next page. */
  readonly cursor?: string;
}

export interface AwaitOptions {
  /** Give up (rejecting) after this long; default: wait as long as the run may last. */
  timeout?: DurationInput;
}

/** `fn` definitions (and `connect(...)` handles to them). */
export interface FunctionHandle<A extends unknown[], R> {
  readonly name: string;
  /** Runs the function remotely and returns its result; rejects with `InvocationFailedError` when it throws. */
  call(...args: A): Promise<R>;
  /** One call per item, results in input order. */
  map(items: Iterable<A[0]> | AsyncIterable<A[0]>, options: MapOptions & { returnExceptions: true }): Promise<Array<R | Error>>;
  map(items: Iterable<A[0]> | AsyncIterable<A[0]>, options?: MapOptions): Promise<R[]>;
  /** One call per argument list, results in input order. */
  starmap(argLists: Iterable<A> | AsyncIterable<A>, options: MapOptions & { returnExceptions: true }): Promise<Array<R | Error>>;
  starmap(argLists: Iterable<A> | AsyncIterable<A>, options?: MapOptions): Promise<R[]>;
  /** Starts an invocation and returns its id at once. */
  start(...args: A): Promise<string>;
  get(id: string): Promise<RunInfo<R>>;
  cancel(id: string): Promise<void>;
  /** Newest first, paged. */
  list(options?: ListOptions): Promise<Page<RunInfo<R>>>;
  awaitResult(id: string, options?: AwaitOptions): Promise<R>;
}

/** Extra fields of a log line, written as nested JSON values. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A logger. In Lambda and on Batch each call writes one JSON line to stdout (CloudWatch Logs keeps it as one JSON
 * object) carrying the time, the level, the message, the request id, and what runs: app, definition, run id, attempt
 * and kind; `multinode dev` and `multinode run` print it readably. `fields` adds nested JSON values; an Error as
 * `fields` (or as the field `error`) adds `errorType`, `errorMessage` and `stackTrace`, as Lambda's own error lines.
 */
export interface Log {
  debug(message: string, fields?: LogFields | Error): void;
  info(message: string, fields?: LogFields | Error): void;
  warn(message: string, fields?: LogFields | Error): void;
  error(message: string, fields?: LogFields | Error): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Log;
}

/** What a job handler receives besides its input. */
export interface JobContext {
  readonly id: string;
  readonly attempt: number;
  /** Fires on cancel and on timeout; stop promptly (the job is stopped hard after a grace period). */
  readonly signal: AbortSignal;
  /** This attempt's logger: its lines carry the job's name, id and attempt. */
  readonly log: Log;
}

/** `job` definitions (and `connect(...)` handles to them). */
export interface JobHandle<I, P> {
  readonly name: string;
  start(input: I): Promise<string>;
  get(id: string): Promise<RunInfo<P>>;
  cancel(id: string): Promise<void>;
  /** Deletes what is stored about a finished job. */
  remove(id: string): Promise<void>;
  list(options?: ListOptions): Promise<Page<RunInfo<P>>>;
  awaitResult(id: string, options?: AwaitOptions): Promise<P | undefined>;
  /**
   * Progress until the job ends: the latest value at each read. Progress is read by polling (at most a second apart),
   * so values a job yields faster than that are skipped; the last value is always seen. Keep what must not be lost
   * in the result or a dict.
   */
  watch(id: string): AsyncIterable<P>;
}

export interface SetOptions {
  /** The entry disappears after this long (reads never see an expired entry). */
  ttl?: DurationInput;
}

/** A shared key-value store (`dict<V>(name)`): one DynamoDB table in AWS, dynalite locally. */
export interface DictHandle<V> {
  readonly name: string;
  /** The value, or undefined when the key is missing or expired. */
  get(key: string): Promise<V | undefined>;
  /** The value; rejects with `KeyNotFoundError` when missing. */
  require(key: string): Promise<V>;
  /** Alias of `require`. */
  getOrThrow(key: string): Promise<V>;
  set(key: string, value: V, options?: SetOptions): Promise<void>;
  /** Sets only when the key is absent; returns whether it did. */
  setIfAbsent(key: string, value: V, options?: SetOptions): Promise<boolean>;
  /** Compare-and-set: writes `value` only when the current value equals `expected`; returns whether it won. */
  update(key: string, change: { expected: V | undefined; value: V }, options?: SetOptions): Promise<boolean>;
  /** Atomically adds `by` (default 1) to a numeric value (missing counts as 0) and returns the new value. */
  increment(key: string, by?: number): Promise<number>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  keys(options?: { prefix?: string }): AsyncIterable<string>;
  entries(options?: { prefix?: string }): AsyncIterable<[string, V]>;
  /** Values in the order of `keys` (undefined where missing). */
  getMany(keys: Iterable<string>): Promise<Array<V | undefined>>;
  setMany(entries: Iterable<readonly [string, V]>, options?: SetOptions): Promise<void>;
  deleteMany(keys: Iterable<string>): Promise<void>;
}

/** A held lease on a lock. */
export interface Lease {
  readonly lock: string;
  readonly expiresAt: Date;
  /** Fires if the lease is lost (heartbeat failed and the ttl passed). */
  readonly signal: AbortSignal;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long the lease lives without a heartbeat (a crashed holder loses it after this). */
  ttl: DurationInput;
  /** Wait up to this long for the lock (default: do not wait; `true`: wait without limit). */
  wait?: DurationInput | boolean;
}

/** `lock(name)`: a named lease, held by one holder at a time. */
export interface LockHandle {
  readonly name: string;
  /** Resolves with a lease, or rejects with `LockUnavailableError` when it could not be had in time. */
  acquire(options: AcquireOptions): Promise<Lease>;
  /** Runs `fn` while holding the lock, releasing it after. */
  withLock<T>(fn: (lease: Lease) => Promise<T> | T, options?: Partial<AcquireOptions>): Promise<T>;
}

/** What a scheduled task's handler receives. */
export interface ScheduledRun {
  /** The schedule's name. */
  readonly name: string;
  /** The time this run was scheduled for (EventBridge's `<aws.scheduler.scheduled-time>`). */
  readonly scheduledTime: Date;
  /** Delivery attempt (EventBridge's `<aws.scheduler.attempt-number>`), from 1. */
  readonly attempt: number;
  /** What asked for the run: its schedule, a person (`manual`: run now), or a backfill of past fire times. */
  readonly trigger: ScheduledTrigger;
  /**
   * Fires when the run is cancelled (the control plane's `cancel`, or a newer fire time under `overlap: "cancelOther"`)
   * and at its timeout, with a RunCancelledError or RunTimedOutError as reason; stop promptly: after the grace period
   * the run is recorded as ended without waiting for the handler.
   */
  readonly signal: AbortSignal;
  /** This run's logger: its lines carry the schedule's name, the scheduled time (as run id) and the attempt. */
  readonly log: Log;
}
