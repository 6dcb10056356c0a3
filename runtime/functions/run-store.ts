/**
 * Runs: invocations started with `fn.start`, kept in the state table under `run#<function>` (schema.ts).
 *
 * Every transition is a conditional write, so duplicates and late writers cannot overwrite a final state:
 * - `create`: PENDING (a new item).
 * - `claim`: PENDING -> RUNNING by one executor, which takes an `owner` token; a duplicate delivery finds the
 *   run RUNNING (or final) and does nothing.
 * - `heartbeat`, `nextAttempt`, `finish`: only by the owner while RUNNING/CANCELLING.
 * - `cancel`: PENDING -> CANCELLED at once; RUNNING -> CANCELLING, which the owner sees and turns into CANCELLED.
 * - `settleLost`: the owner stopped heartbeating (its executor died): RUNNING -> PENDING (another attempt, when
 *   retries remain) or FAILED, CANCELLING -> CANCELLED; only from the state that was read.
 * - A run past its deadline that is not final reads as TIMED_OUT (the executor died, or never started), and is
 *   stored so.
 *
 * When a run may start is the concurrency gate's business (concurrency.ts): its executor claims it only with a slot.
 */
import { FINAL_STATUSES, type Page, type RemoteErrorInfo, type RunInfo, type Status } from '../../lib/handles.js';
import { InvalidArgumentError, RunFinishedError, RunNotFoundError } from '../../lib/errors.js';
import { fromWire, type WireValue } from '../../lib/codec.js';
import type { Payloads } from '../core/payloads.js';
import { STATE_INLINE_LIMIT, PAYLOAD_PREFIXES } from '../core/payloads.js';
import { RUN_ID_PATTERN } from '../state/ids.js';
import { type RunIndexKeys, runIndexKeys } from '../state/run-index.js';
import { partitionKey, STATE_RETENTION_DAYS, STATE_SCHEMA } from '../state/schema.js';
import type { Expiring, StateTable, Stored } from '../state/state-table.js';
import { CreateBatcher } from '../state/create-batcher.js';
import { ReadBatcher } from '../state/read-batcher.js';

/** How long a run's state is kept after it was created. */
export const RUN_RETENTION_DAYS = STATE_RETENTION_DAYS;
/** Whether a run's executor wrote a heartbeat within the run's staleness limit (else it is judged silent, or dead). */
export function heartbeatFresh(record: Pick<RunRecord, 'heartbeatAt' | 'staleAfterMs'>, now: number): boolean {
  return record.heartbeatAt !== undefined && now - record.heartbeatAt <= record.staleAfterMs;
}
/** A run past its deadline by this much without a final state is reported TIMED_OUT. */
export const DEADLINE_GRACE_MS = 5000;
export const LIST_LIMIT = { min: 1, max: 50, default: 50 } as const;
/** A RUNNING run whose executor has not written a heartbeat for this long is lost (a crashed Lambda invocation). */
export const RUN_STALE_AFTER_MS = 60_000;
/** Remote error type of a run whose executor stopped reporting. */
export const LOST_RUN_TYPE = 'AttemptLost';

/**
 * A run's item in the state table (besides its key): the one definition of its attributes. The index keys (state/run-index.ts)
 * are written at creation; runs stored before the index existed lack them.
 */
export interface RunItem extends Expiring, Partial<RunIndexKeys> {
  readonly status: Status;
  readonly attempts: number;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline: number;
  /** The arguments as JSON of the codec's wire form, inline; or `argsKey`, their S3 key when large. */
  readonly args?: string;
  readonly argsKey?: string;
  /** The result, like the arguments. */
  readonly result?: string;
  readonly resultKey?: string;
  /** A RemoteErrorInfo as JSON. */
  readonly error?: string;
  readonly owner?: string;
  /**
   * The token of the concurrency slot its executor holds (the hand-off's, state/concurrency.ts): another executor
   * that arrives holding another slot for the run finds it taken and gives that slot back at once.
   */
  readonly slotToken?: string;
  readonly heartbeatAt?: number;
  readonly staleAfterMs: number;
  readonly batchJobId?: string;
}

/** Attribute names of a run item, for expressions. */
const A = {
  status: 'status',
  attempts: 'attempts',
  createdAt: 'createdAt',
  startedAt: 'startedAt',
  finishedAt: 'finishedAt',
  deadline: 'deadline',
  args: 'args',
  argsKey: 'argsKey',
  result: 'result',
  resultKey: 'resultKey',
  error: 'error',
  owner: 'owner',
  slotToken: 'slotToken',
  heartbeatAt: 'heartbeatAt',
  staleAfterMs: 'staleAfterMs',
  batchJobId: 'batchJobId',
} as const satisfies { readonly [K in keyof RunItem & string]?: K };

