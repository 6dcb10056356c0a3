/**
 * `log`: the logger of whatever invocation calls it. Function and service handlers take only their own arguments, so
 * they log through this module-level logger; inside an invocation its lines are the runtime's JSON lines, carrying
 * the definition, run and attempt. Outside one (module top level, `fn.local()`, a script) it prints readable lines
 * with console.
 *
 *   import { log } from 'multinode';
 *   export const buildReport = fn({}, async (country: string) => {
 *     log.info('computing', { country });
 *   });
 */
import type { Log, LogFields } from './handles.js';
import { currentInvocationLog } from './runtime-port.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Readable console lines: `INFO message {"n":1}`; an Error goes to console as it is (its stack printed). */
function consoleLog(bound: LogFields): Log {
  const write = (level: Level) => (message: string, fields?: LogFields | Error) => {
    const error = fields instanceof Error ? fields : undefined;
    const extra = { ...bound, ...(fields && !error ? (typeof fields === 'object' ? fields : { value: fields }) : {}) };
    const shown = Object.keys(extra).length > 0 ? ` ${safeJson(extra)}` : '';
    const text = `${level.toUpperCase()} ${message}${shown}`;
    if (error) console[level](text, error);
    else console[level](text);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => consoleLog({ ...bound, ...fields }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}

/** A logger that finds its target at each call, so `log.child(...)` made once still follows the invocation. */
function deferred(bound: LogFields | undefined): Log {
  const target = (): Log => {
    const found = currentInvocationLog();
    if (!found) return consoleLog(bound ?? {});
    return bound ? found.child(bound) : found;
  };
  return {
    debug: (message, fields) => target().debug(message, fields),
    info: (message, fields) => target().info(message, fields),
    warn: (message, fields) => target().warn(message, fields),
    error: (message, fields) => target().error(message, fields),
    child: (fields) => deferred({ ...bound, ...fields }),
  };
}

/** The current invocation's logger (see the module comment). */
export const log: Log = deferred(undefined);
