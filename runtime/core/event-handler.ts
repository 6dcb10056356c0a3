/**
 * What handles one kind of event an app's Lambda functions receive (a function call, a scheduled event, an HTTP
 * request, ...), and what every handler receives. The table of handlers is in runtime/entry/lambda-handler.ts.
 */
import type { ResolvedApp } from '../../lib/app.js';
import type { AnyDefinition } from '../../lib/definitions/base.js';
import { MultinodeError } from '../../lib/errors.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import type { RuntimeContext } from './context.js';
import type { Logger } from './logger.js';

/** The parts of Lambda's context object the runtime uses (the local Lambda server passes the same). */
export interface LambdaContext {
  readonly functionName: string;
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export interface HandlerContext {
  readonly runtime: RuntimeContext;
  /** The app's definitions, with their handlers. */
  readonly app: ResolvedApp;
  /** The definition this Lambda function serves (found from its function name); undefined when unknown. */
  readonly served: AnyDefinition | undefined;
  readonly lambda: LambdaContext;
  /** The invocation's logger: the runtime's, with the request id. Handlers add what runs (definition, run, attempt). */
  readonly log: Logger;
}

/** The handler of one kind of event. */
export interface EventHandler<E> {
  /** For messages and logs: `call`, `schedule`, `http`, ... */
  readonly name: string;
  /** Whether `event` is of this handler's kind. */
  accepts(event: unknown): event is E;
  handle(event: E, context: HandlerContext): Promise<unknown>;
  /**
   * The runtime could not start for this event (configuration, clients): a handler whose sender waits for an answer
   * elsewhere than the invocation's result (CloudFormation) gives it here, so the sender is not left waiting.
   */
  notStarted?(event: E, error: Error): Promise<void>;
}

/** An event names a definition that this Lambda function does not serve (or the app does not have). */
export class MisroutedEventError extends MultinodeError {}

/** The user definition an event is for; refuses events sent to the wrong Lambda function. */
export function targetDefinition(context: HandlerContext, name: unknown, kind: DefinitionKind): AnyDefinition {
  if (typeof name !== 'string') throw new MisroutedEventError(`The event does not name a ${kind} (got ${typeof name}).`);
  const definition = context.app.byName(name);
  if (!definition || definition.kind !== kind) {
    const known = context.app.definitions.filter((d) => d.kind === kind).map((d) => d.name);
    throw new MisroutedEventError(`The app has no ${kind} named "${name}"; its ${kind}s: ${known.join(', ') || '(none)'}.`);
  }
  if (context.served && context.served !== definition) {
    throw new MisroutedEventError(`${context.lambda.functionName} serves "${context.served.name}", not "${name}": the event was sent to the wrong function.`);
  }
  return definition;
}
