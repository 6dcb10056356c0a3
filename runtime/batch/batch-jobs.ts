/**
 * The runtime's use of the AWS Batch API: submit a definition's job (its job definition and queue come from the
 * naming rule, lib/naming.ts), read jobs' status, terminate them. Only small ids travel in `containerOverrides`
 * (the run id, the attempt, the task): inputs and outputs go through the state table and S3 (docs/aws-behaviour.md, "Batch SubmitJob limits").
 */
import type { BatchClient, JobDetail, JobStatus } from '@aws-sdk/client-batch';
import { fitName } from '../../lib/naming.js';
import type { PlacedDefinition } from '../../lib/manifest.js';
import { awsErrorName, explainMissing } from '../core/aws-errors.js';
import { clientConfig } from '../core/clients.js';
import type { RuntimeContext } from '../core/context.js';
import { backoffDelay, sleep } from '../core/retry.js';
import { batchSdk, LazyClient } from '../core/sdk-modules.js';
import { BATCH_ENV, MIN_NODE_MAJOR, NODE_TOO_OLD_EXIT_CODE } from './bootstrap.js';

/** Batch's view of the job that runs an attempt, a run or a scheduled task. */
export interface BatchJobView {
  readonly status: JobStatus;
  /** Why it ended (statusReason, container exit code and reason), for FAILED jobs. */
  readonly reason: string;
}

/** What a submitted container is asked to do (the `MULTINODE_TASK` override). */
export type BatchTask = 'job' | 'run' | 'map' | 'schedule';

/** Per-job override variables (besides BATCH_ENV.run and BATCH_ENV.attempt). */
export const TASK_ENV = {
  task: 'MULTINODE_TASK',
  /** A map's first item index in this (array) job. */
  mapOffset: 'MULTINODE_MAP_OFFSET',
  /** Epoch ms by which a map's items must finish. */
  deadline: 'MULTINODE_DEADLINE',
  /** The schedule claim's owner token. */
  claim: 'MULTINODE_CLAIM',
  /** What asked for a scheduled run, when not its schedule (`manual`, `backfill`). */
  trigger: 'MULTINODE_TRIGGER',
  /** The concurrency slot handed to a run or job attempt (runtime/state/concurrency.ts). */
  slot: 'MULTINODE_SLOT',
} as const;

/** Batch's lower bound on `attemptDurationSeconds`. */
export const MIN_ATTEMPT_SECONDS = 60;
/** DescribeJobs takes at most 100 ids. */
const DESCRIBE_MAX = 100;

const clients = new WeakMap<RuntimeContext, LazyClient<BatchClient>>();

/** The Batch client of `context`, made (and the SDK package loaded, sdk-modules.ts) at the first call. */
export function batchClient(context: RuntimeContext): Promise<BatchClient> {
  let client = clients.get(context);
  if (!client) clients.set(context, (client = new LazyClient(async () => new (await batchSdk()).BatchClient(clientConfig(context.config, 'batch')))));
  return client.get();
}

/** Closes the Batch client of `context`, if one was made (a process done with the context: the control plane). */
export function releaseBatchClient(context: RuntimeContext): void {
  clients.get(context)?.destroy();
  clients.delete(context);
}

export interface Submission {
  readonly definition: PlacedDefinition;
  readonly task: BatchTask;
  /** The state-table id (job id, run id, map id) or the scheduled time. */
  readonly run: string;
  readonly attempt?: number;
  readonly environment?: Readonly<Record<string, string>>;
  /** 2..10,000 for an array job. */
  readonly arraySize?: number;
  /** Batch's own limit on each attempt (a backstop: the runtime enforces timeouts itself). */
  readonly attemptSeconds: number;
}

const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException']);

export class BatchJobs {
  constructor(readonly context: RuntimeContext) {}

  client(): Promise<BatchClient> {
    return batchClient(this.context);
  }

  queueOf(definition: PlacedDefinition): string {
    const compute = definition.compute;
    return compute?.type === 'batch' && compute.gpu ? this.context.names.gpuJobQueue : this.context.names.jobQueue;
  }

