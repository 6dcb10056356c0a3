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
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fromWire, type WireValue } from '../../lib/codec.js';
import { InvalidArgumentError, JobNotFoundError, RunFinishedError, RunNotFinishedError } from '../../lib/errors.js';
import { FINAL_STATUSES, type RemoteErrorInfo, type Status } from '../../lib/handles.js';
import type { Placement } from '../../lib/placement.js';
import { PAYLOAD_PREFIXES, STATE_INLINE_LIMIT, type Payloads } from '../core/payloads.js';
import { RUN_ID_PATTERN } from '../state/ids.js';
import { partitionKey, STATE_RETENTION_DAYS, STATE_SCHEMA } from '../state/schema.js';
import { attr, type Item, type StateTable } from '../state/state-table.js';
import type { JobTuning } from './tuning.js';

/** How long a job's state is kept after it was created (DynamoDB TTL). */
export const JOB_RETENTION_DAYS = STATE_RETENTION_DAYS;
export const JOB_LIST_LIMIT = { min: 1, max: 50, default: 50 } as const;

/** Attribute names of a job item. */
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
  heartbeatAt: 'heartbeatAt',
  cancelRequestedAt: 'cancelRequestedAt',
  placement: 'placement',
  batchJobId: 'batchJobId',
  batchAttempt: 'batchAttempt',
  tuning: 'tuning',
} as const;

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
  readonly heartbeatAt?: number;
  readonly cancelRequestedAt?: number;
  readonly placement: Placement;
  /** The Batch job of attempt `batchAttempt`, for reconciliation from Batch's own status. */
  readonly batchJobId?: string;
  readonly batchAttempt?: number;
  /** The timings the starter chose (heartbeat, grace, staleness, lock lease): every party of this job uses them. */
  readonly tuning: Partial<JobTuning>;
  readonly item: Item;
}

export type JobOutcome =
  | { readonly status: 'SUCCEEDED'; readonly result?: WireValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: RemoteErrorInfo }
  | { readonly status: 'CANCELLED' };

export const isFinal = (status: Status): boolean => (FINAL_STATUSES as readonly string[]).includes(status);

export class JobStore {
  readonly #pk: string;

  constructor(
    readonly jobName: string,
    readonly table: StateTable,
    readonly payloads: Payloads,
    readonly clock: () => number,
  ) {
    this.#pk = partitionKey('job', jobName);
  }

  async create(
    id: string,
    input: WireValue,
    settings: { timeoutSeconds: number; maxAttempts: number; placement: Placement; tuning: JobTuning },
  ): Promise<void> {
    const now = this.clock();
    await this.table.putIfAbsent(this.#pk, id, {
      [J.status]: attr.s('PENDING'),
      [J.attempts]: attr.n(0),
      [J.maxAttempts]: attr.n(settings.maxAttempts),
      [J.createdAt]: attr.n(now),
      [J.deadline]: attr.n(now + settings.timeoutSeconds * 1000),
      [J.seq]: attr.n(0),
      [J.placement]: attr.s(settings.placement),
      [J.tuning]: attr.s(JSON.stringify(carried(settings.tuning))),
      [STATE_SCHEMA.ttl]: attr.n(Math.ceil(now / 1000) + JOB_RETENTION_DAYS * 86400),
      ...(await this.#stored(id, 'input', input)),
    });
  }

