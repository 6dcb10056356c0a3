/**
 * The runtime's implementation of the model's RuntimePort: typed handles by definition name, made once per name
 * and process. Functions go through their placement's invoker; dicts to their table; jobs and locks to their clients
 * over the state table; `log` is the logger of the invocation running now; secrets and config settings to their
 * sources (runtime/settings).
 */
import type { DictHandle, FunctionHandle, JobHandle, LockHandle } from '../../lib/handles.js';
import type { RuntimePort } from '../../lib/runtime-port.js';
import type { RuntimeContext } from '../core/context.js';
import { invocationLog } from '../core/invocation-log.js';
import { DictClient } from '../dicts/dict-client.js';
import { FunctionClient } from '../functions/function-client.js';
import { invokerFor } from '../functions/invokers.js';
import { createJobClient, createLockClient } from '../jobs/factory.js';
import { configValue } from '../settings/config-values.js';
import { SecretStore } from '../settings/secret-store.js';

export interface RuntimePortOptions {
  /** Where secrets (on Batch) and config settings are read from; default: this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function createRuntimePort(context: RuntimeContext, options: RuntimePortOptions = {}): RuntimePort {
  const env = options.env ?? process.env;
  const secrets = new SecretStore(context, env);
  const functions = new Map<string, FunctionHandle<unknown[], unknown>>();
  const dicts = new Map<string, DictHandle<unknown>>();
  const jobs = new Map<string, JobHandle<unknown, unknown>>();
  const locks = new Map<string, LockHandle>();
  const cached = <T>(cache: Map<string, T>, name: string, make: () => T): T => {
    let handle = cache.get(name);
    if (!handle) cache.set(name, (handle = make()));
    return handle;
  };
  return {
    function: (name) =>
      cached(functions, name, () => {
        const definition = context.definition(name, 'function');
        return new FunctionClient(context, definition, invokerFor(context, definition));
      }),
    dict: (name) =>
      cached(dicts, name, () => {
        context.definition(name, 'dict');
        return new DictClient({ documents: context.clients.documents, name, table: context.names.dictTable(name), clock: context.clock });
      }),
    job: (name) => cached(jobs, name, () => createJobClient(context, name)),
    lock: (name) => cached(locks, name, () => createLockClient(context, name)),
    log: invocationLog,
    secret: (name, secretOptions) => secrets.value(name, secretOptions),
    config: (name) => configValue(context.manifest, env, name),
  };
}
