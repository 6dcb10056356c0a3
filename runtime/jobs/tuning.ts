/**
 * Timings of the job runtime. The defaults suit AWS; tests and the local cloud shorten them (through
 * `MULTINODE_JOB_TUNING`, a JSON object of the fields to change, so a Lambda or container started by the local
 * cloud uses the same values as its caller).
 */
import { LAMBDA_LIMITS } from '../../lib/placement.js';
import { RuntimeConfigError } from '../core/config.js';
import { FINAL_WRITE_MARGIN_MS } from '../core/deadline.js';

export interface JobTuning {
  /** How often a running attempt writes its heartbeat (and so notices a cancel request), ms. */
  readonly heartbeatMs: number;
  /** A Lambda attempt without a heartbeat for this long is considered lost (crashed, out of memory), ms. */
  readonly staleAfterMs: number;
  /** After cancel or timeout, how long a job may take to stop before it is stopped hard, ms. */
  readonly graceMs: number;
  /** Lease of a job's `lock` option (renewed while the job runs), seconds. */
  readonly lockTtlSeconds: number;
  /** Longest pause between two reads of `awaitResult` and `watch`, ms (they start faster). */
  readonly pollMaxMs: number;
}

export const DEFAULT_JOB_TUNING: JobTuning = {
  heartbeatMs: 2_000,
  staleAfterMs: 60_000,
  graceMs: 30_000,
  lockTtlSeconds: 60,
  pollMaxMs: 1_000,
};

/**
 * The Lambda function timeout of a definition placed on Lambda: its own timeout, except for jobs and scheduled tasks,
 * whose handlers get a signal at their deadline. The invocation running one must outlive that deadline by the grace
 * period (the handler's time to stop after the signal fires) and the final write; else the invocation would end first
 * and leave no grace at all. Capped at Lambda's 15 minutes: for a timeout that close to 15 minutes, the executor fires
 * the signal early instead, so the grace period and the final write still fit in the invocation.
 */
export function lambdaFunctionTimeoutSeconds(kind: string, timeoutSeconds: number): number {
  if (kind !== 'job' && kind !== 'schedule') return timeoutSeconds;
  const allowance = Math.ceil((DEFAULT_JOB_TUNING.graceMs + FINAL_WRITE_MARGIN_MS) / 1000);
  return Math.min(LAMBDA_LIMITS.maxTimeoutSeconds, timeoutSeconds + allowance);
}

/**
 * How long a Batch container told to stop (SIGTERM, from TerminateJob or Batch's attempt timeout) has before it is
 * killed (SIGKILL): ECS's stop timeout, 30 s unless the task sets another.
 */
export const CONTAINER_STOP_TIMEOUT_MS = 30_000;

export const JOB_TUNING_ENV = 'MULTINODE_JOB_TUNING';

/** The tuning in `env` (defaults for what it does not set); a clear error when the variable is malformed. */
export function jobTuningFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): JobTuning {
  const text = env[JOB_TUNING_ENV];
  if (!text) return DEFAULT_JOB_TUNING;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RuntimeConfigError(`${JOB_TUNING_ENV} is not JSON: ${text.slice(0, 100)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RuntimeConfigError(`${JOB_TUNING_ENV} must be a JSON object such as {"graceMs":500}.`);
  const tuning: Record<string, number> = { ...DEFAULT_JOB_TUNING };
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_JOB_TUNING))
      throw new RuntimeConfigError(`${JOB_TUNING_ENV}: unknown field "${key}"; fields: ${Object.keys(DEFAULT_JOB_TUNING).join(', ')}.`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new RuntimeConfigError(`${JOB_TUNING_ENV}: ${key} must be a positive number, got ${JSON.stringify(value)}.`);
    tuning[key] = value;
  }
  return tuning as unknown as JobTuning;
}
