/**
 * Listing runs, newest first, with paginated Queries (never a Scan):
 *
 * - one definition: its partition of the state table (`run#<function>`, `job#<job>`, `sched#<task>`), whose sort
 *   keys (ids, scheduled times) are ordered by time, so `since`/`until` are a key range;
 * - one kind: the partitions of that kind's definitions, merged;
 * - everything: the `runsByTime` index's shards (state/run-index.ts), queried in parallel and merged.
 *
 * Each source is read lazily, a few rows at a time, and the sources are merged by each row's place in time
 * (`<time ISO ms>#<id>`); the cursor is the place of the last row returned, so the next page reads every source from
 * just below it, whichever source (or shard) the last row came from. Status filters are FilterExpressions; when only
 * active statuses are asked for (PENDING, RUNNING, CANCELLING), the range starts no earlier than the longest timeout
 * of the definitions listed plus ACTIVE_MARGIN_MS ago (at most ACTIVE_WINDOW_MS: timeouts are at most 24 hours), since
 * a run's timeout counts from its creation, and rows that are past their deadline are settled through the definition's
 * client first (as `get` would) so they show, and filter, as they are.
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import { formatInstantSeconds } from '../../lib/schedule/calendar.js';
import { awsErrorName } from '../core/aws-errors.js';
import { runIdBound } from '../state/ids.js';
import { indexPartition, isoMillis, RUN_INDEX_SHARDS } from '../state/run-index.js';
import { RUNS_INDEX, STATE_SCHEMA } from '../state/schema.js';
import type { Condition, StateTable } from '../state/state-table.js';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.js';
import { RunsIndexUnavailableError } from './errors.js';
import { needsSettling, RUN_RECORDS, recordOf, ROW_ATTRIBUTES, type RowItem, rowKey, toSummary } from './run-rows.js';
import { parseTime } from './time.js';
import { type Page, RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus, type RunSummary, type RunsQuery } from './types.js';

export const RUNS_LIMIT = { min: 1, max: 100, default: 50 } as const;
/** No run stays PENDING, RUNNING or CANCELLING longer than this: timeouts are at most 24 h, plus margins. */
export const ACTIVE_WINDOW_MS = 25 * 3_600_000;
/**
 * How long past its timeout a run may still be stored active: a job's grace period, the reconciliation that settles
 * it, a timeout a later deploy shortened by less than this.
 */
export const ACTIVE_MARGIN_MS = 3_600_000;
/** Rows read per request grow from a share of the page to at most this. */
const MAX_READ = 1000;
/** Rows read by a source's first request when a filter may drop many; later requests read four times as many. */
const FILTERED_READ = 100;

export interface ListingDeps {
  readonly state: StateTable;
  readonly clock: () => number;
  /** The definitions of a kind that have runs, by name. */
  readonly namesOf: (kind: RunKind) => readonly string[];
  /** The kind of a definition with runs; throws UnknownDefinitionError for other names. */
  readonly kindOf: (name: string, method: string) => RunKind;
  /** The longest timeout (seconds) of the definitions with runs of `kind` (all kinds when undefined), or of `name`. */
  readonly longestTimeout: (kind: RunKind | undefined, name: string | undefined) => number;
  /** A run read through its definition's client, settled as `get` settles it; undefined when that cannot be done. */
  readonly settle: (kind: RunKind, name: string, id: string) => Promise<RunSummary | undefined>;
}

export interface Bounds {
  readonly since?: number;
  readonly until?: number;
  /** The place of the last row of the previous page: rows strictly below it. */
  readonly below?: string;
}

/** A normalized query. */
interface Plan {
  readonly name?: string;
  readonly kind?: RunKind;
  readonly statuses?: ReadonlySet<RunStatus>;
  readonly bounds: Bounds;
  readonly limit: number;
  readonly listing: string;
}

