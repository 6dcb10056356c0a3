/**
 * The app bundle's `batch` export: what a Batch container runs once the bootstrap has imported the bundle. It starts
 * the runtime from the environment (as the Lambda handler does), then runs the task named in the job's overrides:
 *  - `job`: one attempt of a job (runtime/jobs/executor.ts); SIGTERM (TerminateJob) aborts `ctx.signal`;
 *  - `run`: a run started with `fn.start` (the Lambda handler's own run executor);
 *  - `map`: one item of a map (map.ts), the index from AWS_BATCH_JOB_ARRAY_INDEX;
 *  - `schedule`: a scheduled run claimed by the dispatcher (runtime/schedules/scheduled-run.ts); SIGTERM (TerminateJob:
 *    a cancel) aborts `run.signal`; finishes the claim and hands the task on to the fire time waiting.
 * Resolves to the exit code: 0 when the work succeeded (or ended as cancelled / timed out, which the state table
 * records), 1 when it failed, so Batch's own status agrees.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedApp } from '../../lib/app.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import type { JobDefinition } from '../../lib/definitions/job.js';
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import type { AnyDefinition } from '../../lib/definitions/base.js';
import { buildManifest } from '../../lib/manifest.js';
import { installRuntime } from '../../lib/runtime-port.js';
import { configFromEnv, RuntimeConfigError } from '../core/config.js';
import { createContext, type RuntimeContext } from '../core/context.js';
import { withLog } from '../core/invocation-log.js';
import { asError, type Logger } from '../core/logger.js';
import { runEvent, type RunResponse } from '../functions/run-event.js';
import { executeAttempt } from '../jobs/executor.js';
import { executorDeps } from '../jobs/factory.js';
import { createRuntimePort } from './runtime-port.js';
import { ScheduleClaims } from '../schedules/claims.js';
import { ActiveRuns } from '../schedules/active-run.js';
import { type AdmissionDeps, releaseActiveRun } from '../schedules/admission.js';
import { executeScheduledRun } from '../schedules/scheduled-run.js';
import { overlapOf } from '../../lib/schedule/overlap.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import { jobTuningFromEnv } from '../jobs/tuning.js';
import { BATCH_ENV } from '../batch/bootstrap.js';
import { TASK_ENV } from '../batch/batch-jobs.js';
import { runMapItem } from '../functions/batch-map.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The exit code of a process ended by SIGTERM (128 + 15). */
const SIGTERM_EXIT_CODE = 143;

export function createBatchEntry(app: ResolvedApp): () => Promise<number> {
  return async function batch(): Promise<number> {
    const env = process.env;
    const config = configFromEnv(env);
    const context = createContext(config, buildManifest(app, config.app));
    installRuntime(createRuntimePort(context));
    const stop = new AbortController();
    // A job and a scheduled run stop within their grace period (their executor listens); other tasks have nothing to
    // wind down, and would otherwise run on (Node as PID 1 ignores SIGTERM once a listener exists) until SIGKILL.
    const stopsItself = env[TASK_ENV.task] === 'job' || env[TASK_ENV.task] === 'schedule';
    process.once('SIGTERM', () => {
      stop.abort();
      if (!stopsItself) process.exit(SIGTERM_EXIT_CODE);
    });
    try {
      const task = taskOf(app, env);
      const log = context.log.child({
        requestId: env.AWS_BATCH_JOB_ID,
        definition: task.name,
        kind: TASK_KINDS[task.task],
        runId: task.run,
        ...(env[BATCH_ENV.attempt] ? { attempt: Number(env[BATCH_ENV.attempt]) } : {}),
      });
      return await withLog(log, () => runTask(app, context, task, env, stop.signal, log));
    } finally {
      context.clients.destroy();
    }
  };
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new RuntimeConfigError(`${name} is not set: this Batch job was not submitted by the multinode runtime.`);
  return value;
}

/** The task a container runs, from its environment: what to do, for which definition, on which run. */
export interface Task {
  readonly task: 'job' | 'run' | 'map' | 'schedule';
  readonly name: string;
  readonly definition: AnyDefinition;
  /** The run's id: a job id, a started run's id, a map id or a scheduled time. */
  readonly run: string;
}

const TASK_KINDS = { job: 'job', run: 'function', map: 'function', schedule: 'schedule' } as const;

export function taskOf(app: ResolvedApp, env: Env): Task {
  const name = required(env, BATCH_ENV.definition);
  const task = required(env, TASK_ENV.task);
  const run = required(env, BATCH_ENV.run);
  const expected = Object.hasOwn(TASK_KINDS, task) ? TASK_KINDS[task as Task['task']] : undefined;
  if (!expected) throw new RuntimeConfigError(`${TASK_ENV.task} "${task}" is not a task of the multinode runtime (job, run, map or schedule).`);
  const definition = app.byName(name);
  if (!definition || definition.kind !== expected)
    throw new RuntimeConfigError(`The app has no ${expected} named "${name}" (the job definition and the bundle disagree: redeploy).`);
  return { task: task as Task['task'], name, definition, run };
}

