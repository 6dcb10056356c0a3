/**
 * Every definition registers itself here when it is created (at module load). The app resolver compares this
 * list with the entry's exports to name definitions and to find ones that were not exported.
 */
import type { AnyDefinition } from './definitions/base.js';

const SLOT = Symbol.for('multinode.registry');
type Slot = { [SLOT]?: AnyDefinition[] };

function list(): AnyDefinition[] {
  const slot = globalThis as Slot;
  return (slot[SLOT] ??= []);
}

export function register(definition: AnyDefinition): void {
  list().push(definition);
}

/** Definitions created so far in this process, in creation order. */
export function registeredDefinitions(): readonly AnyDefinition[] {
  return [...list()];
}
