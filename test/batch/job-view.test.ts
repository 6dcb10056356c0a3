/** How a failed Batch job's reason reads, for the failures an image can cause. */
import { describe, expect, it } from 'vitest';
import { NODE_TOO_OLD_EXIT_CODE } from '../../runtime/batch/bootstrap.js';
import { viewOf } from '../../runtime/batch/batch-jobs.js';

type Detail = Parameters<typeof viewOf>[0];
const job = (detail: Pick<Detail, 'statusReason' | 'container'>): Detail =>
  ({ jobName: 'j', jobId: 'id', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: 'FAILED', ...detail }) as Detail;

describe('the reason of a failed job', () => {
  it("explains the bootstrap's exit code for an image whose node is too old", () => {
    const view = viewOf(job({ statusReason: 'Essential container in task exited', container: { exitCode: NODE_TOO_OLD_EXIT_CODE } }));
    expect(view.reason).toBe(
      "Essential container in task exited; exit code 78 (the image's node is older than 20: give the definition an image with Node.js 20 or newer)",
    );
  });

  it('explains an image without node, from what ECS says when it cannot start the command', () => {
    const reason =
      'CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create ' +
      'failed: runc create failed: unable to start container process: exec: "node": executable file not found in $PATH: unknown';
    const view = viewOf(job({ statusReason: 'Task failed to start', container: { reason } }));
    expect(view.reason).toBe(
      `Task failed to start; ${reason}; the image has no node on its PATH: multinode runs "node -e <bootstrap>" in the container; ` +
        'give the definition an image with Node.js 20 or newer',
    );
  });

  it('adds nothing to other failures', () => {
    expect(viewOf(job({ statusReason: 'Essential container in task exited', container: { exitCode: 1 } })).reason).toBe(
      'Essential container in task exited; exit code 1',
    );
  });
});
