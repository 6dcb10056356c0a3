/**
 * Resolving an app: pairing the definitions created while the entry module loaded with the entry's exports, to
 * give each its name and to catch what cannot be named. Runs wherever the app starts (manifest, Lambda, Batch,
 * local cloud), so every process agrees on the names.
 */
import { type AnyDefinition, isDefinition } from './definitions/base.js';
import { DefinitionError } from './errors.js';
import { DECLARING_CALL } from './options/context.js';
import { NAME_PATTERN, NAME_RULE } from './options/fields.js';
import { registeredDefinitions } from './registry.js';
import { formatSite } from './site.js';

export interface ResolvedApp {
  /** Every definition, in declaration order, named. */
  readonly definitions: readonly AnyDefinition[];
  /** Export name of each definition that has one. */
  readonly exportNames: ReadonlyMap<AnyDefinition, string>;
  byName(name: string): AnyDefinition | undefined;
}

/**
 * Names the definitions of an app from its entry's exports. A definition takes its explicit name (`name` option,
 * or the name given to `dict`/`lock`) or else its export name. Errors (all of them, in one DefinitionError):
 * a definition without a name (not exported), one exported under two names, a default export without a name,
 * an export name that is not a valid name, two definitions with one name.
 */
export function resolveApp(moduleExports: Readonly<Record<string, unknown>>, definitions: readonly AnyDefinition[] = registeredDefinitions()): ResolvedApp {
  const problems: string[] = [];
  const exportsOf = new Map<AnyDefinition, string[]>();
  for (const [exportName, value] of Object.entries(moduleExports)) {
    if (!isDefinition(value)) continue;
    if (!definitions.includes(value)) {
      problems.push(
        `export "${exportName}" is a definition created by another copy of the multinode package; ` +
          'make sure the app and its dependencies share one copy of "multinode".',
      );
      continue;
    }
    exportsOf.set(value, [...(exportsOf.get(value) ?? []), exportName]);
  }

  const exportNames = new Map<AnyDefinition, string>();
  const owners = new Map<string, AnyDefinition>();
  for (const definition of definitions) {
    // Only for messages: formatting a site reads the stack, which is slow with source maps (see site.ts).
    const what = () => `${DECLARING_CALL[definition.kind]}() at ${formatSite(definition.site)}`;
    const exported = exportsOf.get(definition) ?? [];
    if (exported.length === 1) exportNames.set(definition, exported[0]!);
    let name = definition.explicitName;
    if (name === undefined) {
      if (exported.length === 0) {
        problems.push(`${what()} is not exported from the app's entry: export it (export const myName = ...) so it gets a name, or give it a "name" option.`);
        continue;
      }
      if (exported.length > 1) {
        problems.push(`${what()} is exported under ${exported.length} names (${exported.join(', ')}); export it once, or give it a "name" option.`);
        continue;
      }
      name = exported[0]!;
      if (name === 'default') {
        problems.push(`${what()} is the default export, which has no name; export it by name or give it a "name" option.`);
        continue;
      }
      if (!NAME_PATTERN.test(name)) {
        problems.push(`${what()} is exported as "${name}", which is not a valid name (${NAME_RULE}); give it a "name" option.`);
        continue;
      }
    }
    const owner = owners.get(name);
    if (owner) {
      problems.push(
        `two definitions are named "${name}": ${DECLARING_CALL[owner.kind]}() at ${formatSite(owner.site)} and ${what()}. Names must be unique across the app.`,
      );
      continue;
    }
    owners.set(name, definition);
    definition.assignName(name);
  }

  if (problems.length > 0) {
    throw new DefinitionError(problems.length === 1 ? problems[0]! : `The app's definitions have ${problems.length} problems:\n- ${problems.join('\n- ')}`);
  }
  return {
    definitions: definitions.filter((d) => owners.get(d.name) === d),
    exportNames,
    byName: (name) => owners.get(name),
  };
}