export async function listRuns(deps: ListingDeps, query: RunsQuery = {}): Promise<Page<RunSummary>> {
  const plan = planOf(deps, query);
  const now = deps.clock();
  const filter = (kind: RunKind | 'any') => statusFilter(kind, plan.statuses, now);
  const firstRead = (sources: number) => Math.max(Math.ceil(plan.limit / sources) + 1, plan.statuses ? FILTERED_READ : 0);
  const growth = plan.statuses ? 4 : 2;
  let streams: RowStream[];
  if (plan.name !== undefined) {
    const kind = plan.kind!;
    streams = [partitionStream(deps.state, kind, plan.name, plan.bounds, filter(kind), firstRead(1), growth)];
  } else if (plan.kind !== undefined) {
    const kind = plan.kind;
    const names = deps.namesOf(kind);
    streams = names.map((name) => partitionStream(deps.state, kind, name, plan.bounds, filter(kind), firstRead(names.length), growth));
  } else {
    streams = Array.from({ length: RUN_INDEX_SHARDS }, (_, shard) =>
      shardStream(deps.state, shard, plan.bounds, filter('any'), firstRead(RUN_INDEX_SHARDS), growth),
    );
  }
  const items: RunSummary[] = [];
  let position: string | undefined;
  for (;;) {
    await Promise.all(streams.filter((s) => s.wanting).map((s) => s.fill()));
    if (items.length >= plan.limit) break;
    let newest: RowStream | undefined;
    for (const stream of streams) if (stream.head && (!newest || stream.head.key > newest.head!.key)) newest = stream;
    if (!newest) break;
    const { key, item } = newest.shift();
    position = key;
    const row = await present(deps, item, now);
    if (row && (!plan.statuses || plan.statuses.has(row.status))) items.push(row);
  }
  const more = streams.some((s) => s.head !== undefined);
  return { items, ...(more && position ? { cursor: encodeCursor(plan.listing, position) } : {}) };
}

/** A row as listed: settled through its definition's client when its stored status cannot be the truth. */
async function present(deps: ListingDeps, item: RowItem, now: number): Promise<RunSummary | undefined> {
  const record = recordOf(item.pk);
  if (!record) return undefined;
  if (needsSettling(record.kind, item, now)) {
    const settled = await deps.settle(record.kind, record.name, toSummary(item, now).id);
    if (settled) return settled;
  }
  return toSummary(item, now);
}

function planOf(deps: ListingDeps, query: RunsQuery): Plan {
  const method = 'runs()';
  if (typeof query !== 'object' || query === null)
    throw new InvalidArgumentError(`${method}: the query must be an object such as { name: "daily", limit: 20 }.`);
  const known = new Set(['name', 'kind', 'status', 'since', 'until', 'limit', 'cursor']);
  const unknown = Object.keys(query).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`${method}: unknown option ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${[...known].join(', ')}.`);
  let kind: RunKind | undefined;
  if (query.kind !== undefined) {
    if (!RUN_KINDS.includes(query.kind)) throw new InvalidArgumentError(`${method}: kind ${JSON.stringify(query.kind)} is not one of ${RUN_KINDS.join(', ')}.`);
    kind = query.kind;
  }
  const name = query.name;
  if (name !== undefined) {
    if (typeof name !== 'string') throw new InvalidArgumentError(`${method}: name must be the name of a function, job or scheduled task, got ${typeof name}.`);
    const actual = deps.kindOf(name, method);
    if (kind !== undefined && kind !== actual)
      throw new InvalidArgumentError(`${method}: "${name}" is a ${actual}, not a ${kind}; leave out kind, or change it.`);
    kind = actual;
  }
  const statuses = statusesOf(query.status, method);
  const limit = query.limit ?? RUNS_LIMIT.default;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < RUNS_LIMIT.min || limit > RUNS_LIMIT.max) {
    throw new InvalidArgumentError(`${method}: limit must be a whole number from ${RUNS_LIMIT.min} to ${RUNS_LIMIT.max}, got ${String(limit)}.`);
  }
  let since = query.since === undefined ? undefined : parseTime(query.since, `${method}: since`);
  const until = query.until === undefined ? undefined : parseTime(query.until, `${method}: until`);
  if (since !== undefined && until !== undefined && since > until) {
    throw new InvalidArgumentError(`${method}: since (${isoMillis(since)}) is after until (${isoMillis(until)}); nothing can match.`);
  }
  // A backfilled scheduled run is listed at its (past) scheduled time: the runs of one scheduled task are read whole.
  const oneTask = name !== undefined && kind === 'schedule';
  if (!oneTask && statuses && [...statuses].every((s) => s === 'PENDING' || s === 'RUNNING' || s === 'CANCELLING')) {
    const windowMs = Math.min(deps.longestTimeout(kind, name) * 1000 + ACTIVE_MARGIN_MS, ACTIVE_WINDOW_MS);
    since = Math.max(since ?? 0, deps.clock() - windowMs);
  }
  const listing = fingerprint(['runs', name ?? null, kind ?? null, statuses ? [...statuses].sort() : null]);
  const below = query.cursor === undefined ? undefined : decodeCursor(query.cursor, listing, method, 'the same runs() query');
  return {
    ...(name !== undefined ? { name } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(statuses ? { statuses } : {}),
    bounds: { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(below !== undefined ? { below } : {}) },
    limit,
    listing,
  };
}

