import type { ManifestDefinitionOf } from '../../lib/manifest.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import type { Connection } from '../../runtime/entry/connect.js';
import type { LocalCloud } from '../../runtime/local/cloud.js';
import type { CliIO } from '../io.js';

/** What `multinode run` acts on: a definition of the app, reached through a connection. */
export interface RunTarget<K extends DefinitionKind = DefinitionKind> {
  readonly definition: ManifestDefinitionOf<K>;
  readonly connection: Connection;
  /** The local cloud this command started, or undefined when it talks to a running `multinode dev`. */
  readonly cloud: LocalCloud | undefined;
}

/** What `run` does with a definition of kind K; resolves with the value to print. */
export type Runner<K extends DefinitionKind> = (target: RunTarget<K>, args: unknown[], io: CliIO) => Promise<unknown>;

/** JSON for the terminal: Dates as ISO strings, Maps as objects, Sets as arrays, BigInts as strings, bytes as base64. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Map) return Object.fromEntries([...item].map(([k, v]) => [String(k), v]));
      if (item instanceof Set) return [...item];
      if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
      return item;
    },
    2,
  );
  return text ?? 'null';
}
