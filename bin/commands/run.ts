import { InvocationFailedError, MultinodeError } from '../../lib/errors.js';
import type { ManifestDefinition, ManifestDefinitionOf } from '../../lib/manifest.js';
import { connectTo } from '../../runtime/entry/connect.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { formatCloudLog } from '../../runtime/local/log-format.js';
import { chooseApp, entryAndArguments, shownPath } from '../app-target.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliIO } from '../io.js';
import { runJob } from './run-job.js';
import { runSchedule } from './run-schedule.js';
import { envFileFlag } from './settings-flags.js';
import { type Runner, type RunTarget, toJson } from './run-target.js';
import type { Command } from './types.js';

type RunnableKind = 'function' | 'schedule' | 'job';

/** What `run` does with a definition of each kind it can run. */
export const RUNNERS: { readonly [K in RunnableKind]: Runner<K> } = {
  function: (target, args) => target.connection.port.function(target.definition.name).call(...args),
  schedule: runSchedule,
  job: (target, args, io) => runJob(target, args, io),
};

export const runCommand: Command = {
  summary: 'call one function (or fire one schedule) of the app in the local cloud and print the result as JSON',
  usage: `Usage: multinode run [<entry>] <name> [--args JSON] [--state-dir DIR] [--env-file FILE] [--json]

Calls the function <name> of the app in the local cloud (the same runtime as in AWS) and prints its
result as JSON; runs the scheduled task <name> once now (a manual run, which runs even while the task
is paused) and prints how the run went. When "multinode dev" is running for the app, the call goes to
it (its workers, its logs); otherwise a local cloud is started for the call, on the same data. Exits 1
with the remote error when the call fails. For a job, starts it with the input
(--args), prints its progress on stderr as it is read (polled: a line says how many values yielded
since the previous line were skipped) and the final result on stdout; Ctrl-C cancels it; exits 1
when it fails, is cancelled or times out.

The app: <entry> (src/app.ts) when given; else the one whose multinode dev runs in this folder's
package, else the package's only app (see "multinode status --help").

Options:
  --args JSON       the argument list as a JSON array, e.g. '["UK", 3]'; any other JSON value is the
                    single argument; default: no arguments
  --state-dir DIR   the app's data; default <app>/.multinode/<entry> next to the app's package.json
  --env-file FILE   values of the app's secrets and config settings (NAME=value lines) for the local
                    cloud this command starts; default .env next to the app's package.json. A running
                    multinode dev uses its own file.
  --json            the result is printed as JSON with or without it
  --help            show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      args: { type: 'string' },
      'state-dir': { type: 'string' },
      'env-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const split = entryAndArguments('run', positionals, io.cwd, ['name: the function, job or scheduled task to run']);
    const args = parseArgsFlag(values.args);
    const name = split.rest[0]!;
    const envFile = envFileFlag('run', values['env-file'], io.cwd);
    const chosen = await chooseApp('run', {
      ...(split.entry !== undefined ? { entry: split.entry } : {}),
      ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
      cwd: io.cwd,
      opensState: true,
    });
    const { entry, stateDir, running } = chosen;
    if (running && envFile)
      io.stderr(`multinode run: multinode dev is running for this app and uses its own values; --env-file ${values['env-file']} is not read.\n`);
    if (split.entry === undefined) io.stderr(`multinode run: ${running ? 'the running multinode dev of' : 'the app'} ${shownPath(entry, io.cwd)}\n`);
    const cloud = running
      ? undefined
      : await LocalCloud.start({ entry, stateDir, log: (source, line) => io.stderr(`${formatCloudLog(source, line)}\n`), ...(envFile ? { envFile } : {}) });
    const connection = connectTo(running ?? { config: cloud!.config, manifest: cloud!.manifest }, { install: false });
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
        const result = await runWith(definition.kind, { definition, connection }, args, io);
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

function isRunnable(definition: ManifestDefinition): definition is ManifestDefinitionOf<RunnableKind> {
  return definition.kind in RUNNERS;
}

function runWith<K extends RunnableKind>(kind: K, target: RunTarget<K>, args: unknown[], io: CliIO): Promise<unknown> {
  return RUNNERS[kind](target, args, io);
}
