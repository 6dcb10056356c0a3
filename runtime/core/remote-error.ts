/**
 * Errors crossing the wire. A handler's error leaves the Lambda in the Node.js runtime's error JSON
 * (`errorType`, `errorMessage`, `trace`), and comes back to the caller as `InvocationFailedError` with the same
 * type, message and stack.
 */
import type { RemoteErrorInfo } from '../../lib/handles.js';

/** The error JSON of Lambda's Node.js runtime for an unhandled error (the payload of a `FunctionError` response). */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** Remote error types the runtime itself raises. */
export const REMOTE_TYPES = {
  /** The run passed its deadline (the function's `timeout`, counted from the call or the `start`). */
  timeout: 'TimeoutError',
  /** Lambda stopped the function at its configured timeout. */
  lambdaTimeout: 'Sandbox.Timedout',
} as const;

/** An error's type, message and stack: the class name when `name` was left at "Error" by a subclass. */
export function toRemoteError(error: unknown): RemoteErrorInfo {
  if (error instanceof Error) {
    const className = error.constructor?.name;
    const type = error.name === 'Error' && className && className !== 'Error' ? className : error.name || 'Error';
    return { type, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { type: typeof error, message: safeString(error) };
}

/** An Error that the Lambda runtime will serialize as `remote` (its name, message and stack). */
export function toThrowable(remote: RemoteErrorInfo): Error {
  const error = new Error(remote.message);
  error.name = remote.type;
  error.stack = remote.stack ?? `${remote.type}: ${remote.message}`;
  return error;
}

/** Reads the payload of a `FunctionError` response; anything unexpected still becomes a readable error. */
export function fromLambdaError(payload: string): RemoteErrorInfo {
  try {
    const parsed = JSON.parse(payload) as Partial<LambdaErrorPayload>;
    if (typeof parsed === 'object' && parsed !== null && (parsed.errorType !== undefined || parsed.errorMessage !== undefined)) {
      const trace = Array.isArray(parsed.trace) && parsed.trace.length > 0 ? { stack: parsed.trace.join('\n') } : {};
      return { type: String(parsed.errorType ?? 'Error'), message: String(parsed.errorMessage ?? ''), ...trace };
    }
  } catch {
    // Not JSON: fall through.
  }
  return { type: 'Error', message: payload.slice(0, 2000) };
}

/** What Lambda's Node.js runtime makes of a thrown value. */
export function lambdaErrorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: safeString(error), trace: [] };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
