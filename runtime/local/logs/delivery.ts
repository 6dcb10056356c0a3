/**
 * How the local cloud's services send their output to the local CloudWatch Logs, as Lambda and Batch's awslogs
 * driver send theirs: each line becomes an event timed when it was captured, buffered per stream and put in batches
 * (every `flushMs`, when a stream's buffer is full, and before the local endpoint answers any request, so a run's
 * lines are readable once its invocation has ended, without a put per invocation).
 *
 * Batches go straight to the store, in this process: the service side of log delivery is not an API client, and an
 * HTTP request per invocation would sit on the hot path of every call. The store applies PutLogEvents' rules to
 * them all the same.
 */
import { LOGS_LIMITS } from './limits.js';
import type { InputLogEvent, LogStore } from './store.js';

export interface LogDeliveryOptions {
  /** Longest a line waits in a buffer, ms (default 200). */
  readonly flushMs?: number;
  /** A stream's buffer is put once it holds this many events (default 1,000). */
  readonly maxBufferedEvents?: number;
  /** Epoch ms of a captured line; default Date.now. */
  readonly clock?: () => number;
  /** A batch could not be stored (a log group that does not exist, ...). */
  readonly onError?: (error: Error, group: string, stream: string) => void;
}

/** The longest message kept in one event: longer lines are split, as the log agents split them. */
const MAX_MESSAGE_CHARS = Math.floor((LOGS_LIMITS.maxEventBytes - LOGS_LIMITS.eventOverheadBytes) / 4);

export class LogDelivery {
  readonly #store: LogStore;
  readonly #flushMs: number;
  readonly #maxBuffered: number;
  readonly #clock: () => number;
  readonly #onError: (error: Error, group: string, stream: string) => void;
  /** Buffered events per `group\0stream`. */
  readonly #buffers = new Map<string, { group: string; stream: string; events: InputLogEvent[] }>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(store: LogStore, options: LogDeliveryOptions = {}) {
    this.#store = store;
    this.#flushMs = options.flushMs ?? 200;
    this.#maxBuffered = options.maxBufferedEvents ?? 1000;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? ((error, group, stream) => process.stderr.write(`local CloudWatch Logs: ${group} ${stream}: ${error.message}\n`));
  }

  /** Buffers one line of `stream` in `group`, timed now (or at `timestamp`). */
  push(group: string, stream: string, message: string, timestamp: number = this.#clock()): void {
    // CloudWatch Logs events hold at least one character.
    if (this.#closed || message === '') return;
    const key = `${group}\0${stream}`;
    let buffer = this.#buffers.get(key);
    if (!buffer) {
      buffer = { group, stream, events: [] };
      this.#buffers.set(key, buffer);
    }
    for (let i = 0; i < message.length; i += MAX_MESSAGE_CHARS) buffer.events.push({ timestamp, message: message.slice(i, i + MAX_MESSAGE_CHARS) });
    if (buffer.events.length >= this.#maxBuffered) this.flush(group, stream);
    else this.#timer ??= setTimeout(() => this.flushAll(), this.#flushMs).unref();
  }

  /** Puts what `stream` has buffered now. */
  flush(group: string, stream: string): void {
    const key = `${group}\0${stream}`;
    const buffer = this.#buffers.get(key);
    if (!buffer) return;
    this.#buffers.delete(key);
    this.#put(buffer.group, buffer.stream, buffer.events);
  }

  /** Puts everything buffered. */
  flushAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const buffers = [...this.#buffers.values()];
    this.#buffers.clear();
    for (const buffer of buffers) this.#put(buffer.group, buffer.stream, buffer.events);
  }

  /** Puts what is buffered and takes no more lines. */
  close(): void {
    this.flushAll();
    this.#closed = true;
  }

  #put(group: string, stream: string, events: InputLogEvent[]): void {
    // A clock stepping back would break PutLogEvents' chronological order: sort (stably) first.
    events.sort((a, b) => a.timestamp - b.timestamp);
    try {
      this.#store.ensureLogStream(group, stream);
      for (const batch of batches(events)) {
        const rejected = this.#store.putLogEvents(group, stream, batch).rejectedLogEventsInfo;
        if (rejected) {
          const kept = (rejected.tooNewLogEventStartIndex ?? batch.length) - (rejected.tooOldLogEventEndIndex ?? 0);
          this.#onError(new Error(`${batch.length - kept} of ${batch.length} lines were timed too far in the past or future and were dropped`), group, stream);
        }
      }
    } catch (error) {
      this.#onError(error as Error, group, stream);
    }
  }
}

/** Events in PutLogEvents-sized batches: at most 10,000 events and 1,048,576 bytes (26 per event included). */
function* batches(events: readonly InputLogEvent[]): Generator<InputLogEvent[]> {
  let batch: InputLogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message, 'utf8') + LOGS_LIMITS.eventOverheadBytes;
    if (batch.length > 0 && (batch.length >= LOGS_LIMITS.maxBatchEvents || bytes + size > LOGS_LIMITS.maxBatchBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
