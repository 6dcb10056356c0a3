/**
 * The handler's dispatch table: each event kind says whether an event is its own and handles it. Kinds are
 * registered once per process (runtime/registrations.ts, one line each); the first kind that matches wins.
 */
import { MultinodeError } from '../../lib/errors.js';
import type { EventKind, HandlerContext } from './types.js';

/** The Lambda received an event no registered kind recognizes. */
export class UnknownEventError extends MultinodeError {}

const kinds: Array<EventKind<unknown>> = [];

export function registerEventKind<E>(kind: EventKind<E>): void {
  const existing = kinds.findIndex((k) => k.name === kind.name);
  if (existing >= 0) kinds[existing] = kind as EventKind<unknown>;
  else kinds.push(kind as EventKind<unknown>);
}

export function registeredEventKinds(): readonly string[] {
  return kinds.map((k) => k.name);
}

/** The registered kind of `event`, if any. */
export function kindOf(event: unknown): EventKind<unknown> | undefined {
  return kinds.find((k) => k.matches(event));
}

export async function dispatch(event: unknown, context: HandlerContext): Promise<unknown> {
  const kind = kindOf(event);
  if (!kind) {
    const shown = JSON.stringify(event)?.slice(0, 200) ?? String(event);
    throw new UnknownEventError(
      `${context.lambda.functionName} received an event it does not understand: ${shown}. Known kinds: ${kinds.map((k) => k.name).join(', ')}.`,
    );
  }
  return kind.handle(event, context);
}
