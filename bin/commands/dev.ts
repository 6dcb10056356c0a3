import path from 'node:path';
import { MultinodeError } from '../../lib/errors.js';
import { formatLocalTime } from '../../lib/schedule/describe.js';
import { type InputWatcher, watchAppInputs } from '../../runtime/build/watch.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { formatCloudLog } from '../../runtime/local/log-format.js';
import { type Dashboard, startDashboard } from '../../runtime/dashboard/index.js';
import { chooseApp, entryAndArguments, shownPath } from '../app-target.js';
import { envFileFlag, settingsSummary } from './settings-flags.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliIO } from '../io.js';
import { toJson } from '../output.js';
import type { Command } from './types.js';

/**
 * What dev prints: a line for people, or (--json) one JSON object per line, `{ "event": ... }`, for tools that start
 * it (building, ready, log, triggered, rebuilding, rebuilt, rebuild-failed, stopping).
 */
type DevPrint = (text: string, event: { readonly event: string; readonly [field: string]: unknown }) => void;

export const devCommand: Command = {
  summary: 'run the app locally: its functions, services, schedules and dicts, on 127.0.0.1',
  usage: `Usage: multinode dev [<entry>] [--port N] [--trigger NAME]... [--no-schedules] [--state-dir DIR] [--env-file FILE]
                     [--dashboard-port N] [--no-dashboard] [--json]

Builds the app module <entry> and runs it in a local cloud: DynamoDB for dicts, a Lambda endpoint
whose workers run the app bundle, S3 for large payloads, an HTTP gateway per service and the
scheduler firing the app's schedules. Prints the service URLs, the next schedule times, the
functions and the jobs, streams logs prefixed by definition name, rebuilds when a file the app is
built from changes, and stops on Ctrl-C.

<entry> may be left out when the app can be found without it: the only app that has run in this
folder's package before (its state directory .multinode/<entry>/ names the entry).

Options:
  --port N          port of the first service (the next services take the following ports); default 3000
  --trigger NAME    fire the schedule NAME once at start (repeatable)
  --no-schedules    do not fire schedules at their times (--trigger still works)
  --state-dir DIR   keep data here; default <app>/.multinode/<entry> next to the app's package.json
  --env-file FILE   values of the app's secrets and config settings (NAME=value lines); default .env
                    next to the app's package.json. Changes to the file reach new invocations.
  --dashboard-port N
                    port of the web dashboard on 127.0.0.1; default any free port. Its URL, printed as
                    "dashboard: <url>", holds a new token at every start.
  --no-dashboard    do not serve the dashboard
  --json            print one JSON object per line, each with its "event": building { entry }, ready
                    { app, entry, stateDir, dashboard, services, schedules, functions, jobs, settings }, log
                    { source, line }, triggered { name, scheduledTime }, rebuilding { files }, rebuilt,
                    rebuild-failed { error }, stopping
  --help            show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('dev', argv, {
      port: { type: 'string' },
      trigger: { type: 'string', multiple: true },
      'no-schedules': { type: 'boolean' },
      'state-dir': { type: 'string' },
      'env-file': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const split = entryAndArguments('dev', positionals, io.cwd, []);
    const port = parsePort(values.port, '--port', 3000);
    const dashboardPort = parsePort(values['dashboard-port'], '--dashboard-port', 0);
    const { entry, stateDir, running } = await chooseApp('dev', {
      ...(split.entry !== undefined ? { entry: split.entry } : {}),
      ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
      cwd: io.cwd,
      opensState: true,
    });
    if (running) {
      throw new MultinodeError(
        `multinode dev is already running for ${shownPath(entry, io.cwd)} (from ${stateDir}). Use that one, or stop it first; ` +
          'to run a second copy, pass --state-dir with another directory.',
      );
    }
    const envFile = envFileFlag('dev', values['env-file'], io.cwd);
    const print: DevPrint = values.json ? (_text, event) => io.stdout(`${toJson(event, 0)}\n`) : (text) => io.stdout(`${text}\n`);
    const log = (source: string, line: string) => print(formatCloudLog(source, line), { event: 'log', source, line });

    print(`multinode dev: building ${path.relative(io.cwd, entry) || entry} ...`, { event: 'building', entry });
    const cloud = await LocalCloud.start({ entry, stateDir, port, log, schedules: !values['no-schedules'], ...(envFile ? { envFile } : {}) });
    let watcher: InputWatcher | undefined;
    let dashboard: Dashboard | undefined;
    try {
      for (const name of values.trigger ?? []) {
        if (!cloud.manifest.definitions.some((d) => d.kind === 'schedule' && d.name === name)) {
          const schedules = cloud.manifest.definitions.filter((d) => d.kind === 'schedule').map((d) => d.name);
          throw new MultinodeError(`--trigger ${name}: the app has no schedule named "${name}"; its schedules: ${schedules.join(', ') || '(none)'}.`);
        }
      }
      if (!values['no-dashboard']) {
        // Read at each request: a rebuild changes the manifest, and the dashboard follows.
        dashboard = await startDashboard({ target: () => cloud.connection(), mode: 'local', where: stateDir, port: dashboardPort });
      }
      // Watching before the summary says it runs: an edit made once it is printed is seen.
      watcher = await watchSources(entry, cloud, io, print);
      printSummary(cloud, entry, stateDir, io, print, dashboard);
      for (const name of values.trigger ?? []) {
        const event = await cloud.trigger(name);
        print(`[multinode] triggered ${name} (scheduled time ${event.scheduledTime})`, { event: 'triggered', name, scheduledTime: event.scheduledTime });
      }
      await aborted(io.signal);
      print('\nmultinode dev: stopping ...', { event: 'stopping' });
      return 0;
    } finally {
      await watcher?.close();
      await dashboard?.close();
      await cloud.stop();
    }
  },
};

function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new UsageError(`${flag} must be a port number from 0 to 65535 (0: any free port), got "${value}".`, 'dev');
  return Number(value);
}

function printSummary(cloud: LocalCloud, entry: string, stateDir: string, io: CliIO, print: DevPrint, dashboard: Dashboard | undefined): void {
  const lines = [`\nmultinode dev: ${cloud.manifest.app.name} is running (data in ${stateDir})`];
  if (dashboard) lines.push(`  dashboard: ${dashboard.url}`);
  for (const service of cloud.services) lines.push(`  service ${service.name}: ${service.url}`);
  const next = new Map<string, Date>();
  for (const run of cloud.upcoming(100)) if (!next.has(run.name)) next.set(run.name, run.scheduledTime);
  for (const definition of cloud.manifest.definitions.filter((d) => d.kind === 'schedule')) {
    const time = next.get(definition.name);
    const timezone = definition.schedule?.spec.timezone ?? 'UTC';
    lines.push(`  schedule ${definition.name}: ${time ? `next at ${time.toISOString()} (${formatLocalTime(time, timezone)})` : 'not firing (--no-schedules)'}`);
  }
  const functions = cloud.manifest.definitions.filter((d) => d.kind === 'function').map((d) => d.name);
  if (functions.length > 0) lines.push(`  functions: ${functions.join(', ')} (call one with: multinode run <entry> <name> --args '[...]')`);
  const jobs = cloud.manifest.definitions.filter((d) => d.kind === 'job').map((d) => d.name);
  if (jobs.length > 0) lines.push(`  jobs: ${jobs.join(', ')} (start one with: multinode run <entry> <name> --args '<input>')`);
  const settings = cloud.settings.status();
  lines.push(...settingsSummary(settings, io.cwd));
  lines.push('Press Ctrl-C to stop.\n');
  print(lines.join('\n'), {
    event: 'ready',
    app: cloud.manifest.app.name,
    entry,
    stateDir,
    dashboard: dashboard?.url ?? null,
    services: cloud.services,
    schedules: cloud.manifest.definitions.filter((d) => d.kind === 'schedule').map((d) => ({ name: d.name, nextFireTime: next.get(d.name) ?? null })),
    functions,
    jobs,
    settings: {
      envFile: settings.envFile,
      secretsWithoutValue: settings.secrets.filter((s) => !s.hasValue).map((s) => s.name),
      configWithoutValue: settings.config.filter((c) => c.source === 'none').map((c) => c.name),
    },
  });
}

/**
 * Rebuilds on every change of a file the bundle is built from (the entry, the files it imports from any folder,
 * packages), however it was saved; a burst of saves makes one rebuild.
 */
async function watchSources(entry: string, cloud: LocalCloud, io: CliIO, print: DevPrint): Promise<InputWatcher> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const changed = new Set<string>();
  const watcher = await watchAppInputs(entry, (files) => {
    for (const file of files) changed.add(path.relative(io.cwd, file) || file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      const what = files.length > 0 ? files.join(', ') : 'a source file';
      changed.clear();
      running = running.then(async () => {
        print(`[multinode] ${what} changed; rebuilding ...`, { event: 'rebuilding', files });
        const result = await cloud.rebuild();
        if (result.ok) print('[multinode] rebuilt; new invocations run the new code.', { event: 'rebuilt' });
        else
          print(`[multinode] the rebuild failed; still running the previous build.\n${result.error.message}`, {
            event: 'rebuild-failed',
            error: result.error.message,
          });
      });
    }, 150);
  });
  return {
    async close() {
      await watcher.close();
      clearTimeout(timer);
      await running;
    },
  };
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
