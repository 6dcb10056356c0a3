/** `multinode cancel <run-id>`: cancels a started run, a job or a scheduled run (the control plane's `cancel(id)`). */
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments } from '../args.js';
import { operatingCommand } from '../operate.js';
import { printJson } from '../output.js';

export const cancelCommand = operatingCommand({
  name: 'cancel',
  summary: 'cancel a started run, a job or a scheduled run',
  usage: `Usage: multinode cancel [<entry>] <run-id> [--json] [--stack NAME ...]

Cancels a started run of a function, a job, or a scheduled run (<task>@<time>): a PENDING one ends
CANCELLED at once and never runs; a RUNNING one becomes CANCELLING, its signal fires and its executor
stops within the grace period (a job or scheduled run on Batch is also stopped with TerminateJob). A
finished run cannot be cancelled. To stop a scheduled task's next runs: multinode schedules pause <task>.

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
    const result = await plane.cancel(request.id);
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
