/**
 * `multinode run <entry> <job> --args JSON`: starts the job with the input, prints its progress (on stderr, one line
 * per value read, as they come; progress is read by polling, so a line says how many values the job yielded since
 * the previous line were not shown) and resolves with the final result (printed on stdout by `run`). Ctrl-C cancels
 * the job and waits for it to stop. A job that fails, is cancelled or times out ends the command with exit code 1.
 */
import { InvocationFailedError, RunCancelledError, RunTimedOutError } from '../../lib/errors.js';
import { createJobClient } from '../../runtime/jobs/factory.js';
import { UsageError } from '../io.js';
import { type Runner, toJson } from './run-target.js';

export const runJob: Runner<'job'> = async (target, args, io) => {
  const name = target.definition.name;
  if (args.length > 1) throw new UsageError(`the job "${name}" takes one input; pass it as --args '[input]' (or any JSON value that is not an array).`, 'run');
  const job = createJobClient(target.connection.context, name);
  const id = await job.start(args[0]);
  io.stderr(`[${name}] started job ${id}\n`);
  const cancel = () => void job.cancel(id).catch(() => undefined);
  io.signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const { value, skipped } of job.watchUpdates(id)) {
      const note = skipped > 0 ? ` (${skipped} earlier value${skipped === 1 ? '' : 's'} skipped)` : '';
      io.stderr(`[${name}] progress ${toJson(value).replace(/\s*\n\s*/g, ' ')}${note}\n`);
    }
  } finally {
    io.signal?.removeEventListener('abort', cancel);
  }
  const info = await job.get(id);
  io.stderr(`[${name}] job ${id} ${info.status} after ${info.attempts} attempt${info.attempts === 1 ? '' : 's'}\n`);
  switch (info.status) {
    case 'SUCCEEDED':
      return info.result;
    case 'CANCELLED':
      throw new RunCancelledError(name, id);
    case 'TIMED_OUT':
      throw new RunTimedOutError(name, id, target.definition.options.timeoutSeconds);
    default:
      throw new InvocationFailedError(name, info.error ?? { type: 'Error', message: `job ${id} ended ${info.status}` });
  }
};
