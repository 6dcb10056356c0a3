/**
 * The local CloudWatch Logs: log groups, their streams and events, with the semantics of the API operations the
 * endpoint serves (server.ts) and the local Lambda and Batch deliver to (delivery.ts). Kept in memory, and persisted
 * under the state directory when there is one (files.ts).
 *
 * Events of a stream are ordered by timestamp, then by arrival; across streams, FilterLogEvents interleaves them the
 * same way ("sorted by event timestamp, the timestamp when the event was ingested by CloudWatch Logs, and the ID of
 * the PutLogEvents request": https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
 * Each event's place in that order (timestamp, arrival number) is what page tokens carry, so events that arrive later
 * never shift a token.
 */
import { FilterPatternError, parseFilterPattern } from './filter-pattern.js';
import { LogFiles, type PersistedEvent } from './files.js';
import { LOG_GROUP_NAME, LOG_STREAM_NAME, LOGS_LIMITS } from './limits.js';

/** A CloudWatch Logs error: its `__type`, message and HTTP status. */
export class LogsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const invalid = (message: string) => new LogsServiceError('InvalidParameterException', message);
const INVALID_TOKEN = 'The specified nextToken is invalid.';

interface StoredEvent extends PersistedEvent {}

/** An event's place in a stream's and a group's order. */
type Key = readonly [timestamp: number, seq: number];

const compareKeys = (a: Key, b: Key) => a[0] - b[0] || a[1] - b[1];
const keyOf = (e: StoredEvent): Key => [e.timestamp, e.seq];
const MIN_KEY: Key = [Number.MIN_SAFE_INTEGER, 0];
const MAX_KEY: Key = [Number.MAX_SAFE_INTEGER, 0];

class LogStream {
  readonly events: StoredEvent[] = [];
  lastIngestionTime: number | undefined;
  constructor(
    readonly name: string,
    readonly creationTime: number,
  ) {}

  insert(event: StoredEvent): void {
    const last = this.events[this.events.length - 1];
    // Nearly always the newest: appended without allocating keys.
    if (!last || event.timestamp > last.timestamp || (event.timestamp === last.timestamp && event.seq >= last.seq)) this.events.push(event);
    else this.events.splice(lowerBound(this.events, keyOf(event)), 0, event);
    this.lastIngestionTime = Math.max(this.lastIngestionTime ?? 0, event.ingestionTime);
  }
}

class LogGroup {
  readonly streams = new Map<string, LogStream>();
  constructor(
    readonly name: string,
    readonly creationTime: number,
  ) {}
}

/** The first index whose key is >= `key` (events sorted by key). */
function lowerBound(events: readonly StoredEvent[], key: Key): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(keyOf(events[mid]!), key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

export interface InputLogEvent {
  readonly timestamp: number;
  readonly message: string;
}

export interface OutputLogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

export interface FilteredLogEvent extends OutputLogEvent {
  readonly logStreamName: string;
  readonly eventId: string;
}

export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
}

export interface FilterRequest {
  readonly logGroupName: string;
  readonly logStreamNames?: readonly string[];
  readonly logStreamNamePrefix?: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly filterPattern?: string;
  readonly nextToken?: string;
  readonly limit?: number;
  readonly startFromHead?: boolean;
}

export interface GetRequest {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly nextToken?: string;
  readonly limit?: number;
  readonly startFromHead?: boolean;
}

export interface DescribeGroupsRequest {
  readonly logGroupNamePrefix?: string;
  readonly logGroupNamePattern?: string;
  readonly logGroupIdentifiers?: readonly string[];
  readonly nextToken?: string;
  readonly limit?: number;
}

export interface DescribeStreamsRequest {
  readonly logGroupName: string;
  readonly logStreamNamePrefix?: string;
  readonly orderBy?: string;
  readonly descending?: boolean;
  readonly nextToken?: string;
  readonly limit?: number;
}

export interface LogStoreOptions {
  /** Persist here (a folder of the state directory); omitted: in memory only. */
  readonly directory?: string;
  /** Epoch ms: ingestion times, and which events are too old or too new. Default Date.now. */
  readonly clock?: () => number;
  readonly region?: string;
  readonly accountId?: string;
  /** A write to `directory` failed (reported once). */
  readonly onPersistError?: (error: Error) => void;
}

