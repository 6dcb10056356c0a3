/** `multinode cancel <run-id>`: cancels a started run or a job (the control plane's `cancel(id)`). */
import { ActionRefusedError } from '../../runtime/control/errors.js';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments } from '../args.js';
import { operatingCommand } from '../operate.js';
import { printJson } from '../output.js';

export const cancelCommand = operatingCommand({
  name: 'cancel',
  summary: 'cancel a started run or a job',
  usage: `Usage: multinode cancel [<entry>] <run-id> [--json] [--stack NAME ...]

Cancels a started run of a function, or a job: a PENDING one ends CANCELLED at once and never runs;
a RUNNING one becomes CANCELLING and its executor stops within the grace period (a job on Batch is
also stopped with TerminateJob). A finished run, and a scheduled run, cannot be cancelled (to stop a
scheduled task's next runs: multinode schedules pause <task>).

${TARGET_USAGE}

Options:
  --json   print { "where", "id", "status": "CANCELLED" | "CANCELLING" }
  --help   show this help`,
  options: {},
  parse(args) {
    const [id] = expectArguments('cancel', args, ['run-id: the id of a started run or a job']);
    return { id: id! };
  },
  async run({ io, plane, target, request, json }) {
    let result: Awaited<ReturnType<typeof plane.cancel>>;
    try {
      result = await plane.cancel(request.id);
    } catch (error) {
      if (error instanceof ActionRefusedError && error.message.includes('scheduled run')) {
        const task = error.id.slice(0, error.id.lastIndexOf('@'));
        error.message =
          `${error.id} is a scheduled run, which cannot be cancelled yet: it runs inside its delivery's Lambda invocation (or its Batch ` +
          `container) until it ends or times out. To stop the task's next runs: multinode schedules pause ${task}.`;
      }
      throw error;
    }
    if (json) printJson(io, { where: targetJson(target), ...result });
    else
      io.stdout(
        result.status === 'CANCELLED'
          ? `Cancelled ${result.id}.\n`
          : `Cancelling ${result.id}: it stops within its grace period (see: multinode runs ${result.id}).\n`,
      );
    return 0;
  },
});
