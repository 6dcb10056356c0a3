/**
 * A CloudWatch Logs event as a log reader returns it: the runtime's JSON lines (and lines of Lambda's `console`, in
 * its Text or JSON format) as structured records, read by `parseLogLine`; anything else (a plain `console.log` on
 * Batch, Lambda's START, END and REPORT lines) as text, with the request id Lambda's own lines name.
 */
import { type LogKind, type LogRecord, parseLogLine, type RecordLevel } from '../core/logger.js';
import type { LogSource } from './sources.js';

interface EntryBase {
  /** CloudWatch Logs' event id: unique in its log group. */
  readonly id: string;
  /** When the event happened (its CloudWatch Logs timestamp), epoch ms. */
  readonly time: number;
  readonly group: string;
  readonly stream: string;
  /** The definition the line belongs to: the line's own `definition` field, else its log group's or stream's. */
  readonly definition?: string;
  readonly requestId?: string;
  /** The event's message, as stored. */
  readonly raw: string;
}

/** A structured line: the runtime's own, or Lambda's console in its Text or JSON log format. */
export interface RecordEntry extends EntryBase {
  readonly type: 'record';
  readonly level: RecordLevel;
  readonly message: string;
  /** The caller's fields (and any the line has beyond the runtime's). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly runId?: string;
  readonly attempt?: number;
  readonly kind?: LogKind;
  /** An error the line carries: Lambda's error shape. */
  readonly error?: { readonly type: string; readonly message: string; readonly stackTrace: readonly string[] };
  readonly record: LogRecord;
}

/** Any other line, as text. */
export interface TextEntry extends EntryBase {
  readonly type: 'text';
  readonly text: string;
}

export type LogEntry = RecordEntry | TextEntry;

/** The event as CloudWatch Logs returns it from FilterLogEvents. */
export interface SourceEvent {
  readonly eventId: string;
  readonly timestamp: number;
  readonly message: string;
  readonly logStreamName: string;
}

/** Lambda's platform lines (`START RequestId: <id> Version: ...`, `END RequestId: <id>`, `REPORT RequestId: <id> ...`). */
const PLATFORM_LINE = /^(?:START|END|REPORT) RequestId: ([0-9A-Za-z-]+)/;

export function toEntry(event: SourceEvent, source: LogSource): LogEntry {
  const raw = event.message.endsWith('\n') ? event.message.slice(0, -1) : event.message;
  const owner = source.owner ?? (source.ownerInStream ? event.logStreamName.split('/')[0] : undefined);
  const base = { id: event.eventId, time: event.timestamp, group: source.group, stream: event.logStreamName, raw };
  const record = parseLogLine(raw);
  if (!record) {
    const requestId = PLATFORM_LINE.exec(raw)?.[1];
    return { ...base, type: 'text', text: raw, ...(owner ? { definition: owner } : {}), ...(requestId ? { requestId } : {}) };
  }
  const definition = record.definition ?? owner;
  return {
    ...base,
    type: 'record',
    level: record.level,
    message: record.message,
    fields: record.fields,
    ...(definition ? { definition } : {}),
    ...(record.requestId ? { requestId: record.requestId } : {}),
    ...(record.runId !== undefined ? { runId: record.runId } : {}),
    ...(record.attempt !== undefined ? { attempt: record.attempt } : {}),
    ...(record.kind ? { kind: record.kind } : {}),
    ...(record.errorType !== undefined ? { error: { type: record.errorType, message: record.errorMessage ?? '', stackTrace: record.stackTrace ?? [] } } : {}),
    record,
  };
}
