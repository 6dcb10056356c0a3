/**
 * Jobs in the app's state table: one item per job under `job#<job>`, sort key the job id (time-sortable, so `list`
 * is a Query newest first). Every transition is a conditional write, so a late or duplicate attempt can never
 * overwrite a final status:
 *
 *   create            -> PENDING (attempts 0)
 *   claim(n)          PENDING with attempts n-1, before the deadline -> RUNNING (attempts n, runner = a fresh token)
 *   progress          runner's, while RUNNING or CANCELLING: the latest yield (+ seq) and a heartbeat
 *   heartbeat         runner's, while RUNNING or CANCELLING; the answer carries the status (CANCELLING is seen here)
 *   finish            runner's: SUCCEEDED (only from RUNNING), FAILED, CANCELLED, TIMED_OUT
 *   retry             runner's, RUNNING -> PENDING (a failed attempt with attempts left)
 *   cancel            PENDING -> CANCELLED; RUNNING -> CANCELLING (the runner, or reconciliation, ends it)
 *   settle            no runner (reconciliation from Batch's status, a lost attempt, the deadline): from the state
 *                     that was read (status and attempts unchanged) to a final state or back to PENDING
 *   remove            only a final job
 *
 * Attribute names avoid DynamoDB's reserved words (`status`, `owner`, `result`, `input`, `error` are reserved).
 */
import { fromWire, type WireValue } from '../../lib/codec.js';
import { InvalidArgumentError, JobNotFoundError, RunFinishedError, RunNotFinishedError } from '../../lib/errors.js';
import { FINAL_STATUSES, type RemoteErrorInfo, type Status } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import { PAYLOAD_PREFIXES, STATE_INLINE_LIMIT, type Payloads } from '../core/payloads.js';
import { RUN_ID_PATTERN } from '../state/ids.js';
import { type RunIndexKeys, runIndexKeys } from '../state/run-index.js';
import { partitionKey, STATE_RETENTION_DAYS, STATE_SCHEMA } from '../state/schema.js';
import type { ConditionValues, Expiring, StateTable, Stored } from '../state/state-table.js';
import { ReadBatcher } from '../state/read-batcher.js';
import type { JobTuning } from './tuning.js';

/** How long a job's state is kept after it was created (DynamoDB TTL). */
export const JOB_RETENTION_DAYS = STATE_RETENTION_DAYS;
export const JOB_LIST_LIMIT = { min: 1, max: 50, default: 50 } as const;

/**
 * A job's item in the state table (besides its key): the one definition of its attributes. The index keys
 * (state/run-index.ts) are written at creation; jobs stored before the index existed lack them.
 */
export interface JobItem extends Expiring, Partial<RunIndexKeys> {
  readonly jobStatus: Status;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline: number;
  /** The input as JSON of the codec's wire form, inline; or `inputKey`, its S3 key when large. */
  readonly inputData?: string;
  readonly inputKey?: string;
  /** The latest progress (or the final value), like the input. */
  readonly progress?: string;
  readonly progressKey?: string;
  readonly seq: number;
  /** The last failure, a RemoteErrorInfo as JSON. */
  readonly failure?: string;
  readonly runner?: string;
  /** The token of the concurrency slot the runner holds (its hand-off's, state/concurrency.ts). */
  readonly slotToken?: string;
  readonly heartbeatAt?: number;
  readonly cancelRequestedAt?: number;
  readonly placement: Placement;
  readonly batchJobId?: string;
  readonly batchAttempt?: number;
  /** The carried JobTuning, as JSON. */
  readonly tuning: string;
}

/** Attribute names of a job item, for expressions. */
export const J = {
  status: 'jobStatus',
  attempts: 'attempts',
  maxAttempts: 'maxAttempts',
  createdAt: 'createdAt',
  startedAt: 'startedAt',
  finishedAt: 'finishedAt',
  deadline: 'deadline',
  input: 'inputData',
  inputKey: 'inputKey',
  progress: 'progress',
  progressKey: 'progressKey',
  seq: 'seq',
  failure: 'failure',
  runner: 'runner',
  slotToken: 'slotToken',
  heartbeatAt: 'heartbeatAt',
  cancelRequestedAt: 'cancelRequestedAt',
  placement: 'placement',
  batchJobId: 'batchJobId',
  batchAttempt: 'batchAttempt',
  tuning: 'tuning',
} as const satisfies Record<string, keyof JobItem>;

