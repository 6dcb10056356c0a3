/**
 * Runs: invocations started with `fn.start`, kept in the state table under `run#<function>` (schema.ts).
 *
 * Every transition is a conditional write, so duplicates and late writers cannot overwrite a final state:
 * - `create`: PENDING (a new item).
 * - `claim`: PENDING -> RUNNING by one executor, which takes an `owner` token; a duplicate delivery finds the
 *   run RUNNING (or final) and does nothing.
 * - `nextAttempt`, `finish`: only by the owner while RUNNING/CANCELLING.
 * - `cancel`: PENDING -> CANCELLED at once; RUNNING -> CANCELLING, which the owner sees and turns into CANCELLED.
 * - A run past its deadline that is not final reads as TIMED_OUT (the executor died, or never started), and is
 *   stored so.
 */
import { FINAL_STATUSES, type Page, type RemoteErrorInfo, type RunInfo, type Status } from '../../lib/handles.js';
import { InvalidArgumentError, RunFinishedError, RunNotFoundError } from '../../lib/errors.js';
import { fromWire, type WireValue } from '../../lib/codec.js';
import type { Payloads } from '../payloads.js';
import { STATE_INLINE_LIMIT, PAYLOAD_PREFIXES } from '../payloads.js';
import { RUN_ID_PATTERN } from './ids.js';
import { partitionKey, STATE_SCHEMA } from './schema.js';
import { attr, type Item, type StateTable } from './state-table.js';

/** How long a run's state is kept after it was created. */
export const RUN_RETENTION_DAYS = 30;
/** A run past its deadline by this much without a final state is reported TIMED_OUT. */
export const DEADLINE_GRACE_MS = 5000;
export const LIST_LIMIT = { min: 1, max: 50, default: 50 } as const;

/** Attribute names of a run item. */
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
} as const;

export interface RunRecord {
  readonly id: string;
  readonly status: Status;
  readonly attempts: number;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadline: number;
  readonly error?: RemoteErrorInfo;
  readonly item: Item;
}

export type FinalOutcome =
  | { readonly status: 'SUCCEEDED'; readonly result: WireValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: RemoteErrorInfo }
  | { readonly status: 'CANCELLED' };

export class RunStore {
  readonly #pk: string;

  constructor(
    readonly functionName: string,
    readonly table: StateTable,
    readonly payloads: Payloads,
    readonly clock: () => number,
  ) {
    this.#pk = partitionKey('run', functionName);
  }

