/**
 * The dashboard's HTTP API: a thin JSON layer over the control plane. Reads are GETs; every action (cancel, retry,
 * run now, pause, resume, setting or deleting a dict entry) is a POST with a JSON body, so no GET changes anything.
 * Lists are pages with a `cursor` for the next one, as the control plane pages them.
 */
import os from 'node:os';
import { fromWire } from '../../lib/codec.js';
import { CodecError, InvalidArgumentError, InvalidKeyError, MultinodeError, RunFinishedError, RunNotFoundError, ValueTooLargeError } from '../../lib/errors.js';
import { formatLocalTime } from '../../lib/schedule/describe.js';
import { nextFireTimes } from '../../lib/schedule/evaluate.js';
import { scheduleInWords } from '../../lib/schedule/words.js';
import type { ControlPlane } from '../control/control-plane.js';
import { ActionRefusedError, LogsUnavailableError, RunsIndexUnavailableError, UnknownDefinitionError } from '../control/errors.js';
import { RUN_STATUSES, type RunKind, type RunStatus, type RunSummary } from '../control/types.js';
import type { LogEntry } from '../logs/entries.js';
import { detailJson, logJson, summaryJson, wire } from './values.js';

type Plane = ControlPlane<LogEntry>;

/** What the page is told about the dashboard itself. */
export interface DashboardInfo {
  /** `local`: a running `multinode dev`; `deployed`: the app in AWS, found from its stack. */
  readonly mode: 'local' | 'deployed';
  /** The stack's name (deployed), or the state directory (local). */
  readonly where?: string;
  /** How often the page refreshes what it shows, ms (longer for a deployed app: reads cost there). */
  readonly pollMs: number;
}

export interface ApiRequest {
  readonly plane: Plane;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly info: DashboardInfo;
}

type Handler = (request: ApiRequest) => Promise<unknown> | unknown;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: RegExp;
  readonly handler: Handler;
}

const NEXT_FIRE_TIMES = 5;
const LAST_RUNS = 5;
const ACTIVE: readonly RunStatus[] = ['RUNNING', 'CANCELLING'];

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/api\/app$/, handler: app },
  { method: 'GET', path: /^\/api\/status$/, handler: status },
  { method: 'GET', path: /^\/api\/schedules$/, handler: schedules },
  { method: 'POST', path: /^\/api\/schedules\/([^/]+)\/(trigger|pause|resume)$/, handler: scheduleAction },
  { method: 'GET', path: /^\/api\/runs$/, handler: runs },
  { method: 'GET', path: /^\/api\/runs\/([^/]+)$/, handler: ({ plane, params }) => plane.run(decode(params[0]!)).then(detailJson) },
  { method: 'POST', path: /^\/api\/runs\/([^/]+)\/(cancel|retry)$/, handler: runAction },
  { method: 'GET', path: /^\/api\/dicts$/, handler: ({ plane }) => ({ dicts: plane.dicts() }) },
  { method: 'GET', path: /^\/api\/dicts\/([^/]+)\/entries$/, handler: dictEntries },
  { method: 'GET', path: /^\/api\/dicts\/([^/]+)\/entry$/, handler: dictEntry },
  { method: 'POST', path: /^\/api\/dicts\/([^/]+)\/entry$/, handler: dictSet },
  { method: 'POST', path: /^\/api\/dicts\/([^/]+)\/delete$/, handler: dictDelete },
  { method: 'GET', path: /^\/api\/logs$/, handler: logs },
];

/** The app's definitions and the dashboard's own facts (from the manifest: no request). */
function app({ plane, info }: ApiRequest) {
  return {
    app: plane.app,
    ...info,
    services: plane.services,
    dicts: plane.dicts(),
    definitions: plane.definitions().map(({ manifest: _manifest, ...definition }) => definition),
  };
}

/**
 * The overview's counts and scheduled tasks (the page asks for the newest runs and the failures separately, so they
 * show before the counts, which read every run of the last 24 hours).
 */
async function status({ plane }: ApiRequest) {
  const { at: _at, definitions: _definitions, schedules, ...rest } = await plane.status();
  return {
    ...rest,
    schedules: schedules.map(({ expressions: _expressions, lastRun, ...schedule }) => ({ ...schedule, ...(lastRun ? { lastRun: summaryJson(lastRun) } : {}) })),
  };
}

/** Every scheduled task: in words, its zone, its next fire times, its pause and its last runs. */
async function schedules({ plane }: ApiRequest) {
  const now = Date.now();
  const tasks = plane.definitions().filter((d) => d.kind === 'schedule');
  return {
    schedules: await Promise.all(
      tasks.map(async (definition) => {
        const info = definition.schedule!;
        const spec = definition.manifest.kind === 'schedule' ? definition.manifest.schedule.spec : undefined;
        const [paused, last] = await Promise.all([plane.paused(definition.name), plane.runs({ name: definition.name, limit: LAST_RUNS })]);
        return {
          name: definition.name,
          words: spec ? scheduleInWords(spec) : info.description,
          description: info.description,
          timezone: info.timezone,
          placement: definition.placement,
          resources: definition.resources,
          ...(paused ? { paused } : {}),
          next: nextFireTimes(info.expressions, now + 1, NEXT_FIRE_TIMES).map((time) => ({ time, local: formatLocalTime(time, info.timezone) })),
          lastRuns: last.items.map((run) => summaryJson(run)),
          ...(last.cursor ? { more: true } : {}),
        };
      }),
    ),
  };
}