export interface JobRecord {
  readonly id: string;
  readonly status: Status;
  /** Attempts started (claimed) so far. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline: number;
  /** Progress writes so far: `watch` yields when it changes. */
  readonly seq: number;
  readonly error?: RemoteErrorInfo;
  readonly runner?: string;
  /** The token of the slot the runner holds: another attempt arriving with another slot gives that one back. */
  readonly slotToken?: string;
  readonly heartbeatAt?: number;
  readonly cancelRequestedAt?: number;
  readonly placement: Placement;
  /** The Batch job of attempt `batchAttempt`, for reconciliation from Batch's own status. */
  readonly batchJobId?: string;
  readonly batchAttempt?: number;
  /** The timings the starter chose (heartbeat, grace, staleness, lock lease): every party of this job uses them. */
  readonly tuning: Partial<JobTuning>;
  readonly item: Stored<JobItem>;
}

export type JobOutcome =
  | { readonly status: 'SUCCEEDED'; readonly result?: WireValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: RemoteErrorInfo }
  | { readonly status: 'CANCELLED' };

/** What a conditional transition compares: the job as it was read (or, for a job in line, as its ticket says). */
export type Seen = Pick<JobRecord, 'id' | 'status' | 'attempts' | 'heartbeatAt'>;

export const isFinal = (status: Status): boolean => (FINAL_STATUSES as readonly string[]).includes(status);

export class JobStore {
  readonly #pk: string;
  /** Reads of jobs asked for together (awaiting or watching many jobs) share requests. */
  readonly #reads: ReadBatcher<JobItem>;

  constructor(
    readonly jobName: string,
    readonly table: StateTable,
    readonly payloads: Payloads,
    readonly clock: () => number,
  ) {
    this.#pk = partitionKey('job', jobName);
    this.#reads = new ReadBatcher(table, this.#pk);
  }

