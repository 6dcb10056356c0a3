/** multinode/manifest: node-side tooling to bundle an app and read its manifest (used by the CLI and the constructs). */
export { bundleApp, bundleAppSync, BUNDLE_FILE, checkEntry } from './bundle.js';
export type { AppBundle, BundleOptions } from './bundle.js';
export { loadManifest, loadManifestSync } from './load-manifest.js';
export type { LoadedManifest, LoadManifestOptions } from './load-manifest.js';
export { readAppName } from './app-name.js';
export { formatManifestTable, MANIFEST_VERSION } from '../../lib/manifest.js';
export type {
  DictManifest,
  FunctionManifest,
  JobManifest,
  LockManifest,
  Manifest,
  ManifestDefinition,
  ManifestDefinitionOf,
  PlacedDefinition,
  ScheduledTaskManifest,
  ServiceManifest,
} from '../../lib/manifest.js';
export { definitionsOf, isKind, isPlaced } from '../../lib/manifest.js';
