/**
 * The ids the control plane takes: a started run's or job's id (26 characters, time-sortable: state/ids.ts), or a
 * scheduled run's `<task>@<scheduled time>` (lib/schedule/event.ts `scheduledRunKey`). A string of neither form is
 * simply not found; a value that is not a string is a wrong argument.
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import { NAME_PATTERN } from '../../lib/options/fields.js';
import { formatInstantSeconds } from '../../lib/schedule/calendar.js';
import { RUN_ID_PATTERN, runIdTime } from '../state/ids.js';
import { RUN_ID_FORMS, UnknownRunError } from './errors.js';

export type ParsedRunId =
  | { readonly form: 'run'; readonly id: string; readonly timeMs: number }
  | { readonly form: 'scheduled'; readonly id: string; readonly task: string; readonly scheduledTime: string };

/** An ISO 8601 date-time with an offset: `2024-01-01T23:00:00Z`, `2024-01-01T23:00Z`, `2024-01-02T00:00:00+01:00`. */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseRunId(id: unknown, method: string): ParsedRunId {
  if (typeof id !== 'string') throw new InvalidArgumentError(`${method}: the id must be a string: ${RUN_ID_FORMS}; got ${id === null ? 'null' : typeof id}.`);
  if (RUN_ID_PATTERN.test(id)) return { form: 'run', id, timeMs: runIdTime(id) };
  const at = id.lastIndexOf('@');
  if (at > 0) {
    const task = id.slice(0, at);
    const time = id.slice(at + 1);
    const ms = ISO_WITH_OFFSET.test(time) ? Date.parse(time) : Number.NaN;
    if (NAME_PATTERN.test(task) && Number.isFinite(ms)) {
      // Scheduled times are whole seconds: a time between seconds names no run.
      if (ms % 1000 !== 0) throw new UnknownRunError(id, task, 'scheduled times are whole seconds');
      const scheduledTime = formatInstantSeconds(ms);
      return { form: 'scheduled', id: `${task}@${scheduledTime}`, task, scheduledTime };
    }
  }
  throw new UnknownRunError(id, '', 'it has neither form');
}