  /** Records a new PENDING run holding its arguments (in S3 when large). */
  async create(id: string, args: WireValue, timeoutSeconds: number): Promise<void> {
    const now = this.clock();
    const attributes: Item = {
      [A.status]: attr.s('PENDING'),
      [A.attempts]: attr.n(0),
      [A.createdAt]: attr.n(now),
      [A.deadline]: attr.n(now + timeoutSeconds * 1000),
      [STATE_SCHEMA.ttl]: attr.n(Math.ceil(now / 1000) + RUN_RETENTION_DAYS * 86400),
      ...(await this.#stored(id, 'args', args)),
    };
    await this.table.putIfAbsent(this.#pk, id, attributes);
  }

  async get(id: string): Promise<RunRecord> {
    checkRunId(this.functionName, id);
    const item = await this.table.get(this.#pk, id);
    if (!item) throw new RunNotFoundError(this.functionName, id);
    return this.#reconcile(toRecord(id, item));
  }

  async info(id: string): Promise<RunInfo<unknown>> {
    return this.toInfo(await this.get(id));
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
      throw new InvalidArgumentError(`${this.functionName}.list(): limit must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}, got ${String(limit)}.`);
    }
    if (options.cursor !== undefined && (typeof options.cursor !== 'string' || !RUN_ID_PATTERN.test(options.cursor))) {
      throw new InvalidArgumentError(`${this.functionName}.list(): cursor ${JSON.stringify(options.cursor)} is not a cursor returned by list().`);
    }
    const page = await this.table.query(this.#pk, { limit, descending: true, ...(options.cursor ? { after: options.cursor } : {}) });
    const items = await Promise.all(page.items.map(async (item) => this.toInfo(await this.#reconcile(toRecord(item[STATE_SCHEMA.sortKey]!.S!, item)))));
    return { items, ...(page.lastSortKey && items.length === limit ? { cursor: page.lastSortKey } : {}) };
  }

  /** Arguments of a run, as stored by `create`. */
  async args(record: RunRecord): Promise<WireValue> {
    return JSON.parse(await this.#load(record.item, 'args')) as WireValue;
  }

  /** PENDING -> CANCELLED, RUNNING -> CANCELLING; a final run is a RunFinishedError. */
  async cancel(id: string): Promise<void> {
    checkRunId(this.functionName, id);
    for (;;) {
      const now = this.clock();
      const cancelled = await this.#transition(id, 'PENDING', { [A.status]: attr.s('CANCELLED'), [A.finishedAt]: attr.n(now) });
      if (cancelled) return;
      const cancelling = await this.#transition(id, 'RUNNING', { [A.status]: attr.s('CANCELLING') });
      if (cancelling) return;
      const record = await this.get(id);
      if (record.status === 'CANCELLING') return;
      if ((FINAL_STATUSES as readonly string[]).includes(record.status)) throw new RunFinishedError(this.functionName, id, record.status);
    }
  }

  /** PENDING -> RUNNING for the executor `owner`; undefined when the run is not PENDING (a duplicate delivery). */
  async claim(id: string, owner: string): Promise<RunRecord | undefined> {
    const now = this.clock();
    const item = await this.table.update(this.#pk, id, {
      set: { [A.status]: attr.s('RUNNING'), [A.owner]: attr.s(owner), [A.startedAt]: attr.n(now) },
      add: { [A.attempts]: 1 },
      condition: `#${A.status} = :pending AND #${A.deadline} > :now`,
      values: { ':pending': attr.s('PENDING'), ':now': attr.n(now) },
    });
    return item ? toRecord(id, item) : undefined;
  }

  /** Counts another attempt by the owner; false when the owner lost the run (cancelled meanwhile). */
  async nextAttempt(id: string, owner: string): Promise<boolean> {
    const item = await this.table.update(this.#pk, id, {
      add: { [A.attempts]: 1 },
      condition: `#${A.owner} = :owner AND #${A.status} = :running`,
      values: { ':owner': attr.s(owner), ':running': attr.s('RUNNING') },
    });
    return item !== undefined;
  }

  /** PENDING -> FAILED: its executor died before claiming it (a Batch container that never ran); false if it moved on. */
  async failPending(id: string, error: RemoteErrorInfo): Promise<boolean> {
    return this.#transition(id, 'PENDING', { [A.status]: attr.s('FAILED'), [A.finishedAt]: attr.n(this.clock()), [A.error]: attr.s(JSON.stringify(error)) });
  }

  /** The status now, as the owner sees it (to notice CANCELLING). */
  async status(id: string): Promise<Status | undefined> {
    const item = await this.table.get(this.#pk, id);
    return item ? (attr.str(item, A.status) as Status) : undefined;
  }

  /** Writes the final outcome; false when the owner no longer holds the run (a late write, refused). */
  async finish(id: string, owner: string, outcome: FinalOutcome): Promise<boolean> {
    const set: Item = { [A.status]: attr.s(outcome.status), [A.finishedAt]: attr.n(this.clock()) };
    if (outcome.status === 'SUCCEEDED') Object.assign(set, await this.#stored(id, 'result', outcome.result));
    if (outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT') set[A.error] = attr.s(JSON.stringify(outcome.error));
    // A cancel request wins over a late success: CANCELLING ends as CANCELLED.
    const from = outcome.status === 'CANCELLED' ? ':running, :cancelling' : ':running';
    const item = await this.table.update(this.#pk, id, {
      set,
      remove: [A.owner],
      condition: `#${A.owner} = :owner AND #${A.status} IN (${from})`,
      values: { ':owner': attr.s(owner), ':running': attr.s('RUNNING'), ...(outcome.status === 'CANCELLED' ? { ':cancelling': attr.s('CANCELLING') } : {}) },
    });
    return item !== undefined;
  }

  /** A non-final run past its deadline (plus grace) is TIMED_OUT; stores that, unless it changed meanwhile. */
  async #reconcile(record: RunRecord): Promise<RunRecord> {
    if ((FINAL_STATUSES as readonly string[]).includes(record.status) || this.clock() < record.deadline + DEADLINE_GRACE_MS) return record;
    const error: RemoteErrorInfo = { type: 'TimeoutError', message: `${this.functionName} run ${record.id} did not finish by its deadline (${new Date(record.deadline).toISOString()}).` };
    const item = await this.table.update(this.#pk, record.id, {
      set: { [A.status]: attr.s('TIMED_OUT'), [A.finishedAt]: attr.n(this.clock()), [A.error]: attr.s(JSON.stringify(error)) },
      remove: [A.owner],
      condition: `#${A.status} = :seen`,
      values: { ':seen': attr.s(record.status) },
    });
    return item ? toRecord(record.id, item) : this.get(record.id);
  }

  async #transition(id: string, from: Status, set: Item): Promise<boolean> {
    const item = await this.table.update(this.#pk, id, { set, condition: `#${A.status} = :from`, values: { ':from': attr.s(from) } });
    return item !== undefined;
  }

  /** The attributes holding a value: inline JSON, or an S3 key when over the inline limit. */
  async #stored(id: string, what: 'args' | 'result', value: WireValue): Promise<Item> {
    const json = JSON.stringify(value);
    if (Buffer.byteLength(json, 'utf8') <= STATE_INLINE_LIMIT) return { [what === 'args' ? A.args : A.result]: attr.s(json) };
    const ref = await this.payloads.put(`${PAYLOAD_PREFIXES.runs}${this.functionName}/${id}/${what}`, json);
    return { [what === 'args' ? A.argsKey : A.resultKey]: attr.s(ref.key) };
  }

  async #load(item: Item, what: 'args' | 'result'): Promise<string> {
    const inline = attr.str(item, what === 'args' ? A.args : A.result);
    if (inline !== undefined) return inline;
    const key = attr.str(item, what === 'args' ? A.argsKey : A.resultKey);
    if (key === undefined) return 'null';
    return this.payloads.get({ bucket: this.payloads.bucket, key });
  }
}

function toRecord(id: string, item: Item): RunRecord {
  const error = attr.str(item, A.error);
  const startedAt = attr.num(item, A.startedAt);
  const finishedAt = attr.num(item, A.finishedAt);
  return {
    id,
    status: attr.str(item, A.status) as Status,
    attempts: attr.num(item, A.attempts) ?? 0,
    createdAt: attr.num(item, A.createdAt) ?? 0,
    deadline: attr.num(item, A.deadline) ?? 0,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(error !== undefined ? { error: JSON.parse(error) as RemoteErrorInfo } : {}),
    item,
  };
}

/** A run id must be a string; a string that cannot be an id is simply not found. */
function checkRunId(name: string, id: unknown): void {
  if (typeof id !== 'string') throw new InvalidArgumentError(`${name}: a run id is a string returned by start(), got ${id === null ? 'null' : typeof id}.`);
  if (!RUN_ID_PATTERN.test(id)) throw new RunNotFoundError(name, id);
}
