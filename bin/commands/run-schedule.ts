/**
 * `multinode run <entry> <scheduled task>`: a manual run now (it runs even while the task is paused), delivered as
 * EventBridge Scheduler delivers a fire time, to the task's target (its own function, or the dispatcher for a task on
 * Batch), through whichever local cloud the connection reaches: a running `multinode dev` or the command's own. The
 * invoke is synchronous, so it answers once the run ended on Lambda; for a task on Batch, once the dispatcher submitted
 * it, and then the command waits for the container to record the run's end.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { InvocationFailedError } from '../../lib/errors.js';
import { renderManualEvent } from '../../lib/schedule/event.js';
import { DISPATCHER_DEFINITION } from '../../runtime/core/config.js';
import { fromLambdaError } from '../../runtime/core/remote-error.js';
import { awaitScheduledRun } from '../../runtime/schedules/batch-runner.js';
import type { ScheduleResponse } from '../../runtime/schedules/schedule-event.js';
import type { Runner } from './run-target.js';

/** How long past a Batch-placed task's timeout `run` keeps waiting (the container start and the state-change event). */
const BATCH_FINISH_MARGIN_MS = 120_000;

export const runSchedule: Runner<'schedule'> = async (target) => {
  const { definition, connection } = target;
  const { context } = connection;
  const name = definition.name;
  const event = renderManualEvent(name, context.clock());
  const answer = await (await context.clients.lambda()).send(
    new InvokeCommand({
      FunctionName: context.names.lambdaFunction(definition.placement === 'lambda' ? name : DISPATCHER_DEFINITION),
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  const payload = Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8');
  if (answer.FunctionError) throw new InvocationFailedError(name, fromLambdaError(payload));
  const response = JSON.parse(payload) as ScheduleResponse;
  if (response.outcome !== 'submitted') return response;
  // A Batch-placed task: the dispatcher answered once it submitted; wait for the container to finish the run.
  const timeoutMs = definition.options.timeoutSeconds * 1000 + BATCH_FINISH_MARGIN_MS;
  const ended = await awaitScheduledRun(context, name, response.scheduledTime, { timeoutMs });
  if (ended.status === 'FAILED') {
    throw new InvocationFailedError(name, ended.error ?? { type: 'Error', message: `the run scheduled for ${response.scheduledTime} failed on Batch` });
  }
  return { ...response, outcome: ended.status, attempts: ended.attempts };
};
