/**
 * The app's schedules in the local EventBridge Scheduler: what `MultinodeApp` creates in AWS (constructs/app-schedule.ts),
 * made from the manifest, and what the local clock fires, read back from the store.
 *
 * - `appSchedules`: one schedule per compiled expression of each scheduled task, named `<prefix>-<task>-<index>` in the
 *   app's group (lib/naming.ts), with the expression, its time zone and start date, ENABLED, the flexible window off,
 *   and as target the task's Lambda function (the dispatcher for a task on Batch) with the scheduled-event template as
 *   input.
 * - `clockSchedules`: the ENABLED schedules of the app's group, by task (the task their input names), as the local
 *   scheduler takes them: a schedule edited, disabled or deleted through the API fires as it now is. A rate without a
 *   StartDate counts from when it was last written, as in AWS. Day filters (every N days on a DST wall clock) are the
 *   runtime's, not EventBridge's: they come from the manifest for an expression the code compiled.
 */
import { definitionsOf, type Manifest } from '../../../lib/manifest.js';
import type { ResourceNames } from '../../../lib/naming.js';
import { scheduleTargetInput } from '../../../lib/schedule/event.js';
import { parseScheduleExpression } from '../../../lib/schedule/expression.js';
import type { CompiledExpression } from '../../../lib/schedule/spec.js';
import { scheduleTarget } from '../../schedules/schedule-delivery.js';
import type { LocalSchedule } from '../scheduler.js';
import type { LocalScheduleStore, ScheduleDefinition } from './store.js';

/** Where the app's Lambda functions and roles are, for ARNs. */
export interface LocalAccount {
  readonly region: string;
  readonly account: string;
}

export function appSchedules(manifest: Manifest, names: ResourceNames, where: LocalAccount): Array<{ name: string; definition: ScheduleDefinition }> {
  return definitionsOf(manifest, 'schedule').flatMap((task) =>
    task.schedule.expressions.map((compiled, index) => ({
      name: names.schedule(task.name, index),
      definition: {
        group: names.scheduleGroup,
        expression: compiled.expression,
        timezone: compiled.timezone,
        ...(compiled.startDate ? { startDate: new Date(compiled.startDate) } : {}),
        state: 'ENABLED' as const,
        description: `multinode scheduled task ${task.name}`,
        flexibleTimeWindow: { Mode: 'OFF' as const },
        target: {
          Arn: `arn:aws:lambda:${where.region}:${where.account}:function:${scheduleTarget({ names }, task)}`,
          RoleArn: `arn:aws:iam::${where.account}:role/${names.scheduleGroup}-scheduler`,
          Input: scheduleTargetInput(task.name),
        },
      },
    })),
  );
}

/** The ENABLED schedules of the app's group, by the task their input names, for the local scheduler (every task). */
export function clockSchedules(store: LocalScheduleStore, manifest: Manifest, names: ResourceNames): LocalSchedule[] {
  const tasks = new Map(definitionsOf(manifest, 'schedule').map((task) => [task.name, task]));
  // Every task, even one whose schedules are all disabled: a person can still run it now.
  const byTask = new Map<string, CompiledExpression[]>([...tasks.keys()].map((name) => [name, []]));
  for (const schedule of store.inGroup(names.scheduleGroup)) {
    if (schedule.state !== 'ENABLED') continue;
    const task = tasks.get(taskOf(schedule.target.Input) ?? '');
    if (!task) continue;
    const timezone = schedule.timezone ?? 'UTC';
    const rate = parseScheduleExpression(schedule.expression).kind === 'rate';
    const start = schedule.startDate ?? (rate ? schedule.modifiedAt : undefined);
    const filter = task.schedule.expressions.find((c) => c.expression === schedule.expression && c.timezone === timezone)?.filter;
    const compiled: CompiledExpression = {
      expression: schedule.expression,
      timezone,
      ...(start ? { startDate: start.toISOString() } : {}),
      ...(filter ? { filter } : {}),
    };
    byTask.set(task.name, [...(byTask.get(task.name) ?? []), compiled]);
  }
  return [...byTask].map(([name, expressions]) => ({ name, expressions }));
}

function taskOf(input: string | undefined): string | undefined {
  try {
    const event = JSON.parse(input ?? '') as { multinode?: unknown; name?: unknown };
    return event.multinode === 'schedule' && typeof event.name === 'string' ? event.name : undefined;
  } catch {
    return undefined;
  }
}
