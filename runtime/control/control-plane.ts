/**
 * The control plane: what an operator (the CLI, the dashboard, a script) sees of an app and does to it, the same for
 * a running `multinode dev` and the app deployed in AWS. It reads and acts through the runtime's own SDK clients
 * and stores, over the state table (runs, jobs, scheduled runs, pauses), the dict tables, Lambda (a manual run) and
 * Batch (through the job client's cancel); only the configuration's endpoints and credentials differ.
 *
 *   const plane = createControlPlane({ config, manifest, services });   // from cloud.json, or the deployed stack
 *   plane.definitions();                          // what the app holds, where each part runs, its limits
 *   await plane.status();                         // schedules' next fire times and pauses, counts of runs
 *   await plane.runs({ status: 'FAILED', since: '2024-01-01T00:00:00Z' });   // { items, cursor? }, newest first
 *   await plane.run(id);                          // input, result, error with its stack, progress, attempts
 *   await plane.cancel(id); await plane.retry(id);
 *   await plane.trigger('daily'); await plane.pause('daily'); await plane.resume('daily');
 *   await plane.backfill('daily', { from: '2024-01-01T00:00:00Z', to: '2024-01-08T00:00:00Z' });
 *   await plane.deployedSchedules();              // the app's EventBridge schedules versus the code
 *   await plane.dict('summaries').list({ prefix: 'c' });
 *   plane.close();
 *
 * Every error is a MultinodeError saying what was wrong and what to do (./errors.ts).
 */
import { InvalidArgumentError, RunFinishedError } from '../../lib/errors.js';
import type { Manifest, ManifestDefinition } from '../../lib/manifest.js';
import type { RuntimePort } from '../../lib/runtime-port.js';
import { renderManualEvent } from '../../lib/schedule/event.js';
import { nextFireTimes } from '../../lib/schedule/evaluate.js';
import { BatchJobs, releaseBatchClient } from '../batch/batch-jobs.js';
import { type ContextOptions, createContext, type RuntimeContext } from '../core/context.js';
import { Logger } from '../core/logger.js';
import { DictClient } from '../dicts/dict-client.js';
import { createRuntimePort } from '../entry/runtime-port.js';
import { ActiveRuns } from '../schedules/active-run.js';
import { ScheduleClaims } from '../schedules/claims.js';
import { SchedulePauses } from '../schedules/pauses.js';
import { deliverScheduled } from '../schedules/schedule-delivery.js';
import { dryRunResult, planBackfill, publicPlan, runBackfill } from './backfill.js';
import { compareDeployedSchedules } from './deployed-schedules.js';
import { partitionKey, STATE_SCHEMA } from '../state/schema.js';
import { ControlDict } from './dicts.js';
import { describeDefinitions, findDefinition, RUN_DEFINITION_KINDS, scheduleInfo } from './definitions.js';
import { ActionRefusedError, LogsUnavailableError } from './errors.js';
import type { ControlLogSource, ControlLogFollowQuery, LogLine, ControlLogPage, ControlLogReadQuery, ControlLogSourceOption } from './logs.js';
import { countRuns } from './run-counts.js';
import { locateRun, readRun, type RunLocation, settleRun } from './run-detail.js';
import { parseRunId } from './run-ids.js';
import { listRuns } from './run-listing.js';
import { ROW_ATTRIBUTES, type RowItem, toSummary } from './run-rows.js';
import { parseTime } from './time.js';
import type {
  AppStatus,
  BackfillOptions,
  BackfillResult,
  CancelResult,
  DeployedSchedules,
  ControlPlaneTarget,
  DefinitionInfo,
  Page,
  PauseInfo,
  PauseResult,
  RetryResult,
  RunDetail,
  RunKind,
  RunSummary,
  RunsQuery,
  ScheduleStatus,
  ServiceUrl,
  TimeInput,
  TriggerResult,
} from './types.js';

/** The default window of `status().runs.failed`. */
export const FAILED_WINDOW_MS = 24 * 3_600_000;
/** Longest `pausedBy` / `reason` note kept with a pause. */
const NOTE_LIMIT = 256;

export interface ControlPlaneOptions<E extends LogLine = LogLine> extends Pick<ContextOptions, 'clock' | 'clients' | 'tuning'> {
  /** Reads the app's logs for `logs()` and `followLogs()`: a source, or a function making one from the context. */
  readonly logs?: ControlLogSourceOption<E>;
  /**
   * The runtime's own log lines (a slot it could not hand on, ...). Default: JSON lines on stderr, so a command's
   * output on stdout stays its own.
   */
  readonly logger?: Logger;
}

