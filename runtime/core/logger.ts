/**
 * The runtime's logs: one JSON object per line on stdout, in Lambda, on Batch and locally alike, and the parser that
 * reads such lines back (the local cloud's printer, log readers).
 *
 * A line:
 *   {"timestamp":"2024-01-01T23:00:00.000Z","level":"INFO","requestId":"…","message":"computing UK",
 *    "app":"shop","definition":"buildReport","runId":"01hq…","attempt":1,"kind":"function","rows":3}
 * - `timestamp` (ISO 8601, UTC), `level` (DEBUG, INFO, WARN, ERROR), `message` (a string), as Lambda's JSON log
 *   format names them; `requestId`: Lambda's request id, or on Batch the Batch job id;
 * - what the line is about, when known: `app`, `definition`, `runId` (a started run's id, a job id, a map id or a
 *   scheduled time), `attempt`, `kind` (function, job, schedule, service);
 * - the caller's fields, as nested JSON values;
 * - with an Error: `errorType`, `errorMessage`, `stackTrace` (its lines), as Lambda's own error lines.
 *
 * Why stdout, written directly. Lambda's Node.js runtime replaces the global `console` methods: with the Text log
 * format they prefix each message with `timestamp<TAB>requestId<TAB>LEVEL<TAB>`, and with the JSON format they wrap it
 * as the `message` string of their own JSON object, so a JSON line given to console.log would reach CloudWatch Logs
 * as text after a prefix, or as a string inside JSON. Lines written to process.stdout bypass that patch, and Lambda
 * sends each line its function writes to stdout to CloudWatch Logs as one log event (so a line must not contain a
 * newline: JSON.stringify escapes them). With the JSON format, Lambda reads such a line's `level` and `timestamp` (RFC
 * 3339) for its log-level filtering and does not encode an already-JSON line again; with the Text format it keeps the
 * line as it is. Either way each line stays one JSON object. Batch's awslogs driver also sends each stdout line as
 * one event. stdout rather than stderr, so the lines keep their order among the function's other output.
 * See https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html.
 */
import { inspect } from 'node:util';
import type { Log, LogFields } from '../../lib/handles.js';
import { toRemoteError, toThrowable } from './remote-error.js';

export type { Log, LogFields } from '../../lib/handles.js';

/** The levels this logger writes. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
/** The levels a line read back may carry: Lambda's console also writes TRACE and FATAL. */
export type RecordLevel = LogLevel | 'TRACE' | 'FATAL';
const RECORD_LEVELS: readonly RecordLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** What a run is, in the `kind` field. */
export type LogKind = 'function' | 'job' | 'schedule' | 'service';
const KINDS: readonly LogKind[] = ['function', 'job', 'schedule', 'service'];

/** The fields that say what a line is about, in the order they are written (after timestamp, level, requestId, message). */
const CONTEXT_KEYS = ['app', 'definition', 'runId', 'attempt', 'kind'] as const;

/** Keys the logger writes itself; a caller's field of the same name is written with a leading underscore. */
const OWN_KEYS = new Set(['timestamp', 'level', 'message', 'errorType', 'errorMessage', 'stackTrace']);

/** What a line says about its run; the runtime sets these with `child`. */
export interface LogContext {
  readonly requestId?: string;
  readonly app?: string;
  readonly definition?: string;
  readonly runId?: string;
  readonly attempt?: number;
  readonly kind?: LogKind;
}

/** A line read back by `parseLogLine`. */
export interface LogRecord extends LogContext {
  readonly timestamp: string;
  readonly level: RecordLevel;
  readonly message: string;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly stackTrace?: readonly string[];
  /** Every other field of the line. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** How the line was written: by this logger (JSON), or by Lambda's console in its JSON or Text log format. */
  readonly format: 'json' | 'lambda-text';
}

export interface LoggerOptions {
  /** Where each line goes (without its newline); default: stdout. */
  readonly sink?: (line: string) => void;
  /** Epoch ms, for `timestamp`; default Date.now. */
  readonly clock?: () => number;
  /** Fields of every line. */
  readonly fields?: LogFields;
}

/** Writes a line to stdout as one write, so concurrent writers never interleave within a line. */
export function stdoutSink(line: string): void {
  process.stdout.write(`${line}\n`);
}

export class Logger implements Log {
  readonly #sink: (line: string) => void;
  readonly #clock: () => number;
  readonly #fields: LogFields;

  constructor(options: LoggerOptions = {}) {
    this.#sink = options.sink ?? stdoutSink;
    this.#clock = options.clock ?? Date.now;
    this.#fields = options.fields ?? {};
  }

  /** The fields every line of this logger carries. */
  get fields(): LogFields {
    return this.#fields;
  }

  debug(message: string, fields?: LogFields | Error): void {
    this.#sink(this.format('DEBUG', message, fields));
  }

  info(message: string, fields?: LogFields | Error): void {
    this.#sink(this.format('INFO', message, fields));
  }

  warn(message: string, fields?: LogFields | Error): void {
    this.#sink(this.format('WARN', message, fields));
  }

  error(message: string, fields?: LogFields | Error): void {
    this.#sink(this.format('ERROR', message, fields));
  }

