/**
 * The remote API of a job (`start`, `get`, `cancel`, `remove`, `list`, `awaitResult`, `watch`): the same on
 * both placements, over the job's state (job-store.ts), its concurrency gate (job-queue.ts: at most `maxConcurrency`
 * jobs run, the others wait PENDING, oldest first) and its placement's launcher. Reads reconcile (reconcile.ts), so
 * what they return is never a job stuck in a state nobody will leave, nor one left waiting with a slot free.
 */
import { toWire } from '../../lib/codec.js';
import { InvalidArgumentError, InvocationFailedError, RunCancelledError, RunTimedOutError, WaitTimeoutError } from '../../lib/errors.js';
import type { AwaitOptions, JobHandle, ListOptions, Page, RunInfo } from '../../lib/handles.js';
import { DURATION_FORMS, parseDurationSeconds } from '../../lib/units/duration.js';
import type { Placement } from '../../lib/placement.js';
import { sleep } from '../core/retry.js';
import { newRunId } from '../state/ids.js';
import type { BatchJobView } from '../batch/batch-jobs.js';
import type { AttemptLauncher } from './launcher.js';
import type { JobSettings } from './executor.js';
import type { JobQueue } from './job-queue.js';
import { isFinal, JOB_LIST_LIMIT, type JobRecord, type JobStore } from './job-store.js';
import { reconcileAll, reconcileJob } from './reconcile.js';
import type { JobTuning } from './tuning.js';

export interface JobClientDeps {
  readonly store: JobStore;
  readonly settings: JobSettings;
  readonly placement: Placement;
  readonly launcher: AttemptLauncher;
  /** Its concurrency gate and the reconciliation that uses it (job-queue.ts). */
  readonly queue: JobQueue;
  readonly tuning: JobTuning;
  readonly clock: () => number;
}

/** One read of `watchUpdates`: the latest progress, and how many values came between it and the previous read's. */
export interface ProgressUpdate {
  readonly value: unknown;
  readonly skipped: number;
}

export class JobClient implements JobHandle<unknown, unknown> {
  readonly name: string;
  readonly #deps: JobClientDeps;

  constructor(deps: JobClientDeps) {
    this.name = deps.store.jobName;
    this.#deps = deps;
  }

  async start(input: unknown): Promise<string> {
    const { store, settings, placement, clock, queue } = this.#deps;
    const wire = toWire(input, 'input');
    const id = newRunId(clock());
    const record = await store.create(id, wire, {
      timeoutSeconds: settings.timeoutSeconds,
      maxAttempts: settings.maxRetries + 1,
      placement,
      tuning: this.#deps.tuning,
    });
    // Its first attempt launched at once when a slot is free and nobody waits (a failed launch ends it FAILED); else
    // in line.
    await queue.gate.admit(id, queue.waiting(record));
    return id;
  }

  async get(id: string): Promise<RunInfo<unknown>> {
    return this.#info(await this.#current(id));
  }

  async cancel(id: string): Promise<void> {
    const { store, launcher, queue } = this.#deps;
    const record = await store.cancel(id);
    // A waiting job is cancelled without ever holding a slot; one that was handed a slot gives it back.
    if (record.status === 'CANCELLED') await queue.gate.settled(id);
    // On Batch, TerminateJob delivers SIGTERM at once (the container then has ECS's stop timeout to end); a job
    // not started yet is removed from the queue.
    if (record.placement === 'batch' && record.batchJobId) await launcher.stop(record.batchJobId, 'multinode: the job was cancelled');
  }

  remove(id: string): Promise<void> {
    return this.#deps.store.remove(id);
  }

