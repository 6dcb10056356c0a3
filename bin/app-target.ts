/**
 * Which app a command acts on: one rule for every command (and for the dashboard).
 *
 * - **The entry** is an optional first positional argument, recognized by its ending (`.ts`, `.mts`, `.cts`, `.tsx`,
 *   `.js`, `.mjs`, `.cjs`, `.jsx`): no definition name, run id or subcommand has one, so an argument with such an
 *   ending is always meant as the entry and must name an existing file. The other arguments follow it.
 * - **Without it**, the app is found in the current folder's package (the folder of the nearest package.json above
 *   it): each entry that ran there has its state directory `.multinode/<entry key>/`, whose marker names the entry and
 *   where a running `multinode dev` leaves its `cloud.json`; a dev counts only when its endpoint answers. The app is
 *   the one whose `multinode dev` runs there; when none runs, the package's only app (the only state directory whose
 *   entry still exists). Several: the command asks for the entry, listing them.
 * - **`--state-dir DIR`** names the state directory instead (its marker names the entry).
 * - **`--stack NAME`** (with `--app`, `--region`, `--profile`) is the deployed app, found from its CloudFormation stack
 *   with the caller's credentials; no entry is needed (an entry given is not used).
 *
 * Commands that build the app (`dev`, `run`, `manifest`, `schedules`, `cdk`, `token`) take `chooseApp`: an entry
 * file. Commands that operate a running app (`status`, `runs`, `logs`, `cancel`, `retry`, `dict`, `schedules pause`,
 * ...) take `findTarget`: a running dev or a deployed stack, which `openControlPlane` turns into a control plane.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, ManifestError, MultinodeError } from '../lib/errors.js';
import { readAppName } from '../runtime/build/app-name.js';
import { checkEntry, MODULE_EXTENSIONS } from '../runtime/build/bundle.js';
import { createControlPlane, type ControlPlane } from '../runtime/control/control-plane.js';
import type { ControlPlaneTarget } from '../runtime/control/types.js';
import { ConnectError, readLocal } from '../runtime/entry/connect.js';
import { findDeployedApp } from '../runtime/entry/deployed-app.js';
import type { LogEntry } from '../runtime/logs/entries.js';
import { createLogReader } from '../runtime/logs/reader.js';
import { defaultStateDir, migrateLegacyStateDir, readStateMarker, STATE_FOLDER, stateDirsIn } from '../runtime/local/state-dir.js';
import { expectArguments } from './args.js';
import { UsageError } from './io.js';

// ---- the entry argument

/** Whether a command-line argument is meant as the app's entry: it ends like a module file. */
export function looksLikeEntry(argument: string): boolean {
  return MODULE_EXTENSIONS.has(path.extname(argument).toLowerCase());
}

/**
 * The entry (an absolute path; ManifestError when the file does not exist) when the first positional argument is one,
 * and the other arguments.
 */
export function splitEntry(positionals: readonly string[], cwd: string): { entry?: string; rest: string[] } {
  const [first, ...rest] = positionals;
  if (first === undefined || !meantAsEntry(first, cwd)) return { rest: [...positionals] };
  const absolute = path.resolve(cwd, first);
  // Named as given: the path the user typed, and where it was looked for.
  if (!existsSync(absolute)) throw new ManifestError(`The app entry ${first} does not exist (looked for ${absolute}).`);
  return { entry: checkEntry(absolute), rest };
}

/**
 * splitEntry for a command whose other arguments are `names` (the last `optional` of them may be left out): a wrong
 * count is a UsageError, found before the entry is checked.
 */
export function entryAndArguments(
  command: string,
  positionals: readonly string[],
  cwd: string,
  names: readonly string[],
  optional = 0,
): { entry?: string; rest: string[] } {
  const [first] = positionals;
  const rest = first !== undefined && meantAsEntry(first, cwd) ? positionals.slice(1) : positionals;
  expectArguments(command, rest, names, optional);
  return splitEntry(positionals, cwd);
}

/**
 * An argument meant as the entry: one ending like a module, or a path to an existing file that is not one
 * (`package.json`), which checkEntry then refuses saying what an entry is. A name, run id or action is never a path.
 */
export function meantAsEntry(argument: string, cwd: string): boolean {
  if (looksLikeEntry(argument)) return true;
  return /[./\\]/.test(argument) && !argument.includes('@') && isFile(path.resolve(cwd, argument));
}