  /** A logger whose lines also carry `fields` (these win over the parent's of the same name). */
  child(fields: LogFields & LogContext): Logger {
    return new Logger({ sink: this.#sink, clock: this.#clock, fields: { ...this.#fields, ...fields } });
  }

  /** The JSON line (without newline) a call would write. Never throws: values JSON cannot hold are rendered. */
  format(level: LogLevel, message: string, fields?: LogFields | Error): string {
    const { error, extra } = splitError(fields);
    const merged: Record<string, unknown> = { ...this.#fields, ...extra };
    const line: Record<string, unknown> = { timestamp: new Date(this.#clock()).toISOString(), level };
    if (merged.requestId !== undefined) line.requestId = merged.requestId;
    line.message = typeof message === 'string' ? message : inspect(message, { breakLength: Infinity });
    for (const key of CONTEXT_KEYS) if (merged[key] !== undefined) line[key] = merged[key];
    for (const [key, value] of Object.entries(merged)) {
      if (key === 'requestId' || (CONTEXT_KEYS as readonly string[]).includes(key)) continue;
      line[OWN_KEYS.has(key) ? `_${key}` : key] = value;
    }
    if (error !== undefined) Object.assign(line, errorFields(error));
    return stringify(line);
  }
}

/**
 * An Error as the fields, or as the field `error`, gives the line its errorType/errorMessage/stackTrace; the other
 * fields stay. A value that is not an object becomes the field `value`.
 */
function splitError(fields: LogFields | Error | undefined): { error: unknown; extra: LogFields } {
  if (fields === undefined || fields === null) return { error: undefined, extra: {} };
  if (fields instanceof Error) return { error: fields, extra: {} };
  if (typeof fields !== 'object' || Array.isArray(fields)) return { error: undefined, extra: { value: fields } };
  if (fields.error instanceof Error) {
    const { error, ...extra } = fields;
    return { error, extra };
  }
  return { error: undefined, extra: fields };
}

/** A thrown value as an Error, so a log line gets its errorType, errorMessage and stackTrace whatever was thrown. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : toThrowable(toRemoteError(thrown));
}

/** Lambda's shape of an error in a log line. */
function errorFields(error: unknown): { errorType: string; errorMessage: string; stackTrace: string[] } {
  const remote = toRemoteError(error);
  return { errorType: remote.type, errorMessage: remote.message, stackTrace: remote.stack ? remote.stack.split('\n') : [] };
}

/** JSON of a line: Errors nest as Lambda's error shape, BigInts as strings, Maps as objects, Sets as arrays. */
function stringify(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line, replacer);
  } catch {
    // A cycle (or a toJSON that throws): mark what repeats on the way down.
    const ancestors: unknown[] = [];
    return JSON.stringify(line, function (this: unknown, _key, value: unknown) {
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
      const replaced = replacer(_key, value);
      if (typeof replaced !== 'object' || replaced === null) return replaced;
      if (ancestors.includes(replaced)) return '[Circular]';
      ancestors.push(replaced);
      return replaced;
    });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return errorFields(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
  if (value instanceof Set) return [...value];
  return value;
}

// ---- reading lines back ----

const TEXT_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\t([^\t]*)\t([A-Z]+)\t([\s\S]*)$/;

/**
 * A log line as a record: a JSON object with `timestamp`, `level` and `message` (ours, or a console line in Lambda's
 * JSON log format), or a console line in Lambda's Text format (`timestamp<TAB>requestId<TAB>LEVEL<TAB>message`).
 * Anything else (a plain console.log line, a stack trace) is undefined.
 */
export function parseLogLine(text: string): LogRecord | undefined {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (line.startsWith('{')) return parseJsonLine(line);
  const match = TEXT_LINE.exec(line);
  if (!match) return undefined;
  const level = recordLevel(match[3]);
  if (!level) return undefined;
  // Lambda's console writes `undefined` outside an invocation, and turns a message's newlines into carriage returns.
  const requestId = match[2] && match[2] !== 'undefined' ? { requestId: match[2] } : {};
  return { timestamp: match[1]!, level, ...requestId, message: match[4]!.replace(/\r/g, '\n'), fields: {}, format: 'lambda-text' };
}

function parseJsonLine(line: string): LogRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { timestamp, level, message, requestId, app, definition, runId, attempt, kind, errorType, errorMessage, stackTrace, ...fields } = value as Record<
    string,
    unknown
  >;
  const parsedLevel = recordLevel(level);
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp)) || !parsedLevel || message === undefined) return undefined;
  const record: Record<string, unknown> = {
    timestamp,
    level: parsedLevel,
    // Lambda's console puts a lone non-string argument (an object) in `message` as it is.
    message: typeof message === 'string' ? message : JSON.stringify(message),
  };
  // Typed fields of the wrong type are kept among the others rather than dropped.
  const typed: Array<[string, unknown, boolean]> = [
    ['requestId', requestId, typeof requestId === 'string'],
    ['app', app, typeof app === 'string'],
    ['definition', definition, typeof definition === 'string'],
    ['runId', runId, typeof runId === 'string'],
    ['attempt', attempt, typeof attempt === 'number'],
    ['kind', kind, (KINDS as readonly unknown[]).includes(kind)],
    ['errorType', errorType, typeof errorType === 'string'],
    ['errorMessage', errorMessage, typeof errorMessage === 'string'],
    ['stackTrace', stackTrace, Array.isArray(stackTrace) && stackTrace.every((s) => typeof s === 'string')],
  ];
  const rest: Record<string, unknown> = { ...fields };
  for (const [key, v, ok] of typed) {
    if (v === undefined) continue;
    if (ok) record[key] = v;
    else rest[key] = v;
  }
  return { ...(record as Omit<LogRecord, 'fields' | 'format'>), fields: rest, format: 'json' };
}

function recordLevel(value: unknown): RecordLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.toUpperCase();
  return (RECORD_LEVELS as readonly string[]).includes(upper) ? (upper as RecordLevel) : undefined;
}
