/**
 * Deployed versus code: the EventBridge Scheduler schedules in the app's schedule group (ListSchedules, then
 * GetSchedule for each) compared with what the code compiles to now (the manifest's compiled expressions, made into
 * schedules as the CDK constructs make them: constructs/app-schedule.ts).
 *
 * A difference is a change not yet deployed, or a schedule edited by hand (CloudFormation updates a resource only
 * when its template changes, so a hand edit outlives every deploy that leaves that schedule's definition alone). For
 * each schedule the code makes (`<prefix>-<task>-<index>`, lib/naming.ts) it compares the expression, the time zone,
 * the start and end dates, the target and its input. A rate schedule's StartDate is computed when the stack deploys,
 * so it is compared by its phase: it must be one of the task's fire times. Deployed schedules that no task of the code
 * makes are listed apart (a task since removed from the code, or one made by hand).
 */
import { MultinodeError } from '../../lib/errors.js';
import type { Manifest, ScheduledTaskManifest } from '../../lib/manifest.js';
import { scheduleTargetInput } from '../../lib/schedule/event.js';
import { isFireTime } from '../../lib/schedule/fire-time.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';
import { awsErrorName } from '../core/aws-errors.js';
import { clientConfig } from '../core/clients.js';
import type { RuntimeContext } from '../core/context.js';
import { mapLimit } from '../core/map-limit.js';
import { schedulerSdk } from '../core/sdk-modules.js';
import { SchedulePauses } from '../schedules/pauses.js';
import { scheduleTarget } from '../schedules/schedule-delivery.js';
import type { DeployedSchedule, DeployedSchedules, ScheduleDifference, TaskSchedules } from './types.js';

/** GetSchedule requests in flight at once. */
const READ_WIDTH = 8;

/** The deployed schedules could not be read (no permission, or the service refused). */
export class DeployedSchedulesError extends MultinodeError {}

export async function compareDeployedSchedules(context: RuntimeContext, code: Manifest): Promise<DeployedSchedules> {
  const group = context.names.scheduleGroup;
  const deployed = await readGroup(context, group);
  const tasks = code.definitions.filter((d): d is ScheduledTaskManifest => d.kind === 'schedule');
  const byName = new Map(deployed.map((s) => [s.name, s]));
  const claimed = new Set<string>();
  const pauses = new SchedulePauses(context.state, context.clock);
  const now = context.clock();
  const comparisons = await Promise.all(
    tasks.map(async (task): Promise<TaskSchedules> => {
      const mine: DeployedSchedule[] = [];
      const differences: ScheduleDifference[] = [];
      task.schedule.expressions.forEach((expected, index) => {
        const name = context.names.schedule(task.name, index);
        const found = byName.get(name);
        claimed.add(name);
        if (found) mine.push(found);
        differences.push(...compareOne(context, task, name, expected, found, now));
      });
      // Schedules of this task beyond what the code compiles to (its form changed, and a deploy will remove them).
      for (const schedule of deployed) {
        if (claimed.has(schedule.name) || inputTask(schedule.input) !== task.name) continue;
        claimed.add(schedule.name);
        mine.push(schedule);
        differences.push({
          schedule: schedule.name,
          field: 'schedule',
          deployed: `${schedule.expression} in ${schedule.timezone}`,
          message: `${schedule.name} (${schedule.expression} in ${schedule.timezone}) is deployed for ${task.name}, but the code makes no such schedule`,
        });
      }
      const pause = await pauses.read(task.name);
      return {
        name: task.name,
        state: stateOf(mine, task.schedule.expressions.length),
        ...(pause ? { paused: pause } : {}),
        code: task.schedule.expressions,
        deployed: mine,
        differences,
      };
    }),
  );
  const unknown = deployed.filter((s) => !claimed.has(s.name));
  return { group, tasks: comparisons, unknown, inSync: unknown.length === 0 && comparisons.every((t) => t.differences.length === 0) };
}

