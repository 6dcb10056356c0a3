/**
 * The JSON the dashboard's API answers with. Runs and dict entries carry values decoded through the codec (a Date, a
 * Map, a BigInt); the API sends them in the codec's wire form, which is plain JSON for JSON values and a tagged
 * object for the rest (`{"$t":"Date","v":"2024-01-01T00:00:00.000Z"}`), so a value edited on the page and sent back
 * is the same JavaScript value again. Times are ISO strings.
 */
import { toWire, type WireValue } from '../../lib/codec.js';
import type { RunDetail, RunSummary } from '../control/types.js';
import type { LogEntry } from '../logs/entries.js';
import { type ProgressBar, progressBar } from './progress.js';

export function wire(value: unknown): WireValue {
  return toWire(value);
}

/**
 * A row of a listing. `durationMs` only for finished runs: a running run's grows every second, which would change the
 * answer (and its ETag) at every poll; the page counts it from `startedAt` itself.
 */
export function summaryJson(run: RunSummary, progress?: { value: unknown }): Record<string, unknown> {
  const { durationMs, ...rest } = run;
  return {
    ...rest,
    ...(run.endedAt && durationMs !== undefined ? { durationMs } : {}),
    ...(progress ? progressJson(progress.value) : {}),
  };
}

export function detailJson(run: RunDetail): Record<string, unknown> {
  const { input, result, progress, ...rest } = run;
  return {
    ...summaryJson(rest as RunSummary),
    ...(run.heartbeatAt ? { heartbeatAt: run.heartbeatAt } : {}),
    ...(run.placement ? { placement: run.placement } : {}),
    ...(run.deadline ? { deadline: run.deadline } : {}),
    ...(run.maxAttempts !== undefined ? { maxAttempts: run.maxAttempts } : {}),
    ...(run.batchJobId ? { batchJobId: run.batchJobId } : {}),
    ...(run.cancelRequestedAt ? { cancelRequestedAt: run.cancelRequestedAt } : {}),
    ...(run.leaseUntil ? { leaseUntil: run.leaseUntil } : {}),
    ...('input' in run ? { input: wire(input) } : {}),
    ...('result' in run && result !== undefined ? { result: wire(result) } : {}),
    ...('progress' in run && progress !== undefined ? progressJson(progress) : {}),
  };
}

function progressJson(value: unknown): { progress: WireValue; progressBar?: ProgressBar } {
  const bar = progressBar(value);
  return { progress: wire(value), ...(bar ? { progressBar: bar } : {}) };
}

/** A log line for the page: what it shows, without the stored copies of the parsed record. */
export function logJson(entry: LogEntry): Record<string, unknown> {
  const base = { id: entry.id, time: entry.time, ...(entry.definition ? { definition: entry.definition } : {}) };
  if (entry.type === 'text') return { ...base, text: entry.text };
  return {
    ...base,
    level: entry.level,
    message: entry.message,
    ...(Object.keys(entry.fields).length > 0 ? { fields: safeFields(entry.fields) } : {}),
    ...(entry.runId !== undefined ? { runId: entry.runId } : {}),
    ...(entry.attempt !== undefined ? { attempt: entry.attempt } : {}),
    ...(entry.error ? { error: { type: entry.error.type, message: entry.error.message, stack: entry.error.stackTrace.join('\n') } } : {}),
  };
}

/** Log fields came from JSON, so they are JSON; anything else is shown as text rather than failing the stream. */
function safeFields(fields: Readonly<Record<string, unknown>>): unknown {
  try {
    return JSON.parse(JSON.stringify(fields));
  } catch {
    return String(fields);
  }
}