async function runTask(
  app: ResolvedApp,
  context: RuntimeContext,
  { task, name, definition, run }: Task,
  env: Env,
  stop: AbortSignal,
  log: Logger,
): Promise<number> {
  const index = env.AWS_BATCH_JOB_ARRAY_INDEX;
  const where = `Batch job ${env.AWS_BATCH_JOB_ID ?? '?'}${index !== undefined ? ` (index ${index})` : ''}`;
  log.info(`${task} started on ${where}`);

  switch (task) {
    case 'job': {
      const attempt = Number(required(env, BATCH_ENV.attempt));
      const outcome = await executeAttempt(
        executorDeps(context, definition as JobDefinition<unknown, unknown>, { stopSignal: stop, log }),
        run,
        attempt,
        slotOf(env),
      );
      log.info(`attempt ${attempt} ended: ${outcome}`, { outcome });
      return outcome === 'FAILED' ? 1 : 0;
    }
    case 'run': {
      const fn = definition as FunctionDefinition<unknown[], unknown>;
      const slot = slotOf(env);
      const response = (await runEvent.handle(
        { multinode: 'run', function: name, id: run, ...(slot === undefined ? {} : { slot }) },
        {
          runtime: context,
          app,
          served: fn,
          lambda: { functionName: where, awsRequestId: env.AWS_BATCH_JOB_ID ?? run, getRemainingTimeInMillis: () => Number.MAX_SAFE_INTEGER },
          log,
        },
      )) as RunResponse;
      return response.outcome === 'FAILED' ? 1 : 0;
    }
    case 'map': {
      const item = Number(env[TASK_ENV.mapOffset] ?? 0) + Number(index ?? 0);
      const ok = await runMapItem(
        context,
        definition as FunctionDefinition<unknown[], unknown>,
        run,
        item,
        Number(required(env, TASK_ENV.deadline)),
        log.child({ item }),
      );
      return ok ? 0 : 1;
    }
    default:
      return runSchedule(context, definition as ScheduleDefinition, run, env, stop, log);
  }
}

/** The concurrency slot the job was submitted with (runtime/state/concurrency.ts), if any. */
function slotOf(env: Env): number | undefined {
  const value = env[TASK_ENV.slot];
  return value === undefined || value === '' ? undefined : Number(value);
}

/**
 * A scheduled run claimed by the dispatcher: the handler with its signal, retries and grace period until the
 * deadline, then the claim's outcome, and the task handed on to the fire time waiting (if it runs one at a time).
 */
async function runSchedule(
  context: RuntimeContext,
  definition: ScheduleDefinition,
  scheduledTime: string,
  env: Env,
  stop: AbortSignal,
  scheduleLog: Logger,
): Promise<number> {
  const { clock, state } = context;
  const claims = new ScheduleClaims(state, clock);
  const claim = { name: definition.name, scheduledTime, owner: required(env, TASK_ENV.claim), attempt: Number(env[BATCH_ENV.attempt] ?? 1) };
  const trigger = parseTrigger(env[TASK_ENV.trigger]);
  const runner = env.AWS_BATCH_JOB_ID ?? randomUUID();
  const admission: AdmissionDeps = {
    runtime: context,
    task: { name: definition.name, placement: definition.placement },
    policy: overlapOf(definition.options),
    claims,
    active: new ActiveRuns(state, clock),
    log: scheduleLog,
  };
  const started = await claims.start(claim, runner);
  if (started === undefined) {
    scheduleLog.info('run by another container (or ended); this one stops');
    return 0;
  }
  if (started === 'CANCELLING') {
    // Cancelled before its container started: it never runs.
    await claims.finish(claim, { status: 'CANCELLED' }, { runner });
    await releaseActiveRun(admission, claim.owner);
    scheduleLog.info('cancelled before it started');
    return 0;
  }
  const outcome = await executeScheduledRun({
    runtime: context,
    definition,
    claim,
    claims,
    trigger,
    deadline: Number(required(env, TASK_ENV.deadline)),
    stopSignal: stop,
    runner,
    tuning: jobTuningFromEnv(env),
    log: scheduleLog,
  });
  await releaseActiveRun(admission, claim.owner);
  if (outcome.status === 'FAILED') scheduleLog.error('failed', asError(outcome.error));
  else scheduleLog.info(`ended: ${outcome.status}`, { outcome: outcome.status });
  return outcome.status === 'FAILED' ? 1 : 0;
}

function parseTrigger(value: string | undefined): ScheduledTrigger {
  if (value === undefined || value === '') return 'scheduled';
  if (value !== 'manual' && value !== 'backfill') throw new RuntimeConfigError(`${TASK_ENV.trigger} "${value}" is not a trigger (manual or backfill).`);
  return value;
}
