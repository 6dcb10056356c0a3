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
 *   ],
 *   "secrets": [{ "name" }],                      every secret declared (values are never in the manifest)
 *   "config": [{ "name", "default": string|null }] every config setting declared
 * }
 */
import type { ResolvedApp } from './app.js';
import type { AnyDefinition } from './definitions/base.js';
import type { FunctionSettings } from './definitions/function.js';
import type { JobSettings } from './definitions/job.js';
import type { ScheduleSettings } from './definitions/schedule.js';
import type { ServiceSettings } from './definitions/service.js';
import type { DefinitionKind } from './options/context.js';
import type { BatchCompute, Compute, LambdaCompute, Placement } from './placement.js';
import type { ScheduleManifest } from './schedule/spec.js';
import { describeCompute } from './placement.js';
import { describeScheduleSpec } from './schedule/describe.js';
import { registeredConfig, registeredSecrets } from './settings/registry.js';

export const MANIFEST_VERSION = 1;

/** What every definition records: its name, kind and normalized options (every default filled in, lib/options). */
interface Entry<K extends DefinitionKind, O, P extends Placement | null, C extends Compute | null> {
  readonly name: string;
  readonly kind: K;
  /** The export the definition came from (null when it was found by its explicit name only). */
  readonly exportName: string | null;
  readonly options: O;
  /** Where it runs (decided once, lib/placement.ts); null for dicts and locks. */
  readonly placement: P;
  readonly compute: C;
}

/** Dicts and locks take no options. */
export type NoOptions = Readonly<Record<never, never>>;

export type FunctionManifest = Entry<'function', FunctionSettings, Placement, Compute>;
export type JobManifest = Entry<'job', JobSettings, Placement, Compute>;
export interface ScheduledTaskManifest extends Entry<'schedule', ScheduleSettings, Placement, Compute> {
  /** The timing, normalized, with its compiled EventBridge Scheduler expressions. */
  readonly schedule: ScheduleManifest;
}
/** Services always run on Lambda (API Gateway HTTP APIs integrate with Lambda). */
export type ServiceManifest = Entry<'service', ServiceSettings, 'lambda', LambdaCompute>;
export type DictManifest = Entry<'dict', NoOptions, null, null>;
export type LockManifest = Entry<'lock', NoOptions, null, null>;

/** One definition of the manifest; `kind` tells which, and with it the shape of `options`. */
export type ManifestDefinition = FunctionManifest | JobManifest | ScheduledTaskManifest | ServiceManifest | DictManifest | LockManifest;
export type ManifestDefinitionOf<K extends DefinitionKind> = Extract<ManifestDefinition, { readonly kind: K }>;
/** The definitions that run code, on Lambda or Batch. */
export type PlacedDefinition = FunctionManifest | JobManifest | ScheduledTaskManifest | ServiceManifest;
/** A definition placed on Lambda, with its Lambda settings. */
export type LambdaPlaced = PlacedDefinition & { readonly placement: 'lambda'; readonly compute: LambdaCompute };
/** A definition placed on AWS Batch, with its Batch settings. */
export type BatchPlaced = Exclude<PlacedDefinition, ServiceManifest> & { readonly placement: 'batch'; readonly compute: BatchCompute };

/** A secret the app declares (`secret(name)`); definitions list the ones they read in `options.secrets`. */
export interface SecretManifest {
  readonly name: string;
}

/** A config setting the app declares (`config(name, { default })`). */
export interface ConfigManifest {
  readonly name: string;
  /** The value used when none is set; null: none, so a value must be set. */
  readonly default: string | null;
}

export interface Manifest {
  readonly manifestVersion: typeof MANIFEST_VERSION;
  readonly app: { readonly name: string };
  readonly definitions: readonly ManifestDefinition[];
  /** Every secret declared while the app loaded (definitions may only read declared secrets). */
  readonly secrets: readonly SecretManifest[];
  readonly config: readonly ConfigManifest[];
}

export function isKind<K extends DefinitionKind>(definition: ManifestDefinition, kind: K): definition is ManifestDefinitionOf<K> {
  return definition.kind === kind;
}

