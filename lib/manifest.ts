/**
 * The manifest: the JSON description of an app that everything downstream reads (the CDK constructs, the local
 * cloud, the CLI). It is built inside the process that loaded the app, from resolved definitions.
 *
 * Shape (manifestVersion 1):
 * {
 *   "manifestVersion": 1,
 *   "app": { "name": "tweet-summaries" },
 *   "definitions": [
 *     { "name", "kind": "function|job|schedule|service|dict|lock", "exportName": string|null,
 *       "options": { normalized options of the kind },
 *       "placement": "lambda"|"batch"|null, "compute": { see Compute }|null,
 *       "schedule": { "spec", "expressions": [{ "expression", "timezone", "startDate"? }] }   (schedules only) }
 *   ]
 * }
 */
import type { ResolvedApp } from './app.js';
import type { DefinitionKind } from './options/context.js';
import type { Compute, Placement } from './placement.js';
import type { ScheduleManifest } from './schedule/spec.js';
import { describeCompute } from './placement.js';
import { describeScheduleSpec } from './schedule/describe.js';

export const MANIFEST_VERSION = 1;

export interface ManifestDefinition {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** The export the definition came from (null when it was found by its explicit name only). */
  readonly exportName: string | null;
  readonly options: Readonly<Record<string, unknown>>;
  readonly placement: Placement | null;
  readonly compute: Compute | null;
  readonly schedule?: ScheduleManifest;
}

export interface Manifest {
  readonly manifestVersion: typeof MANIFEST_VERSION;
  readonly app: { readonly name: string };
  readonly definitions: readonly ManifestDefinition[];
}

export function buildManifest(app: ResolvedApp, appName: string): Manifest {
  return {
    manifestVersion: MANIFEST_VERSION,
    app: { name: appName },
    definitions: app.definitions.map((definition) => ({
      name: definition.name,
      kind: definition.kind,
      exportName: app.exportNames.get(definition) ?? null,
      options: { ...definition.options },
      placement: definition.placement,
      compute: definition.compute,
      ...(definition.kind === 'schedule' ? { schedule: definition.schedule } : {}),
    })),
  };
}

/** App names become stack and resource name prefixes: letters, digits and "-", starting with a letter. */
export function normalizeAppName(raw: string): string {
  const unscoped = raw.replace(/^@[^/]+\//, '');
  const cleaned = unscoped
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
  return cleaned;
}

/** The readable table of `multinode manifest`. */
export function formatManifestTable(manifest: Manifest): string {
  const rows = manifest.definitions.map((d) => [d.name, d.kind, d.placement ?? '-', describeDefinition(d)]);
  const header = ['NAME', 'KIND', 'PLACEMENT', 'RESOURCES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const body = rows.length > 0 ? rows.map(line).join('\n') : '(no definitions)';
  return `App: ${manifest.app.name}\n\n${line(header)}\n${body}\n`;
}

function describeDefinition(definition: ManifestDefinition): string {
  const parts: string[] = [];
  if (definition.compute) parts.push(describeCompute(definition.compute));
  const options = definition.options as { maxRetries?: number; maxConcurrency?: number; lock?: string | null; auth?: unknown };
  if (options.maxRetries) parts.push(`${options.maxRetries} retries`);
  if (definition.kind === 'function' || definition.kind === 'job') parts.push(`concurrency ${options.maxConcurrency}`);
  if (options.lock) parts.push(`lock ${options.lock}`);
  if (definition.kind === 'service') parts.push(`auth ${typeof options.auth === 'string' ? options.auth : 'jwt'}`);
  if (definition.schedule) parts.push(describeScheduleSpec(definition.schedule.spec));
  return parts.length > 0 ? parts.join(', ') : '-';
}
