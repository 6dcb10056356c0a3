/**
 * Jobs placed on Batch: an attempt is a SubmitJob of the job's definition with only `MULTINODE_RUN` (the job id),
 * `MULTINODE_ATTEMPT` and `MULTINODE_SLOT` (its concurrency slot) in the overrides; the container reads the input from the state table. Batch's own
 * attempt timeout is set as a backstop at the time left before the job's deadline plus the grace period.
 */
import type { JobManifest } from '../../lib/manifest.js';
import type { RuntimeContext } from '../core/context.js';
import type { AttemptLauncher } from './launcher.js';
import type { JobTuning } from './tuning.js';
import { BatchJobs, TASK_ENV } from '../batch/batch-jobs.js';

export function batchJobLauncher(context: RuntimeContext, definition: JobManifest, tuning: JobTuning): AttemptLauncher {
  const batch = new BatchJobs(context);
  return {
    async launch(id, attempt, deadline, slot) {
      const attemptSeconds = (deadline - context.clock() + tuning.graceMs) / 1000;
      const batchJobId = await batch.submit({ definition, task: 'job', run: id, attempt, attemptSeconds, environment: { [TASK_ENV.slot]: String(slot) } });
      return { batchJobId };
    },
    async stop(batchJobId, reason) {
      if (batchJobId) await batch.terminate(batchJobId, reason);
    },
    describe: (ids) => batch.views(ids),
  };
}