async function scheduleAction({ plane, params, body }: ApiRequest) {
  const [task, action] = [decode(params[0]!), params[1]!];
  if (action === 'trigger') return plane.trigger(task);
  if (action === 'resume') return plane.resume(task);
  const reason = field(body, 'reason', 'string', false);
  return plane.pause(task, { pausedBy: `dashboard (${userName()})`, ...(reason ? { reason } : {}) });
}

/** A page of runs, newest first; active jobs on it carry their progress (one read each). */
async function runs({ plane, query }: ApiRequest) {
  const status = query.get('status');
  const statuses = status ? status.split(',').filter(Boolean) : [];
  for (const s of statuses) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`status "${s}" is not a run status; allowed: ${RUN_STATUSES.join(', ')} (several: comma-separated).`);
    }
  }
  const page = await plane.runs({
    ...optional('name', query.get('name')),
    ...optional('kind', query.get('kind') as RunKind | null),
    ...(statuses.length > 0 ? { status: statuses as RunStatus[] } : {}),
    ...optional('since', query.get('since')),
    ...optional('until', query.get('until')),
    ...optional('cursor', query.get('cursor')),
    ...optional('limit', numberParam(query, 'limit')),
  });
  const progress = new Map<string, unknown>();
  await Promise.all(
    page.items
      .filter((run) => run.kind === 'job' && ACTIVE.includes(run.status))
      .map(async (run) => {
        const detail = await plane.run(run.id).catch(() => undefined);
        if (detail && 'progress' in detail && detail.progress !== undefined) progress.set(run.id, detail.progress);
      }),
  );
  return {
    items: page.items.map((run: RunSummary) => summaryJson(run, progress.has(run.id) ? { value: progress.get(run.id) } : undefined)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
  };
}

async function runAction({ plane, params }: ApiRequest) {
  const id = decode(params[0]!);
  return params[1] === 'cancel' ? plane.cancel(id) : plane.retry(id);
}

async function dictEntries({ plane, params, query }: ApiRequest) {
  const page = await plane.dict(decode(params[0]!)).list({
    ...optional('prefix', query.get('prefix') || null),
    ...optional('cursor', query.get('cursor')),
    ...optional('limit', numberParam(query, 'limit')),
  });
  return { items: page.items.map((entry) => ({ key: entry.key, value: wire(entry.value) })), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

async function dictEntry({ plane, params, query }: ApiRequest) {
  const key = query.get('key');
  if (key === null) throw new InvalidArgumentError('the query must name the entry: ?key=<key>.');
  const dict = plane.dict(decode(params[0]!));
  const value = await dict.get(key);
  return value === undefined ? { key, found: false } : { key, found: true, value: wire(value) };
}

async function dictSet({ plane, params, body }: ApiRequest) {
  const key = field(body, 'key', 'string', true)!;
  if (!Object.hasOwn(body as object, 'value')) {
    throw new InvalidArgumentError('the body must be {"key": "...", "value": <JSON>}: "value" is missing (null is a value; to delete, use /delete).');
  }
  const value = fromWire((body as { value: unknown }).value);
  await plane.dict(decode(params[0]!)).set(key, value);
  return { key, set: true };
}

async function dictDelete({ plane, params, body }: ApiRequest) {
  const key = field(body, 'key', 'string', true)!;
  return { key, deleted: await plane.dict(decode(params[0]!)).delete(key) };
}

async function logs({ plane, query }: ApiRequest) {
  const page = await plane.logs(logQuery(query, true));
  return { entries: page.entries.map(logJson), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/** The log query of a request's parameters (`definition`, `runId`, `filter`, `since`, `until`; reads: `limit`, `cursor`). */
export function logQuery(query: URLSearchParams, read: boolean) {
  return {
    ...optional('definition', query.get('definition') || null),
    ...optional('runId', query.get('runId') || null),
    ...optional('filter', query.get('filter') || null),
    ...optional('since', query.get('since') || null),
    ...optional('until', query.get('until') || null),
    ...(read ? { ...optional('cursor', query.get('cursor')), ...optional('limit', numberParam(query, 'limit')) } : {}),
  };
}

/** The HTTP status and JSON error of an error: not found 404, bad input 400, refused 409, not available 503. */
export function errorAnswer(error: unknown): { status: number; type: string; message: string } {
  const type = error instanceof Error ? error.constructor.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RunNotFoundError || error instanceof UnknownDefinitionError) return { status: 404, type, message };
  if (error instanceof InvalidArgumentError || error instanceof CodecError || error instanceof InvalidKeyError || error instanceof ValueTooLargeError) {
    return { status: 400, type, message };
  }
  if (error instanceof ActionRefusedError || error instanceof RunFinishedError) return { status: 409, type, message };
  if (error instanceof RunsIndexUnavailableError || error instanceof LogsUnavailableError) return { status: 503, type, message };
  if (error instanceof MultinodeError) return { status: 502, type, message };
  return { status: 500, type, message: `The dashboard failed on this request: ${message}` };
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function numberParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`${name} must be a whole number, got "${text}".`);
  return Number(text);
}

function field(body: unknown, name: string, type: 'string', required: boolean): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('the body must be a JSON object.');
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== type)
    throw new InvalidArgumentError(`the body's "${name}" must be a ${type}${required ? '' : ' when given'}, got ${JSON.stringify(value) ?? 'nothing'}.`);
  return value as string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidArgumentError(`"${segment}" is not a valid URL path segment (percent-encode names and ids).`);
  }
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown user';
  }
}
