/** The app's definitions as the control plane describes them (from the manifest alone: no request). */
import type { Manifest, ManifestDefinition } from '../../lib/manifest.js';
import { describeCompute } from '../../lib/placement.js';
import { describeScheduleSpec } from '../../lib/schedule/describe.js';
import { overlapOf } from '../../lib/schedule/overlap.js';
import { UnknownDefinitionError } from './errors.js';
import { RUN_KINDS, type DefinitionInfo, type DefinitionLimits, type RunKind, type ScheduleInfo, type ServiceUrl } from './types.js';

export function describeDefinitions(manifest: Manifest, services: readonly ServiceUrl[]): DefinitionInfo[] {
  const urls = new Map(services.map((s) => [s.name, s.url]));
  return manifest.definitions.map((definition) => describeDefinition(definition, urls.get(definition.name)));
}

function describeDefinition(definition: ManifestDefinition, url: string | undefined): DefinitionInfo {
  const base = { name: definition.name, kind: definition.kind, exportName: definition.exportName, placement: definition.placement, manifest: definition };
  switch (definition.kind) {
    case 'function':
    case 'job': {
      const { timeoutSeconds, maxRetries, maxConcurrency } = definition.options;
      const lock = definition.kind === 'job' ? definition.options.lock : undefined;
      const limits: DefinitionLimits = { timeoutSeconds, maxRetries, maxConcurrency, ...(lock ? { lock } : {}) };
      return { ...base, resources: describeCompute(definition.compute), limits };
    }
    case 'schedule':
      return {
        ...base,
        resources: describeCompute(definition.compute),
        limits: { timeoutSeconds: definition.options.timeoutSeconds, maxRetries: definition.options.maxRetries, overlap: overlapOf(definition.options) },
        schedule: scheduleInfo(definition),
      };
    case 'service':
      return {
        ...base,
        resources: describeCompute(definition.compute),
        limits: { timeoutSeconds: definition.options.timeoutSeconds },
        ...(url ? { url } : {}),
      };
    default:
      return base;
  }
}

export function scheduleInfo(definition: Extract<ManifestDefinition, { kind: 'schedule' }>): ScheduleInfo {
  const { spec, expressions } = definition.schedule;
  return { description: describeScheduleSpec(spec), timezone: spec.timezone, expressions };
}

/**
 * The definition named `name` among `kinds`; an UnknownDefinitionError naming what the app has otherwise (and what
 * `name` is, when it is of another kind).
 */
export function findDefinition<K extends ManifestDefinition['kind']>(
  manifest: Manifest,
  name: unknown,
  kinds: readonly K[],
  method: string,
): Extract<ManifestDefinition, { kind: K }> {
  if (typeof name !== 'string') {
    throw new UnknownDefinitionError(String(name), `${method}: expected the name of ${kindsInWords(kinds, 'a')}, got ${name === null ? 'null' : typeof name}.`);
  }
  const found = manifest.definitions.find((d) => d.name === name);
  if (found && (kinds as readonly string[]).includes(found.kind)) return found as Extract<ManifestDefinition, { kind: K }>;
  const names = manifest.definitions.filter((d) => (kinds as readonly string[]).includes(d.kind)).map((d) => d.name);
  throw new UnknownDefinitionError(
    name,
    `${method}: the app "${manifest.app.name}" has no ${kindsInWords(kinds, 'none')} named "${name}"${found ? ` ("${name}" is a ${found.kind})` : ''}. ` +
      `Its ${pluralKinds(kinds)}: ${names.length > 0 ? names.join(', ') : '(none)'}.`,
  );
}

/** The definitions with runs, as `findDefinition` kinds. */
export const RUN_DEFINITION_KINDS: readonly RunKind[] = RUN_KINDS;

const WORDS: Record<string, [string, string]> = {
  function: ['function', 'functions'],
  job: ['job', 'jobs'],
  schedule: ['scheduled task', 'scheduled tasks'],
  service: ['service', 'services'],
  dict: ['dict', 'dicts'],
  lock: ['lock', 'locks'],
};

/** `a function, a job or a scheduled task` (with `a`), `function, job or scheduled task` (without). */
function kindsInWords(kinds: readonly string[], article: 'a' | 'none'): string {
  const words = kinds.map((k) => (article === 'a' ? `a ${WORDS[k]![0]}` : WORDS[k]![0]));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function pluralKinds(kinds: readonly string[]): string {
  const words = kinds.map((k) => WORDS[k]![1]);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
