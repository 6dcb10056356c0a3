/**
 * Everything the runtime needs to act for one app: its configuration and resource names, the SDK clients, the
 * manifest (each definition's normalized options and placement), the state table, the payload bucket, a clock and a
 * logger.
 * Built once per process (a Lambda environment, a Batch job, a `connect` call, a test).
 */
import { DefinitionError } from '../../lib/errors.js';
import { isKind, type Manifest, type ManifestDefinitionOf } from '../../lib/manifest.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import { resourceNames, type ResourceNames } from '../../lib/naming.js';
import { createClients, type Clients } from './clients.js';
import { checkConfig, type RuntimeConfig } from './config.js';
import { Payloads } from './payloads.js';
import { Logger } from './logger.js';
import { DEFAULT_BACKOFF, type Backoff } from './retry.js';
import { StateTable } from '../state/state-table.js';

export interface RuntimeTuning {
  /** Backoff between retries of a failed execution (`maxRetries`). */
  readonly retryBackoff: Backoff;
  /** Backoff between retries of a throttled (429) invoke. */
  readonly throttleBackoff: Backoff;
  /** How often a running `start`ed invocation checks whether it was cancelled, ms. */
  readonly cancelPollMs: number;
  /** How often `awaitResult` reads a run's state at most, ms (it starts faster). */
  readonly awaitPollMaxMs: number;
  /**
   * A started run whose executor has not written a heartbeat for this long is lost (a crashed Lambda invocation),
   * and a run handed a slot but not claimed within it was never delivered; ms. Carried by each run from its starter.
   */
  readonly runStaleAfterMs: number;
}

export const DEFAULT_TUNING: RuntimeTuning = {
  retryBackoff: { baseMs: 200, capMs: 10_000 },
  throttleBackoff: DEFAULT_BACKOFF,
  cancelPollMs: 1000,
  awaitPollMaxMs: 1000,
  runStaleAfterMs: 60_000,
};

export interface RuntimeContext {
  readonly config: RuntimeConfig;
  readonly names: ResourceNames;
  readonly clients: Clients;
  readonly manifest: Manifest;
  readonly state: StateTable;
  readonly payloads: Payloads;
  /** Epoch ms. */
  readonly clock: () => number;
  readonly tuning: RuntimeTuning;
  /** The process's logger (JSON lines on stdout, carrying `app`); each invocation logs with a child of it. */
  readonly log: Logger;
  /** The manifest entry named `name`; throws a DefinitionError naming what exists when there is none of `kind`. */
  definition<K extends DefinitionKind>(name: string, kind: K): ManifestDefinitionOf<K>;
}

export interface ContextOptions {
  readonly clients?: Clients;
  readonly clock?: () => number;
  readonly tuning?: Partial<RuntimeTuning>;
  /** Default: JSON lines on stdout, timed by `clock`, carrying the app's name. */
  readonly logger?: Logger;
}

export function createContext(config: RuntimeConfig, manifest: Manifest, options: ContextOptions = {}): RuntimeContext {
  checkConfig(config);
  const names = resourceNames(config.prefix);
  const clients = options.clients ?? createClients(config);
  const byName = new Map(manifest.definitions.map((d) => [d.name, d]));
  const clock = options.clock ?? Date.now;
  return {
    config,
    names,
    clients,
    manifest,
    state: new StateTable(clients.documents, names.stateTable),
    payloads: new Payloads(clients.s3, config.bucket),
    clock,
    tuning: { ...DEFAULT_TUNING, ...options.tuning },
    log: options.logger ?? new Logger({ clock, fields: { app: config.app } }),
    definition(name, kind) {
      const found = byName.get(name);
      if (found && isKind(found, kind)) return found;
      const known = manifest.definitions.filter((d) => d.kind === kind).map((d) => d.name);
      throw new DefinitionError(
        `The app "${manifest.app.name}" has no ${kind} named "${name}"${found ? ` ("${name}" is a ${found.kind})` : ''}. ` +
          `Its ${kind}s: ${known.length > 0 ? known.join(', ') : '(none)'}.`,
      );
    },
  };
}
