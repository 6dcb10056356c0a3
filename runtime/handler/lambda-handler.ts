/**
 * The one Lambda handler of an app bundle (`app.handler`). Every Lambda function of the app runs it; it finds the
 * definition it serves from its function name, and dispatches each event by kind (dispatch.ts).
 *
 * On the first event the runtime starts: configuration from the environment (config.ts), SDK clients, and the
 * runtime port installed so user code can call other functions and use dicts.
 * A failure leaves as an Error whose name, message and stack are the remote error's: Lambda's Node.js runtime
 * serializes it as `errorType`, `errorMessage`, `trace`.
 */
import type { ResolvedApp } from '../../lib/app.js';
import type { AnyDefinition } from '../../lib/definitions/base.js';
import { buildManifest } from '../../lib/manifest.js';
import { installRuntime } from '../../lib/runtime-port.js';
import { configFromEnv } from '../config.js';
import { createContext, type RuntimeContext } from '../context.js';
import { createRuntimePort } from '../port.js';
import { toRemoteError, toThrowable } from '../remote-error.js';
import { dispatch, kindOf } from './dispatch.js';
import type { LambdaContext } from './types.js';

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
      await kindOf(event)
        ?.notStarted?.(event, error as Error)
        .catch(() => undefined);
      throw toThrowable(toRemoteError(error));
    }
    try {
      return await dispatch(event, { runtime: ready.context, app, served: ready.byFunctionName.get(lambda?.functionName ?? ''), lambda });
    } catch (error) {
      throw toThrowable(toRemoteError(error));
    }
  };
}

function contextFromEnv(app: ResolvedApp): RuntimeContext {
  const config = configFromEnv();
  return createContext(config, buildManifest(app, config.app));
}