export class LogStore {
  readonly #groups = new Map<string, LogGroup>();
  readonly #clock: () => number;
  readonly #files: LogFiles | undefined;
  readonly #arnPrefix: string;
  /** Arrival number of the next event, across the store: an event's eventId and its place among equal timestamps. */
  #seq = 1;

  constructor(options: LogStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#arnPrefix = `arn:aws:logs:${options.region ?? 'us-east-1'}:${options.accountId ?? '000000000000'}:log-group:`;
    if (options.directory) {
      this.#files = new LogFiles(options.directory, options.onPersistError ?? ((error) => process.stderr.write(`local CloudWatch Logs: ${error.message}\n`)));
      for (const persisted of this.#files.load()) {
        const group = new LogGroup(persisted.name, persisted.creationTime);
        for (const s of persisted.streams) {
          const stream = new LogStream(s.name, s.creationTime);
          for (const event of s.events.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)) {
            stream.insert(event);
            this.#seq = Math.max(this.#seq, event.seq + 1);
          }
          group.streams.set(s.name, stream);
        }
        this.#groups.set(group.name, group);
      }
    }
  }

  /** Waits until what was stored so far is persisted. */
  flush(): Promise<void> {
    return this.#files?.flush() ?? Promise.resolve();
  }

  /** The log group's name from a name or an ARN (`logGroupIdentifier`). */
  groupNameOf(identifier: string): string {
    if (!identifier.startsWith('arn:')) return identifier;
    const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(identifier);
    if (!match) throw invalid(`logGroupIdentifier ${identifier} is not a log group name or ARN.`);
    return match[1]!;
  }

  hasLogGroup(name: string): boolean {
    return this.#groups.has(name);
  }

  createLogGroup(name: string): void {
    checkName('logGroupName', name, LOG_GROUP_NAME, '[\\.\\-_/#A-Za-z0-9]+');
    if (name.startsWith('aws/')) throw invalid(`Log group names can't start with "aws/": ${name}.`);
    if (this.#groups.has(name)) throw new LogsServiceError('ResourceAlreadyExistsException', 'The specified log group already exists');
    const now = this.#clock();
    this.#groups.set(name, new LogGroup(name, now));
    this.#files?.createGroup(name, now);
  }

  createLogStream(groupName: string, name: string): void {
    checkName('logStreamName', name, LOG_STREAM_NAME, '[^:*]*');
    const group = this.#group(groupName);
    if (group.streams.has(name)) throw new LogsServiceError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    const now = this.#clock();
    group.streams.set(name, new LogStream(name, now));
    this.#files?.createStream(groupName, name, now);
  }

  /** Creates the stream if it does not exist yet (the services that deliver logs create their streams). */
  ensureLogStream(groupName: string, name: string): void {
    if (!this.#group(groupName).streams.has(name)) this.createLogStream(groupName, name);
  }

  putLogEvents(groupName: string, streamName: string, events: readonly InputLogEvent[]): { rejectedLogEventsInfo?: RejectedLogEventsInfo } {
    const stream = this.#stream(groupName, streamName);
    if (events.length === 0) throw invalid('logEvents must hold at least 1 event.');
    if (events.length > LOGS_LIMITS.maxBatchEvents) {
      throw invalid(`logEvents holds ${events.length} events; a PutLogEvents batch holds at most ${LOGS_LIMITS.maxBatchEvents}.`);
    }
    let bytes = 0;
    for (const [index, event] of events.entries()) {
      const size = Buffer.byteLength(event.message, 'utf8') + LOGS_LIMITS.eventOverheadBytes;
      if (size > LOGS_LIMITS.maxEventBytes) {
        throw invalid(
          `Log event too large: event ${index} is ${size} bytes with its ${LOGS_LIMITS.eventOverheadBytes}-byte overhead, ` +
            `over the limit of ${LOGS_LIMITS.maxEventBytes}.`,
        );
      }
      if (index > 0 && event.timestamp < events[index - 1]!.timestamp) {
        throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
      }
      bytes += size;
    }
    if (bytes > LOGS_LIMITS.maxBatchBytes) {
      throw invalid(
        `Upload too large: ${bytes} bytes exceeds limit of ${LOGS_LIMITS.maxBatchBytes} ` +
          `(the messages' UTF-8 bytes plus ${LOGS_LIMITS.eventOverheadBytes} per event).`,
      );
    }
    const now = this.#clock();
    // Too old and too new events are rejected while the rest are stored; the indexes say which.
    let firstKept = 0;
    while (firstKept < events.length && events[firstKept]!.timestamp < now - LOGS_LIMITS.maxAgeMs) firstKept++;
    let end = events.length;
    while (end > firstKept && events[end - 1]!.timestamp > now + LOGS_LIMITS.maxFutureMs) end--;
    const kept = events.slice(firstKept, end);
    if (kept.length > 1 && kept[kept.length - 1]!.timestamp - kept[0]!.timestamp > LOGS_LIMITS.maxBatchSpanMs) {
      throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    const stored: StoredEvent[] = kept.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: now, seq: this.#seq++ }));
    for (const event of stored) stream.insert(event);
    if (stored.length > 0) this.#files?.appendEvents(groupName, streamName, stored);
    const rejected: RejectedLogEventsInfo = {
      ...(firstKept > 0 ? { tooOldLogEventEndIndex: firstKept } : {}),
      ...(end < events.length ? { tooNewLogEventStartIndex: end } : {}),
    };
    return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
  }

  filterLogEvents(request: FilterRequest): { events: FilteredLogEvent[]; nextToken?: string } {
    const group = this.#group(request.logGroupName);
    const limit = pageLimit(request.limit, LOGS_LIMITS.maxEventsPerPage);
    if (request.logStreamNames && request.logStreamNamePrefix !== undefined) {
      throw invalid('logStreamNames and logStreamNamePrefix cannot both be given.');
    }
    if (request.logStreamNames && (request.logStreamNames.length === 0 || request.logStreamNames.length > LOGS_LIMITS.maxStreamNames)) {
      throw invalid(`logStreamNames holds ${request.logStreamNames.length} names; give 1 to ${LOGS_LIMITS.maxStreamNames}.`);
    }
    checkRange(request.startTime, request.endTime);
    let pattern: ReturnType<typeof parseFilterPattern>;
    try {
      pattern = parseFilterPattern(request.filterPattern ?? '');
    } catch (error) {
      if (error instanceof FilterPatternError) throw invalid(error.message);
      throw error;
    }
    const cursor = request.nextToken ? decodeFilterToken(request.nextToken, group.name) : undefined;
    const forward = cursor ? cursor.forward : request.startFromHead !== false;
    const after: Key = cursor?.key ?? (forward ? MIN_KEY : MAX_KEY);
    const start = request.startTime ?? Number.MIN_SAFE_INTEGER;
    const end = request.endTime ?? Number.MAX_SAFE_INTEGER;

    const names = request.logStreamNames ? new Set(request.logStreamNames) : undefined;
    const prefix = request.logStreamNamePrefix;
    const streams = [...group.streams.values()].filter((s) => (names ? names.has(s.name) : prefix === undefined || s.name.startsWith(prefix)));
    // Each stream's next candidate, then a merge by key: the group's interleaved order.
    const heads = streams.map((stream) => {
      if (!forward) return { stream, index: Math.min(lowerBound(stream.events, after), lowerBound(stream.events, [end + 1, 0])) - 1 };
      let index = lowerBound(stream.events, after);
      if (index < stream.events.length && compareKeys(keyOf(stream.events[index]!), after) === 0) index++;
      return { stream, index: Math.max(index, lowerBound(stream.events, [start, 0])) };
    });
    const events: FilteredLogEvent[] = [];
    let bytes = 0;
    let last: Key | undefined;
    for (;;) {
      let best: (typeof heads)[number] | undefined;
      for (const head of heads) {
        const event = head.stream.events[head.index];
        if (!event) continue;
        if (!best || (forward ? 1 : -1) * compareKeys(keyOf(event), keyOf(best.stream.events[best.index]!)) < 0) best = head;
      }
      if (!best) return { events };
      const event = best.stream.events[best.index]!;
      best.index += forward ? 1 : -1;
      if (forward ? event.timestamp > end : event.timestamp < start) {
        // Past the range in this stream; no later event of it can be in range.
        best.index = forward ? best.stream.events.length : -1;
        continue;
      }
      if (event.timestamp < start || event.timestamp > end || !pattern.matches(event.message)) continue;
      if (events.length >= limit || (events.length > 0 && bytes + event.message.length > LOGS_LIMITS.maxPageBytes)) {
        return { events, nextToken: encodeFilterToken(group.name, forward, last!) };
      }
      events.push({
        logStreamName: best.stream.name,
        timestamp: event.timestamp,
        message: event.message,
        ingestionTime: event.ingestionTime,
        eventId: eventIdOf(event),
      });
      bytes += event.message.length;
      last = keyOf(event);
    }
  }

  getLogEvents(request: GetRequest): { events: OutputLogEvent[]; nextForwardToken: string; nextBackwardToken: string } {
    const stream = this.#stream(request.logGroupName, request.logStreamName);
    const limit = pageLimit(request.limit, LOGS_LIMITS.maxEventsPerPage);
    checkRange(request.startTime, request.endTime);
    const token = request.nextToken ? decodeStreamToken(request.nextToken) : undefined;
    const forward = token ? token.forward : request.startFromHead === true;
    const newest = stream.events[stream.events.length - 1];
    // Without a token, backward starts just after the newest event, so its forward token later sees new events.
    const position: Key = token?.key ?? (forward || !newest ? MIN_KEY : [newest.timestamp, newest.seq + 1]);
    // startTime inclusive, endTime exclusive, as GetLogEvents documents.
    const inRange = (e: StoredEvent) =>
      (request.startTime === undefined || e.timestamp >= request.startTime) && (request.endTime === undefined || e.timestamp < request.endTime);
    const page: StoredEvent[] = [];
    let bytes = 0;
    const fits = (e: StoredEvent) => page.length < limit && (page.length === 0 || bytes + e.message.length <= LOGS_LIMITS.maxPageBytes);
    if (forward) {
      // Events after the position.
      let index = lowerBound(stream.events, position);
      if (index < stream.events.length && compareKeys(keyOf(stream.events[index]!), position) === 0) index++;
      for (; index < stream.events.length; index++) {
        const event = stream.events[index]!;
        if (!inRange(event)) continue;
        if (!fits(event)) break;
        page.push(event);
        bytes += event.message.length;
      }
    } else {
      // Events before the position: the last `limit` of them, returned oldest first.
      for (let index = lowerBound(stream.events, position) - 1; index >= 0; index--) {
        const event = stream.events[index]!;
        if (!inRange(event)) continue;
        if (!fits(event)) break;
        page.unshift(event);
        bytes += event.message.length;
      }
    }
    const first = page[0];
    const last = page[page.length - 1];
    // At the end of the stream the token passed in comes back, as the API reference says.
    const same = request.nextToken;
    const nextForwardToken = last
      ? streamToken(true, keyOf(last))
      : (forward && same) || streamToken(true, forward ? position : [position[0], position[1] - 1]);
    const nextBackwardToken = first
      ? streamToken(false, keyOf(first))
      : (!forward && same) || streamToken(false, forward ? [position[0], position[1] + 1] : position);
    return {
      events: page.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken,
      nextBackwardToken,
    };
  }

  describeLogGroups(request: DescribeGroupsRequest) {
    const limit = pageLimit(request.limit, LOGS_LIMITS.maxDescribePage);
    if (request.logGroupNamePrefix !== undefined && request.logGroupNamePattern !== undefined) {
      throw invalid('logGroupNamePrefix and logGroupNamePattern cannot both be given.');
    }
    const identifiers = request.logGroupIdentifiers?.map((id) => this.groupNameOf(id));
    const matching = [...this.#groups.values()]
      .filter((g) => request.logGroupNamePrefix === undefined || g.name.startsWith(request.logGroupNamePrefix))
      .filter((g) => request.logGroupNamePattern === undefined || g.name.includes(request.logGroupNamePattern))
      .filter((g) => !identifiers || identifiers.includes(g.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { page, nextToken } = paginate(matching, limit, request.nextToken, 'groups');
    return {
      logGroups: page.map((g) => ({
        logGroupName: g.name,
        creationTime: g.creationTime,
        metricFilterCount: 0,
        arn: `${this.#arnPrefix}${g.name}:*`,
        logGroupArn: `${this.#arnPrefix}${g.name}`,
        storedBytes: 0,
        logGroupClass: 'STANDARD',
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  describeLogStreams(request: DescribeStreamsRequest) {
    const group = this.#group(request.logGroupName);
    const limit = pageLimit(request.limit, LOGS_LIMITS.maxDescribePage);
    const orderBy = request.orderBy ?? 'LogStreamName';
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalid(`orderBy ${orderBy} is not valid: use LogStreamName or LastEventTime.`);
    if (orderBy === 'LastEventTime' && request.logStreamNamePrefix !== undefined) {
      throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const lastEvent = (s: LogStream) => s.events[s.events.length - 1]?.timestamp ?? 0;
    const streams = [...group.streams.values()]
      .filter((s) => request.logStreamNamePrefix === undefined || s.name.startsWith(request.logStreamNamePrefix))
      .sort((a, b) => (orderBy === 'LastEventTime' ? lastEvent(a) - lastEvent(b) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (request.descending) streams.reverse();
    const { page, nextToken } = paginate(streams, limit, request.nextToken, `streams:${group.name}:${orderBy}:${request.descending === true}`);
    return {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.events.length > 0 ? { firstEventTimestamp: s.events[0]!.timestamp, lastEventTimestamp: lastEvent(s) } : {}),
        ...(s.lastIngestionTime !== undefined ? { lastIngestionTime: s.lastIngestionTime } : {}),
        arn: `${this.#arnPrefix}${group.name}:log-stream:${s.name}`,
        storedBytes: 0,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  #group(name: string): LogGroup {
    const group = this.#groups.get(name);
    if (!group) throw new LogsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  }

  #stream(groupName: string, name: string): LogStream {
    const stream = this.#group(groupName).streams.get(name);
    if (!stream) throw new LogsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return stream;
  }
}

function checkName(field: string, name: string, pattern: RegExp, shown: string): void {
  if (name.length < 1 || name.length > LOGS_LIMITS.maxNameLength) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${field}' failed to satisfy constraint: ` +
        `Member must have length between 1 and ${LOGS_LIMITS.maxNameLength}`,
    );
  }
  if (!pattern.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shown}`,
    );
  }
}

function pageLimit(limit: number | undefined, max: number): number {
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must be between 1 and ${max}`);
  }
  return limit;
}

function checkRange(start: number | undefined, end: number | undefined): void {
  for (const [name, value] of [
    ['startTime', start],
    ['endTime', end],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      throw invalid(`${name} ${value} is not a time: give milliseconds since 1970-01-01, 0 or more.`);
  }
  if (start !== undefined && end !== undefined && start > end) throw invalid(`startTime (${start}) must not be after endTime (${end}).`);
}

/** A unique, stable id: the event's timestamp and arrival number, as digits. */
function eventIdOf(event: StoredEvent): string {
  return `${String(event.timestamp).padStart(16, '0')}${String(event.seq).padStart(20, '0')}`;
}

function encodeFilterToken(group: string, forward: boolean, key: Key): string {
  return Buffer.from(JSON.stringify({ g: group, d: forward ? 'f' : 'b', k: key })).toString('base64url');
}

function decodeFilterToken(token: string, group: string): { forward: boolean; key: Key } {
  let parsed: { g?: unknown; d?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw invalid(INVALID_TOKEN);
  }
  const key = parsed.k;
  if (parsed.g !== group || (parsed.d !== 'f' && parsed.d !== 'b') || !Array.isArray(key) || key.length !== 2 || !key.every((n) => Number.isSafeInteger(n))) {
    throw invalid(INVALID_TOKEN);
  }
  return { forward: parsed.d === 'f', key: [key[0] as number, key[1] as number] };
}

/** GetLogEvents tokens: `f/<timestamp>/<seq>/s` (events after) and `b/<timestamp>/<seq>/s` (events before). */
function streamToken(forward: boolean, key: Key): string {
  return `${forward ? 'f' : 'b'}/${key[0]}/${key[1]}/s`;
}

function decodeStreamToken(token: string): { forward: boolean; key: Key } {
  const match = /^([fb])\/(-?\d+)\/(-?\d+)\/s$/.exec(token);
  if (!match || !Number.isSafeInteger(Number(match[2])) || !Number.isSafeInteger(Number(match[3]))) throw invalid(INVALID_TOKEN);
  return { forward: match[1] === 'f', key: [Number(match[2]), Number(match[3])] };
}

/** Offset pages of a listing; the token names the listing it belongs to. */
function paginate<T>(items: readonly T[], limit: number, token: string | undefined, listing: string): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (token !== undefined) {
    let parsed: { l?: unknown; o?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      throw invalid(INVALID_TOKEN);
    }
    if (parsed.l !== listing || !Number.isInteger(parsed.o) || (parsed.o as number) < 0) throw invalid(INVALID_TOKEN);
    offset = parsed.o as number;
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + page.length;
  return { page, ...(next < items.length ? { nextToken: Buffer.from(JSON.stringify({ l: listing, o: next })).toString('base64url') } : {}) };
}
