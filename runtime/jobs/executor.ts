/**
 * Runs one attempt of a job, wherever it was launched (a Lambda invocation or a Batch container):
 *  0. confirms the concurrency slot the attempt was launched with (runtime/state/concurrency.ts); without one the
 *     job waits in line and the attempt returns at once ('queued'): nothing ever waits for capacity;
 *  1. with the `lock` option, waits in PENDING until it holds the lock (renewed while it runs);
 *  2. claims the job (PENDING -> RUNNING, a fresh runner token): a duplicate delivery finds it taken and stops;
 *  3. runs the handler with `ctx.signal`, writing each `yield` as progress (a conditional write: refused once the
 *     attempt no longer holds the job) and a heartbeat that notices a cancel request;
 *  4. on cancel or timeout, aborts `ctx.signal` and gives the handler the grace period to stop; a handler that
 *     does not is abandoned (its later writes are refused) and, on Batch, its container exits;
 *  5. writes the outcome: SUCCEEDED, FAILED (or PENDING and back in line for the next attempt, while attempts and
 *     time remain), CANCELLED or TIMED_OUT. A cancelled or timed-out attempt is never retried;
 *  6. hands its slot on: an ended job frees it for the oldest waiting job.
 */
import { randomUUID } from 'node:crypto';
import { toWire } from '../../lib/codec.js';
import type { JobHandler, JobSettings as JobOptions } from '../../lib/definitions/job.js';
import { LockLostError, LockUnavailableError, MultinodeError, RunCancelledError, RunTimedOutError } from '../../lib/errors.js';
import type { JobContext, Lease, Status } from '../../lib/handles.js';
import { withLog } from '../core/invocation-log.js';
import { asError, type Logger } from '../core/logger.js';
import { toRemoteError } from '../core/remote-error.js';
import type { LockClient } from '../locks/lock-client.js';
import type { ConcurrencyGate, Hold } from '../state/concurrency.js';
import type { AttemptLauncher } from './launcher.js';
import { isFinal, type JobRecord, type JobStore } from './job-store.js';
import { jobTicket } from './job-queue.js';
import { FINAL_WRITE_MARGIN_MS } from '../core/deadline.js';
import { CONTAINER_STOP_TIMEOUT_MS, type JobTuning } from './tuning.js';

/** The attempt no longer holds its job (it ended elsewhere: cancelled while pending, timed out, reconciled). */
export class AttemptLostError extends MultinodeError {}

/** The compute running the attempt was told to stop (a Batch container's SIGTERM). */
export class AttemptStoppedError extends MultinodeError {}

/** The options of a job that its runtime reads (from the manifest). */
export type JobSettings = Pick<JobOptions, 'timeoutSeconds' | 'maxRetries' | 'maxConcurrency' | 'lock'>;

export interface ExecutorDeps {
  readonly store: JobStore;
  readonly settings: JobSettings;
  readonly handler: JobHandler<unknown, unknown>;
  readonly launcher: AttemptLauncher;
  /** The job's concurrency gate: the attempt runs only with a slot; an ended job hands its slot on. */
  readonly gate: ConcurrencyGate;
  readonly locks: (name: string) => LockClient;
  readonly tuning: JobTuning;
  readonly clock: () => number;
  /** Aborts when the compute is told to stop (SIGTERM in a Batch container). */
  readonly stopSignal?: AbortSignal;
  /** How long the compute lives on after `stopSignal`, ms; default CONTAINER_STOP_TIMEOUT_MS (ECS's). */
  readonly stopTimeoutMs?: number;
  /** When the compute will be stopped regardless (a Lambda invocation's own timeout), epoch ms by `clock`. */
  readonly computeEndsAt?: number;
  /** The invocation's logger (its request id); each attempt logs with a child naming the job, its id and the attempt. */
  readonly log: Logger;
}

/** What became of the attempt: the job's status after it, or why it did nothing ('queued': no slot, it waits in line). */
export type AttemptOutcome = Status | 'duplicate' | 'abandoned' | 'queued';