  async list(options: ListOptions = {}): Promise<Page<RunInfo<unknown>>> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError(`${this.name}.list(): options must be an object such as { limit: 10 }.`);
    const limit = options.limit ?? JOB_LIST_LIMIT.default;
    if (!Number.isInteger(limit) || limit < JOB_LIST_LIMIT.min || limit > JOB_LIST_LIMIT.max) {
      throw new InvalidArgumentError(
        `${this.name}.list(): limit must be a whole number from ${JOB_LIST_LIMIT.min} to ${JOB_LIST_LIMIT.max}, got ${String(limit)}.`,
      );
    }
    if (options.cursor !== undefined) {
      try {
        this.#deps.store.checkId(options.cursor);
      } catch {
        throw new InvalidArgumentError(`${this.name}.list(): cursor ${JSON.stringify(options.cursor)} is not a cursor returned by list().`);
      }
    }
    const page = await this.#deps.store.page(limit, options.cursor);
    const records = await reconcileAll(this.#deps.queue.reconcile, page.records);
    return { items: await Promise.all(records.map((r) => this.#info(r))), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  async awaitResult(id: string, options?: AwaitOptions): Promise<unknown> {
    const { clock, settings } = this.#deps;
    const limitMs = waitLimit(this.name, options);
    const giveUpAt = limitMs === undefined ? undefined : clock() + limitMs;
    for (let pause = 25; ; pause = Math.min(pause * 2, this.#deps.tuning.pollMaxMs)) {
      const record = await this.#current(id);
      switch (record.status) {
        case 'SUCCEEDED':
          return this.#deps.store.progress(record);
        case 'FAILED':
          throw new InvocationFailedError(this.name, record.error ?? { type: 'Error', message: `job ${id} failed` });
        case 'TIMED_OUT':
          throw new RunTimedOutError(this.name, id, settings.timeoutSeconds);
        case 'CANCELLED':
          throw new RunCancelledError(this.name, id);
      }
      if (giveUpAt !== undefined && clock() >= giveUpAt) {
        throw new WaitTimeoutError(`${this.name}.awaitResult(${JSON.stringify(id)}) gave up after ${limitMs! / 1000}s; the job is still ${record.status}.`);
      }
      await sleep(giveUpAt === undefined ? pause : Math.max(0, Math.min(pause, giveUpAt - clock())));
    }
  }

  /** Each new progress value (a read sees the latest: values written between two reads are skipped) until the end. */
  watch(id: string): AsyncIterable<unknown> {
    const updates = this.watchUpdates(id);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const update of updates) yield update.value;
      },
    };
  }

  /**
   * `watch` with the count of values it skipped: each update is the latest progress at a read and how many values
   * the job yielded since the previous update (the job counts its yields), so a printer can say what it did not see.
   */
  watchUpdates(id: string): AsyncIterable<ProgressUpdate> {
    this.#deps.store.checkId(id);
    const read = (jobId: string) => this.#current(jobId);
    const progress = (record: JobRecord) => this.#deps.store.progress(record);
    const pollMaxMs = this.#deps.tuning.pollMaxMs;
    return {
      async *[Symbol.asyncIterator]() {
        let seq = 0;
        for (let pause = 25; ; pause = Math.min(pause * 2, pollMaxMs)) {
          const record = await read(id);
          if (record.seq !== seq) {
            const skipped = Math.max(0, record.seq - seq - 1);
            seq = record.seq;
            pause = 25;
            yield { value: await progress(record), skipped };
          }
          if (isFinal(record.status)) return;
          await sleep(pause);
        }
      },
    };
  }

  /** Reconciles a job with Batch's view of one of its Batch jobs (a state-change event); older attempts' jobs are ignored. */
  async reconcileBatch(id: string, batchJobId: string, view: BatchJobView): Promise<JobRecord> {
    const record = await this.#deps.store.read(id);
    return reconcileJob(this.#deps.queue.reconcile, record, record.batchJobId === batchJobId ? view : undefined);
  }

  async #current(id: string): Promise<JobRecord> {
    return reconcileJob(this.#deps.queue.reconcile, await this.#deps.store.read(id));
  }

  async #info(record: JobRecord): Promise<RunInfo<unknown>> {
    const failed = record.status === 'FAILED' || record.status === 'TIMED_OUT';
    return {
      id: record.id,
      name: this.name,
      status: record.status,
      result: await this.#deps.store.progress(record),
      error: failed ? record.error : undefined,
      attempts: record.attempts,
      createdAt: new Date(record.createdAt),
      startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
      finishedAt: record.finishedAt === undefined ? undefined : new Date(record.finishedAt),
    };
  }
}

function waitLimit(name: string, options: AwaitOptions | undefined): number | undefined {
  if (options?.timeout === undefined) return undefined;
  const parsed = parseDurationSeconds(options.timeout);
  if ('problem' in parsed)
    throw new InvalidArgumentError(`${name}.awaitResult(): timeout ${JSON.stringify(options.timeout)} is not valid; expected ${DURATION_FORMS}.`);
  return parsed.seconds * 1000;
}
