/** What every event kind's handler receives. */
import type { ResolvedApp } from '../../lib/app.js';
import type { AnyDefinition } from '../../lib/definitions/base.js';
import type { RuntimeContext } from '../context.js';

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
}

/** One kind of event the handler understands: a function call, a scheduled event, an HTTP request, ... */
export interface EventKind<E = never> {
  readonly name: string;
  matches(event: unknown): boolean;
  handle(event: E, context: HandlerContext): Promise<unknown>;
  /**
   * The runtime could not start for this event (configuration, clients): a kind whose sender waits for an answer
   * elsewhere than the invocation's result (CloudFormation) gives it here, so the sender is not left waiting.
   */
  notStarted?(event: E, error: Error): Promise<void>;
}
