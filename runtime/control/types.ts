/**
 * The control plane's public shapes: what it answers about an app's definitions, runs and dicts. Plain data (Dates,
 * strings, numbers and the decoded values of runs and dict entries), the same for a running `multinode dev` and a
 * deployed app.
 */
import type { Page, RemoteErrorInfo, Status } from '../../lib/handles.js';

/** A page of rows (`items`), and `cursor` when there are more: pass it back for the next page. */
export type { Page };
import type { Manifest, ManifestDefinition } from '../../lib/manifest.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import type { Placement } from '../../lib/placement.js';
import type { ScheduledTrigger } from '../../lib/schedule/event.js';
import type { OverlapPolicy } from '../../lib/schedule/overlap.js';
import type { CompiledExpression } from '../../lib/schedule/spec.js';
import type { RuntimeConfig } from '../core/config.js';

/** A time given to the control plane: a Date, epoch milliseconds, or an ISO 8601 string with its offset (`Z`). */
export type TimeInput = Date | number | string;

/** The kinds of definition that have runs. */
export type RunKind = 'function' | 'job' | 'schedule';
export const RUN_KINDS: readonly RunKind[] = ['function', 'job', 'schedule'];

/**
 * A run's status: the statuses of started runs and jobs, and for a scheduled task's fire times PAUSED (it came while
 * the task was paused) and SKIPPED (a run of the task was running: the overlap policy), neither of which ran. A
 * scheduled run is PENDING while it waits for the running one (overlap `bufferOne`, `cancelOther`), RUNNING, then
 * SUCCEEDED, FAILED, TIMED_OUT or CANCELLED (TIMED_OUT also when its lease ran out without an outcome).
 */
export type RunStatus = Status | 'PAUSED' | 'SKIPPED';
export const RUN_STATUSES: readonly RunStatus[] = ['PENDING', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'PAUSED', 'SKIPPED'];

/** A service of the app and its URL (from the running `multinode dev`, or the deployed stack's outputs). */
export interface ServiceUrl {
  readonly name: string;
  readonly url: string;
}

/** What `createControlPlane` is given: where the app is, what it holds, and its services' URLs. */
export interface ControlPlaneTarget {
  /** Where the app's resources are (RuntimeConfig: app, prefix, bucket, region, and endpoints for a local cloud). */
  readonly config: RuntimeConfig;
  readonly manifest: Manifest;
  /** Each service's URL; a service missing here has no `url` in the answers. */
  readonly services: readonly ServiceUrl[];
}

/** One definition of the app, as `definitions()` describes it. */
export interface DefinitionInfo {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** The export it came from (null when found by its explicit name only). */
  readonly exportName: string | null;
  /** Where it runs; null for dicts and locks. */
  readonly placement: Placement | null;
  /** Its compute in words: `Lambda 1769 MB, timeout 15m`, `Batch Fargate 16 vCPU, 32 GiB, timeout 1d`. */
  readonly resources?: string;
  /** Functions, jobs, scheduled tasks and services: their limits. */
  readonly limits?: DefinitionLimits;
  /** Scheduled tasks: when they run. */
  readonly schedule?: ScheduleInfo;
  /** Services: their URL (when known). */
  readonly url?: string;
  /** The manifest's entry, with every normalized option. */
  readonly manifest: ManifestDefinition;
}

export interface DefinitionLimits {
  readonly timeoutSeconds: number;
  /** Functions, jobs and scheduled tasks. */
  readonly maxRetries?: number;
  /** Functions and jobs: how many started runs (or jobs) run at once. */
  readonly maxConcurrency?: number;
  /** Jobs: the lock each attempt holds. */
  readonly lock?: string;
  /** Scheduled tasks: what a fire time does while a run of the task is running. */
  readonly overlap?: OverlapPolicy;
}

export interface ScheduleInfo {
  /** `cron "0 23 * * 1-5" in Europe/London`, `every 1d from 2023-09-08T23:00 in Europe/London (wall clock)`. */
  readonly description: string;
  readonly timezone: string;
  /** The EventBridge Scheduler schedules it compiles to. */
  readonly expressions: readonly CompiledExpression[];
}

/** A scheduled task now: its next fire time, its pause, its last run. */
export interface ScheduleStatus extends ScheduleInfo {
  readonly name: string;
  /** The next fire time after now, by the evaluator `multinode schedules` uses (undefined: it never fires again). */
  readonly nextFireTime?: Date;
  /** Present while the task is paused: its fire times are recorded PAUSED and do not run. */
  readonly paused?: PauseInfo;
  /** The latest scheduled run (by scheduled time), PAUSED ones included. */
  readonly lastRun?: RunSummary;
}

export interface PauseInfo {
  readonly pausedAt: Date;
  readonly pausedBy?: string;
  readonly reason?: string;
}