function statusesOf(value: RunsQuery['status'], method: string): ReadonlySet<RunStatus> | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!list || list.length === 0)
    throw new InvalidArgumentError(`${method}: status must be a status or a non-empty array of them: ${RUN_STATUSES.join(', ')}.`);
  for (const status of list) {
    if (!RUN_STATUSES.includes(status)) throw new InvalidArgumentError(`${method}: status ${JSON.stringify(status)} is not one of ${RUN_STATUSES.join(', ')}.`);
  }
  return new Set(list);
}

/**
 * The FilterExpression of a status filter, per record type (`any`: the index, where all three mix). Asking for
 * TIMED_OUT also reads active records past their deadline (or lease): they timed out, whatever they still say.
 */
export function statusFilter(kind: RunKind | 'any', statuses: ReadonlySet<RunStatus> | undefined, now: number): Condition | undefined {
  if (!statuses) return undefined;
  const values: Record<string, string | number> = {};
  const list = [...statuses].map((status, i) => {
    values[`:s${i}`] = status;
    return `:s${i}`;
  });
  const clauses: string[] = [];
  const kinds: RunKind[] = kind === 'any' ? [...RUN_KINDS] : [kind];
  const attributes = [...new Set(kinds.map((k) => RUN_RECORDS[k].status))];
  for (const attribute of attributes) clauses.push(`#${attribute} IN (${list.join(', ')})`);
  if (statuses.has('TIMED_OUT')) {
    Object.assign(values, { ':pending': 'PENDING', ':running': 'RUNNING', ':cancelling': 'CANCELLING', ':now': now });
    for (const attribute of attributes) {
      if (kinds.some((k) => k !== 'schedule' && RUN_RECORDS[k].status === attribute)) {
        clauses.push(`(#${attribute} IN (:pending, :running, :cancelling) AND #deadline < :now)`);
      }
    }
    if (kinds.includes('schedule')) clauses.push('(#status = :running AND #leaseUntil < :now)');
  }
  if (statuses.has('CANCELLED') && kinds.includes('schedule')) {
    // A scheduled run CANCELLING past its lease was cancelled (its executor stopped before writing so).
    Object.assign(values, { ':cancelling': 'CANCELLING', ':now': now });
    clauses.push('(#status = :cancelling AND #leaseUntil < :now)');
  }
  return { expression: clauses.join(' OR '), values };
}

/** One Query request of a source: from where the last one stopped, at most `limit` rows read. */
type ReadPage = (startKey: Readonly<Record<string, unknown>> | undefined, limit: number) => Promise<{ items: RowItem[]; lastKey?: Record<string, unknown> }>;

/** A source of rows, newest first, read a page at a time as the merge needs them. */
export class RowStream {
  readonly #read: ReadPage;
  readonly #accept: (key: string) => boolean;
  #buffer: Array<{ key: string; item: RowItem }> = [];
  #startKey: Record<string, unknown> | undefined;
  #done = false;
  #limit: number;
  readonly #growth: number;

  /** `firstLimit` rows read by the first request, `growth` times as many by each next one (at most MAX_READ). */
  constructor(read: ReadPage, accept: (key: string) => boolean, firstLimit: number, growth = 2) {
    this.#read = read;
    this.#accept = accept;
    this.#limit = Math.min(firstLimit, MAX_READ);
    this.#growth = growth;
  }

  /** A source with nothing in its range (the range is empty: a cursor older than `since`). */
  static empty(): RowStream {
    const stream = new RowStream(
      async () => ({ items: [] }),
      () => false,
      1,
    );
    stream.#done = true;
    return stream;
  }

  get head(): { key: string; item: RowItem } | undefined {
    return this.#buffer[0];
  }

  /** Empty, with more to read. */
  get wanting(): boolean {
    return this.#buffer.length === 0 && !this.#done;
  }

