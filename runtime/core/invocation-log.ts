/**
 * The logger of the invocation running now, through AsyncLocalStorage: what the module-level `log` of `multinode`
 * resolves to (functions and services take only their own arguments), and what runtime code deep in a call (the
 * concurrency gate) logs with. Invocations share a process (a local Lambda worker runs several at once, a Batch
 * container runs its task beside timers of others), so a plain module variable would mix them up.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from './logger.js';

const current = new AsyncLocalStorage<Logger>();

/** A logger for code outside any invocation (JSON lines on stdout, without a request). */
const processLogger = new Logger();

/** Runs `fn` with `logger` as the current invocation's logger (for everything `fn` starts, awaits included). */
export function withLog<T>(logger: Logger, fn: () => T): T {
  return current.run(logger, fn);
}

/** The current invocation's logger, if code runs inside one. */
export function invocationLog(): Logger | undefined {
  return current.getStore();
}

/** The current invocation's logger, else the process's. */
export function currentLogger(): Logger {
  return current.getStore() ?? processLogger;
}
