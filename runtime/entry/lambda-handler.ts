/**
 * The one Lambda handler of an app bundle (`app.handler`). Every Lambda function of the app runs it; it finds the
 * definition it serves from its function name, and hands each event to the first handler of `EVENT_HANDLERS` that
 * accepts it.
 *
 * On the first event the runtime starts: configuration from the environment (config.ts), SDK clients, and the
 * runtime port installed so user code can call other functions and use dicts. Each event runs with a logger carrying
 * its request id (core/logger.ts), the current one for everything it starts (core/invocation-log.ts).
 * A failure leaves as an Error whose name, message and stack are the remote error's: Lambda's Node.js runtime
 * serializes it as `errorType`, `errorMessage`, `trace`.
 */
import type { ResolvedApp } from '../../lib/app.js';
import type { AnyDefinition } from '../../lib/definitions/base.js';
import { buildManifest } from '../../lib/manifest.js';
import { installRuntime } from '../../lib/runtime-port.js';
import { configFromEnv } from '../core/config.js';
import { createContext, type RuntimeContext } from '../core/context.js';
import { withLog } from '../core/invocation-log.js';
import { createRuntimePort } from './runtime-port.js';
import { toRemoteError, toThrowable } from '../core/remote-error.js';
import { MultinodeError } from '../../lib/errors.js';
import type { EventHandler, HandlerContext, LambdaContext } from '../core/event-handler.js';
import { callEvent } from '../functions/call-event.js';
import { runEvent } from '../functions/run-event.js';
import { jobEvent } from '../jobs/job-event.js';
import { scheduleEvent } from '../schedules/schedule-event.js';
import { scheduleStartEvent } from '../schedules/start-date-event.js';
import { httpEvent } from '../services/http-event.js';
import { batchStateChangeEvent } from './batch-state-change-event.js';

/**
 * Every kind of event an app's Lambda functions receive, and its handler:
 * - `call`: a function call (`fn.call`, an item of `map`), a synchronous invoke;
 * - `run`: a run started with `fn.start`, an asynchronous invoke;
 * - `job`: an attempt of a job on Lambda, an asynchronous invoke;
 * - `http`: a request to a service, from API Gateway (HTTP API, payload format 2.0);
 * - `schedule`: a scheduled task's fire time, from EventBridge Scheduler;
 * - `schedule-start`: CloudFormation asking for a rate schedule's StartDate at deploy time;
 * - `batch-state-change`: AWS Batch's job state-change events, from an EventBridge rule.
 * Each handler's `accepts` tells its events apart; the first that accepts an event handles it.
 */
export const EVENT_HANDLERS: ReadonlyArray<EventHandler<unknown>> = [
  callEvent,
  runEvent,
  jobEvent,
  httpEvent,
  scheduleEvent,
  scheduleStartEvent,
  batchStateChangeEvent,
];

/** The Lambda received an event no handler accepts. */
export class UnknownEventError extends MultinodeError {}

/** The handler of `event`, if any. */
export function handlerOf(event: unknown): EventHandler<unknown> | undefined {
  return EVENT_HANDLERS.find((handler) => handler.accepts(event));
}

async function routeEvent(event: unknown, context: HandlerContext): Promise<unknown> {
  const handler = handlerOf(event);
  if (!handler) {
    const shown = JSON.stringify(event)?.slice(0, 200) ?? String(event);
    const known = EVENT_HANDLERS.map((h) => h.name).join(', ');
    throw new UnknownEventError(`${context.lambda.functionName} received an event it does not understand: ${shown}. Known kinds: ${known}.`);
  }
  return handler.handle(event, context);
}

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface HandlerOptions {
  /** A ready context (tests); default: built from the environment on the first event. */
  readonly context?: RuntimeContext;
}

export function createLambdaHandler(app: ResolvedApp, options: HandlerOptions = {}): LambdaHandler {
  let started: { context: RuntimeContext; byFunctionName: Map<string, AnyDefinition> } | undefined;
  const start = () => {
    if (!started) {
      const context = options.context ?? contextFromEnv(app);
      installRuntime(createRuntimePort(context));
      const byFunctionName = new Map<string, AnyDefinition>();
      for (const definition of app.definitions) {
        if (definition.placement !== null) byFunctionName.set(context.names.lambdaFunction(definition.name), definition);
      }
      started = { context, byFunctionName };
    }
    return started;
  };
  return async (event, lambda) => {
    let ready: ReturnType<typeof start>;
    try {
      ready = start();
    } catch (error) {
      await handlerOf(event)
        ?.notStarted?.(event, error as Error)
        .catch(() => undefined);
      throw toThrowable(toRemoteError(error));
    }
    const log = ready.context.log.child({ requestId: lambda?.awsRequestId });
    try {
      const context: HandlerContext = { runtime: ready.context, app, served: ready.byFunctionName.get(lambda?.functionName ?? ''), lambda, log };
      return await withLog(log, () => routeEvent(event, context));
    } catch (error) {
      throw toThrowable(toRemoteError(error));
    }
  };
}

function contextFromEnv(app: ResolvedApp): RuntimeContext {
  const config = configFromEnv();
  return createContext(config, buildManifest(app, config.app));
}