/** How many runs are waiting, running and failed. */
export interface RunCounts {
  /** PENDING (waiting for a slot, or not yet claimed). */
  readonly pending: number;
  /** RUNNING or CANCELLING. */
  readonly running: number;
  /** FAILED or TIMED_OUT, created since `failedSince`. */
  readonly failed: number;
}

/** `status()`: the app at a glance. */
export interface AppStatus {
  readonly app: string;
  /** When this was read. */
  readonly at: Date;
  readonly definitions: readonly DefinitionInfo[];
  readonly services: readonly ServiceUrl[];
  readonly schedules: readonly ScheduleStatus[];
  /** The window of the failed counts. */
  readonly failedSince: Date;
  /** Counts over every definition. */
  readonly runs: RunCounts;
  /** Counts per definition with runs (every function, job and scheduled task, zeros included). */
  readonly runsByDefinition: Readonly<Record<string, RunCounts>>;
}

/** One row of a run listing. */
export interface RunSummary {
  /** A started run's or job's id (26 characters), or a scheduled run's `<task>@<scheduled time>`. */
  readonly id: string;
  /** The definition. */
  readonly name: string;
  readonly kind: RunKind;
  readonly status: RunStatus;
  /** Attempts made so far (0 while it waits). */
  readonly attempts: number;
  /** When it was created (started with `start`, or claimed by its scheduled delivery). */
  readonly createdAt: Date;
  /** When its first attempt started. */
  readonly startedAt?: Date;
  /** When it ended (final statuses only). */
  readonly endedAt?: Date;
  /** From `startedAt` to `endedAt`, or to now while it runs. */
  readonly durationMs?: number;
  /** Scheduled runs: the time it was scheduled for. */
  readonly scheduledTime?: Date;
  /** Scheduled runs: its schedule, a person (`manual`: run now), or a backfill. */
  readonly trigger?: ScheduledTrigger;
  /**
   * FAILED and TIMED_OUT runs: the error, with the remote stack when there was one. Scheduled runs SKIPPED or CANCELLED:
   * why (the run that was in the way, who cancelled it).
   */
  readonly error?: RemoteErrorInfo;
}

/** Everything known about one run. */
export interface RunDetail extends RunSummary {
  /** Where it runs (absent when its definition is no longer in the app). */
  readonly placement?: Placement;
  /** Started runs and jobs: when they time out (their timeout counts from creation). */
  readonly deadline?: Date;
  /** Jobs: 1 + maxRetries. */
  readonly maxAttempts?: number;
  /** Started runs: the argument list; jobs: the input (decoded, as the handler received it). */
  readonly input?: unknown;
  /** SUCCEEDED runs and jobs: the result (for a job, its final value). */
  readonly result?: unknown;
  /** Jobs: the latest progress value (the final value once SUCCEEDED). */
  readonly progress?: unknown;
  /** The Batch job last submitted for it (Batch placement; a scheduled run's once its container started). */
  readonly batchJobId?: string;
  /** When its executor last reported (RUNNING and CANCELLING runs, jobs and scheduled runs). */
  readonly heartbeatAt?: Date;
  /** Jobs and scheduled runs: when a cancel was asked for. */
  readonly cancelRequestedAt?: Date;
  /** Scheduled runs: until when its executor holds it (another delivery may take over after). */
  readonly leaseUntil?: Date;
}

/** `runs(query)`: which runs, newest first. Every field is optional; they combine with AND. */
export interface RunsQuery {
  /** One definition (a function, job or scheduled task). */
  readonly name?: string;
  /** Only runs of this kind of definition. */
  readonly kind?: RunKind;
  /** Only runs in this status (or any of these). */
  readonly status?: RunStatus | readonly RunStatus[];
  /** Created (scheduled runs: scheduled) at or after this time. */
  readonly since?: TimeInput;
  /** Created (scheduled runs: scheduled) at or before this time. */
  readonly until?: TimeInput;
  /** Rows per page, 1 to 100 (default 50). */
  readonly limit?: number;
  /** The `cursor` of the previous page of the same query. */
  readonly cursor?: string;
}

/** What an action did. */
export interface CancelResult {
  readonly id: string;
  /** CANCELLED (it never ran, or stopped at once), or CANCELLING (its executor stops within the grace period). */
  readonly status: 'CANCELLED' | 'CANCELLING';
}

export interface RetryResult {
  /** The run retried. */
  readonly id: string;
  /** The new run (a new id: the old run stays as it was). */
  readonly newId: string;
}

export interface TriggerResult {
  /** The manual run's id, `<task>@<scheduled time>`: `run(id)` finds it once its delivery recorded it. */
  readonly id: string;
  readonly name: string;
  readonly scheduledTime: Date;
}

export interface PauseResult {
  readonly name: string;
  readonly paused: boolean;
  /** False when it already was in that state. */
  readonly changed: boolean;
  readonly pause?: PauseInfo;
}