/** A control plane for the app `target` (its own runtime context and SDK clients; `close()` releases them). */
export function createControlPlane<E extends LogLine = LogLine>(target: ControlPlaneTarget, options: ControlPlaneOptions<E> = {}): ControlPlane<E> {
  if (typeof target !== 'object' || target === null || !target.config || !target.manifest) {
    throw new InvalidArgumentError(
      'createControlPlane(target): target must be { config, manifest, services } (cloud.json of multinode dev, or findDeployedApp).',
    );
  }
  const services = target.services ?? [];
  if (!Array.isArray(services) || services.some((s) => typeof s?.name !== 'string' || typeof s?.url !== 'string')) {
    throw new InvalidArgumentError('createControlPlane(target): services must be an array of { name, url }.');
  }
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? new Logger({ clock, fields: { app: target.config.app }, sink: (line) => void process.stderr.write(`${line}\n`) });
  const context = createContext(target.config, target.manifest, {
    clock,
    logger,
    ...(options.clients ? { clients: options.clients } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  });
  const logs = typeof options.logs === 'function' ? options.logs(context) : options.logs;
  return new ControlPlane<E>(context, services, { ownsClients: !options.clients, ...(logs ? { logs } : {}) });
}

export class ControlPlane<E extends LogLine = LogLine> {
  readonly context: RuntimeContext;
  readonly services: readonly ServiceUrl[];
  readonly #port: RuntimePort;
  readonly #pauses: SchedulePauses;
  readonly #logs: ControlLogSource<E> | undefined;
  readonly #ownsClients: boolean;
  readonly #dicts = new Map<string, ControlDict>();

  /** Prefer `createControlPlane`; this takes a context made elsewhere (it is not closed by `close()` unless told). */
  constructor(context: RuntimeContext, services: readonly ServiceUrl[], options: { logs?: ControlLogSource<E>; ownsClients?: boolean } = {}) {
    this.context = context;
    this.services = services;
    // Handles by name over this context, not installed: the app's own definitions are left alone.
    this.#port = createRuntimePort(context);
    this.#pauses = new SchedulePauses(context.state, context.clock);
    this.#logs = options.logs;
    this.#ownsClients = options.ownsClients ?? false;
  }

  /** The app's name. */
  get app(): string {
    return this.context.manifest.app.name;
  }

  // ---- definitions and status

  /** Every definition: kind, placement, resources, limits, schedule, service URL (from the manifest: no request). */
  definitions(): DefinitionInfo[] {
    return describeDefinitions(this.context.manifest, this.services);
  }

  /**
   * The app now: its definitions and services, each scheduled task's next fire time, pause and last run, and how many
   * runs wait, run, and failed since `failedSince` (default 24 hours ago), in all and per definition. The counts come
   * from the `runsByTime` index: runs stored before it existed are not counted.
   */
  async status(options: { failedSince?: TimeInput } = {}): Promise<AppStatus> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('status(): options must be an object such as { failedSince: "2024-01-01T00:00:00Z" }.');
    const now = this.context.clock();
    const failedSince = options.failedSince === undefined ? now - FAILED_WINDOW_MS : parseTime(options.failedSince, 'status(): failedSince');
    const schedules = this.context.manifest.definitions.filter((d) => d.kind === 'schedule');
    const [counts, scheduleStates] = await Promise.all([
      countRuns(this.context.state, now, failedSince),
      Promise.all(schedules.map((definition) => this.#scheduleStatus(definition, now))),
    ]);
    const runsByDefinition: Record<string, AppStatus['runs']> = {};
    for (const definition of this.context.manifest.definitions) {
      if (!(RUN_DEFINITION_KINDS as readonly string[]).includes(definition.kind)) continue;
      runsByDefinition[definition.name] = counts.byDefinition.get(definition.name) ?? { pending: 0, running: 0, failed: 0 };
    }
    return {
      app: this.app,
      at: new Date(now),
      definitions: this.definitions(),
      services: this.services,
      schedules: scheduleStates,
      failedSince: new Date(failedSince),
      runs: counts.total,
      runsByDefinition,
    };
  }

  async #scheduleStatus(definition: Extract<ManifestDefinition, { kind: 'schedule' }>, now: number): Promise<ScheduleStatus> {
    const info = scheduleInfo(definition);
    // Strictly after now: a fire time at this very moment is being delivered.
    const [next] = nextFireTimes(info.expressions, now + 1, 1);
    const [pause, last] = await Promise.all([
      this.#pauses.read(definition.name),
      this.context.state.queryOnce<RowItem>({
        partition: [STATE_SCHEMA.partitionKey, partitionKey('scheduleClaim', definition.name)],
        descending: true,
        limit: 1,
        attributes: ROW_ATTRIBUTES,
      }),
    ]);
    const lastItem = last.items[0];
    return {
      name: definition.name,
      ...info,
      ...(next ? { nextFireTime: next } : {}),
      ...(pause ? { paused: pause } : {}),
      ...(lastItem ? { lastRun: toSummary(lastItem, now) } : {}),
    };
  }

  // ---- runs

  /**
   * Runs, newest first, a page at a time: started runs, jobs and scheduled runs, of one definition (`name`), one kind,
   * or all; by status and by time (`since`/`until`: creation, or the scheduled time of scheduled runs). Pass the
   * answer's `cursor` for the next page. Paginated Queries: of the definition's partition, or of the `runsByTime`
   * index (runs stored before the index existed are listed by definition or kind only).
   */
  runs(query: RunsQuery = {}): Promise<Page<RunSummary>> {
    return listRuns(
      {
        state: this.context.state,
        clock: this.context.clock,
        namesOf: (kind) => this.context.manifest.definitions.filter((d) => d.kind === kind).map((d) => d.name),
        kindOf: (name, method) => findDefinition(this.context.manifest, name, RUN_DEFINITION_KINDS, method).kind,
        longestTimeout: (kind, name) => {
          const timeouts = this.context.manifest.definitions
            .filter((d) => (name !== undefined ? d.name === name : kind !== undefined ? d.kind === kind : true))
            .flatMap((d) => (d.kind === 'function' || d.kind === 'job' || d.kind === 'schedule' ? [d.options.timeoutSeconds] : []));
          return Math.max(0, ...timeouts);
        },
        settle: async (kind, name, id) => (this.#hasDefinition(kind, name) ? settleRun(this.context, this.#port, kind, name, id) : undefined),
      },
      query,
    );
  }

  /** Everything about one run, from its id alone; UnknownRunError when there is none. */
  async run(id: string): Promise<RunDetail> {
    return readRun(this.context, this.#port, await locateRun(this.context, id, 'run()'));
  }

  /**
   * Cancels a started run, a job or a scheduled run: PENDING ends CANCELLED at once (it never runs); RUNNING becomes
   * CANCELLING and its executor stops within the grace period (its heartbeat sees the request and fires the run's
   * signal; a job or scheduled run on Batch is also stopped with TerminateJob). A finished run: RunFinishedError.
   */
  async cancel(id: string): Promise<CancelResult> {
    const where = await locateRun(this.context, id, 'cancel()');
    this.#needDefinition(where, 'cancel');
    if (where.kind === 'schedule') return this.#cancelScheduled(where);
    if (where.kind === 'function') await this.#port.function(where.name).cancel(where.id);
    else await this.#port.job(where.name).cancel(where.id);
    const after = await this.run(where.id);
    return { id: where.id, status: after.status === 'CANCELLING' ? 'CANCELLING' : 'CANCELLED' };
  }

  async #cancelScheduled(where: RunLocation): Promise<CancelResult> {
    const detail = await this.run(where.id);
    if (detail.status === 'CANCELLING') return { id: where.id, status: 'CANCELLING' };
    if (detail.status !== 'PENDING' && detail.status !== 'RUNNING') throw new RunFinishedError(where.name, where.id, detail.status);
    const { state, clock } = this.context;
    const reason = { type: 'RunCancelledError', message: `${where.id} was cancelled by an operator (the control plane's cancel)` };
    const cancelled = await new ScheduleClaims(state, clock).cancel(where.name, where.sortKey, reason);
    if (!cancelled.changed) {
      if (cancelled.status === 'CANCELLING') return { id: where.id, status: 'CANCELLING' };
      throw new RunFinishedError(where.name, where.id, cancelled.status ?? 'gone');
    }
    // A fire time that was waiting stops waiting; a container that runs one is told to stop (SIGTERM: the signal).
    if (cancelled.status === 'CANCELLED') await new ActiveRuns(state, clock).forgetWaiting(where.name, where.sortKey);
    if (cancelled.placement === 'batch' && cancelled.runner) await new BatchJobs(this.context).terminate(cancelled.runner, `multinode: ${reason.message}`);
    return { id: where.id, status: cancelled.status === 'CANCELLED' ? 'CANCELLED' : 'CANCELLING' };
  }

  /**
   * Starts a FAILED, CANCELLED or TIMED_OUT started run or job again with the same input: a new run (returned as
   * `newId`); the old one stays as it was. Other states are refused with ActionRefusedError.
   */
  async retry(id: string): Promise<RetryResult> {
    const where = await locateRun(this.context, id, 'retry()');
    this.#needDefinition(where, 'retry');
    if (where.kind === 'schedule') {
      throw new ActionRefusedError(
        'retry',
        where.id,
        `retry(): ${where.id} is a scheduled run; its scheduled time cannot run twice. To run the task again now, use trigger("${where.name}").`,
      );
    }
    const detail = await this.run(where.id);
    if (detail.status !== 'FAILED' && detail.status !== 'CANCELLED' && detail.status !== 'TIMED_OUT') {
      throw new ActionRefusedError(
        'retry',
        where.id,
        `retry(): ${where.name} run ${where.id} is ${detail.status}; only FAILED, CANCELLED and TIMED_OUT runs can be retried` +
          `${detail.status === 'SUCCEEDED' ? '' : ' (cancel it first, or wait for it to end)'}.`,
      );
    }
    const newId =
      where.kind === 'function'
        ? await this.#port.function(where.name).start(...(detail.input as unknown[]))
        : await this.#port.job(where.name).start(detail.input);
    return { id: where.id, newId };
  }

  // ---- scheduled tasks

  /**
   * Runs a scheduled task now: an asynchronous invoke of its target (its own function on Lambda, the dispatcher for a
   * task on Batch) with a scheduled event for now, marked manual. It runs even while the task is paused (a person's
   * explicit choice). Returns the run's id; `run(id)` finds it once its delivery recorded it (within moments).
   */
  async trigger(task: string): Promise<TriggerResult> {
    const definition = findDefinition(this.context.manifest, task, ['schedule'], 'trigger()');
    const event = renderManualEvent(definition.name, this.context.clock());
    await deliverScheduled(this.context, definition, event);
    return { id: `${definition.name}@${event.scheduledTime}`, name: definition.name, scheduledTime: new Date(event.scheduledTime) };
  }

  /**
   * Pauses a scheduled task: from now on each of its fire times is recorded PAUSED and does not run (on Lambda and
   * Batch alike), until `resume`. EventBridge still invokes the target once per fire time, to record it. The pause is
   * kept in the state table, so a deploy leaves it in place. Pausing a paused task changes nothing.
   */
  async pause(task: string, note: { pausedBy?: string; reason?: string } = {}): Promise<PauseResult> {
    const definition = findDefinition(this.context.manifest, task, ['schedule'], 'pause()');
    if (typeof note !== 'object' || note === null) throw new InvalidArgumentError('pause(task, note): note must be an object such as { reason: "migrating" }.');
    for (const field of ['pausedBy', 'reason'] as const) {
      const value = note[field];
      if (value !== undefined && (typeof value !== 'string' || value.length > NOTE_LIMIT)) {
        throw new InvalidArgumentError(`pause(): ${field} must be a string of at most ${NOTE_LIMIT} characters.`);
      }
    }
    const { changed, pause } = await this.#pauses.pause(definition.name, note);
    return { name: definition.name, paused: true, changed, pause };
  }

  /** Resumes a paused task: its next fire times run again (those recorded PAUSED stay so). */
  async resume(task: string): Promise<PauseResult> {
    const definition = findDefinition(this.context.manifest, task, ['schedule'], 'resume()');
    const was = await this.#pauses.resume(definition.name);
    return { name: definition.name, paused: false, changed: was !== undefined };
  }

  /**
   * Runs the past fire times of a scheduled task that never ran, in the window [from, to), oldest first (backfill.ts):
   * those without a record, or recorded SKIPPED or PAUSED. Each is delivered as EventBridge would deliver it, marked
   * `trigger: "backfill"`, and goes through the task's overlap policy; at most `concurrency` are in flight (1 for a
   * task whose runs never overlap). Resolves when every one has ended, with how each ended. `dryRun` plans only.
   * Refused: a reversed window, one ending in the future, a window without a fire time of the task, more than 1,000
   * fire times without `yes`.
   */
  async backfill(task: string, options: BackfillOptions): Promise<BackfillResult> {
    const definition = findDefinition(this.context.manifest, task, ['schedule'], 'backfill()');
    const plan = await planBackfill(this.context, definition, options);
    if (options.dryRun) return dryRunResult(plan);
    const runs = await runBackfill(this.context, definition, plan, options);
    return { ...publicPlan(plan), dryRun: false, runs };
  }

  /**
   * The app's EventBridge Scheduler schedules as deployed (ListSchedules and GetSchedule in its schedule group) next to
   * what `code` compiles to (default: this control plane's manifest; pass the manifest built from the source to see
   * changes not yet deployed): each task's state and pause, and every difference in expression, time zone, start and
   * end date, target and input.
   */
  async deployedSchedules(options: { code?: Manifest } = {}): Promise<DeployedSchedules> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('deployedSchedules(): options must be an object such as { code: manifest }.');
    const code = options.code ?? this.context.manifest;
    if (typeof code !== 'object' || code === null || !Array.isArray(code.definitions)) {
      throw new InvalidArgumentError('deployedSchedules(): code must be an app manifest (what loadManifest or `multinode manifest --json` gives).');
    }
    return compareDeployedSchedules(this.context, code);
  }

  /** The task's pause, or undefined when it is not paused. */
  async paused(task: string): Promise<PauseInfo | undefined> {
    const definition = findDefinition(this.context.manifest, task, ['schedule'], 'paused()');
    return this.#pauses.read(definition.name);
  }

  // ---- dicts

  /** The app's dicts, by name. */
  dicts(): string[] {
    return this.context.manifest.definitions.filter((d) => d.kind === 'dict').map((d) => d.name);
  }

  /** One dict: list (paginated), get, set, delete. An unknown name: UnknownDefinitionError listing the app's dicts. */
  dict(name: string): ControlDict {
    const definition = findDefinition(this.context.manifest, name, ['dict'], 'dict()');
    let dict = this.#dicts.get(definition.name);
    if (!dict) {
      const { context } = this;
      const client = new DictClient<unknown>({
        documents: context.clients.documents,
        name: definition.name,
        table: context.names.dictTable(definition.name),
        clock: context.clock,
      });
      this.#dicts.set(definition.name, (dict = new ControlDict(client)));
    }
    return dict;
  }

  // ---- logs

  /**
   * A page of log lines, oldest first, from the log source this control plane was created with (LogsUnavailableError
   * without one). With `runId` alone, the run's definition is found first, so only its log group is read.
   */
  async logs(query: ControlLogReadQuery = {}): Promise<ControlLogPage<E>> {
    return this.#logSource('logs()').read(await this.#logQuery(query, 'logs()'));
  }

  /** The log lines of `query` as they come, until `query.signal` aborts. */
  async *followLogs(query: ControlLogFollowQuery = {}): AsyncGenerator<E, void, undefined> {
    const source = this.#logSource('followLogs()');
    yield* source.follow(await this.#logQuery(query, 'followLogs()'));
  }

  #logSource(method: string): ControlLogSource<E> {
    if (!this.#logs) {
      throw new LogsUnavailableError(
        `${method}: this control plane has no log source; create it with createControlPlane(target, { logs: createLogReader }) (or another source).`,
      );
    }
    return this.#logs;
  }

  async #logQuery<Q extends ControlLogReadQuery | ControlLogFollowQuery>(query: Q, method: string): Promise<Q> {
    if (typeof query !== 'object' || query === null) throw new InvalidArgumentError(`${method}: the query must be an object such as { runId }.`);
    if (query.definition !== undefined) findDefinition(this.context.manifest, query.definition, ['function', 'job', 'schedule', 'service'], method);
    if (query.runId === undefined || query.definition !== undefined) return query;
    const parsed = parseRunId(query.runId, method);
    // A scheduled run names its task; other ids are looked up (an id of no run finds no lines anywhere).
    const definition = parsed.form === 'scheduled' ? parsed.task : (await locateRun(this.context, parsed.id, method)).name;
    return { ...query, definition };
  }

  /** Releases the SDK clients (when this control plane made them) and the log source. */
  close(): void {
    this.#logs?.destroy?.();
    // The Batch client belongs to this context (made on first use), whoever owns the other clients.
    releaseBatchClient(this.context);
    if (this.#ownsClients) this.context.clients.destroy();
  }

  #hasDefinition(kind: RunKind, name: string): boolean {
    return this.context.manifest.definitions.some((d) => d.kind === kind && d.name === name);
  }

  /** Acting on a run needs its definition in the app (a run of a definition since removed can only be read). */
  #needDefinition(where: RunLocation, action: 'cancel' | 'retry'): void {
    if (!this.#hasDefinition(where.kind, where.name)) {
      throw new ActionRefusedError(action, where.id, `${action}(): ${where.id} belongs to "${where.name}", which is no longer a ${where.kind} of the app.`);
    }
  }
}
