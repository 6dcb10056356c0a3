/**
 * Building the job runtime for one app context: a job's client (what `job.start/get/...` use), the executor
 * dependencies of its attempts, and lock clients. The placement (from the manifest) picks the dispatcher.
 */
import type { JobDefinition, JobHandler } from '../../lib/definitions/job.js';
import type { ManifestDefinition } from '../../lib/manifest.js';
import { batchJobDispatcher } from '../batch/job-dispatch.js';
import type { RuntimeContext } from '../context.js';
import { LockClient } from '../lock/lock-client.js';
import type { AttemptDispatcher } from './dispatch.js';
import type { ExecutorDeps, JobSettings } from './executor.js';
import { JobClient } from './job-client.js';
import { JobStore } from './job-store.js';
import { lambdaJobDispatcher } from './lambda-dispatch.js';
import { type JobTuning, jobTuningFromEnv } from './tuning.js';

export function jobSettings(definition: ManifestDefinition): JobSettings {
  const options = definition.options as { timeoutSeconds?: number; maxRetries?: number; lock?: string | null };
  return { timeoutSeconds: options.timeoutSeconds ?? 900, maxRetries: options.maxRetries ?? 0, lock: options.lock ?? null };
}

export function jobDispatcher(context: RuntimeContext, definition: ManifestDefinition, tuning: JobTuning): AttemptDispatcher {
  return definition.placement === 'batch' ? batchJobDispatcher(context, definition, tuning) : lambdaJobDispatcher(context, definition.name);
}

export function createLockClient(context: RuntimeContext, name: string): LockClient {
  return new LockClient({ client: context.clients.dynamodb, table: context.names.stateTable, name, clock: context.clock });
}

export function createJobClient(context: RuntimeContext, name: string, tuning: JobTuning = jobTuningFromEnv()): JobClient {
  const definition = context.definition(name, 'job');
  return new JobClient({
    store: new JobStore(name, context.state, context.payloads, context.clock),
    settings: jobSettings(definition),
    placement: definition.placement ?? 'lambda',
    dispatcher: jobDispatcher(context, definition, tuning),
    tuning,
    clock: context.clock,
  });
}

/** What `executeAttempt` needs to run an attempt of `job` (the definition with its handler, from the loaded app). */
export function executorDeps(
  context: RuntimeContext,
  job: JobDefinition<unknown, unknown>,
  compute: { stopSignal?: AbortSignal; computeEndsAt?: number } = {},
  tuning: JobTuning = jobTuningFromEnv(),
): ExecutorDeps {
  const definition = context.definition(job.name, 'job');
  return {
    store: new JobStore(job.name, context.state, context.payloads, context.clock),
    settings: jobSettings(definition),
    handler: job.handler as JobHandler<unknown, unknown>,
    dispatcher: jobDispatcher(context, definition, tuning),
    locks: (name) => createLockClient(context, name),
    tuning,
    clock: context.clock,
    ...compute,
  };
}
