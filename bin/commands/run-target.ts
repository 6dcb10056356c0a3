import type { ManifestDefinitionOf } from '../../lib/manifest.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import type { Connection } from '../../runtime/entry/connect.js';
import type { CliIO } from '../io.js';

export { toJson } from '../output.js';

/** What `multinode run` acts on: a definition of the app, reached through a connection (a running dev, or its own cloud). */
export interface RunTarget<K extends DefinitionKind = DefinitionKind> {
  readonly definition: ManifestDefinitionOf<K>;
  readonly connection: Connection;
}

/** What `run` does with a definition of kind K; resolves with the value to print. */
export type Runner<K extends DefinitionKind> = (target: RunTarget<K>, args: unknown[], io: CliIO) => Promise<unknown>;