export interface RunRecord {
  readonly id: string;
  readonly status: Status;
  readonly attempts: number;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline: number;
  readonly error?: RemoteErrorInfo;
  /** The executor holding it (RUNNING, CANCELLING). */
  readonly owner?: string;
  /** The token of the slot that executor holds. */
  readonly slotToken?: string;
  readonly heartbeatAt?: number;
  /** Chosen by the starter: the executor heartbeats well within it; a reader judges the run lost beyond it. */
  readonly staleAfterMs: number;
  /** The Batch job last submitted to execute it (Batch placement). */
  readonly batchJobId?: string;
  readonly item: Stored<RunItem>;
}

export type FinalOutcome =
  | { readonly status: 'SUCCEEDED'; readonly result: WireValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: RemoteErrorInfo }
  | { readonly status: 'CANCELLED' };

export class RunStore {
  readonly #pk: string;
  /** Reads of runs asked for together (awaiting many runs) share requests. */
  readonly #reads: ReadBatcher<RunItem>;
  /** New runs of one turn of the event loop, written together (a burst of starts). */
  readonly #creates: CreateBatcher<RunItem>;

  constructor(
    readonly functionName: string,
    readonly table: StateTable,
    readonly payloads: Payloads,
    readonly clock: () => number,
  ) {
    this.#pk = partitionKey('run', functionName);
    this.#reads = new ReadBatcher(table, this.#pk);
    this.#creates = new CreateBatcher(table, this.#pk);
  }

