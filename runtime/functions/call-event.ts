/**
 * Function calls (`fn.call`, each item of `map`): decode the arguments, run the handler by the deadline (with its
 * logger as the current one, for `log`), answer.
 */
import { fromWire, toWire, type WireValue } from '../../lib/codec.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import { envelopeType, type CallEvent, type CallResponse } from '../core/envelope.js';
import { ENVELOPE_MARGIN, SYNC_PAYLOAD_LIMIT } from '../core/payloads.js';
import { invocationDeadline, withDeadline } from '../core/deadline.js';
import { withLog } from '../core/invocation-log.js';
import { targetDefinition } from '../core/event-handler.js';
import type { EventHandler, HandlerContext } from '../core/event-handler.js';

export const callEvent: EventHandler<CallEvent> = {
  name: 'call',
  accepts: (event): event is CallEvent => envelopeType(event) === 'call',
  async handle(event, context) {
    const definition = targetDefinition(context, event.function, 'function') as FunctionDefinition<unknown[], unknown>;
    const { payloads, clock } = context.runtime;
    const wire = event.argsRef ? (JSON.parse(await payloads.get(event.argsRef)) as WireValue) : event.args;
    const args = fromWire(wire ?? []);
    if (!Array.isArray(args)) throw new TypeError(`${definition.name}: the call's arguments are not a list.`);
    const log = context.log.child({ definition: definition.name, kind: 'function', attempt: event.attempt });
    const result = await withDeadline(
      () => withLog(log, () => definition.handler(...args)),
      invocationDeadline(event.deadline, context),
      clock,
      definition.name,
    );
    return respond(context, toWire(result, 'result'));
  },
};

/** The response envelope; a result over Lambda's 6 MB response limit travels through S3. */
export async function respond(context: HandlerContext, value: WireValue): Promise<CallResponse> {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') <= SYNC_PAYLOAD_LIMIT - ENVELOPE_MARGIN) return { multinode: 'result', value };
  return { multinode: 'result', ref: await context.runtime.payloads.putCall(json) };
}