/** Runs attempt `attempt` of job `id`, launched with concurrency slot `slot`. */
export async function executeAttempt(deps: ExecutorDeps, id: string, attempt: number, slot?: number): Promise<AttemptOutcome> {
  const { store, gate } = deps;
  deps = { ...deps, log: deps.log.child({ definition: store.jobName, kind: 'job', runId: id, attempt }) };
  // Only a holder of one of the job's slots runs (maxConcurrency); without one, the job waits in line.
  const hold = slot === undefined ? undefined : await gate.confirm(id, slot);
  if (!hold) {
    const seen = await store.read(id);
    if (!isOurTurn(seen, attempt)) return 'duplicate';
    await gate.enqueue(id, jobTicket(seen, deps.tuning));
    await gate.pump();
    return 'queued';
  }
  const outcome = await holdingSlot(deps, id, attempt, hold);
  // An ended job gives its slot to the oldest waiting job (a retry went back in line itself).
  try {
    if (outcome === 'duplicate') await giveBack(deps, attempt, hold);
    else if (isFinal(outcome as Status) || (outcome === 'abandoned' && isFinal((await store.read(id)).status))) await gate.release(hold);
  } catch (error) {
    deps.log.warn(`job ${id} could not hand its slot on; the next start or read will`, asError(error));
  }
  return outcome;
}

/**
 * The claim failed: the job ended while this attempt was on its way (cancelled as its slot was handed over), or its
 * deadline passed, or another attempt runs it with another slot. The slot goes back now rather than when its check
 * time comes; unless it is the running attempt's own (a duplicate delivery of the same attempt) or the job waits for a
 * later attempt (this one is an old delivery; the later one comes with this slot).
 */
async function giveBack(deps: ExecutorDeps, attempt: number, hold: Hold): Promise<void> {
  const now = await deps.store.read(hold.holder);
  const running = now.status === 'RUNNING' || now.status === 'CANCELLING';
  if (running && (now.slotToken === undefined || now.slotToken === hold.token)) return;
  if (now.status === 'PENDING' && !isOurTurn(now, attempt)) return;
  await deps.gate.release(hold);
}

/** Claims the job for this attempt (after its lock, with the `lock` option) and runs it. */
async function holdingSlot(deps: ExecutorDeps, id: string, attempt: number, hold: Hold): Promise<AttemptOutcome> {
  const { store } = deps;
  let lease: Lease | undefined;
  if (deps.settings.lock) {
    const seen = await store.read(id);
    if (!isOurTurn(seen, attempt)) return 'duplicate';
    const waited = await waitForLock({ ...deps, tuning: { ...deps.tuning, ...seen.tuning } }, seen, attempt, hold);
    if (typeof waited === 'string') return waited;
    lease = waited;
  }
  try {
    const runner = randomUUID();
    const claimed = await store.claim({ id }, runner, attempt, hold.token);
    if (!claimed) return 'duplicate';
    // The job carries the timings its starter chose.
    return await new Attempt({ ...deps, tuning: { ...deps.tuning, ...claimed.tuning } }, claimed, runner, attempt, lease, hold).run();
  } finally {
    await lease?.release().catch(() => undefined);
  }
}

function isOurTurn(record: JobRecord, attempt: number): boolean {
  return record.status === 'PENDING' && record.attempts === attempt - 1;
}

/** Holds the job's lock, or says why the attempt ends without it. */
async function waitForLock(deps: ExecutorDeps, seen: JobRecord, attempt: number, hold: Hold): Promise<Lease | AttemptOutcome> {
  const { store, clock, tuning, gate } = deps;
  const stop = new AbortController();
  // While waiting the job stays PENDING and keeps its slot; stop waiting when it is cancelled (or taken by a duplicate).
  let lastRenewal = clock();
  const watcher = setInterval(() => {
    void store.read(seen.id).then(
      (record) => {
        if (!isOurTurn(record, attempt)) stop.abort(new AttemptLostError('the job is no longer waiting for this attempt'));
      },
      () => undefined,
    );
    if (clock() - lastRenewal >= tuning.staleAfterMs / 4) {
      lastRenewal = clock();
      void gate.renew(hold, tuning.staleAfterMs).catch(() => undefined);
    }
  }, tuning.heartbeatMs);
  try {
    const hardStop = deps.computeEndsAt === undefined ? Infinity : deps.computeEndsAt - FINAL_WRITE_MARGIN_MS;
    const waitMs = Math.max(0, Math.min(seen.deadline, hardStop) - clock());
    return await deps.locks(deps.settings.lock!).acquire({ ttl: `${tuning.lockTtlSeconds}s`, wait: `${waitMs / 1000}s`, signal: stop.signal });
  } catch (error) {
    if (error instanceof AttemptLostError) return 'abandoned';
    if (error instanceof LockUnavailableError) {
      const timedOut = await store.settle(seen, {
        status: 'TIMED_OUT',
        error: { type: 'TimeoutError', message: `job ${store.jobName} ${seen.id} waited for lock "${deps.settings.lock}" until its deadline.` },
      });
      return timedOut ? 'TIMED_OUT' : 'abandoned';
    }
    throw error;
  } finally {
    clearInterval(watcher);
  }
}