  /** Submits and returns the Batch job id. */
  async submit(submission: Submission): Promise<string> {
    const { definition } = submission;
    const environment = {
      [TASK_ENV.task]: submission.task,
      [BATCH_ENV.run]: submission.run,
      ...(submission.attempt !== undefined ? { [BATCH_ENV.attempt]: String(submission.attempt) } : {}),
      ...submission.environment,
    };
    const [{ SubmitJobCommand }, client] = await Promise.all([batchSdk(), this.client()]);
    const command = new SubmitJobCommand({
      jobName: batchJobName(definition.name, submission.task, submission.run),
      jobQueue: this.queueOf(definition),
      jobDefinition: this.context.names.batchJobDefinition(definition.name),
      containerOverrides: { environment: Object.entries(environment).map(([name, value]) => ({ name, value })) },
      ...(submission.arraySize !== undefined ? { arrayProperties: { size: submission.arraySize } } : {}),
      timeout: { attemptDurationSeconds: Math.max(MIN_ATTEMPT_SECONDS, Math.ceil(submission.attemptSeconds)) },
    });
    for (let throttles = 1; ; throttles++) {
      try {
        const output = await client.send(command);
        return output.jobId!;
      } catch (error) {
        if (!THROTTLES.has(awsErrorName(error) ?? '') || throttles > 8) {
          explainMissing(error, `The Batch job queue or job definition of "${definition.name}"`);
        }
        await sleep(backoffDelay(throttles, this.context.tuning.throttleBackoff));
      }
    }
  }

  /** Batch's details of `ids` (any number; asked 100 at a time). Unknown ids are absent. */
  async describe(ids: readonly string[]): Promise<Map<string, JobDetail>> {
    const found = new Map<string, JobDetail>();
    const [{ DescribeJobsCommand }, client] = await Promise.all([batchSdk(), this.client()]);
    for (let i = 0; i < ids.length; i += DESCRIBE_MAX) {
      const { jobs } = await client.send(new DescribeJobsCommand({ jobs: ids.slice(i, i + DESCRIBE_MAX) }));
      for (const job of jobs ?? []) if (job.jobId) found.set(job.jobId, job);
    }
    return found;
  }

  async views(ids: readonly string[]): Promise<Map<string, BatchJobView>> {
    const details = await this.describe(ids);
    return new Map([...details].map(([id, detail]) => [id, viewOf(detail)]));
  }

  /** Stops a job whatever its state (TerminateJob cancels queued jobs and stops running ones). */
  async terminate(id: string, reason: string): Promise<void> {
    const [{ TerminateJobCommand }, client] = await Promise.all([batchSdk(), this.client()]);
    try {
      await client.send(new TerminateJobCommand({ jobId: id, reason }));
    } catch (error) {
      // A job Batch no longer knows needs no stopping.
      if (awsErrorName(error) !== 'ClientException') throw error;
    }
  }
}

/** Batch's status of a job and, when it failed, why: status reason plus the container's exit code and reason. */
export function viewOf(detail: JobDetail): BatchJobView {
  const container = detail.container;
  const exit = container?.exitCode;
  const parts = [
    detail.statusReason,
    container?.reason,
    exit !== undefined && exit !== 0 ? `exit code ${exit}${exitMeaning(exit)}` : undefined,
    noNodeInImage(`${detail.statusReason ?? ''} ${container?.reason ?? ''}`),
  ].filter(Boolean);
  return { status: detail.status!, reason: parts.join('; ') };
}

function exitMeaning(code: number): string {
  if (code === 137) return ' (killed: SIGKILL, e.g. out of memory or stopped)';
  if (code === 143) return ' (stopped: SIGTERM)';
  if (code === NODE_TOO_OLD_EXIT_CODE)
    return ` (the image's node is older than ${MIN_NODE_MAJOR}: give the definition an image with Node.js ${MIN_NODE_MAJOR} or newer)`;
  return '';
}

/** ECS could not start `node` (CannotStartContainerError: exec: "node": executable file not found in $PATH). */
function noNodeInImage(reason: string): string | undefined {
  if (!/"node": executable file not found|exec: "node"/.test(reason)) return undefined;
  return (
    'the image has no node on its PATH: multinode runs "node -e <bootstrap>" in the container; ' +
    `give the definition an image with Node.js ${MIN_NODE_MAJOR} or newer`
  );
}

/** The value of `name` in a Batch job's container environment (overrides included). */
export function environmentValue(detail: JobDetail, name: string): string | undefined {
  return detail.container?.environment?.find((pair) => pair.name === name)?.value;
}

/**
 * A SubmitJob name: letters, digits, "-" and "_" only (a scheduled time's ":" is not allowed), starting with a letter
 * or digit (a definition may be named "_nightly"), at most 128 characters.
 */
export function batchJobName(definition: string, task: string, run: string): string {
  const name = `${definition}-${task}-${run}`.replace(/[^A-Za-z0-9_-]/g, '-');
  return fitName(/^[A-Za-z0-9]/.test(name) ? name : `mn${name}`, 128);
}