// ---- apps of the current folder

/** How to reach a running `multinode dev`: its cloud.json. */
export interface RunningDev extends ControlPlaneTarget {
  /** The `.env` file its secret and config values come from. */
  readonly envFile?: string;
}

/** An app that has run in a package folder: its state directory, app and entry, and its running dev if any. */
export interface LocalApp {
  readonly stateDir: string;
  readonly app: string;
  /** The entry its marker names (absent in a state directory of an earlier version). */
  readonly entry?: string;
  readonly running?: RunningDev;
}

/** The folder whose `.multinode/` holds the apps of `cwd`: the nearest folder above it with a package.json, else `cwd`. */
export function packageFolder(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

/** The apps that ran in `folder` (its `.multinode/*` state directories), each with its running dev when one answers. */
export async function localApps(folder: string): Promise<LocalApp[]> {
  return Promise.all(
    stateDirsIn(folder).map(async (dir) => {
      const running = await runningDevAt(dir.root);
      return { stateDir: dir.root, app: dir.app, ...(dir.entry !== undefined ? { entry: dir.entry } : {}), ...(running ? { running } : {}) };
    }),
  );
}

/** The `multinode dev` running from the state directory `stateDir`, when its cloud.json is there and it answers. */
export async function runningDevAt(stateDir: string): Promise<RunningDev | undefined> {
  if (!existsSync(path.join(stateDir, 'cloud.json'))) return undefined;
  let found: ReturnType<typeof readLocal>;
  try {
    found = readLocal(stateDir);
  } catch (error) {
    if (error instanceof ConnectError) return undefined;
    throw error;
  }
  const lambda = found.config.endpoints?.lambda;
  if (!lambda) return undefined;
  try {
    await fetch(lambda, { signal: AbortSignal.timeout(1000) });
  } catch {
    return undefined; // A leftover cloud.json of a cloud that is gone.
  }
  // As LocalCloud.start does for its own clients: the SDK's Node 20 deprecation notice is noise on a local call.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return { config: found.config, manifest: found.manifest, services: found.services, ...(found.settings ? { envFile: found.settings.envFile } : {}) };
}

// ---- commands that build the app: an entry

export interface ChosenApp {
  /** The entry file, absolute. */
  readonly entry: string;
  /** Its state directory: `--state-dir`, else the entry's default. */
  readonly stateDir: string;
  /** The `multinode dev` running from that state directory, if any. */
  readonly running?: RunningDev;
}

export interface ChooseOptions {
  /** The entry argument (`splitEntry`), if given. */
  readonly entry?: string;
  /** `--state-dir`, as given. */
  readonly stateDir?: string;
  readonly cwd: string;
  /**
   * The command opens the state directory (dev, run, token): the state directory of an earlier version (one per
   * package) is moved into the entry's own first.
   */
  readonly opensState?: boolean;
}

/**
 * The app a command builds: the entry given; else the one `--state-dir` names; else the app whose `multinode dev`
 * runs in the current folder's package; else the package's only app. UsageError when there is none or several.
 */
export async function chooseApp(command: string, options: ChooseOptions): Promise<ChosenApp> {
  const flagDir = options.stateDir === undefined ? undefined : path.resolve(options.cwd, options.stateDir);
  let entry = options.entry;
  if (entry === undefined && flagDir !== undefined) {
    const marker = existsSync(flagDir) ? readStateMarker(flagDir) : undefined;
    if (marker?.entry === undefined || !isFile(marker.entry)) {
      throw new UsageError(`missing <entry>: the app module, e.g. src/app.ts (the state directory ${flagDir} does not name an existing entry).`, command);
    }
    entry = marker.entry;
  }
  if (entry === undefined) {
    const folder = packageFolder(options.cwd);
    const apps = (await localApps(folder)).filter((app) => app.entry !== undefined && isFile(app.entry));
    const running = apps.filter((app) => app.running);
    const pick = running.length === 1 ? running[0] : running.length === 0 && apps.length === 1 ? apps[0] : undefined;
    if (!pick) {
      const several = running.length > 1 ? running : apps;
      throw new UsageError(
        several.length > 1
          ? `missing <entry>: ${running.length > 1 ? `multinode dev runs for ${several.length} apps` : `${several.length} apps have run`} in ` +
              `${folder} (${listEntries(several, options.cwd)}); name one, e.g. multinode ${command} ${shownPath(several[0]!.entry!, options.cwd)}.`
          : `missing <entry>: the app module, e.g. src/app.ts (no app has run in ${folder} yet to find it from: ` +
              `no ${path.join(STATE_FOLDER, '<entry>')} there).`,
        command,
      );
    }
    return { entry: pick.entry!, stateDir: flagDir ?? pick.stateDir, ...(pick.running ? { running: pick.running } : {}) };
  }
  let stateDir = flagDir;
  if (stateDir === undefined) {
    if (options.opensState) await migrateLegacyStateDir(entry, readAppName(entry));
    stateDir = defaultStateDir(entry);
  }
  const running = await runningDevAt(stateDir);
  return { entry, stateDir, ...(running ? { running } : {}) };
}

// ---- commands that operate the app: a running dev or a deployed stack

/** The flags of every command that reaches a running app (parseCommandArgs options). */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  app: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

/** The values of TARGET_OPTIONS. */
export interface TargetFlags {
  readonly stack?: string;
  readonly app?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly 'state-dir'?: string;
}

/** The help text of TARGET_OPTIONS, for every command's usage. */
export const TARGET_USAGE = `Where (default: the app whose multinode dev runs in this folder's package):
  <entry>           the app's module (src/app.ts): its running multinode dev
  --state-dir DIR   the multinode dev running from the state directory DIR
  --stack NAME      the app deployed in the CloudFormation stack NAME (your AWS credentials:
                    AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)
  --app PREFIX      with --stack: the app's prefix, when the stack holds several apps
  --region REGION   with --stack: the stack's region (default: AWS_REGION or your profile's)
  --profile NAME    with --stack: the AWS profile to use (default: AWS_PROFILE)`;

interface TargetBase extends ControlPlaneTarget {
  /** In words, for messages: `multinode dev of shop (src/app.ts)`, `stack Shop (app Shop, eu-west-1)`. */
  readonly description: string;
}

/** A running `multinode dev`. */
export interface DevTarget extends TargetBase {
  readonly kind: 'dev';
  readonly stateDir: string;
  readonly entry?: string;
  /** The `.env` file its values come from. */
  readonly envFile?: string;
}

/** An app deployed in AWS, found from its stack. */
export interface StackTarget extends TargetBase {
  readonly kind: 'stack';
  readonly stack: { readonly name: string; readonly id: string; readonly status: string };
}

export type AppTarget = DevTarget | StackTarget;

/** What `--json` answers say about where they came from. */
export function targetJson(target: AppTarget): Record<string, unknown> {
  return target.kind === 'dev'
    ? { kind: 'dev', app: target.manifest.app.name, stateDir: target.stateDir, ...(target.entry !== undefined ? { entry: target.entry } : {}) }
    : { kind: 'stack', app: target.manifest.app.name, stack: target.stack.name, prefix: target.config.prefix, region: target.config.region };
}

/** Checks the combination of TARGET_OPTIONS (UsageError). */
export function checkTargetFlags(command: string, flags: TargetFlags): void {
  if (flags.stack === undefined) {
    for (const flag of ['app', 'region', 'profile'] as const) {
      if (flags[flag] !== undefined)
        throw new UsageError(`--${flag} goes with --stack <name> (the deployed app); without --stack the app is a running multinode dev.`, command);
    }
  } else if (flags['state-dir'] !== undefined) {
    throw new UsageError(
      '--stack and --state-dir name two different places; give one: --stack for the deployed app, --state-dir for a running multinode dev.',
      command,
    );
  }
}

/**
 * The running app a command acts on: with `--stack`, the deployed app (findDeployedApp: DeployedAppError when the stack
 * cannot be read as a multinode app); else the running `multinode dev` of the entry, of `--state-dir`, or of the
 * current folder's package (MultinodeError when none runs; UsageError when several do and no entry says which).
 * `--profile` must be in effect while it runs (`withAwsProfile`).
 */
export async function findTarget(command: string, options: { entry?: string; flags: TargetFlags; cwd: string }): Promise<AppTarget> {
  const { flags, cwd } = options;
  checkTargetFlags(command, flags);
  if (flags.stack !== undefined) {
    const found = await findDeployedApp({
      stackName: flags.stack,
      ...(flags.app !== undefined ? { app: flags.app } : {}),
      ...(flags.region !== undefined ? { region: flags.region } : {}),
    }).catch((error: unknown) => {
      // A --stack, --app or --region that cannot be one is a wrong command line: named by its flag.
      if (!(error instanceof InvalidArgumentError)) throw error;
      const flag = { stackName: 'stack', app: 'app', region: 'region' };
      throw new UsageError(
        error.message.replace(/^findDeployedApp: (stackName|app|region) /, (_, name: keyof typeof flag) => `--${flag[name]} `),
        command,
      );
    });
    return {
      kind: 'stack',
      config: found.config,
      manifest: found.manifest,
      services: found.services,
      stack: found.stack,
      description: `stack ${found.stack.name} (app ${found.manifest.app.name}, prefix ${found.config.prefix}, ${found.config.region})`,
    };
  }
  const flagDir = flags['state-dir'] === undefined ? undefined : path.resolve(cwd, flags['state-dir']);
  if (options.entry !== undefined || flagDir !== undefined) {
    const stateDir = flagDir ?? defaultStateDir(options.entry!);
    const running = await runningDevAt(stateDir);
    const what = options.entry !== undefined ? shownPath(options.entry, cwd) : undefined;
    if (!running) {
      throw new MultinodeError(
        `No multinode dev is running ${what ? `for ${what} (its state directory ${stateDir} has no live cloud)` : `from ${stateDir}`}. ` +
          `Start it with: multinode dev ${what ?? '<entry>'}${flagDir ? ` --state-dir ${flags['state-dir']}` : ''}; ` +
          'or reach the deployed app with --stack <stack name>.',
      );
    }
    return devTarget(stateDir, options.entry ?? safeMarkerEntry(stateDir), running, cwd);
  }
  const folder = packageFolder(cwd);
  const apps = await localApps(folder);
  const running = apps.filter((app) => app.running);
  if (running.length === 1) return devTarget(running[0]!.stateDir, running[0]!.entry, running[0]!.running!, cwd);
  if (running.length > 1) {
    throw new UsageError(
      `multinode dev runs for ${running.length} apps in ${folder} (${listEntries(running, cwd)}); name one, e.g. ` +
        `multinode ${command} ${running[0]!.entry ? shownPath(running[0]!.entry, cwd) : `--state-dir ${running[0]!.stateDir}`}.`,
      command,
    );
  }
  const idle = apps.filter((app) => app.entry !== undefined && isFile(app.entry));
  throw new MultinodeError(
    `No multinode dev is running in ${folder}${idle.length > 0 ? ` (${listEntries(idle, cwd)} ran there before)` : ''}. Start one with: multinode dev ` +
      `${idle.length === 1 ? shownPath(idle[0]!.entry!, cwd) : '<entry>'}; or reach the deployed app with --stack <stack name>.`,
  );
}

/** A control plane over the target, reading logs through the runtime's CloudWatch Logs reader. */
export function openControlPlane(target: ControlPlaneTarget): ControlPlane<LogEntry> {
  return createControlPlane<LogEntry>(target, { logs: (context) => createLogReader(context) });
}

/** Runs `action` with `AWS_PROFILE` set to `profile` (when given), as the SDK's credential and region chains read it. */
export async function withAwsProfile<T>(profile: string | undefined, action: () => Promise<T>): Promise<T> {
  if (profile === undefined) return action();
  const saved = process.env.AWS_PROFILE;
  process.env.AWS_PROFILE = profile;
  try {
    return await action();
  } finally {
    if (saved === undefined) delete process.env.AWS_PROFILE;
    else process.env.AWS_PROFILE = saved;
  }
}

function devTarget(stateDir: string, entry: string | undefined, running: RunningDev, cwd: string): DevTarget {
  return {
    kind: 'dev',
    stateDir,
    ...(entry !== undefined ? { entry } : {}),
    config: running.config,
    manifest: running.manifest,
    services: running.services,
    ...(running.envFile !== undefined ? { envFile: running.envFile } : {}),
    description: `multinode dev of ${running.manifest.app.name}${entry !== undefined ? ` (${shownPath(entry, cwd)})` : ''}`,
  };
}

function safeMarkerEntry(stateDir: string): string | undefined {
  try {
    return readStateMarker(stateDir)?.entry;
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

function listEntries(apps: readonly LocalApp[], cwd: string): string {
  return apps.map((app) => (app.entry !== undefined ? shownPath(app.entry, cwd) : app.stateDir)).join(', ');
}

/** A path as the user would type it from `cwd`: relative when inside it. */
export function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