class Attempt {
  readonly #controller = new AbortController();
  readonly #timers: NodeJS.Timeout[] = [];
  #record: JobRecord;

  constructor(
    private readonly deps: ExecutorDeps,
    record: JobRecord,
    private readonly runner: string,
    private readonly attempt: number,
    private readonly lease: Lease | undefined,
    private readonly hold: Hold,
  ) {
    this.#record = record;
  }

  get #id(): string {
    return this.#record.id;
  }

  #abort(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** A record returned by a write: a cancel request shows as CANCELLING. */
  #observe(record: JobRecord | undefined): boolean {
    if (!record) {
      this.#abort(new AttemptLostError(`job ${this.deps.store.jobName} ${this.#id}: attempt ${this.attempt} no longer holds the job`));
      return false;
    }
    this.#record = record;
    if (record.status === 'CANCELLING') this.#abort(new RunCancelledError(this.deps.store.jobName, this.#id));
    return true;
  }

  async run(): Promise<AttemptOutcome> {
    const { store, clock, tuning, settings } = this.deps;
    const signal = this.#controller.signal;
    // The deadline; or, when the compute itself ends first (a Lambda invocation whose timeout, capped at 15 minutes,
    // cannot cover the job's deadline and the grace period), early enough that the handler still has the grace period
    // and this attempt records TIMED_OUT itself before the compute stops.
    let hardStop = this.deps.computeEndsAt === undefined ? Infinity : this.deps.computeEndsAt - FINAL_WRITE_MARGIN_MS;
    const timeoutIn = Math.max(0, Math.min(this.#record.deadline, hardStop - tuning.graceMs) - clock());
    this.#timers.push(setTimeout(() => this.#abort(new RunTimedOutError(store.jobName, this.#id, settings.timeoutSeconds)), timeoutIn));
    this.#timers.push(
      setInterval(() => {
        void store.heartbeat(this.#id, this.runner).then(
          (record) => this.#observe(record),
          () => undefined, // a failed heartbeat is retried on the next beat
        );
      }, tuning.heartbeatMs),
    );
    // Told to stop from outside (Batch's TerminateJob sends SIGTERM): say why, when the job's state explains it. The
    // container is killed `stopTimeoutMs` later, so the grace period ends in time for the final write.
    const onStop = () => {
      hardStop = Math.min(hardStop, clock() + (this.deps.stopTimeoutMs ?? CONTAINER_STOP_TIMEOUT_MS) - FINAL_WRITE_MARGIN_MS);
      void store.read(this.#id).then(
        (now) => this.#abort(this.#stopReason(now)),
        () => this.#abort(new AttemptStoppedError('the compute running this attempt was told to stop (SIGTERM)')),
      );
    };
    this.deps.stopSignal?.addEventListener('abort', onStop, { once: true });
    if (this.deps.stopSignal?.aborted) onStop();
    const onLockLost = () => this.#abort(this.lease!.signal.reason as Error);
    this.lease?.signal.addEventListener('abort', onLockLost, { once: true });

    // Once aborted, the handler has the grace period to stop.
    let graceOver: () => void = () => undefined;
    const grace = new Promise<{ kind: 'grace' }>((resolve) => (graceOver = () => resolve({ kind: 'grace' })));
    signal.addEventListener('abort', () => this.#timers.push(setTimeout(graceOver, Math.max(0, Math.min(tuning.graceMs, hardStop - clock())))), { once: true });

    try {
      const input = await store.input(this.#record);
      const ctx: JobContext = { id: this.#id, attempt: this.attempt, signal, log: this.deps.log };
      // The handler's code, generator steps included, runs with the attempt's logger as the current one.
      const ran = withLog(this.deps.log, () => this.#drive(input, ctx)).then(
        (value) => ({ kind: 'done' as const, value }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      );
      const ended = await Promise.race([ran, grace]);
      return await this.#conclude(ended);
    } finally {
      for (const timer of this.#timers) clearTimeout(timer);
      this.deps.stopSignal?.removeEventListener('abort', onStop);
      this.lease?.signal.removeEventListener('abort', onLockLost);
    }
  }

  /** Why a stop request came: a cancel request or the deadline; otherwise the attempt was stopped (a failure). */
  #stopReason(now: JobRecord): Error {
    const { store, clock, settings } = this.deps;
    if (now.status === 'CANCELLING') return new RunCancelledError(store.jobName, this.#id);
    if (clock() >= now.deadline) return new RunTimedOutError(store.jobName, this.#id, settings.timeoutSeconds);
    return new AttemptStoppedError('the compute running this attempt was told to stop (SIGTERM)');
  }

  /** Runs the handler; each yield becomes progress. Resolves with the final value (a generator's return). */
  async #drive(input: unknown, ctx: JobContext): Promise<unknown> {
    const output = this.deps.handler(input, ctx) as unknown;
    if (!isIterator(output)) return await output;
    for (;;) {
      const step = await output.next();
      if (step.done) return step.value;
      const written = await this.deps.store.writeProgress(this.#id, this.runner, toWire(step.value, 'yield'));
      if (!this.#observe(written)) {
        // Refused: the job ended without this attempt. Stop the generator at this yield.
        await output.return?.(undefined);
        return undefined;
      }
    }
  }

  async #conclude(ended: { kind: 'done'; value: unknown } | { kind: 'threw'; error: unknown } | { kind: 'grace' }): Promise<AttemptOutcome> {
    const signal = this.#controller.signal;
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (reason instanceof AttemptLostError) return 'abandoned';
    if (reason instanceof RunCancelledError) return this.#finish({ status: 'CANCELLED' });
    if (reason instanceof RunTimedOutError) return this.#finish({ status: 'TIMED_OUT', error: { type: 'TimeoutError', message: reason.message } });
    if (reason instanceof AttemptStoppedError || reason instanceof LockLostError) return this.#failed(reason);
    if (ended.kind === 'grace') return this.#failed(new AttemptStoppedError('the attempt was stopped'));
    if (ended.kind === 'threw') return this.#failed(ended.error);
    const value = ended.value === undefined ? undefined : toWire(ended.value, 'result');
    return this.#finish({ status: 'SUCCEEDED', ...(value === undefined ? {} : { result: value }) });
  }

  async #finish(outcome: Parameters<JobStore['finish']>[2]): Promise<AttemptOutcome> {
    const { store } = this.deps;
    const done = await store.finish(this.#id, this.runner, outcome);
    if (done) return done.status;
    // Refused: a success met a cancel request (it ends CANCELLED), or the job ended without us.
    const now = await store.read(this.#id);
    if (now.status === 'CANCELLING' && now.runner === this.runner) {
      const cancelled = await store.finish(this.#id, this.runner, { status: 'CANCELLED' });
      if (cancelled) return cancelled.status;
    }
    return 'abandoned';
  }

  /** A failed attempt: back in line for the next one while attempts and time remain, else FAILED. */
  async #failed(error: unknown): Promise<AttemptOutcome> {
    const { store, settings, clock, gate } = this.deps;
    const remote = toRemoteError(error);
    if (this.attempt < settings.maxRetries + 1 && clock() < this.#record.deadline) {
      const requeued = await store.retry(this.#id, this.runner, remote);
      if (requeued) {
        // Its slot goes back; being older than most waiting jobs, it usually gets one again at once.
        await gate.requeue(this.#id, this.hold, jobTicket(requeued, this.deps.tuning));
        return 'PENDING';
      }
    }
    return this.#finish({ status: 'FAILED', error: remote });
  }
}

type AnyIterator = { next(): Promise<IteratorResult<unknown>> | IteratorResult<unknown>; return?(value?: unknown): unknown };

function isIterator(value: unknown): value is AnyIterator {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<symbol | string, unknown>;
  return typeof candidate.next === 'function' && (typeof candidate[Symbol.asyncIterator] === 'function' || typeof candidate[Symbol.iterator] === 'function');
}