  async fill(): Promise<void> {
    while (this.wanting) {
      const page = await this.#read(this.#startKey, this.#limit);
      for (const item of page.items) {
        const key = rowKey(item);
        if (this.#accept(key)) this.#buffer.push({ key, item });
      }
      this.#startKey = page.lastKey;
      this.#done = page.lastKey === undefined;
      this.#limit = Math.min(this.#limit * this.#growth, MAX_READ);
    }
  }

  shift(): { key: string; item: RowItem } {
    return this.#buffer.shift()!;
  }
}

/** Keeps exactly the rows inside the bounds (key ranges of the queries are a superset, in whole seconds or ids). */
function within(bounds: Bounds): (key: string) => boolean {
  const from = bounds.since === undefined ? undefined : isoMillis(bounds.since);
  const to = bounds.until === undefined ? undefined : `${isoMillis(bounds.until)}#~`;
  return (key) => (from === undefined || key >= from) && (to === undefined || key <= to) && (bounds.below === undefined || key < bounds.below);
}

/** The newest time a row may have: `until`, or the cursor's time. */
function newestTime(bounds: Bounds): number | undefined {
  const cursorTime = bounds.below === undefined ? undefined : Date.parse(bounds.below.slice(0, 24));
  if (cursorTime === undefined || Number.isNaN(cursorTime)) return bounds.until;
  return bounds.until === undefined ? cursorTime : Math.min(bounds.until, cursorTime);
}

export function shardStream(state: StateTable, shard: number, bounds: Bounds, filter: Condition | undefined, firstLimit: number, growth = 2): RowStream {
  const until = bounds.until === undefined ? undefined : `${isoMillis(bounds.until)}#~`;
  // The lower of `until` and the cursor (strings: their order is the keys' order).
  const to = [until, bounds.below].filter((key): key is string => key !== undefined).sort()[0];
  const from = bounds.since === undefined ? undefined : isoMillis(bounds.since);
  if (from !== undefined && to !== undefined && from > to) return RowStream.empty();
  return new RowStream(
    async (startKey, limit) => {
      try {
        return await state.queryOnce<RowItem>({
          index: RUNS_INDEX.name,
          partition: [RUNS_INDEX.partitionKey, indexPartition(shard)],
          sort: { attribute: RUNS_INDEX.sortKey, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
          descending: true,
          limit,
          ...(filter ? { filter } : {}),
          ...(startKey ? { startKey } : {}),
        });
      } catch (error) {
        throw indexProblem(error, state.tableName);
      }
    },
    within(bounds),
    firstLimit,
    growth,
  );
}

function partitionStream(
  state: StateTable,
  kind: RunKind,
  name: string,
  bounds: Bounds,
  filter: Condition | undefined,
  firstLimit: number,
  growth: number,
): RowStream {
  const newest = newestTime(bounds);
  const since = bounds.since;
  let from: string | undefined;
  let to: string | undefined;
  if (kind === 'schedule') {
    if (since !== undefined) from = formatInstantSeconds(Math.floor(since / 1000) * 1000);
    if (newest !== undefined) to = formatInstantSeconds(Math.ceil(newest / 1000) * 1000);
  } else {
    if (since !== undefined) from = runIdBound(since, 'low');
    if (newest !== undefined) to = runIdBound(newest, 'high');
  }
  if (from !== undefined && to !== undefined && from > to) return RowStream.empty();
  return new RowStream(
    (startKey, limit) =>
      state.queryOnce<RowItem>({
        partition: [STATE_SCHEMA.partitionKey, `${RUN_RECORDS[kind].prefix}#${name}`],
        sort: { attribute: STATE_SCHEMA.sortKey, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
        descending: true,
        limit,
        attributes: ROW_ATTRIBUTES,
        ...(filter ? { filter } : {}),
        ...(startKey ? { startKey } : {}),
      }),
    within(bounds),
    firstLimit,
    growth,
  );
}

/** A query of the index refused because the index is missing or still being built: say so, and what to do. */
export function indexProblem(error: unknown, table: string): unknown {
  if (awsErrorName(error) !== 'ValidationException' || !/index/i.test((error as Error).message)) return error;
  return new RunsIndexUnavailableError(
    `The app's state table "${table}" cannot be read through its index "${RUNS_INDEX.name}" (${(error as Error).message}). An app deployed ` +
      'before this version gains the index with its next deploy (cdk deploy), and DynamoDB builds it in the background. Meanwhile, ' +
      'list the runs of one definition (runs({ name })) or of one kind (runs({ kind })), which read the table itself.',
    { cause: error },
  );
}
