/** `multinode retry <run-id>`: starts a failed, cancelled or timed-out run or job again (the control plane's `retry(id)`). */
import { ActionRefusedError } from '../../runtime/control/errors.js';
import { TARGET_USAGE, targetJson } from '../app-target.js';
import { expectArguments } from '../args.js';
import { operatingCommand } from '../operate.js';
import { printJson } from '../output.js';

export const retryCommand = operatingCommand({
  name: 'retry',
  summary: 'start a failed, cancelled or timed-out run or job again, with the same input, as a new run',
  usage: `Usage: multinode retry [<entry>] <run-id> [--json] [--stack NAME ...]

Starts a FAILED, CANCELLED or TIMED_OUT started run of a function, or job, again with the same input:
a new run with its own id, timeout and attempts (the old run stays as it was). A scheduled run's time
cannot run twice: run the task now instead (multinode schedules trigger <task>).

${TARGET_USAGE}

Options:
  --json   print { "where", "id", "newId" }
  --help   show this help`,
  options: {},
  parse(args) {
    const [id] = expectArguments('retry', args, ['run-id: the id of a failed, cancelled or timed-out run or job']);
    return { id: id! };
  },
  async run({ io, plane, target, request, json }) {
    let result: Awaited<ReturnType<typeof plane.retry>>;
    try {
      result = await plane.retry(request.id);
    } catch (error) {
      if (error instanceof ActionRefusedError && error.message.includes('is a scheduled run')) {
        const task = error.id.slice(0, error.id.lastIndexOf('@'));
        error.message = `${error.id} is a scheduled run; its scheduled time cannot run twice. To run the task again now: multinode schedules trigger ${task}.`;
      }
      throw error;
    }
    if (json) printJson(io, { where: targetJson(target), ...result });
    else io.stdout(`Retried ${result.id} as a new run: ${result.newId} (see: multinode runs ${result.newId}).\n`);
    return 0;
  },
});
