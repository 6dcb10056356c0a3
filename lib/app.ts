/**
 * Resolving an app: pairing the definitions created while the entry module loaded with the entry's exports, to
 * give each its name and to catch what cannot be named. Runs wherever the app starts (manifest, Lambda, Batch,
 * local cloud), so every process agrees on the names.
 */
import { takeProblems } from './collect.js';
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
  // Problems the definitions recorded while the module loaded come first (lib/collect.ts), then the naming ones.
  const problems: string[] = takeProblems();
  const exportsOf = exportsByDefinition(moduleExports, definitions, problems);
  const exportNames = new Map<AnyDefinition, string>();
  const owners = new Map<string, AnyDefinition>();
  for (const definition of definitions) {
    const exported = exportsOf.get(definition) ?? [];
    if (exported.length === 1) exportNames.set(definition, exported[0]!);
    const name = nameOf(definition, exported, problems);
    if (name === undefined || !claimName(name, definition, owners, problems)) continue;
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

/** The export names of each definition of this app; exports made by another copy of the package are problems. */
function exportsByDefinition(
  moduleExports: Readonly<Record<string, unknown>>,
  definitions: readonly AnyDefinition[],
  problems: string[],
): Map<AnyDefinition, string[]> {
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
  return exportsOf;
}

/** A definition's name: its explicit one, else its one valid export name; undefined (with a problem) otherwise. */
function nameOf(definition: AnyDefinition, exported: readonly string[], problems: string[]): string | undefined {
  if (definition.explicitName !== undefined) return definition.explicitName;
  if (exported.length === 1 && exported[0] !== 'default' && NAME_PATTERN.test(exported[0]!)) return exported[0];
  // Only for messages: formatting the site reads the stack, which is slow with source maps.
  const what = describe(definition);
  if (exported.length === 0) {
    problems.push(`${what} is not exported from the app's entry: export it (export const myName = ...) so it gets a name, or give it a "name" option.`);
  } else if (exported.length > 1) {
    problems.push(`${what} is exported under ${exported.length} names (${exported.join(', ')}); export it once, or give it a "name" option.`);
  } else if (exported[0] === 'default') {
    problems.push(`${what} is the default export, which has no name; export it by name or give it a "name" option.`);
  } else {
    problems.push(`${what} is exported as "${exported[0]}", which is not a valid name (${NAME_RULE}); give it a "name" option.`);
  }
  return undefined;
}

/** Records `definition` as the owner of `name`; false (with a problem) when another definition has it. */
function claimName(name: string, definition: AnyDefinition, owners: Map<string, AnyDefinition>, problems: string[]): boolean {
  const owner = owners.get(name);
  if (owner) {
    problems.push(`two definitions are named "${name}": ${describe(owner)} and ${describe(definition)}. Names must be unique across the app.`);
    return false;
  }
  owners.set(name, definition);
  return true;
}

/** `fn() at src/app.ts:3:20`, for messages only: formatting a site reads the stack, which is slow with source maps. */
function describe(definition: AnyDefinition): string {
  return `${DECLARING_CALL[definition.kind]}() at ${formatSite(definition.site)}`;
}
