/**
 * How `multinode dev` and `multinode run` print what the app writes. The runtime always writes JSON lines
 * (core/logger.ts); here they become readable:
 *
 *   [buildReport 01h..x9k2 #1] INFO computing UK {"rows":3}
 *   [daily 2024-01-01T23:00:00Z #2] WARN attempt 2 failed; retrying TypeError: no rows
 *   [api] INFO GET /summaries
 *
 * - in brackets: the definition (else the source: the function or container that printed), `(batch)` for a Batch
 *   container, the run id (ids longer than 12 characters shortened to their first 3 and last 4; scheduled times
 *   whole, without milliseconds) and `#attempt`;
 * - the level and the message; the caller's own fields as compact JSON; an error's `type: message`, and for ERROR
 *   lines its stack trace, indented, on the following lines.
 * Timestamps, request ids and the app's name are left out (the lines appear as they happen, from one app). Any other
 * line (a console.log) is printed as it came: `[source] line`.
 */
import { type LogRecord, parseLogLine } from '../core/logger.js';

const BATCH_SUFFIX = ' (batch)';

/** The printed form of `line`, which `source` (a definition, `<definition> (batch)`, `scheduler`, ...) wrote. */
export function formatCloudLog(source: string, line: string): string {
  const record = parseLogLine(line);
  return record ? formatRecord(source, record) : `[${source}] ${line}`;
}

function formatRecord(source: string, record: LogRecord): string {
  const batch = source.endsWith(BATCH_SUFFIX);
  const label = [
    `${record.definition ?? (batch ? source.slice(0, -BATCH_SUFFIX.length) : source)}${batch ? BATCH_SUFFIX : ''}`,
    ...(record.runId !== undefined ? [shortRunId(record.runId)] : []),
    ...(record.attempt !== undefined ? [`#${record.attempt}`] : []),
  ].join(' ');
  const fields = Object.keys(record.fields).length > 0 ? ` ${compactJson(record.fields)}` : '';
  const error = record.errorType !== undefined || record.errorMessage !== undefined ? ` ${record.errorType ?? 'Error'}: ${record.errorMessage ?? ''}` : '';
  const head = `[${label}] ${record.level} ${record.message}${fields}${error}`;
  // The stack's first line repeats the type and message.
  const stack = record.level === 'ERROR' && record.stackTrace ? record.stackTrace.slice(1).map((frame) => `\n    ${frame.trim()}`) : [];
  return head + stack.join('');
}

/** Run ids as shown: scheduled times whole (without milliseconds), long ids by their first 3 and last 4 characters. */
export function shortRunId(runId: string): string {
  if (/^\d{4}-\d{2}-\d{2}T/.test(runId)) return runId.replace(/\.000Z$/, 'Z');
  return runId.length > 12 ? `${runId.slice(0, 3)}..${runId.slice(-4)}` : runId;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
