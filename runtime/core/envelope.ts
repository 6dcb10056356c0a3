/**
 * The runtime's own events (what callers send to a definition's Lambda) and responses. Each carries
 * `multinode: <type>`, which is how the Lambda handler tells them from AWS events (scheduled events,
 * API Gateway, EventBridge). Each type has its own `multinode` value.
 */
import type { WireValue } from '../../lib/codec.js';
import type { PayloadRef } from './payloads.js';

export const ENVELOPE_KEY = 'multinode';

/** A synchronous function call (`call`, each item of `map`). */
export interface CallEvent {
  readonly multinode: 'call';
  readonly function: string;
  /** The argument list's wire form, or `argsRef` when it travelled through S3. */
  readonly args?: WireValue;
  readonly argsRef?: PayloadRef;
  /** Epoch ms by which the call must finish (its timeout, counted from the call). */
  readonly deadline: number;
  readonly attempt: number;
}

/** Execute a run recorded by `start` (asynchronous invoke). */
export interface RunEvent {
  readonly multinode: 'run';
  readonly function: string;
  readonly id: string;
  /** The concurrency slot handed to the run (runtime/state/concurrency.ts); without one the run waits in line. */
  readonly slot?: number;
  /** The token of that hand-off: with it, the executor confirms the slot and claims the run at once. */
  readonly token?: string;
}

/** A call's successful response: the result's wire form, or a reference when it travelled through S3. */
export interface CallResponse {
  readonly multinode: 'result';
  readonly value?: WireValue;
  readonly ref?: PayloadRef;
}

/** The `multinode` type of an event, when it is one of ours. */
export function envelopeType(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const type = (event as Record<string, unknown>)[ENVELOPE_KEY];
  return typeof type === 'string' ? type : undefined;
}
