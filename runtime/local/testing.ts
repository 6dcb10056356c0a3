/**
 * multinode/testing: run an app's local cloud inside a test, with the real runtime. Ephemeral ports, data in
 * memory, nothing left behind. The app's definitions imported by the test are connected to the cloud, so
 * `myFn.call(...)`, `myDict.get(...)` work as they do in AWS:
 *
 *   const cloud = await startTestCloud('src/app.ts');
 *   expect(await buildReport.call('UK')).toMatchObject({ country: 'UK' });
 *   await fetch(`${cloud.url('api')}/summaries/climate`);
 *   await cloud.stop();
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveApp } from '../../lib/app.js';
import { isDefinition } from '../../lib/definitions/base.js';
import { InvocationFailedError } from '../../lib/errors.js';
import { installRuntime } from '../../lib/runtime-port.js';
import type { ContextOptions, RuntimeContext } from '../core/context.js';
import { createRuntimePort } from '../entry/runtime-port.js';
import { fromLambdaError } from '../core/remote-error.js';
import { LocalCloud, type LocalCloudOptions } from './cloud.js';
import { formatCloudLog } from './log-format.js';

export { LocalCloud } from './cloud.js';
export type { CloudLog, LocalCloudOptions, ServiceEndpoint } from './cloud.js';
export { formatCloudLog } from './log-format.js';

export interface TestCloudOptions extends Omit<LocalCloudOptions, 'entry' | 'stateDir' | 'port'> {
  /**
   * The app module as the test imported it (`await import('../src/app.js')`), to connect its definitions to the
   * cloud. Default: the test process imports `entry` itself (works under vitest, which loads TypeScript).
   */
  readonly module?: Readonly<Record<string, unknown>>;
  /** Runtime tuning and clock of the in-process runtime. */
  readonly runtime?: ContextOptions;
  /** Print the app's logs (default: collected in `logs` only). */
  readonly printLogs?: boolean;
}

export interface TestCloud {
  readonly cloud: LocalCloud;
  /** The in-process runtime context (SDK clients against the cloud). */
  readonly context: RuntimeContext;
  /** Lines the app logged, as `[source] line`, each line as written (the runtime's as JSON). */
  readonly logs: string[];
  /** Base URL of a service. */
  url(service: string): string;
  /** Fires a schedule once and waits for its run; resolves with the handler's answer or rejects with its error. */
  fire(schedule: string, scheduledTime?: Date): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startTestCloud(entry: string, options: TestCloudOptions = {}): Promise<TestCloud> {
  const logs: string[] = [];
  const cloud = await LocalCloud.start({
    ...options,
    entry,
    log: (source, line) => {
      logs.push(`[${source}] ${line}`);
      if (options.printLogs) process.stdout.write(`${formatCloudLog(source, line)}\n`);
      options.log?.(source, line);
    },
  });
  let uninstall: (() => void) | undefined;
  try {
    const module = options.module ?? ((await import(pathToFileURL(path.resolve(entry)).href)) as Record<string, unknown>);
    resolveApp(module, Object.values(module).filter(isDefinition));
    const context = cloud.context(options.runtime);
    // Config settings read in the test process see the cloud's values, as its workers do.
    uninstall = installRuntime(createRuntimePort(context, { env: { ...process.env, ...cloud.settings.configEnvironment() } }));
    return {
      cloud,
      context,
      logs,
      url: (service) => cloud.serviceUrl(service),
      async fire(schedule, scheduledTime) {
        const answer = await cloud.fireSchedule(schedule, { wait: true, ...(scheduledTime ? { scheduledTime } : {}) });
        if (answer.functionError) throw new InvocationFailedError(schedule, fromLambdaError(answer.payload));
        return answer.payload ? (JSON.parse(answer.payload) as unknown) : null;
      },
      async stop() {
        uninstall?.();
        context.clients.destroy();
        await cloud.stop();
      },
    };
  } catch (error) {
    uninstall?.();
    await cloud.stop();
    throw error;
  }
}
