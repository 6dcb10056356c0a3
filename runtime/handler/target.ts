/** Finding the user definition an event is for, and refusing events sent to the wrong Lambda function. */
import type { AnyDefinition } from '../../lib/definitions/base.js';
import { MultinodeError } from '../../lib/errors.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import type { HandlerContext } from './types.js';

/** An event names a definition that this Lambda function does not serve (or the app does not have). */
export class MisroutedEventError extends MultinodeError {}

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