function compareOne(
  context: RuntimeContext,
  task: ScheduledTaskManifest,
  name: string,
  expected: CompiledExpression,
  found: DeployedSchedule | undefined,
  now: number,
): ScheduleDifference[] {
  const code = `${expected.expression} in ${expected.timezone}`;
  if (!found) {
    return [{ schedule: name, field: 'schedule', code, message: `${name} (${code}) is in the code but not deployed` }];
  }
  const out: ScheduleDifference[] = [];
  const differ = (field: ScheduleDifference['field'], deployed: string | undefined, wanted: string | undefined, message: string) =>
    out.push({ schedule: name, field, ...(deployed !== undefined ? { deployed } : {}), ...(wanted !== undefined ? { code: wanted } : {}), message });
  if (found.expression !== expected.expression) {
    differ('expression', found.expression, expected.expression, `${name} is deployed as ${found.expression}; the code compiles to ${expected.expression}`);
  }
  if (found.timezone !== expected.timezone) {
    differ('timezone', found.timezone, expected.timezone, `${name} is evaluated in ${found.timezone}; the code's time zone is ${expected.timezone}`);
  }
  const start = found.startDate?.getTime();
  if (expected.startDate !== undefined) {
    // Computed at deploy time (the first grid point ahead then): what matters is that it is on the task's grid.
    if (start === undefined) {
      differ('startDate', undefined, expected.startDate, `${name} has no start date, so its rate counts from when it was made, not on the task's grid`);
    } else if (!isFireTime(task.schedule, start)) {
      differ(
        'startDate',
        found.startDate!.toISOString(),
        expected.startDate,
        `${name} starts at ${found.startDate!.toISOString()}, which is not a fire time of ${task.name}: its rate fires off the task's grid`,
      );
    }
  } else if (start !== undefined && start > now) {
    differ(
      'startDate',
      found.startDate!.toISOString(),
      undefined,
      `${name} starts only at ${found.startDate!.toISOString()}; the code's schedule has no start date`,
    );
  }
  if (found.endDate !== undefined) {
    differ('endDate', found.endDate.toISOString(), undefined, `${name} ends at ${found.endDate.toISOString()}; the code's schedule has no end date`);
  }
  const targetName = scheduleTarget(context, task);
  if (found.target !== undefined && !found.target.endsWith(`:function:${targetName}`)) {
    differ('target', found.target, targetName, `${name} invokes ${found.target}; the code's target is the Lambda function ${targetName}`);
  }
  const input = scheduleTargetInput(task.name);
  if (!sameJson(found.input, input)) {
    differ('input', found.input ?? '(none)', input, `${name} sends ${found.input ?? 'no input'}; the code's scheduled event is ${input}`);
  }
  return out;
}

function stateOf(schedules: readonly DeployedSchedule[], expected: number): TaskSchedules['state'] {
  if (schedules.length === 0 && expected > 0) return 'NOT_DEPLOYED';
  const enabled = schedules.filter((s) => s.state === 'ENABLED').length;
  return enabled === schedules.length ? 'ENABLED' : enabled === 0 ? 'DISABLED' : 'PARTLY_ENABLED';
}

/** The task a schedule's input names (the scheduled event's `name`), when it is a multinode scheduled event. */
function inputTask(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? '') as { multinode?: unknown; name?: unknown };
    return parsed.multinode === 'schedule' && typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

function sameJson(a: string | undefined, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a ?? '')) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** Every schedule of `group`, read whole (ListSchedules pages, then GetSchedule for each). */
async function readGroup(context: RuntimeContext, group: string): Promise<DeployedSchedule[]> {
  const { SchedulerClient, ListSchedulesCommand, GetScheduleCommand } = await schedulerSdk();
  const client = new SchedulerClient(clientConfig(context.config, 'scheduler'));
  try {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListSchedulesCommand({ GroupName: group, ...(token ? { NextToken: token } : {}) }));
      for (const summary of page.Schedules ?? []) if (summary.Name) names.push(summary.Name);
      token = page.NextToken;
    } while (token);
    const read = await mapLimit(names, READ_WIDTH, async (name): Promise<DeployedSchedule | undefined> => {
      try {
        const s = await client.send(new GetScheduleCommand({ Name: name, GroupName: group }));
        return {
          name,
          group,
          state: String(s.State ?? 'ENABLED'),
          expression: s.ScheduleExpression ?? '',
          timezone: s.ScheduleExpressionTimezone ?? 'UTC',
          ...(s.StartDate ? { startDate: s.StartDate } : {}),
          ...(s.EndDate ? { endDate: s.EndDate } : {}),
          ...(s.Target?.Arn ? { target: s.Target.Arn } : {}),
          ...(s.Target?.Input !== undefined ? { input: s.Target.Input } : {}),
        };
      } catch (error) {
        // Deleted between the listing and the read.
        if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    });
    return read.filter((s): s is DeployedSchedule => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return [];
    if (awsErrorName(error) === 'AccessDeniedException') {
      throw new DeployedSchedulesError(
        `Reading the schedules of the group "${group}" was denied (${(error as Error).message}): it needs scheduler:ListSchedules and ` +
          "scheduler:GetSchedule on the app's schedules, which MultinodeApp's grantRead gives.",
        { cause: error },
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}
