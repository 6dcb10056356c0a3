/**
 * The start of rate-based schedules, computed at deploy time. A `rate(...)` schedule fires at its StartDate and every
 * period after, and EventBridge Scheduler refuses a StartDate more than 5 minutes in the past, on create and on every
 * update. A StartDate fixed at synth time would break any deploy that comes later than that (a pipeline's later
 * stage, a re-deploy of an old template). So the constructs give each rate schedule a custom resource of this type,
 * served by the app's dispatcher function: on Create and Update it compiles the task's schedule again with the
 * current time and answers the first grid point at least DEPLOY_START_LEAD_MS ahead as `StartDate`, which the
 * schedule takes by `Fn::GetAtt`. Every synth gives the resource a new `RequestedAt`, so every deploy recomputes it.
 */
import type { ScheduleDefinition } from '../../lib/definitions/schedule.js';
import { compileSchedule } from '../../lib/schedule/compile.js';
import { isCustomResourceRequest, sendCustomResourceResponse, type CustomResourceRequest, type CustomResourceResponse } from './cloudformation-response.js';
import type { EventHandler, HandlerContext } from '../core/event-handler.js';

export const SCHEDULE_START_RESOURCE_TYPE = 'Custom::MultinodeScheduleStart';
/** A deploy-time StartDate is the first grid point at least this far ahead: the schedule update lands before it. */
export const DEPLOY_START_LEAD_MS = 2 * 60_000;

/** The custom resource's properties (CloudFormation passes every value as a string). */
export interface ScheduleStartProperties {
  /** The scheduled task. */
  readonly Definition: string;
  /** Which of its compiled expressions. */
  readonly Index: string;
  /** That expression, as the template has it: the bundle must compile the same one. */
  readonly Expression: string;
  /** Synth time: a new value at every synth makes CloudFormation send an Update at every deploy. */
  readonly RequestedAt: string;
}

export const scheduleStartEvent: EventHandler<CustomResourceRequest> = {
  name: 'schedule-start',
  accepts: (event): event is CustomResourceRequest => isCustomResourceRequest(event, SCHEDULE_START_RESOURCE_TYPE),
  async handle(request, context): Promise<CustomResourceResponse> {
    let response: CustomResourceResponse;
    try {
      response =
        request.RequestType === 'Delete'
          ? { Status: 'SUCCESS', ...identity(request) }
          : {
              Status: 'SUCCESS',
              ...identity(request),
              Data: { StartDate: deployTimeStart(request.ResourceProperties as unknown as ScheduleStartProperties, context) },
            };
    } catch (error) {
      response = failed(request, error as Error);
    }
    await sendCustomResourceResponse(request, response);
    return response;
  },
  // A Delete still succeeds: nothing was made, and a stack must be able to go away.
  notStarted: (request, error) =>
    sendCustomResourceResponse(
      request,
      request.RequestType === 'Delete'
        ? { Status: 'SUCCESS', ...identity(request) }
        : failed(request, new Error(`the runtime did not start: ${error.message}`)),
    ),
};

function identity(request: CustomResourceRequest) {
  return {
    PhysicalResourceId: request.PhysicalResourceId ?? `${request.LogicalResourceId}-start`,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  };
}

function failed(request: CustomResourceRequest, error: Error): CustomResourceResponse {
  return { Status: 'FAILED', Reason: error.message.slice(0, 1000), ...identity(request) };
}

/** The StartDate of expression `Index` of the task, compiled now. */
export function deployTimeStart(properties: ScheduleStartProperties, context: HandlerContext): string {
  const definition = context.app.byName(properties.Definition);
  if (definition?.kind !== 'schedule') {
    throw new Error(`the app's bundle has no scheduled task named "${properties.Definition}"; deploy the template and bundle of one build.`);
  }
  const index = Number(properties.Index);
  const compiled = compileSchedule((definition as ScheduleDefinition).schedule.spec, { now: context.runtime.clock(), startLeadMs: DEPLOY_START_LEAD_MS })
    .expressions[index];
  if (!compiled || compiled.expression !== properties.Expression || compiled.startDate === undefined) {
    throw new Error(
      `scheduled task "${properties.Definition}" compiles to ${compiled ? `"${compiled.expression}"` : 'nothing'} at index ${properties.Index} now, ` +
        `not the template's rate schedule "${properties.Expression}"; synthesize and deploy again.`,
    );
  }
  return compiled.startDate;
}