  /** The job as stored (no reconciliation); JobNotFoundError when there is none. */
  async read(id: string): Promise<JobRecord> {
    this.checkId(id);
    const item = await this.table.get(this.#pk, id);
    if (!item) throw new JobNotFoundError(this.jobName, id);
    return toRecord(id, item);
  }

  /** One page of jobs, newest first. */
  async page(limit: number, cursor: string | undefined): Promise<{ records: JobRecord[]; cursor?: string }> {
    const page = await this.table.query(this.#pk, { limit, descending: true, ...(cursor ? { after: cursor } : {}) });
    const records = page.items.map((item) => toRecord(item[STATE_SCHEMA.sortKey]!.S!, item));
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
   * PENDING (attempts n-1) -> RUNNING (attempts n) for `runner`; undefined when another got it (or it ended).
   * `seen` is the record read just before: the first start (`startedAt`) is kept across retries.
   */
  async claim(seen: JobRecord, runner: string, attempt: number): Promise<JobRecord | undefined> {
    const now = this.clock();
    const item = await this.table.update(this.#pk, seen.id, {
      set: {
        [J.status]: attr.s('RUNNING'),
        [J.attempts]: attr.n(attempt),
        [J.runner]: attr.s(runner),
        [J.heartbeatAt]: attr.n(now),
        ...(seen.startedAt === undefined ? { [J.startedAt]: attr.n(now) } : {}),
      },
      condition: `${J.status} = :pending AND ${J.attempts} = :previous AND ${J.deadline} > :now`,
      values: { ':pending': attr.s('PENDING'), ':previous': attr.n(attempt - 1), ':now': attr.n(now) },
    });
    return item ? toRecord(seen.id, item) : undefined;
  }

  /** Records the Batch job that runs attempt `attempt` (submitted just now). */
  async setBatchJob(id: string, attempt: number, batchJobId: string): Promise<void> {
    await this.table.update(this.#pk, id, {
      set: { [J.batchJobId]: attr.s(batchJobId), [J.batchAttempt]: attr.n(attempt) },
      condition: `attribute_exists(${STATE_SCHEMA.partitionKey})`,
    });
  }

  /** The runner's latest yield; undefined when the write was refused (the runner no longer holds the job). */
  async writeProgress(id: string, runner: string, value: WireValue): Promise<JobRecord | undefined> {
    const stored = await this.#stored(id, 'progress', value);
    const inline = stored[J.progress] !== undefined;
    const item = await this.table.update(this.#pk, id, {
      set: { ...stored, [J.heartbeatAt]: attr.n(this.clock()) },
      ...(inline ? { remove: [J.progressKey] } : { remove: [J.progress] }),
      add: { [J.seq]: 1 },
      condition: this.#runnerHolds(),
      values: this.#runnerValues(runner),
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** The runner's heartbeat; undefined when refused. The returned status shows a cancel request. */
  async heartbeat(id: string, runner: string): Promise<JobRecord | undefined> {
    const item = await this.table.update(this.#pk, id, {
      set: { [J.heartbeatAt]: attr.n(this.clock()) },
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
    const item = await this.table.update(this.#pk, id, {
      set,
      remove: [J.runner],
      condition: `${J.runner} = :runner AND ${J.status} IN (${from})`,
      values: { ':runner': attr.s(runner), ':running': attr.s('RUNNING'), ...(outcome.status === 'SUCCEEDED' ? {} : { ':cancelling': attr.s('CANCELLING') }) },
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** The runner's failed attempt, with attempts left: back to PENDING for the next attempt. */
  async retry(id: string, runner: string, error: RemoteErrorInfo): Promise<JobRecord | undefined> {
    const item = await this.table.update(this.#pk, id, {
      set: { [J.status]: attr.s('PENDING'), [J.failure]: attr.s(JSON.stringify(error)) },
      remove: [J.runner],
      condition: `${J.runner} = :runner AND ${J.status} = :running AND ${J.deadline} > :now`,
      values: { ':runner': attr.s(runner), ':running': attr.s('RUNNING'), ':now': attr.n(this.clock()) },
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
      const set: Record<string, AttributeValue> =
        record.status === 'PENDING'
          ? { [J.status]: attr.s('CANCELLED'), [J.finishedAt]: attr.n(now) }
          : { [J.status]: attr.s('CANCELLING'), [J.cancelRequestedAt]: attr.n(now) };
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
    seen: JobRecord,
    outcome: JobOutcome | { status: 'PENDING'; attempts: number; error: RemoteErrorInfo },
    options: { heartbeat?: boolean } = {},
  ): Promise<JobRecord | undefined> {
    const set =
      outcome.status === 'PENDING'
        ? { [J.status]: attr.s('PENDING'), [J.attempts]: attr.n(outcome.attempts), [J.failure]: attr.s(JSON.stringify(outcome.error)) }
        : await this.#outcome(seen.id, outcome);
    return this.#from(seen, set, [J.runner], options.heartbeat ?? false);
  }

  /** Deletes a finished job (and its stored payloads); RunNotFinishedError while it runs. */
  async remove(id: string): Promise<void> {
    const record = await this.read(id);
    if (!isFinal(record.status)) throw new RunNotFinishedError(this.jobName, id, record.status);
    const removed = await this.table.delete(this.#pk, id, {
      expression: `${J.status} IN (:succeeded, :failed, :cancelled, :timedOut)`,
      values: { ':succeeded': attr.s('SUCCEEDED'), ':failed': attr.s('FAILED'), ':cancelled': attr.s('CANCELLED'), ':timedOut': attr.s('TIMED_OUT') },
    });
    if (!removed) return this.remove(id);
    for (const name of [J.inputKey, J.progressKey]) {
      const key = attr.str(removed, name);
      if (key) await this.payloads.delete({ bucket: this.payloads.bucket, key });
    }
  }

  checkId(id: unknown): asserts id is string {
    if (typeof id !== 'string')
      throw new InvalidArgumentError(`job ${this.jobName}: a job id is a string returned by start(), got ${id === null ? 'null' : typeof id}.`);
    if (!RUN_ID_PATTERN.test(id)) throw new JobNotFoundError(this.jobName, id);
  }

  async #from(seen: JobRecord, set: Record<string, AttributeValue>, remove: string[], sameHeartbeat = false): Promise<JobRecord | undefined> {
    const beat = !sameHeartbeat ? '' : seen.heartbeatAt === undefined ? ` AND attribute_not_exists(${J.heartbeatAt})` : ` AND ${J.heartbeatAt} = :seenBeat`;
    const item = await this.table.update(this.#pk, seen.id, {
      set,
      ...(remove.length > 0 ? { remove } : {}),
      condition: `${J.status} = :seenStatus AND ${J.attempts} = :seenAttempts${beat}`,
      values: {
        ':seenStatus': attr.s(seen.status),
        ':seenAttempts': attr.n(seen.attempts),
        ...(sameHeartbeat && seen.heartbeatAt !== undefined ? { ':seenBeat': attr.n(seen.heartbeatAt) } : {}),
      },
    });
    return item ? toRecord(seen.id, item) : undefined;
  }

  async #outcome(id: string, outcome: JobOutcome): Promise<Record<string, AttributeValue>> {
    const set: Record<string, AttributeValue> = { [J.status]: attr.s(outcome.status), [J.finishedAt]: attr.n(this.clock()) };
    if (outcome.status === 'SUCCEEDED' && outcome.result !== undefined) Object.assign(set, await this.#stored(id, 'progress', outcome.result));
    if (outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT') set[J.failure] = attr.s(JSON.stringify(outcome.error));
    return set;
  }

  #runnerHolds(): string {
    return `${J.runner} = :runner AND ${J.status} IN (:running, :cancelling)`;
  }

  #runnerValues(runner: string): Record<string, AttributeValue> {
    return { ':runner': attr.s(runner), ':running': attr.s('RUNNING'), ':cancelling': attr.s('CANCELLING') };
  }

  /** A value inline, or in S3 when over the inline limit (input at start, progress at each yield). */
  async #stored(id: string, what: 'input' | 'progress', value: WireValue): Promise<Record<string, AttributeValue>> {
    const json = JSON.stringify(value);
    const [inline, ref] = what === 'input' ? [J.input, J.inputKey] : [J.progress, J.progressKey];
    if (Buffer.byteLength(json, 'utf8') <= STATE_INLINE_LIMIT) return { [inline]: attr.s(json) };
    const stored = await this.payloads.put(`${PAYLOAD_PREFIXES.runs}${this.jobName}/${id}/${what}`, json);
    return { [ref]: attr.s(stored.key) };
  }

  async #load(item: Item, what: 'input' | 'progress'): Promise<string> {
    const [inline, ref] = what === 'input' ? [J.input, J.inputKey] : [J.progress, J.progressKey];
    const text = attr.str(item, inline);
    if (text !== undefined) return text;
    const key = attr.str(item, ref);
    if (key === undefined) return 'null';
    return this.payloads.get({ bucket: this.payloads.bucket, key });
  }
}

/** The timings that travel with a job (the caller's polling does not). */
function carried(tuning: JobTuning): Partial<JobTuning> {
  const { heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds } = tuning;
  return { heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds };
}

export function toRecord(id: string, item: Item): JobRecord {
  const optional = (name: string) => attr.num(item, name);
  const failure = attr.str(item, J.failure);
  const record: Record<string, unknown> = {
    id,
    status: attr.str(item, J.status) as Status,
    attempts: attr.num(item, J.attempts) ?? 0,
    maxAttempts: attr.num(item, J.maxAttempts) ?? 1,
    createdAt: attr.num(item, J.createdAt) ?? 0,
    deadline: attr.num(item, J.deadline) ?? 0,
    seq: attr.num(item, J.seq) ?? 0,
    placement: (attr.str(item, J.placement) ?? 'lambda') as Placement,
    tuning: JSON.parse(attr.str(item, J.tuning) ?? '{}') as Partial<JobTuning>,
    item,
  };
  for (const name of [J.startedAt, J.finishedAt, J.heartbeatAt, J.cancelRequestedAt, J.batchAttempt]) {
    const value = optional(name);
    if (value !== undefined) record[name] = value;
  }
  const runner = attr.str(item, J.runner);
  if (runner !== undefined) record.runner = runner;
  const batchJobId = attr.str(item, J.batchJobId);
  if (batchJobId !== undefined) record.batchJobId = batchJobId;
  if (failure !== undefined) record.error = JSON.parse(failure) as RemoteErrorInfo;
  return record as unknown as JobRecord;
}
