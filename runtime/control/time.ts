/** Times given to the control plane: a Date, epoch milliseconds, or an ISO 8601 string that says its offset. */
import { InvalidArgumentError } from '../../lib/errors.js';
import type { TimeInput } from './types.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/i;

/** Epoch ms of `value`; `what` names it in the error (`runs(): since`). */
export function parseTime(value: TimeInput, what: string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string' && ISO.test(value.trim())
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      `${what} must be a Date, epoch milliseconds or an ISO 8601 date-time with its offset (e.g. "2024-01-01T23:00:00Z"), got ${
        typeof value === 'string' ? JSON.stringify(value) : value instanceof Date ? 'an invalid Date' : String(value)
      }.`,
    );
  }
  return ms;
}
