/**
 * What the app bundle runs when it loads: resolves the user's module into named definitions and exposes the
 * entry points of the bundle: the manifest, and the Lambda handler every function of the app runs.
 * The bundler generates `export const { manifest, handler } = startApp(userModule)`.
 */
import { resolveApp, type ResolvedApp } from '../../lib/app.js';
import { buildManifest, type Manifest } from '../../lib/manifest.js';
import { createLambdaHandler, type LambdaHandler } from './lambda-handler.js';
import { createBatchEntry } from './batch-entry.js';

export interface AppEntryPoints {
  readonly app: ResolvedApp;
  /** The app's manifest, named `appName`. */
  manifest(appName: string): Manifest;
  /** The Lambda handler (`app.handler`); it starts the runtime from the environment on its first event. */
  readonly handler: LambdaHandler;
  /** The Batch container entry (`app.batch`, run by the bootstrap): runs the task in the job's environment, resolves the exit code. */
  readonly batch: () => Promise<number>;
}

export function startApp(userModule: Readonly<Record<string, unknown>>): AppEntryPoints {
  const app = resolveApp(userModule);
  return {
    app,
    manifest: (appName) => buildManifest(app, appName),
    handler: createLambdaHandler(app),
    batch: createBatchEntry(app),
  };
}