export function isPlaced(definition: ManifestDefinition): definition is PlacedDefinition {
  return definition.placement !== null;
}

export function isOnLambda(definition: ManifestDefinition): definition is LambdaPlaced {
  return definition.placement === 'lambda' && definition.compute?.type === 'lambda';
}

export function isOnBatch(definition: ManifestDefinition): definition is BatchPlaced {
  return definition.placement === 'batch' && definition.compute?.type === 'batch';
}

/** The definitions of one kind, in manifest order. */
export function definitionsOf<K extends DefinitionKind>(manifest: Manifest, kind: K): Array<ManifestDefinitionOf<K>> {
  return manifest.definitions.filter((d): d is ManifestDefinitionOf<K> => isKind(d, kind));
}

export function buildManifest(app: ResolvedApp, appName: string): Manifest {
  return {
    manifestVersion: MANIFEST_VERSION,
    app: { name: appName },
    definitions: app.definitions.map((definition) => manifestEntry(definition, app.exportNames.get(definition) ?? null)),
    secrets: registeredSecrets().map((s) => ({ name: s.name })),
    config: registeredConfig().map((c) => ({ name: c.name, default: c.defaultValue ?? null })),
  };
}

/** The secrets a placed definition may read (its `secrets` option); none for dicts and locks. */
export function secretsOf(definition: ManifestDefinition): readonly string[] {
  return definition.kind === 'dict' || definition.kind === 'lock' ? [] : definition.options.secrets;
}

function manifestEntry(definition: AnyDefinition, exportName: string | null): ManifestDefinition {
  const { name } = definition;
  switch (definition.kind) {
    case 'function':
      return { name, kind: 'function', exportName, options: { ...definition.options }, placement: definition.placement, compute: definition.compute };
    case 'job':
      return { name, kind: 'job', exportName, options: { ...definition.options }, placement: definition.placement, compute: definition.compute };
    case 'schedule':
      return {
        name,
        kind: 'schedule',
        exportName,
        options: { ...definition.options },
        placement: definition.placement,
        compute: definition.compute,
        schedule: definition.schedule,
      };
    case 'service':
      return { name, kind: 'service', exportName, options: { ...definition.options }, placement: definition.placement, compute: definition.compute };
    case 'dict':
    case 'lock':
      return { name, kind: definition.kind, exportName, options: {}, placement: null, compute: null };
  }
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
  const settings = [
    ...(manifest.secrets.length > 0 ? [`Secrets: ${manifest.secrets.map((s) => s.name).join(', ')}`] : []),
    ...(manifest.config.length > 0
      ? [`Config: ${manifest.config.map((c) => (c.default === null ? c.name : `${c.name} (default ${JSON.stringify(c.default)})`)).join(', ')}`]
      : []),
  ];
  return `App: ${manifest.app.name}\n\n${line(header)}\n${body}\n${settings.length > 0 ? `\n${settings.join('\n')}\n` : ''}`;
}

function describeDefinition(definition: ManifestDefinition): string {
  const parts: string[] = [];
  if (definition.compute) parts.push(describeCompute(definition.compute));
  const { kind } = definition;
  if ((kind === 'function' || kind === 'job' || kind === 'schedule') && definition.options.maxRetries > 0) {
    parts.push(`${definition.options.maxRetries} ${definition.options.maxRetries === 1 ? 'retry' : 'retries'}`);
  }
  if (kind === 'function' || kind === 'job') parts.push(`concurrency ${definition.options.maxConcurrency}`);
  if (kind === 'job' && definition.options.lock) parts.push(`lock ${definition.options.lock}`);
  if ((kind === 'function' || kind === 'job' || kind === 'schedule') && definition.options.image) parts.push(`image ${definition.options.image}`);
  if (kind === 'service') parts.push(`auth ${typeof definition.options.auth === 'string' ? definition.options.auth : 'jwt'}`);
  if (kind === 'schedule') parts.push(describeScheduleSpec(definition.schedule.spec));
  const secrets = secretsOf(definition);
  if (secrets.length > 0) parts.push(`secrets ${secrets.join(' ')}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}
