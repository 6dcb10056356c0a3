/**
 * Batch job state changes (EventBridge `source: aws.batch`, `detail-type: Batch Job State Change`, delivered to the
 * app's dispatcher function by the rule of `batchStateChangePattern`). When a job's container ends, this reconciles
 * what it was running, so a container that died (killed, out of memory, image or bundle failure) ends its work as
 * FAILED with Batch's reason instead of leaving it RUNNING:
 *  - a job attempt: reconciled with Batch's status (retried or FAILED, CANCELLED when a cancel was pending);
 *  - a started run: FAILED with the reason, if its container did not finish it (claimed or never started), and its
 *    concurrency slot handed on;
 *  - a scheduled run: its claim FAILED with the reason (CANCELLED when a cancel was pending: TerminateJob of a job
 *    still queued), if still open, and the task handed on to the fire time waiting.
 * Map items need nothing: their caller reads Batch's status itself.
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import { RunNotFoundError } from '../../lib/errors.js';
import type { EventHandler } from '../core/event-handler.js';
import { createJobClient } from '../jobs/factory.js';
import { endRunOnBatch, runGate } from '../functions/run-queue.js';
import { RunStore } from '../functions/run-store.js';
import { overlapOf } from '../../lib/schedule/overlap.js';
import { ActiveRuns } from '../schedules/active-run.js';
import { releaseActiveRun } from '../schedules/admission.js';
import { ScheduleClaims } from '../schedules/claims.js';
import { BATCH_ENV } from '../batch/bootstrap.js';
import { environmentValue, TASK_ENV, viewOf } from '../batch/batch-jobs.js';

export interface BatchStateChange {
  readonly source: 'aws.batch';
  readonly 'detail-type': 'Batch Job State Change';
  readonly detail: JobDetail;
}

export interface StateChangeResponse {
  readonly multinode: 'batch-state-change';
  readonly jobId: string;
  /** What was reconciled, or why nothing was. */
  readonly outcome: string;
}

export function isBatchStateChange(event: unknown): event is BatchStateChange {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return e.source === 'aws.batch' && e['detail-type'] === 'Batch Job State Change' && typeof e.detail === 'object' && e.detail !== null;
}

export const batchStateChangeEvent: EventHandler<BatchStateChange> = {
  name: 'batch-state-change',
  accepts: isBatchStateChange,
  async handle(event, context): Promise<StateChangeResponse> {
    const detail = event.detail;
    const jobId = detail.jobId ?? '?';
    const reply = (outcome: string): StateChangeResponse => ({ multinode: 'batch-state-change', jobId, outcome });
    if (detail.status !== 'SUCCEEDED' && detail.status !== 'FAILED') return reply(`ignored: ${detail.status} is not final`);
    const name = environmentValue(detail, BATCH_ENV.definition);
    const task = environmentValue(detail, TASK_ENV.task);
    const run = environmentValue(detail, BATCH_ENV.run);
    if (!name || !task || !run) return reply('ignored: not a multinode job');
    const runtime = context.runtime;
    const view = viewOf(detail);
    switch (task) {
      case 'job': {
        const record = await createJobClient(runtime, name)
          .reconcileBatch(run, jobId, view)
          .catch((error: unknown) => {
            if (error instanceof RunNotFoundError) return undefined;
            throw error;
          });
        return reply(record ? `job ${name} ${run} is ${record.status}` : `job ${name} ${run} no longer exists`);
      }
      case 'run': {
        if (detail.status !== 'FAILED') return reply('run finished');
        const runs = new RunStore(name, runtime.state, runtime.payloads, runtime.clock);
        const record = await runs.get(run).catch(() => undefined);
        if (!record) return reply(`run ${name} ${run} is gone`);
        // A run handed on to a newer Batch job (it went back in line meanwhile) is that job's business.
        if (record.batchJobId !== undefined && record.batchJobId !== jobId) return reply(`run ${name} ${run} is executed by Batch job ${record.batchJobId}`);
        const { ended, outcome } = await endRunOnBatch(runs, record, jobId, view);
        if (ended) await runGate(runtime, runtime.definition(name, 'function'), runs).settled(run);
        return reply(outcome);
      }
      case 'schedule': {
        if (detail.status !== 'FAILED') return reply('scheduled run finished');
        const claims = new ScheduleClaims(runtime.state, runtime.clock);
        const current = await claims.read(name, run);
        const owner = environmentValue(detail, TASK_ENV.claim);
        if ((current?.status !== 'RUNNING' && current?.status !== 'CANCELLING') || !owner) return reply(`claim ${name}@${run} is ${current?.status ?? 'gone'}`);
        const claim = { name, scheduledTime: run, owner, attempt: Number(environmentValue(detail, BATCH_ENV.attempt) ?? 1) };
        const ended = await claims.finish(
          claim,
          current.status === 'CANCELLING'
            ? { status: 'CANCELLED' }
            : {
                status: 'FAILED',
                error: {
                  type: 'BatchJobFailed',
                  message: `the Batch job ${jobId} running ${name} (scheduled ${run}) ended without finishing: ${view.reason}`,
                },
              },
          { runner: jobId },
        );
        if (!ended) return reply(`claim ${name}@${run} is run by another Batch job`);
        const definition = context.app.byName(name);
        if (definition?.kind === 'schedule') {
          await releaseActiveRun(
            {
              runtime,
              task: { name, placement: definition.placement },
              policy: overlapOf(definition.options),
              claims,
              active: new ActiveRuns(runtime.state, runtime.clock),
              log: context.log,
            },
            owner,
          );
        }
        return reply(`claim ${name}@${run} ${current.status === 'CANCELLING' ? 'CANCELLED' : 'FAILED'}`);
      }
      default:
        return reply(`nothing to reconcile for a ${task}`);
    }
  },
};
