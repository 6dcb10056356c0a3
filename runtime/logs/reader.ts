/**
 * Reading an app's logs from CloudWatch Logs: a run's lines, a definition's lines, or the whole app's, a page at a
 * time or followed as they come. The same code reads AWS and the local cloud (whose CloudWatch Logs endpoint the
 * configuration names); it only uses FilterLogEvents
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
 *
 * - A run's lines are the runtime's JSON lines whose `runId` is the run's: the JSON filter pattern
 *   `{ $.runId = "<id>" }` on each of its definition's log groups (sources.ts). Lines without a run id (a plain
 *   `console.log`, Lambda's START/END/REPORT lines) belong to the definition's lines, not to a run's.
 * - `filter` is a CloudWatch Logs filter pattern (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
 *   A JSON pattern is combined with the run's (and a shared group's definition) condition into one pattern; a text
 *   pattern goes to CloudWatch Logs as it is, and the run's condition is checked here on each parsed line.
 * - Pages are in time order (oldest first), merged across log groups; the cursor says where the next page starts (the
 *   last time returned, and how many events at that time each group has given already), so it stays right however
 *   many lines arrive meanwhile.
 * - A log group that does not exist yet (nothing ran so far) reads as empty.
 */
import { type CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { InvalidArgumentError, MultinodeError } from '../../lib/errors.js';
import { formatInstantSeconds } from '../../lib/schedule/calendar.js';
import { awsErrorName } from '../core/aws-errors.js';
import { createLogsClient } from '../core/clients.js';
import type { RuntimeContext } from '../core/context.js';
import { RUN_ID_PATTERN, runIdTime } from '../state/ids.js';
import { type LogEntry, toEntry } from './entries.js';
import { type LogSource, logSources } from './sources.js';

/** A time: a Date, epoch milliseconds, or an ISO 8601 string. */
export type TimeInput = Date | number | string;

export interface LogQuery {
  /** The definition whose lines to read; omitted: every definition of the app (one request per log group). */
  readonly definition?: string;
  /**
   * Only this run's lines: a started run's, a job's or a Batch map's id, a scheduled run's time (with `definition`),
   * or a scheduled run as `<task>@<scheduled time>`.
   */
  readonly runId?: string;
  /** From this time on (inclusive). Default: a minute before the run was created; without a run, 24 hours ago. */
  readonly since?: TimeInput;
  /** Up to this time (inclusive). Default: no end. */
  readonly until?: TimeInput;
  /** A CloudWatch Logs filter pattern: terms (`ERROR "timed out" -DEBUG`) or JSON (`{ $.level = "ERROR" }`). */
  readonly filter?: string;
}

export interface ReadOptions extends LogQuery {
  /** Entries per page, 1 to 10,000 (default 100). */
  readonly limit?: number;
  /** The `cursor` of the previous page of the same query. */
  readonly cursor?: string;
}

export interface LogPage {
  readonly entries: LogEntry[];
  /** Present when there may be more: pass it as `cursor` for the next page. */
  readonly cursor?: string;
}

export interface FollowOptions extends LogQuery {
  /** Stops following (the iterator then ends). */
  readonly signal?: AbortSignal;
  /** Pause between polls, ms (default 1,000). */
  readonly pollMs?: number;
  /**
   * How far back each poll looks before the newest line seen, ms (default 10,000): lines can reach CloudWatch Logs
   * later than newer ones (Batch's awslogs driver buffers; Lambda delivers with a delay). Lines are yielded once each.
   */
  readonly lagMs?: number;
}

export const LOG_READER_DEFAULTS = {
  limit: 100,
  maxLimit: 10_000,
  /** The window read when neither `since` nor a run says where to start. */
  windowMs: 24 * 3600 * 1000,
  /** How long before a run's creation its lines may start (clocks of different machines). */
  runMarginMs: 60_000,
  pollMs: 1000,
  lagMs: 10_000,
} as const;

/** CloudWatch Logs failed or refused a read: the message names the log group and what to do. */
export class LogReadError extends MultinodeError {}

/** The credentials may not read a log group: `action` on `group` is missing. */
export class LogAccessDeniedError extends LogReadError {
  constructor(
    readonly action: string,
    readonly group: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Reading logs needs ${action} on the log group ${group}, which these credentials may not do (${reason}). Grant it (MultinodeApp.grantRead).`,
      options,
    );
  }
}

/** One log group's part of a query. */
interface PlannedSource {
  readonly source: LogSource;
  readonly pattern: string | undefined;
  /** Conditions CloudWatch Logs could not check (combined with a text pattern), checked on each parsed line. */
  readonly accept: (entry: LogEntry) => boolean;
}

interface Plan {
  readonly sources: PlannedSource[];
  readonly since: number;
  readonly until: number | undefined;
  /** Identifies the query, so a cursor of another query is refused. */
  readonly key: string;
}

interface Cursor {
  /** The time of the last entry returned. */
  readonly time: number;
  /** Per source, how many of its events at exactly `time` were returned. */
  readonly seen: readonly number[];
}

export class LogReader {
  readonly #ownsClient: boolean;

  constructor(
    readonly context: RuntimeContext,
    readonly client: CloudWatchLogsClient,
    options: { ownsClient?: boolean } = {},
  ) {
    this.#ownsClient = options.ownsClient ?? false;
  }

  /** A page of lines in time order, oldest first. */
  async read(options: ReadOptions = {}): Promise<LogPage> {
    const limit = options.limit ?? LOG_READER_DEFAULTS.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > LOG_READER_DEFAULTS.maxLimit) {
      throw new InvalidArgumentError(`limit ${limit} is not valid: give a whole number from 1 to ${LOG_READER_DEFAULTS.maxLimit}.`);
    }
    const plan = this.#plan(options);
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor, plan);
    const since = cursor ? Math.max(plan.since, cursor.time) : plan.since;
    if (plan.until !== undefined && since > plan.until) return { entries: [] };
    // Each source gives at most `limit` entries past the ones the cursor has seen; the first `limit` of their merge
    // in time order are the page.
    const collected = await Promise.all(
      plan.sources.map(async (planned, index) => {
        const skip = cursor?.time === since ? (cursor.seen[index] ?? 0) : 0;
        const { entries, more } = await this.#collect(planned, since, plan.until, limit + skip);
        // Events at the cursor's time come in the same order every time: the first `skip` were returned already.
        let dropped = 0;
        const fresh = entries.filter((entry) => !(entry.time === since && dropped++ < skip));
        return { index, entries: fresh, more };
      }),
    );
    const merged = collected
      .flatMap(({ index, entries }) => entries.map((entry, position) => ({ entry, index, position })))
      .sort((a, b) => a.entry.time - b.entry.time || a.index - b.index || a.position - b.position);
    const page = merged.slice(0, limit);
    const more = merged.length > limit || collected.some((c) => c.more);
    if (page.length === 0 || !more) return { entries: page.map((p) => p.entry) };
    const last = page[page.length - 1]!.entry.time;
    const seen = plan.sources.map((_, index) => {
      const returned = page.filter((p) => p.index === index && p.entry.time === last).length;
      return returned + (cursor?.time === last && since === last ? (cursor.seen[index] ?? 0) : 0);
    });
    return { entries: page.map((p) => p.entry), cursor: encodeCursor(plan, { time: last, seen }) };
  }

  /**
   * The lines of the query as they come: first those already there (from `since`), then new ones, polling every
   * `pollMs` until `signal` aborts (or `until` has passed). Each line once, in the order they are found.
   */
  async *follow(options: FollowOptions = {}): AsyncGenerator<LogEntry, void, undefined> {
    const pollMs = options.pollMs ?? LOG_READER_DEFAULTS.pollMs;
    const lagMs = options.lagMs ?? LOG_READER_DEFAULTS.lagMs;
    for (const [name, value] of [
      ['pollMs', pollMs],
      ['lagMs', lagMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`${name} ${value} is not valid: give milliseconds, 0 or more.`);
    }
    const { signal } = options;
    const { clock } = this.context;
    // Checked once, and the start fixed: later polls move it.
    const plan = this.#plan({ ...options, since: options.since ?? (options.runId === undefined ? clock() : undefined) });
    const seen = new Map<string, number>();
    let newest = plan.since;
    while (!signal?.aborted) {
      const from = Math.max(plan.since, newest - lagMs);
      let cursor: string | undefined;
      do {
        const page: LogPage = await this.read({
          ...options,
          since: from,
          ...(plan.until !== undefined ? { until: plan.until } : {}),
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        for (const entry of page.entries) {
          const key = `${entry.group}\0${entry.id}`;
          if (seen.has(key)) continue;
          seen.set(key, entry.time);
          newest = Math.max(newest, entry.time);
          yield entry;
          if (signal?.aborted) return;
        }
        cursor = page.cursor;
      } while (cursor);
      // What can no longer come back in a poll's window need not be remembered.
      for (const [key, time] of seen) if (time < from - lagMs) seen.delete(key);
      if (plan.until !== undefined && clock() > plan.until + lagMs) return;
      await pause(pollMs, signal);
    }
  }

  /** Closes the client, when the reader created it. */
  destroy(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  #plan(query: LogQuery): Plan {
    const { context } = this;
    let definition = query.definition;
    let runId = query.runId;
    let runStart: number | undefined;
    if (runId !== undefined) {
      if (typeof runId !== 'string' || runId === '' || runId.length > 256 || /["\\]/.test(runId)) {
        throw new InvalidArgumentError(`runId ${JSON.stringify(runId)} is not a run id: give a run's, job's or map's id, or <task>@<scheduled time>.`);
      }
      const at = runId.lastIndexOf('@');
      if (at > 0 && isInstant(runId.slice(at + 1))) {
        const task = runId.slice(0, at);
        if (definition !== undefined && definition !== task) {
          throw new InvalidArgumentError(`runId ${runId} is a run of ${task}, but definition is ${definition}.`);
        }
        definition = task;
        runId = runId.slice(at + 1);
      }
      if (isInstant(runId)) {
        // A scheduled run: its lines carry the scheduled time as EventBridge writes it, to the second.
        runStart = Date.parse(runId);
        runId = formatInstantSeconds(runStart);
      } else if (RUN_ID_PATTERN.test(runId)) {
        runStart = runIdTime(runId);
      }
    }
    const sources = logSources(context, definition);
    const now = context.clock();
    const since = time('since', query.since) ?? (runStart !== undefined ? runStart - LOG_READER_DEFAULTS.runMarginMs : now - LOG_READER_DEFAULTS.windowMs);
    const until = time('until', query.until);
    if (until !== undefined && until < since)
      throw new InvalidArgumentError(`until (${new Date(until).toISOString()}) is before since (${new Date(since).toISOString()}).`);
    const filter = query.filter?.trim() || undefined;
    if (query.filter !== undefined && typeof query.filter !== 'string')
      throw new InvalidArgumentError('filter must be a string: a CloudWatch Logs filter pattern.');
    const json = filter?.startsWith('{') === true && filter.endsWith('}');
    const planned = sources.map((source): PlannedSource => {
      const conditions: string[] = [];
      if (runId !== undefined) conditions.push(`$.runId = ${quote(runId)}`);
      if (source.definition !== undefined) conditions.push(`$.definition = ${quote(source.definition)}`);
      if (filter === undefined || json) {
        return { source, pattern: combine([...conditions, ...(filter ? [filter.slice(1, -1).trim()] : [])]), accept: () => true };
      }
      if (conditions.length === 0) return { source, pattern: filter, accept: () => true };
      return {
        source,
        pattern: filter,
        accept: (entry) =>
          entry.type === 'record' &&
          (runId === undefined || entry.runId === runId) &&
          (source.definition === undefined || entry.record.definition === source.definition),
      };
    });
    const key = JSON.stringify([sources.map((s) => [s.group, s.streamPrefix ?? '']), runId ?? '', filter ?? '']);
    return { sources: planned, since, until, key };
  }

  /** Up to `want` accepted entries of one source from `since`, and whether it has more. */
  async #collect(planned: PlannedSource, since: number, until: number | undefined, want: number): Promise<{ entries: LogEntry[]; more: boolean }> {
    const { source } = planned;
    const entries: LogEntry[] = [];
    let nextToken: string | undefined;
    do {
      let events: FilteredLogEvent[];
      try {
        const output = await this.client.send(
          new FilterLogEventsCommand({
            logGroupName: source.group,
            ...(source.streamPrefix ? { logStreamNamePrefix: source.streamPrefix } : {}),
            startTime: since,
            ...(until !== undefined ? { endTime: until } : {}),
            ...(planned.pattern ? { filterPattern: planned.pattern } : {}),
            limit: Math.min(want - entries.length, LOG_READER_DEFAULTS.maxLimit),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        events = output.events ?? [];
        nextToken = output.nextToken;
      } catch (error) {
        // No invocation so far: Lambda creates a function's group on its first one (the constructs create it at deploy).
        if (awsErrorName(error) === 'ResourceNotFoundException') return { entries, more: false };
        throw explain(error, source.group, planned.pattern);
      }
      for (const event of events) {
        if (event.eventId === undefined || event.timestamp === undefined || event.message === undefined) continue;
        const entry = toEntry({ eventId: event.eventId, timestamp: event.timestamp, message: event.message, logStreamName: event.logStreamName ?? '' }, source);
        if (!planned.accept(entry)) continue;
        entries.push(entry);
        if (entries.length >= want) return { entries, more: true };
      }
    } while (nextToken);
    return { entries, more: false };
  }
}

/** A reader of the app of `context`; `client` defaults to a new CloudWatch Logs client of the same configuration. */
export function createLogReader(context: RuntimeContext, client?: CloudWatchLogsClient): LogReader {
  return client ? new LogReader(context, client) : new LogReader(context, createLogsClient(context.config), { ownsClient: true });
}

function explain(error: unknown, group: string, pattern: string | undefined): Error {
  const name = awsErrorName(error);
  const reason = (error as Error).message;
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new LogAccessDeniedError('logs:FilterLogEvents', group, reason, { cause: error });
  }
  if (name === 'InvalidParameterException') {
    return new LogReadError(`CloudWatch Logs refused the query of ${group}${pattern ? ` with the filter pattern ${pattern}` : ''}: ${reason}`, {
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new LogReadError(`Reading the log group ${group} needs AWS credentials: ${reason}`, { cause: error });
  }
  return new LogReadError(`Reading the log group ${group} failed: ${name ? `${name}: ` : ''}${reason}`, { cause: error });
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function isInstant(text: string): boolean {
  return ISO_INSTANT.test(text) && !Number.isNaN(Date.parse(text));
}

function time(name: string, value: TimeInput | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(`${name} ${JSON.stringify(value)} is not a time: give a Date, epoch milliseconds or an ISO 8601 string.`);
  }
  return Math.floor(ms);
}

/** One JSON pattern of conditions (undefined for none). */
function combine(conditions: readonly string[]): string | undefined {
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? `{ ${conditions[0]} }` : `{ ${conditions.map((c) => `(${c})`).join(' && ')} }`;
}

/** A string value of a JSON filter pattern. */
function quote(value: string): string {
  return `"${value}"`;
}

function encodeCursor(plan: Plan, cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ q: shortKey(plan.key), t: cursor.time, s: cursor.seen })).toString('base64url');
}

function decodeCursor(text: string, plan: Plan): Cursor {
  let parsed: { q?: unknown; t?: unknown; s?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  const { q, t, s } = parsed;
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || !Array.isArray(s) || !s.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new InvalidArgumentError('cursor is not valid: pass the cursor of the previous page as it was returned.');
  }
  if (q !== shortKey(plan.key) || s.length !== plan.sources.length) {
    throw new InvalidArgumentError('cursor belongs to another query: pass it with the same definition, runId and filter as the page that returned it.');
  }
  return { time: t, seen: s as number[] };
}

/** A short, stable digest of a query (FNV-1a). */
function shortKey(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