/** One dict entry. */
export interface DictEntry {
  readonly key: string;
  /** The value, decoded through the codec. */
  readonly value: unknown;
}

export interface DictListOptions {
  /** Only keys starting with this. */
  readonly prefix?: string;
  /** Entries per page, 1 to 1,000 (default 100). */
  readonly limit?: number;
  /** The `cursor` of the previous page of the same listing. */
  readonly cursor?: string;
}

/** `backfill(task, options)`: which past fire times to run, and how. */
export interface BackfillOptions {
  /** The window's start (included). */
  readonly from: TimeInput;
  /** The window's end (excluded), at or before now. */
  readonly to: TimeInput;
  /** Fire times in flight at once, 1 to 100 (default 1); above 1 only for a task declared with `overlap: "allow"`. */
  readonly concurrency?: number;
  /** Plan only: the fire times it would run, nothing sent. */
  readonly dryRun?: boolean;
  /** Needed to run a window of more than 1,000 fire times. */
  readonly yes?: boolean;
  /** Called as each fire time is sent (`SENT`) and as it ends. */
  readonly onProgress?: (run: BackfillRun) => void;
  /** How long a sent fire time may go without a record before it counts as UNDELIVERED (default 5 minutes). */
  readonly deliveryWaitMs?: number;
  /** Stops the backfill: no more fire times are sent; those sent are waited for. `runs` then lists fewer than `toRun`. */
  readonly signal?: AbortSignal;
}

/** What a backfill would run. */
export interface BackfillPlan {
  readonly name: string;
  readonly from: Date;
  readonly to: Date;
  /** Fire times of the task in the window. */
  readonly fireTimes: number;
  /** Of those, the ones with a record of a run (run, running or waiting): left alone. */
  readonly alreadyRecorded: number;
  /** The fire times to run, oldest first: no record, or recorded SKIPPED or PAUSED (they never ran). */
  readonly toRun: readonly Date[];
  readonly concurrency: number;
}

/** One backfilled fire time: its run's id and how it ended (`SENT` in progress reports only). */
export interface BackfillRun {
  readonly id: string;
  readonly scheduledTime: Date;
  /** The run's final status; UNDELIVERED when no record came within `deliveryWaitMs`. */
  readonly status: RunStatus | 'SENT' | 'UNDELIVERED';
}

export interface BackfillResult extends BackfillPlan {
  readonly dryRun: boolean;
  /** Each fire time run, oldest first, with how it ended (empty for a dry run). */
  readonly runs: readonly BackfillRun[];
}

/** An EventBridge Scheduler schedule as deployed (GetSchedule). */
export interface DeployedSchedule {
  readonly name: string;
  readonly group: string;
  /** ENABLED or DISABLED. */
  readonly state: string;
  readonly expression: string;
  /** The expression's time zone (UTC when the schedule names none). */
  readonly timezone: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  /** The target's ARN. */
  readonly target?: string;
  /** The target's input template. */
  readonly input?: string;
}

/** One way a deployed schedule differs from what the code compiles to. */
export interface ScheduleDifference {
  /** The EventBridge schedule's name. */
  readonly schedule: string;
  /** What differs; `schedule`: the whole schedule is in the code and not deployed, or deployed and not in the code. */
  readonly field: 'schedule' | 'expression' | 'timezone' | 'startDate' | 'endDate' | 'target' | 'input';
  /** The deployed value (absent: not deployed, or not set). */
  readonly deployed?: string;
  /** What the code compiles to (absent: not in the code, or not set). */
  readonly code?: string;
  readonly message: string;
}

/** A scheduled task's deployed schedules next to the code's. */
export interface TaskSchedules {
  readonly name: string;
  /** Its deployed schedules: all ENABLED, all DISABLED, some of each (PARTLY_ENABLED), or none deployed. */
  readonly state: 'ENABLED' | 'DISABLED' | 'PARTLY_ENABLED' | 'NOT_DEPLOYED';
  /** Present while the task is paused (a record in the state table: its fire times are recorded PAUSED). */
  readonly paused?: PauseInfo;
  /** What the code compiles to. */
  readonly code: readonly CompiledExpression[];
  /** What is deployed for it. */
  readonly deployed: readonly DeployedSchedule[];
  /** Every difference (none: in step). */
  readonly differences: readonly ScheduleDifference[];
}

/** `deployedSchedules()`: the app's schedule group compared with the code. */
export interface DeployedSchedules {
  /** The app's schedule group. */
  readonly group: string;
  readonly tasks: readonly TaskSchedules[];
  /** Schedules of the group that no task of the code makes (a task removed from the code, or made by hand). */
  readonly unknown: readonly DeployedSchedule[];
  /** Nothing differs and nothing is unknown. */
  readonly inSync: boolean;
}
