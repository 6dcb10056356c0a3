/**
 * Outside callers: code that is not part of the app (a script, another service, a notebook) gets typed handles to
 * the app's functions, jobs and dicts, talking to the deployed app or to a running `multinode dev`.
 *
 *   import * as app from '../../src/app.js';
 *   const remote = connect(app);                       // where: MULTINODE_* variables (constructs' connection env)
 *   const remote = connect(app, { local: 'path/to/app' });  // a running `multinode dev` of that app
 *   await remote.buildReport.call('UK');               // typed from the definition
 *   await app.buildReport.call('UK');                  // the module's own definitions work too (installed)
 *   remote.close();
 *
 * Without the app's module, `connectTo({ config, manifest })` gives untyped handles by name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolveApp } from '../../lib/app.js';
import { isDefinition } from '../../lib/definitions/base.js';
import type { DictDefinition } from '../../lib/definitions/dict.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import type { JobDefinition } from '../../lib/definitions/job.js';
import { MultinodeError } from '../../lib/errors.js';
import type { DictHandle, FunctionHandle, JobHandle } from '../../lib/handles.js';
import { buildManifest, type Manifest } from '../../lib/manifest.js';
import { installRuntime, type RuntimePort } from '../../lib/runtime-port.js';
import { checkConfig, configFromEnv, type RuntimeConfig } from '../core/config.js';
import { createContext, type ContextOptions, type RuntimeContext } from '../core/context.js';
import { createRuntimePort } from './runtime-port.js';

/** The file a running local cloud writes into its state directory: its configuration and manifest. */
export const CLOUD_FILE = 'cloud.json';

/** `connect` could not find the app it should talk to. */
export class ConnectError extends MultinodeError {}

/** Typed handles for the functions, dicts and jobs a module exports. */
export type Handles<M> = {
  readonly [K in keyof M as M[K] extends FunctionDefinition<never, unknown> | DictDefinition<unknown> | JobDefinition<never, unknown>
    ? K
    : never]: M[K] extends FunctionDefinition<infer A, infer R>
    ? FunctionHandle<A, R>
    : M[K] extends DictDefinition<infer V>
      ? DictHandle<V>
      : M[K] extends JobDefinition<infer I, infer P>
        ? JobHandle<I, P>
        : never;
};

export interface Connection {
  readonly context: RuntimeContext;
  readonly port: RuntimePort;
  /** Uninstalls the runtime (when installed) and closes the SDK clients. */
  close(): void;
}

export interface ConnectOptions extends ContextOptions {
  /** Where the app runs. Default: the MULTINODE_* environment variables (and the SDK's credentials). */
  readonly config?: RuntimeConfig;
  /**
   * A running `multinode dev`: its state directory, or the app's folder (the running one of its `.multinode/<entry>/`
   * state directories; ConnectError when several run, naming them).
   */
  readonly local?: string;
  /** Make the module's own definitions (`app.myFn.call`) use this connection; default true. */
  readonly install?: boolean;
}

/** Connects to the app whose module is `appModule`; returns typed handles plus the connection. */
export function connect<M extends Readonly<Record<string, unknown>>>(appModule: M, options: ConnectOptions = {}): Handles<M> & Connection {
  const definitions = Object.values(appModule).filter(isDefinition);
  if (definitions.length === 0)
    throw new ConnectError('connect(module): the module exports no multinode definitions; pass the app module (import * as app from "../app.js").');
  const resolved = resolveApp(appModule, definitions);
  const local = options.local ? readLocal(options.local) : undefined;
  const config = options.config ?? local?.config ?? configFromEnv();
  const connection = connectTo({ config: checkConfig(config), manifest: local?.manifest ?? buildManifest(resolved, config.app) }, options);
  const handles: Record<string, unknown> = {};
  for (const [exportName, value] of Object.entries(appModule)) {
    if (!isDefinition(value)) continue;
    const name = value.name;
    if (value.kind === 'function') handles[exportName] = connection.port.function(name);
    else if (value.kind === 'dict') handles[exportName] = connection.port.dict(name);
    else if (value.kind === 'job') Object.defineProperty(handles, exportName, { enumerable: true, get: () => connection.port.job(name) });
  }
  return Object.assign(handles, connection) as Handles<M> & Connection;
}

/** Connects to an app described by its configuration and manifest (no module needed); handles by name. */
export function connectTo(target: { config: RuntimeConfig; manifest: Manifest }, options: Omit<ConnectOptions, 'config' | 'local'> = {}): Connection {
  const context = createContext(target.config, target.manifest, options);
  const port = createRuntimePort(context);
  const uninstall = options.install === false ? undefined : installRuntime(port);
  return {
    context,
    port,
    close() {
      uninstall?.();
      context.clients.destroy();
    },
  };
}

/**
 * The configuration, manifest and services' URLs of a running local cloud, from its state directory's cloud.json (what
 * `connectTo` and `createControlPlane` take), and, from clouds that write it, the `.env` file its secret and config
 * values come from.
 */
export function readLocal(where: string): {
  config: RuntimeConfig;
  manifest: Manifest;
  services: Array<{ name: string; url: string }>;
  settings?: { envFile: string };
} {
  const absolute = path.resolve(where);
  const folder = path.join(absolute, '.multinode');
  // A state directory itself, an app folder's entries' state directories (`.multinode/<entry>/`), or the one state
  // directory per package of earlier versions (`.multinode/`).
  const perEntry = isDirectory(folder)
    ? readdirSync(folder)
        .sort()
        .map((name) => path.join(folder, name))
        .filter((dir) => existsSync(path.join(dir, CLOUD_FILE)))
    : [];
  if (perEntry.length > 1 && !existsSync(path.join(absolute, CLOUD_FILE))) {
    throw new ConnectError(
      `Several local clouds run from ${absolute}: ${perEntry.map((dir) => path.relative(absolute, dir)).join(', ')}. Pass the state directory of the ` +
        'one to reach (one of those folders).',
    );
  }
  const candidates = [absolute, ...perEntry, folder];
  for (const dir of candidates) {
    if (!isDirectory(dir)) continue;
    const file = path.join(dir, CLOUD_FILE);
    if (!existsSync(file)) continue;
    let cloud: { config?: RuntimeConfig; manifest?: Manifest; services?: Array<{ name: string; url: string }>; settings?: { envFile?: unknown } };
    try {
      cloud = JSON.parse(readFileSync(file, 'utf8')) as typeof cloud;
    } catch (error) {
      throw new ConnectError(`${file} is not readable JSON (${(error as Error).message}); restart multinode dev.`);
    }
    const envFile = cloud?.settings?.envFile;
    if (cloud?.config && cloud.manifest) {
      return {
        config: cloud.config,
        manifest: cloud.manifest,
        services: cloud.services ?? [],
        ...(typeof envFile === 'string' ? { settings: { envFile } } : {}),
      };
    }
  }
  throw new ConnectError(
    `No running local cloud found at ${absolute} (looked for cloud.json in ${absolute} and in the folders of ${folder}). Start it with: multinode dev <entry>.`,
  );
}

function isDirectory(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}
