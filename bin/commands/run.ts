import path from 'node:path';
import { InvocationFailedError, MultinodeError } from '../../lib/errors.js';
import type { ManifestDefinition, ManifestDefinitionOf } from '../../lib/manifest.js';
import { checkEntry } from '../../runtime/build/bundle.js';
import { ConnectError, connectTo, readLocal, type Connection } from '../../runtime/entry/connect.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { formatCloudLog } from '../../runtime/local/log-format.js';
import { defaultStateDir } from '../../runtime/local/state-dir.js';
import { fromLambdaError } from '../../runtime/core/remote-error.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliIO } from '../io.js';
import { awaitScheduledRun } from '../../runtime/schedules/batch-runner.js';
import type { ScheduleResponse } from '../../runtime/schedules/schedule-event.js';
import { runJob } from './run-job.js';
import { envFileFlag } from './settings-flags.js';
import { type Runner, type RunTarget, toJson } from './run-target.js';
import type { Command } from './types.js';

/** How long past a Batch-placed task's timeout `run` keeps waiting (the container start and the state-change event). */
const BATCH_FINISH_MARGIN_MS = 120_000;

type RunnableKind = 'function' | 'schedule' | 'job';

/** What `run` does with a definition of each kind it can run. */
export const RUNNERS: { readonly [K in RunnableKind]: Runner<K> } = {
  function: (target, args) => target.connection.port.function(target.definition.name).call(...args),
  schedule: async (target) => {
    const name = target.definition.name;
    if (!target.cloud)
      throw new MultinodeError(`Firing the schedule "${name}" needs this command's own local cloud; stop multinode dev first, or use its --trigger ${name}.`);
    // A person's run now: it runs even while the task is paused.
    const answer = await target.cloud.fireSchedule(name, { manual: true, wait: true });
    if (answer.functionError) throw new InvocationFailedError(name, fromLambdaError(answer.payload));
    const response = JSON.parse(answer.payload) as ScheduleResponse;
    if (response.outcome !== 'submitted') return response;
    // A Batch-placed task: the dispatcher answered once it submitted; wait for the container to finish the run.
    const timeoutMs = target.definition.options.timeoutSeconds * 1000 + BATCH_FINISH_MARGIN_MS;
    const ended = await awaitScheduledRun(target.connection.context, name, response.scheduledTime, { timeoutMs });
    if (ended.status === 'FAILED') {
      throw new InvocationFailedError(name, ended.error ?? { type: 'Error', message: `the run scheduled for ${response.scheduledTime} failed on Batch` });
    }
    return { ...response, outcome: ended.status, attempts: ended.attempts };
  },
  job: (target, args, io) => runJob(target, args, io),
};

export const runCommand: Command = {
  summary: 'call one function (or fire one schedule) of the app in the local cloud and print the result as JSON',
  usage: `Usage: multinode run <entry> <name> [--args JSON] [--state-dir DIR] [--env-file FILE]

Calls the function <name> of the app <entry> in the local cloud (the same runtime as in AWS) and prints
its result as JSON; fires the schedule <name> once and prints how the run went. When "multinode dev"
is running for the app, the call goes to it; otherwise a local cloud is started for the call, on the
same data. Exits 1 with the remote error when the call fails. For a job, starts it with the input
(--args), prints its progress on stderr as it is read (polled: a line says how many values yielded
since the previous line were skipped) and the final result on stdout; Ctrl-C cancels it; exits 1
when it fails, is cancelled or times out.

Options:
  --args JSON       the argument list as a JSON array, e.g. '["UK", 3]'; any other JSON value is the
                    single argument; default: no arguments
  --state-dir DIR   the app's data; default <app>/.multinode next to the app's package.json
  --env-file FILE   values of the app's secrets and config settings (NAME=value lines) for the local
                    cloud this command starts; default .env next to the app's package.json. A running
                    multinode dev uses its own file.
  --help            show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      args: { type: 'string' },
      'state-dir': { type: 'string' },
      'env-file': { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    if (positionals.length !== 2)
      throw new UsageError(
        `expected <entry> and <name>, got ${positionals.length} ` +
          `argument${positionals.length === 1 ? '' : 's'}${positionals.length > 0 ? `: ${positionals.join(' ')}` : ''}.`,
        'run',
      );
    const args = parseArgsFlag(values.args);
    const entry = checkEntry(path.resolve(io.cwd, positionals[0]!));
    const name = positionals[1]!;
    const stateDir = values['state-dir'] ? path.resolve(io.cwd, values['state-dir']) : defaultStateDir(entry);
    const envFile = envFileFlag('run', values['env-file'], io.cwd);

    const running = await runningCloud(stateDir);
    if (running && envFile)
      io.stderr(`multinode run: multinode dev is running for this app and uses its own values; --env-file ${values['env-file']} is not read.\n`);
    const cloud = running
      ? undefined
      : await LocalCloud.start({ entry, stateDir, log: (source, line) => io.stderr(`${formatCloudLog(source, line)}\n`), ...(envFile ? { envFile } : {}) });
    const connection = running ?? connectTo({ config: cloud!.config, manifest: cloud!.manifest });
    try {
      const manifest = connection.context.manifest;
      const definition = manifest.definitions.find((d) => d.name === name);
      if (!definition || !isRunnable(definition)) {
        const runnable = manifest.definitions.filter(isRunnable).map((d) => `${d.name} (${d.kind})`);
        const why = definition
          ? `"${name}" is a ${definition.kind}, which run cannot ` +
            `call${definition.kind === 'service' ? ' (services answer HTTP: start multinode dev and use the printed URL)' : ''}`
          : `the app has no definition named "${name}"`;
        throw new MultinodeError(`${why}. It can run: ${runnable.join(', ') || '(nothing)'}.`);
      }
      try {
        const result = await runWith(definition.kind, { definition, connection, cloud }, args, io);
        io.stdout(`${toJson(result)}\n`);
        return 0;
      } catch (error) {
        if (!(error instanceof InvocationFailedError)) throw error;
        io.stderr(`multinode: ${error.message}\n${error.remote.stack ? `${error.remote.stack}\n` : ''}`);
        return 1;
      }
    } finally {
      connection.close();
      await cloud?.stop();
    }
  },
};

function parseArgsFlag(value: string | undefined): unknown[] {
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--args must be JSON, such as '["UK", 3]': ${(error as Error).message}.`, 'run');
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** A connection to a running `multinode dev` of this state directory, if one answers. */
async function runningCloud(stateDir: string): Promise<Connection | undefined> {
  let target: ReturnType<typeof readLocal>;
  try {
    target = readLocal(stateDir);
  } catch (error) {
    if (error instanceof ConnectError) return undefined;
    throw error;
  }
  const lambda = target.config.endpoints?.lambda;
  if (!lambda) return undefined;
  try {
    await fetch(lambda, { signal: AbortSignal.timeout(1000) });
  } catch {
    return undefined; // A leftover cloud.json of a cloud that is gone.
  }
  // As LocalCloud.start does for its own clients: the SDK's Node 20 deprecation notice is noise on a local call.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return connectTo(target, { install: false });
}

function isRunnable(definition: ManifestDefinition): definition is ManifestDefinitionOf<RunnableKind> {
  return definition.kind in RUNNERS;
}

function runWith<K extends RunnableKind>(kind: K, target: RunTarget<K>, args: unknown[], io: CliIO): Promise<unknown> {
  return RUNNERS[kind](target, args, io);
}