  /** Records a new PENDING run holding its arguments (in S3 when large); returns it as recorded. */
  async create(id: string, args: WireValue, timeoutSeconds: number, staleAfterMs: number = RUN_STALE_AFTER_MS): Promise<RunRecord> {
    const now = this.clock();
    const attributes: RunItem = {
      status: 'PENDING',
      attempts: 0,
      createdAt: now,
      deadline: now + timeoutSeconds * 1000,
      staleAfterMs: staleAfterMs,
      [STATE_SCHEMA.ttl]: Math.ceil(now / 1000) + RUN_RETENTION_DAYS * 86400,
      ...runIndexKeys(id),
      ...(await this.#stored(id, 'args', args)),
    };
    await this.#creates.create(id, attributes);
    return toRecord(id, { ...attributes, ...this.table.key(this.#pk, id) });
  }

  /** The run as stored (no reconciliation); undefined when there is none. */
  async read(id: string): Promise<RunRecord | undefined> {
    const item = await this.#reads.read(id);
    return item ? toRecord(id, item) : undefined;
  }

  async get(id: string): Promise<RunRecord> {
    checkRunId(this.functionName, id);
    const item = await this.#reads.read(id);
    if (!item) throw new RunNotFoundError(this.functionName, id);
    return this.#reconcile(toRecord(id, item));
  }

  async toInfo(record: RunRecord): Promise<RunInfo<unknown>> {
    const result = record.status === 'SUCCEEDED' ? fromWire(JSON.parse(await this.#load(record.item, 'result'))) : undefined;
    return {
      id: record.id,
      name: this.functionName,
      status: record.status,
      result,
      error: record.error,
      attempts: record.attempts,
      createdAt: new Date(record.createdAt),
      startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
      finishedAt: record.finishedAt === undefined ? undefined : new Date(record.finishedAt),
    };
  }

  async list(options: { limit?: number; cursor?: string } = {}): Promise<Page<RunInfo<unknown>>> {
    const limit = options.limit ?? LIST_LIMIT.default;
    if (!Number.isInteger(limit) || limit < LIST_LIMIT.min || limit > LIST_LIMIT.max) {
      throw new InvalidArgumentError(
        `${this.functionName}.list(): limit must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}, got ${String(limit)}.`,
      );
    }
    if (options.cursor !== undefined && (typeof options.cursor !== 'string' || !RUN_ID_PATTERN.test(options.cursor))) {
      throw new InvalidArgumentError(`${this.functionName}.list(): cursor ${JSON.stringify(options.cursor)} is not a cursor returned by list().`);
    }
    const page = await this.table.query<RunItem>(this.#pk, { limit, descending: true, ...(options.cursor ? { after: options.cursor } : {}) });
    const items = await Promise.all(page.items.map(async (item) => this.toInfo(await this.#reconcile(toRecord(item[STATE_SCHEMA.sortKey], item)))));
    return { items, ...(page.lastSortKey ? { cursor: page.lastSortKey } : {}) };
  }

  /** Arguments of a run, as stored by `create`. */
  async args(record: RunRecord): Promise<WireValue> {
    return JSON.parse(await this.#load(record.item, 'args')) as WireValue;
  }

  /** PENDING -> CANCELLED, RUNNING -> CANCELLING (the status it now has); a final run is a RunFinishedError. */
  async cancel(id: string): Promise<'CANCELLED' | 'CANCELLING'> {
    checkRunId(this.functionName, id);
    for (;;) {
      const now = this.clock();
      const cancelled = await this.#transition(id, 'PENDING', { status: 'CANCELLED', finishedAt: now });
      if (cancelled) return 'CANCELLED';
      const cancelling = await this.#transition(id, 'RUNNING', { status: 'CANCELLING' });
      if (cancelling) return 'CANCELLING';
      const record = await this.get(id);
      if (record.status === 'CANCELLING') return 'CANCELLING';
      if ((FINAL_STATUSES as readonly string[]).includes(record.status)) throw new RunFinishedError(this.functionName, id, record.status);
    }
  }

  /**
   * PENDING -> RUNNING for the executor `owner`, holding the slot of token `slotToken`; undefined when the run is not
   * PENDING (a duplicate delivery) or past its deadline.
   */
  async claim(id: string, owner: string, slotToken?: string): Promise<RunRecord | undefined> {
    const now = this.clock();
    const item = await this.table.update<RunItem>(this.#pk, id, {
      set: { status: 'RUNNING', owner, startedAt: now, heartbeatAt: now, slotToken },
      add: { attempts: 1 },
      condition: `#${A.status} = :pending AND #${A.deadline} > :now`,
      values: { ':pending': 'PENDING', ':now': now },
    });
    return item ? toRecord(id, item) : undefined;
  }

  /**
   * Undoes the claim of `owner` (RUNNING -> PENDING, the attempt not counted): its executor claimed the run while
   * confirming a slot that turned out not to be its own any more, and never ran it. False when the run changed meanwhile.
   */
  async unclaim(id: string, owner: string): Promise<boolean> {
    const item = await this.table.update<RunItem>(this.#pk, id, {
      set: { status: 'PENDING' },
      remove: ['owner', 'startedAt', 'heartbeatAt', 'slotToken'],
      add: { attempts: -1 },
      condition: `#${A.owner} = :owner AND #${A.status} = :running`,
      values: { ':owner': owner, ':running': 'RUNNING' },
    });
    return item !== undefined;
  }

  /** Counts another attempt by the owner; false when the owner lost the run (cancelled meanwhile). */
  async nextAttempt(id: string, owner: string): Promise<boolean> {
    const item = await this.table.update<RunItem>(this.#pk, id, {
      add: { attempts: 1 },
      condition: `#${A.owner} = :owner AND #${A.status} = :running`,
      values: { ':owner': owner, ':running': 'RUNNING' },
    });
    return item !== undefined;
  }

  /** The owner's heartbeat: the status now (CANCELLING shows a cancel request), or undefined when it lost the run. */
  async heartbeat(id: string, owner: string): Promise<Status | undefined> {
    const item = await this.table.update<RunItem>(this.#pk, id, {
      set: { heartbeatAt: this.clock() },
      condition: `#${A.owner} = :owner AND #${A.status} IN (:running, :cancelling)`,
      values: { ':owner': owner, ':running': 'RUNNING', ':cancelling': 'CANCELLING' },
    });
    return item?.status;
  }

  /** Records the Batch job just submitted to execute the run. */
  async setBatchJob(id: string, batchJobId: string): Promise<void> {
    await this.table.update<RunItem>(this.#pk, id, { set: { batchJobId }, condition: `attribute_exists(#${STATE_SCHEMA.partitionKey})` });
  }

  /**
   * The executor of `seen` stopped reporting (it died): CANCELLING ends CANCELLED; RUNNING goes back to PENDING for
   * another attempt when `retry` (retries and time remain; the run's attempts count it), else ends FAILED with
   * `error`. Only from the state that
   * was read (status, owner, heartbeat); undefined when it changed meanwhile.
   */
  async settleLost(seen: RunRecord, retry: boolean, error: RemoteErrorInfo): Promise<RunRecord | undefined> {
    const now = this.clock();
    const set: Partial<RunItem> =
      seen.status === 'CANCELLING'
        ? { status: 'CANCELLED', finishedAt: now }
        : retry
          ? { status: 'PENDING' }
          : { status: 'FAILED', finishedAt: now, error: JSON.stringify(error) };
    const item = await this.table.update<RunItem>(this.#pk, seen.id, {
      set,
      remove: [A.owner],
      condition: `#${A.status} = :seen AND #${A.owner} = :owner AND #${A.heartbeatAt} = :beat`,
      values: { ':seen': seen.status, ':owner': seen.owner ?? '', ':beat': seen.heartbeatAt ?? 0 },
    });
    return item ? toRecord(seen.id, item) : undefined;
  }

  /** PENDING -> FAILED: its executor died before claiming it (a Batch container that never ran); false if it moved on. */
  async failPending(id: string, error: RemoteErrorInfo): Promise<boolean> {
    return this.#transition(id, 'PENDING', { status: 'FAILED', finishedAt: this.clock(), error: JSON.stringify(error) });
  }

  /** The status now, as the owner sees it (to notice CANCELLING). */
  async status(id: string): Promise<Status | undefined> {
    const item = await this.#reads.read(id);
    return item?.status;
  }

  /** Writes the final outcome; false when the owner no longer holds the run (a late write, refused). */
  async finish(id: string, owner: string, outcome: FinalOutcome): Promise<boolean> {
    const set: Partial<RunItem> = {
      status: outcome.status,
      finishedAt: this.clock(),
      ...(outcome.status === 'SUCCEEDED' ? await this.#stored(id, 'result', outcome.result) : {}),
      ...(outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT' ? { error: JSON.stringify(outcome.error) } : {}),
    };
    // A cancel request wins over a late success: CANCELLING ends as CANCELLED.
    const from = outcome.status === 'CANCELLED' ? ':running, :cancelling' : ':running';
    const item = await this.table.update<RunItem>(this.#pk, id, {
      set,
      remove: [A.owner],
      condition: `#${A.owner} = :owner AND #${A.status} IN (${from})`,
      values: { ':owner': owner, ':running': 'RUNNING', ...(outcome.status === 'CANCELLED' ? { ':cancelling': 'CANCELLING' } : {}) },
    });
    return item !== undefined;
  }

  /** A non-final run past its deadline (plus grace) is TIMED_OUT; stores that, unless it changed meanwhile. */
  async #reconcile(record: RunRecord): Promise<RunRecord> {
    if ((FINAL_STATUSES as readonly string[]).includes(record.status) || this.clock() < record.deadline + DEADLINE_GRACE_MS) return record;
    const error: RemoteErrorInfo = {
      type: 'TimeoutError',
      message: `${this.functionName} run ${record.id} did not finish by its deadline (${new Date(record.deadline).toISOString()}).`,
    };
    const item = await this.table.update<RunItem>(this.#pk, record.id, {
      set: { status: 'TIMED_OUT', finishedAt: this.clock(), error: JSON.stringify(error) },
      remove: [A.owner],
      condition: `#${A.status} = :seen`,
      values: { ':seen': record.status },
    });
    return item ? toRecord(record.id, item) : this.get(record.id);
  }

  async #transition(id: string, from: Status, set: Partial<RunItem>): Promise<boolean> {
    const item = await this.table.update<RunItem>(this.#pk, id, { set, condition: `#${A.status} = :from`, values: { ':from': from } });
    return item !== undefined;
  }

  /** The attributes holding a value: inline JSON, or an S3 key when over the inline limit. */
  async #stored(id: string, what: 'args' | 'result', value: WireValue): Promise<Pick<RunItem, 'args' | 'argsKey' | 'result' | 'resultKey'>> {
    const json = JSON.stringify(value);
    if (Buffer.byteLength(json, 'utf8') <= STATE_INLINE_LIMIT) return what === 'args' ? { args: json } : { result: json };
    const ref = await this.payloads.put(`${PAYLOAD_PREFIXES.runs}${this.functionName}/${id}/${what}`, json);
    return what === 'args' ? { argsKey: ref.key } : { resultKey: ref.key };
  }

  async #load(item: RunItem, what: 'args' | 'result'): Promise<string> {
    const inline = what === 'args' ? item.args : item.result;
    if (inline !== undefined) return inline;
    const key = what === 'args' ? item.argsKey : item.resultKey;
    if (key === undefined) return 'null';
    return this.payloads.get({ bucket: this.payloads.bucket, key });
  }
}

function toRecord(id: string, item: Stored<RunItem>): RunRecord {
  const { startedAt, finishedAt, heartbeatAt, owner, slotToken, batchJobId, error } = item;
  return {
    id,
    status: item.status,
    attempts: item.attempts ?? 0,
    createdAt: item.createdAt ?? 0,
    deadline: item.deadline ?? 0,
    staleAfterMs: item.staleAfterMs ?? RUN_STALE_AFTER_MS,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(heartbeatAt !== undefined ? { heartbeatAt } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(slotToken !== undefined ? { slotToken } : {}),
    ...(batchJobId !== undefined ? { batchJobId } : {}),
    ...(error !== undefined ? { error: JSON.parse(error) as RemoteErrorInfo } : {}),
    item,
  };
}

/** A run id must be a string; a string that cannot be an id is simply not found. */
function checkRunId(name: string, id: unknown): void {
  if (typeof id !== 'string') throw new InvalidArgumentError(`${name}: a run id is a string returned by start(), got ${id === null ? 'null' : typeof id}.`);
  if (!RUN_ID_PATTERN.test(id)) throw new RunNotFoundError(name, id);
}
