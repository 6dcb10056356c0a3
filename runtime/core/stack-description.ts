/**
 * How a deployed stack describes each multinode app in it, so an operator's tools need no source code. The CDK
 * constructs write it (constructs/app-description.ts); `findDeployedApp` reads it (runtime/entry/deployed-app.ts).
 *
 * - A stack output per app (`ConnectionOutput`, as JSON): what exists only once the stack is deployed, the payload
 *   bucket's name, the region and the services' URLs. Read with cloudformation:DescribeStacks.
 * - An entry of the template's `Metadata` section per app, under `multinode:<prefix>` (`AppMetadata`): the app's
 *   manifest and the keys of its outputs. Read with cloudformation:GetTemplate.
 */
import { MultinodeError } from '../../lib/errors.js';
import { MANIFEST_VERSION, type Manifest } from '../../lib/manifest.js';
import { PREFIX_PATTERN } from '../../lib/naming.js';

/** Version of the output's and the metadata's shape; a reader refuses a newer one. */
export const STACK_DESCRIPTION_VERSION = 1;

/** Template metadata keys of multinode apps start with this; the app's prefix follows. */
export const METADATA_KEY_PREFIX = 'multinode:';

/**
 * The longest connection output value written, in characters. CloudFormation documents no limit on a plain
 * output's value but refuses to export one over 1,024 characters; staying within that keeps the output exportable.
 * Service URLs move to their own outputs when they would not fit.
 */
export const CONNECTION_OUTPUT_LIMIT = 1024;

/** The value of an app's connection output (JSON). */
export interface ConnectionOutput {
  readonly version: typeof STACK_DESCRIPTION_VERSION;
  /** The app's name (the manifest's). */
  readonly app: string;
  /** Prefix of every physical name of the app. */
  readonly prefix: string;
  /** The payload bucket's name. */
  readonly bucket: string;
  /** The region the stack is in. */
  readonly region: string;
  /** Each service's URL by service name; absent when they did not fit (then see `AppMetadata.outputs.services`). */
  readonly services?: Readonly<Record<string, string>>;
}

/** An app's entry in the template's Metadata section. */
export interface AppMetadata {
  readonly version: typeof STACK_DESCRIPTION_VERSION;
  /** Keys (logical ids) of the app's outputs. */
  readonly outputs: {
    /** The connection output. */
    readonly connection: string;
    /** Each service's URL output, by service name. */
    readonly services: Readonly<Record<string, string>>;
  };
  /** What `multinode manifest` prints for the app. */
  readonly manifest: Manifest;
}

/** What went wrong finding a deployed app, for callers that branch on it. */
export type DeployedAppProblem =
  | 'stack-not-found'
  | 'stack-not-ready'
  | 'stack-failed'
  | 'not-multinode'
  | 'app-not-found'
  | 'several-apps'
  | 'invalid-description'
  | 'no-credentials'
  | 'no-region'
  | 'access-denied';

/** A deployed app could not be found or read; `problem` says which way, the message what to do. */
export class DeployedAppError extends MultinodeError {
  constructor(
    readonly problem: DeployedAppProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function metadataKey(prefix: string): string {
  return `${METADATA_KEY_PREFIX}${prefix}`;
}

/** The app entries of a template's Metadata section, by prefix. */
export function appEntries(metadata: unknown): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  if (!isRecord(metadata)) return entries;
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith(METADATA_KEY_PREFIX)) entries.set(key.slice(METADATA_KEY_PREFIX.length), value);
  }
  return entries;
}

/** Checks an app's metadata entry; `where` names it in errors (`stack Shop, metadata "multinode:shop"`). */
export function parseAppMetadata(value: unknown, where: string): AppMetadata {
  if (!isRecord(value)) throw invalid(where, 'is not an object');
  checkVersion(value.version, where);
  const outputs = value.outputs;
  if (!isRecord(outputs) || typeof outputs.connection !== 'string' || !isStringRecord(outputs.services)) {
    throw invalid(where, 'has no "outputs" naming its connection output and service outputs');
  }
  const manifest = value.manifest;
  if (!isRecord(manifest) || !isRecord(manifest.app) || typeof manifest.app.name !== 'string' || !Array.isArray(manifest.definitions)) {
    throw invalid(where, 'has no manifest (an object with "app" and "definitions")');
  }
  if (manifest.manifestVersion !== MANIFEST_VERSION) {
    throw invalid(where, `holds a manifest of version ${JSON.stringify(manifest.manifestVersion)}; this multinode reads version ${MANIFEST_VERSION}`);
  }
  return value as unknown as AppMetadata;
}

/** Parses a connection output's value; `where` names it in errors. */
export function parseConnectionOutput(text: string, where: string): ConnectionOutput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(where, `is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!isRecord(value)) throw invalid(where, 'is not a JSON object');
  checkVersion(value.version, where);
  for (const field of ['app', 'prefix', 'bucket', 'region'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') throw invalid(where, `has no "${field}"`);
  }
  if (!PREFIX_PATTERN.test(value.prefix as string)) throw invalid(where, `has the prefix ${JSON.stringify(value.prefix)}, which is not a multinode prefix`);
  if (value.services !== undefined && !isStringRecord(value.services)) throw invalid(where, 'has "services" that are not URLs by service name');
  return value as unknown as ConnectionOutput;
}

function checkVersion(version: unknown, where: string): void {
  if (version === STACK_DESCRIPTION_VERSION) return;
  if (typeof version === 'number' && version > STACK_DESCRIPTION_VERSION) {
    throw invalid(where, `was written by a newer multinode (version ${version}; this one reads ${STACK_DESCRIPTION_VERSION}): upgrade multinode`);
  }
  throw invalid(where, `has no valid "version" (got ${JSON.stringify(version)})`);
}

function invalid(where: string, what: string): DeployedAppError {
  return new DeployedAppError('invalid-description', `${where} ${what}.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}
