/**
 * The one seam between the model and the runtime. Definitions delegate their remote API to the runtime installed
 * here, so `lib/` never loads an AWS SDK: the runtime installs itself when the app starts (in Lambda, Batch, the
 * local cloud) or when `connect()` is called, and in tests through `multinode/testing`.
 */
import { RuntimeNotInstalledError } from './errors.js';
import type { DictHandle, FunctionHandle, JobHandle, LockHandle, Log } from './handles.js';
import type { SecretValueOptions } from './settings/secret.js';

/** Untyped clients the runtime provides, keyed by definition name; the model adds the types. */
export interface RuntimePort {
  function(name: string): FunctionHandle<unknown[], unknown>;
  job(name: string): JobHandle<unknown, unknown>;
  dict(name: string): DictHandle<unknown>;
  lock(name: string): LockHandle;
  /** The value of secret `name`, for the handler running now (which must declare it). */
  secret(name: string, options?: SecretValueOptions): Promise<string>;
  /** The value of config setting `name` in this environment (else its default). */
  config(name: string): string;
  /** The logger of the invocation running now (a function call, a run, a request to a service), if any. */
  log?(): Log | undefined;
}

const SLOT = Symbol.for('multinode.runtime');
type Slot = { [SLOT]?: RuntimePort };

/** Installs the runtime for this process (replacing any previous one); returns a function that uninstalls it. */
export function installRuntime(port: RuntimePort): () => void {
  const slot = globalThis as Slot;
  const previous = slot[SLOT];
  slot[SLOT] = port;
  return () => {
    if (slot[SLOT] === port) slot[SLOT] = previous;
  };
}

/** The installed runtime; `what` names the call for the error when there is none. */
export function currentRuntime(what: string): RuntimePort {
  const port = (globalThis as Slot)[SLOT];
  if (!port) {
    throw new RuntimeNotInstalledError(
      `${what} needs the multinode runtime, and none is running in this process. It is installed when the app runs ` +
        '(multinode dev, Lambda, Batch); from other code, use connect(...); in tests, use multinode/testing.',
    );
  }
  return port;
}

/** True when a runtime is installed in this process. */
export function isRuntimeInstalled(): boolean {
  return (globalThis as Slot)[SLOT] !== undefined;
}

/** The installed runtime's logger of the invocation running now; undefined outside one, or with no runtime. */
export function currentInvocationLog(): Log | undefined {
  return (globalThis as Slot)[SLOT]?.log?.();
}
