/**
 * Delivering a scheduled event as EventBridge Scheduler does: an asynchronous invoke of the task's target, its own
 * Lambda function for a task on Lambda, the app's dispatcher for a task on Batch. The runtime delivers the events
 * EventBridge does not: the turn of a fire time that waited for the running one (the overlap policy), and the control
 * plane's manual runs and backfills.
 */
import type { Placement } from '../../lib/placement.js';
import { renderScheduledEvent, type ScheduledEvent } from '../../lib/schedule/event.js';
import { explainMissing } from '../core/aws-errors.js';
import { DISPATCHER_DEFINITION } from '../core/config.js';
import type { RuntimeContext } from '../core/context.js';
import { lambdaSdk } from '../core/sdk-modules.js';
import type { WaitingRun } from './active-run.js';

/** The Lambda function that receives a task's scheduled events. */
export function scheduleTarget(context: Pick<RuntimeContext, 'names'>, task: { readonly name: string; readonly placement: Placement | null }): string {
  return context.names.lambdaFunction(task.placement === 'lambda' ? task.name : DISPATCHER_DEFINITION);
}

/** Sends `event` to the task's target (an asynchronous invoke: the run starts there). */
export async function deliverScheduled(
  context: RuntimeContext,
  task: { readonly name: string; readonly placement: Placement | null },
  event: ScheduledEvent,
): Promise<void> {
  const target = scheduleTarget(context, task);
  try {
    const [{ InvokeCommand }, client] = await Promise.all([lambdaSdk(), context.clients.lambda()]);
    await client.send(new InvokeCommand({ FunctionName: target, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
  } catch (error) {
    explainMissing(error, `The Lambda function "${target}" that runs ${task.name}`);
  }
}

/** The event that gives a waiting fire time its turn: a delivery of that time, with what asked for it. */
export function turnEvent(task: string, waiting: WaitingRun): ScheduledEvent {
  const event = renderScheduledEvent(task, new Date(waiting.scheduledTime), 1);
  return waiting.trigger === 'scheduled' ? event : { ...event, trigger: waiting.trigger };
}