  async create(
    id: string,
    input: WireValue,
    settings: { timeoutSeconds: number; maxAttempts: number; placement: Placement; tuning: JobTuning },
  ): Promise<JobRecord> {
    const now = this.clock();
    const attributes: JobItem = {
      jobStatus: 'PENDING',
      attempts: 0,
      maxAttempts: settings.maxAttempts,
      createdAt: now,
      deadline: now + settings.timeoutSeconds * 1000,
      seq: 0,
      placement: settings.placement,
      tuning: JSON.stringify(carried(settings.tuning)),
      [STATE_SCHEMA.ttl]: Math.ceil(now / 1000) + JOB_RETENTION_DAYS * 86400,
      ...runIndexKeys(id),
      ...(await this.#stored(id, 'input', input)),
    };
    await this.table.putIfAbsent<JobItem>(this.#pk, id, attributes);
    return toRecord(id, { ...attributes, ...this.table.key(this.#pk, id) });
  }

  /** The job as stored (no reconciliation); JobNotFoundError when there is none. */
  async read(id: string): Promise<JobRecord> {
    this.checkId(id);
    const item = await this.#reads.read(id);
    if (!item) throw new JobNotFoundError(this.jobName, id);
    return toRecord(id, item);
  }

  /** One page of jobs, newest first. */
  async page(limit: number, cursor: string | undefined): Promise<{ records: JobRecord[]; cursor?: string }> {
    const page = await this.table.query<JobItem>(this.#pk, { limit, descending: true, ...(cursor ? { after: cursor } : {}) });
    const records = page.items.map((item) => toRecord(item[STATE_SCHEMA.sortKey], item));
    return { records, ...(page.lastSortKey ? { cursor: page.lastSortKey } : {}) };
  }

  async input(record: JobRecord): Promise<unknown> {
    return fromWire(JSON.parse(await this.#load(record.item, 'input')));
  }

  /** The latest progress (or final value), decoded; undefined before the first. */
  async progress(record: JobRecord): Promise<unknown> {
    if (record.item[J.progress] === undefined && record.item[J.progressKey] === undefined) return undefined;
    return fromWire(JSON.parse(await this.#load(record.item, 'progress')));
  }

  /**
   * PENDING (attempts n-1) -> RUNNING (attempts n) for `runner`, holding the slot of token `slotToken`; undefined when
   * another got it (or it ended). The first start (`startedAt`) is kept across retries.
   */
  async claim(seen: Pick<JobRecord, 'id'>, runner: string, attempt: number, slotToken?: string): Promise<JobRecord | undefined> {
    const now = this.clock();
    const item = await this.table.update<JobItem>(this.#pk, seen.id, {
      set: { jobStatus: 'RUNNING', attempts: attempt, runner: runner, heartbeatAt: now, slotToken },
      setIfAbsent: { startedAt: now },
      condition: `${J.status} = :pending AND ${J.attempts} = :previous AND ${J.deadline} > :now`,
      values: { ':pending': 'PENDING', ':previous': attempt - 1, ':now': now },
    });
    return item ? toRecord(seen.id, item) : undefined;
  }

  /** Records the Batch job that runs attempt `attempt` (submitted just now). */
  async setBatchJob(id: string, attempt: number, batchJobId: string): Promise<void> {
    await this.table.update<JobItem>(this.#pk, id, {
      set: { batchJobId, batchAttempt: attempt },
      condition: `attribute_exists(${STATE_SCHEMA.partitionKey})`,
    });
  }

  /** The runner's latest yield; undefined when the write was refused (the runner no longer holds the job). */
  async writeProgress(id: string, runner: string, value: WireValue): Promise<JobRecord | undefined> {
    const stored = await this.#stored(id, 'progress', value);
    const inline = stored.progress !== undefined;
    const item = await this.table.update<JobItem>(this.#pk, id, {
      set: { ...stored, heartbeatAt: this.clock() },
      ...(inline ? { remove: [J.progressKey] } : { remove: [J.progress] }),
      add: { seq: 1 },
      condition: this.#runnerHolds(),
      values: this.#runnerValues(runner),
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** The runner's heartbeat; undefined when refused. The returned status shows a cancel request. */
  async heartbeat(id: string, runner: string): Promise<JobRecord | undefined> {
    const item = await this.table.update<JobItem>(this.#pk, id, {
      set: { heartbeatAt: this.clock() },
      condition: this.#runnerHolds(),
      values: this.#runnerValues(runner),
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** The runner's final write; undefined when refused (another party ended the job first). */
  async finish(id: string, runner: string, outcome: JobOutcome): Promise<JobRecord | undefined> {
    const set = await this.#outcome(id, outcome);
    // A success only from RUNNING: a cancel request wins over a late success.
    const from = outcome.status === 'SUCCEEDED' ? ':running' : ':running, :cancelling';
    const item = await this.table.update<JobItem>(this.#pk, id, {
      set,
      remove: [J.runner],
      condition: `${J.runner} = :runner AND ${J.status} IN (${from})`,
      values: { ':runner': runner, ':running': 'RUNNING', ...(outcome.status === 'SUCCEEDED' ? {} : { ':cancelling': 'CANCELLING' }) },
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** The runner's failed attempt, with attempts left: back to PENDING for the next attempt. */
  async retry(id: string, runner: string, error: RemoteErrorInfo): Promise<JobRecord | undefined> {
    const item = await this.table.update<JobItem>(this.#pk, id, {
      set: { jobStatus: 'PENDING', failure: JSON.stringify(error) },
      remove: [J.runner],
      condition: `${J.runner} = :runner AND ${J.status} = :running AND ${J.deadline} > :now`,
      values: { ':runner': runner, ':running': 'RUNNING', ':now': this.clock() },
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** PENDING -> CANCELLED, RUNNING -> CANCELLING (returns the new record); a finished job is a RunFinishedError. */
  async cancel(id: string): Promise<JobRecord> {
    for (;;) {
      const record = await this.read(id);
      if (isFinal(record.status)) throw new RunFinishedError(this.jobName, id, record.status);
      if (record.status === 'CANCELLING') return record;
      const now = this.clock();
      const set: Partial<JobItem> =
        record.status === 'PENDING' ? { jobStatus: 'CANCELLED', finishedAt: now } : { jobStatus: 'CANCELLING', cancelRequestedAt: now };
      const changed = await this.#from(record, set, record.status === 'PENDING' ? [J.runner] : []);
      if (changed) return changed;
    }
  }

  /**
   * Reconciliation: ends the job (or requeues it as PENDING with `attempts`) from the state `seen`, only if it is
   * still in that status and attempt, and, with `heartbeat`, has written no heartbeat since (an attempt judged lost
   * that beats again is alive). Returns the new record, or undefined when it changed meanwhile.
   */
  async settle(
    seen: Seen,
    outcome: JobOutcome | { status: 'PENDING'; attempts: number; error: RemoteErrorInfo },
    options: { heartbeat?: boolean } = {},
  ): Promise<JobRecord | undefined> {
    const set: Partial<JobItem> =
      outcome.status === 'PENDING'
        ? { jobStatus: 'PENDING', attempts: outcome.attempts, failure: JSON.stringify(outcome.error) }
        : await this.#outcome(seen.id, outcome);
    return this.#from(seen, set, [J.runner], options.heartbeat ?? false);
  }

  /** Deletes a finished job (and its stored payloads); RunNotFinishedError while it runs. */
  async remove(id: string): Promise<void> {
    const record = await this.read(id);
    if (!isFinal(record.status)) throw new RunNotFinishedError(this.jobName, id, record.status);
    const removed = await this.table.delete<JobItem>(this.#pk, id, {
      expression: `${J.status} IN (:succeeded, :failed, :cancelled, :timedOut)`,
      values: { ':succeeded': 'SUCCEEDED', ':failed': 'FAILED', ':cancelled': 'CANCELLED', ':timedOut': 'TIMED_OUT' },
    });
    if (!removed) return this.remove(id);
    for (const key of [removed.inputKey, removed.progressKey]) {
      if (key) await this.payloads.delete({ bucket: this.payloads.bucket, key });
    }
  }

  checkId(id: unknown): asserts id is string {
    if (typeof id !== 'string')
      throw new InvalidArgumentError(`job ${this.jobName}: a job id is a string returned by start(), got ${id === null ? 'null' : typeof id}.`);
    if (!RUN_ID_PATTERN.test(id)) throw new JobNotFoundError(this.jobName, id);
  }

  async #from(seen: Seen, set: Partial<JobItem>, remove: Array<keyof JobItem & string>, sameHeartbeat = false): Promise<JobRecord | undefined> {
    const beat = !sameHeartbeat ? '' : seen.heartbeatAt === undefined ? ` AND attribute_not_exists(${J.heartbeatAt})` : ` AND ${J.heartbeatAt} = :seenBeat`;
    const item = await this.table.update<JobItem>(this.#pk, seen.id, {
      set,
      ...(remove.length > 0 ? { remove } : {}),
      condition: `${J.status} = :seenStatus AND ${J.attempts} = :seenAttempts${beat}`,
      values: {
        ':seenStatus': seen.status,
        ':seenAttempts': seen.attempts,
        ...(sameHeartbeat && seen.heartbeatAt !== undefined ? { ':seenBeat': seen.heartbeatAt } : {}),
      },
    });
    return item ? toRecord(seen.id, item) : undefined;
  }

  async #outcome(id: string, outcome: JobOutcome): Promise<Partial<JobItem>> {
    return {
      jobStatus: outcome.status,
      finishedAt: this.clock(),
      ...(outcome.status === 'SUCCEEDED' && outcome.result !== undefined ? await this.#stored(id, 'progress', outcome.result) : {}),
      ...(outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT' ? { failure: JSON.stringify(outcome.error) } : {}),
    };
  }

  #runnerHolds(): string {
    return `${J.runner} = :runner AND ${J.status} IN (:running, :cancelling)`;
  }

  #runnerValues(runner: string): ConditionValues {
    return { ':runner': runner, ':running': 'RUNNING', ':cancelling': 'CANCELLING' };
  }

  /** A value inline, or in S3 when over the inline limit (input at start, progress at each yield). */
  async #stored(id: string, what: 'input' | 'progress', value: WireValue): Promise<Pick<JobItem, 'inputData' | 'inputKey' | 'progress' | 'progressKey'>> {
    const json = JSON.stringify(value);
    if (Buffer.byteLength(json, 'utf8') <= STATE_INLINE_LIMIT) return what === 'input' ? { inputData: json } : { progress: json };
    const stored = await this.payloads.put(`${PAYLOAD_PREFIXES.runs}${this.jobName}/${id}/${what}`, json);
    return what === 'input' ? { inputKey: stored.key } : { progressKey: stored.key };
  }

  async #load(item: JobItem, what: 'input' | 'progress'): Promise<string> {
    const text = what === 'input' ? item.inputData : item.progress;
    if (text !== undefined) return text;
    const key = what === 'input' ? item.inputKey : item.progressKey;
    if (key === undefined) return 'null';
    return this.payloads.get({ bucket: this.payloads.bucket, key });
  }
}

/** The timings that travel with a job (the caller's polling does not). */
function carried(tuning: JobTuning): Partial<JobTuning> {
  const { heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds } = tuning;
  return { heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds };
}

export function toRecord(id: string, item: Stored<JobItem>): JobRecord {
  const { startedAt, finishedAt, heartbeatAt, cancelRequestedAt, batchAttempt, runner, slotToken, batchJobId, failure } = item;
  return {
    id,
    status: item.jobStatus,
    attempts: item.attempts ?? 0,
    maxAttempts: item.maxAttempts ?? 1,
    createdAt: item.createdAt ?? 0,
    deadline: item.deadline ?? 0,
    seq: item.seq ?? 0,
    placement: item.placement ?? 'lambda',
    tuning: JSON.parse(item.tuning ?? '{}') as Partial<JobTuning>,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(heartbeatAt !== undefined ? { heartbeatAt } : {}),
    ...(cancelRequestedAt !== undefined ? { cancelRequestedAt } : {}),
    ...(batchAttempt !== undefined ? { batchAttempt } : {}),
    ...(runner !== undefined ? { runner } : {}),
    ...(slotToken !== undefined ? { slotToken } : {}),
    ...(batchJobId !== undefined ? { batchJobId } : {}),
    ...(failure !== undefined ? { error: JSON.parse(failure) as RemoteErrorInfo } : {}),
    item,
  };
}
