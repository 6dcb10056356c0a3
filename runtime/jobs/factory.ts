/**
 * Building the job runtime for one app context: a job's client (what `job.start/get/...` use), the executor
 * dependencies of its attempts, and lock clients. The placement (from the manifest) picks the launcher.
 */
import type { JobDefinition, JobHandler } from '../../lib/definitions/job.js';
import type { JobManifest } from '../../lib/manifest.js';
import { batchJobLauncher } from './batch-launcher.js';
import type { RuntimeContext } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import { LockClient } from '../locks/lock-client.js';
import type { AttemptLauncher } from './launcher.js';
import type { ExecutorDeps, JobSettings } from './executor.js';
import { JobClient } from './job-client.js';
import { jobQueue, type JobQueue } from './job-queue.js';
import { JobStore } from './job-store.js';
import { lambdaJobLauncher } from './lambda-launcher.js';
import { type JobTuning, jobTuningFromEnv } from './tuning.js';

/** A job's concurrency gate and reconciliation, from its parts. */
export function queueOf(store: JobStore, settings: JobSettings, launcher: AttemptLauncher, tuning: JobTuning, clock: () => number): JobQueue {
  return jobQueue({ store, launcher, tuning, clock, timeoutSeconds: settings.timeoutSeconds }, settings.maxConcurrency);
}

/** Queues made per context and job: one per process, so its callers and attempts share pumps. */
const queues = new WeakMap<RuntimeContext, Map<string, JobQueue>>();

function sharedQueue(context: RuntimeContext, name: string, make: () => JobQueue): JobQueue {
  let byName = queues.get(context);
  if (!byName) queues.set(context, (byName = new Map()));
  let queue = byName.get(name);
  if (!queue) byName.set(name, (queue = make()));
  return queue;
}

export function jobLauncher(context: RuntimeContext, definition: JobManifest, tuning: JobTuning): AttemptLauncher {
  return definition.placement === 'batch' ? batchJobLauncher(context, definition, tuning) : lambdaJobLauncher(context, definition.name);
}

export function createLockClient(context: RuntimeContext, name: string): LockClient {
  return new LockClient({ state: context.state, name, clock: context.clock });
}

/** The parts every user of a job shares in one process: its store, settings, launcher and queue (with its gate). */
export function jobParts(context: RuntimeContext, name: string, tuning: JobTuning = jobTuningFromEnv()) {
  const definition = context.definition(name, 'job');
  const store = new JobStore(name, context.state, context.payloads, context.clock);
  const settings = definition.options;
  const launcher = jobLauncher(context, definition, tuning);
  const queue = sharedQueue(context, name, () => queueOf(store, settings, launcher, tuning, context.clock));
  return { definition, store, settings, launcher, queue };
}

export function createJobClient(context: RuntimeContext, name: string, tuning: JobTuning = jobTuningFromEnv()): JobClient {
  const { definition, store, settings, launcher, queue } = jobParts(context, name, tuning);
  return new JobClient({ store, settings, placement: definition.placement, launcher, queue, tuning, clock: context.clock });
}

/** What `executeAttempt` needs to run an attempt of `job` (the definition with its handler, from the loaded app). */
export function executorDeps(
  context: RuntimeContext,
  job: JobDefinition<unknown, unknown>,
  compute: { stopSignal?: AbortSignal; computeEndsAt?: number; log?: Logger } = {},
  tuning: JobTuning = jobTuningFromEnv(),
): ExecutorDeps {
  const { store, settings, launcher, queue } = jobParts(context, job.name, tuning);
  return {
    store,
    settings,
    handler: job.handler as JobHandler<unknown, unknown>,
    launcher,
    gate: queue.gate,
    locks: (name) => createLockClient(context, name),
    tuning,
    clock: context.clock,
    log: context.log,
    ...compute,
  };
}
