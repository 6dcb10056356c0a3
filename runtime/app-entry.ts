/**
 * What the app bundle runs when it loads: resolves the user's module into named definitions and exposes the
 * entry points of the bundle (the manifest now; the Lambda handler and Batch entry as the runtime grows).
 * The bundler generates `export const { manifest, ... } = startApp(userModule)`.
 */
import { resolveApp, type ResolvedApp } from '../lib/app.js';
import { buildManifest, type Manifest } from '../lib/manifest.js';

export interface AppEntryPoints {
  readonly app: ResolvedApp;
  /** The app's manifest, named `appName`. */
  manifest(appName: string): Manifest;
}

export function startApp(userModule: Readonly<Record<string, unknown>>): AppEntryPoints {
  const app = resolveApp(userModule);
  return {
    app,
    manifest: (appName) => buildManifest(app, appName),
  };
}
