import { type ComputeOptions, COMPUTE_KEYS, parseRunnable, type RunnableSettings } from '../options/compute.js';
import type { Compute, Placement } from '../placement.js';
import { callerSite } from '../site.js';
import type { ScheduledRun } from '../handles.js';
import { DEFAULT_OVERLAP, isOverlapPolicy, OVERLAP_FORMS, type OverlapPolicy } from '../schedule/overlap.js';
import { scheduleFromOptions, type ScheduleManifest, type ScheduleTimingOptions } from '../schedule/spec.js';
import type { SecretsOption } from '../settings/option.js';
import { Definition, openDefinition, requireHandler } from './base.js';

/** Options of `schedule(options, handler)`: when it runs (`cron` or `interval`), where, and on what. */
export interface ScheduleOptions extends ScheduleTimingOptions, ComputeOptions, SecretsOption {
  /** Overrides the export name. */
  name?: string;
  /** Retries after a failed run, 0 to 50 (default 0). */
  maxRetries?: number;
  /**
   * What a fire time does when a run of the task is still running: `"skip"` (default: it is recorded SKIPPED),
   * `"bufferOne"` (one waits and starts when the running one ends), `"allow"` (runs overlap) or `"cancelOther"` (the
   * running one is cancelled and the new one starts).
   */
  overlap?: OverlapPolicy;
}

export const SCHEDULE_OPTION_KEYS = ['name', 'cron', 'interval', 'referenceTime', 'timezone', ...COMPUTE_KEYS, 'maxRetries', 'overlap', 'secrets'] as const;

/** The original Multinode's `period=` spelling and a few other likely words, mapped to ours. */
const SCHEDULE_HINTS: Record<string, string> = {
  period: 'interval',
  every: 'interval',
  rate: 'interval',
  tz: 'timezone',
  timeZone: 'timezone',
  reference_time: 'referenceTime',
  start: 'referenceTime',
  overlapPolicy: 'overlap',
  concurrencyPolicy: 'overlap',
};

export interface ScheduleSettings extends RunnableSettings {
  /** The overlap policy (lib/schedule/overlap.ts). */
  readonly overlap: OverlapPolicy;
}

/** Stands in for invalid timing while problems are collected (the app will not run). */
const FALLBACK_SCHEDULE: ScheduleManifest = { spec: { type: 'cron', cron: '0 0 * * *', timezone: 'UTC' }, expressions: [] };

export type ScheduleHandler = (run: ScheduledRun) => unknown;

/** A scheduled task: runs on a clock, on compute provisioned per run. */
export class ScheduleDefinition extends Definition<'schedule'> {
  readonly options: ScheduleSettings;
  readonly placement: Placement;
  readonly compute: Compute;
  /** The timing, normalized, with its compiled EventBridge Scheduler expressions. */
  readonly schedule: ScheduleManifest;

  /** @internal Use `schedule(...)`. */
  constructor(
    site: ReturnType<typeof callerSite>,
    rawOptions: unknown,
    readonly handler: ScheduleHandler,
  ) {
    const { ctx, raw, name } = openDefinition('schedule', site, rawOptions, SCHEDULE_OPTION_KEYS, SCHEDULE_HINTS);
    requireHandler(ctx, handler, 'a function');
    super('schedule', site, name);
    const { settings, placement, compute } = parseRunnable(ctx, raw);
    this.options = { ...settings, overlap: ctx.check(() => parseOverlap(ctx, raw.overlap), DEFAULT_OVERLAP) };
    this.schedule = ctx.check(() => scheduleFromOptions(ctx, raw), FALLBACK_SCHEDULE);
    this.placement = placement;
    this.compute = compute;
  }
}

function parseOverlap(ctx: Parameters<typeof parseRunnable>[0], value: unknown): OverlapPolicy {
  if (value === undefined) return DEFAULT_OVERLAP;
  if (!isOverlapPolicy(value)) ctx.invalid('overlap', value, OVERLAP_FORMS);
  return value;
}

/**
 * Declares a scheduled task:
 * `export const daily = schedule({ cron: "0 23 * * 1-5", timezone: "Europe/London", cpu: 16 }, async (run) => ...)`.
 */
export function schedule(options: ScheduleOptions, handler: ScheduleHandler): ScheduleDefinition {
  return new ScheduleDefinition(callerSite(schedule), options, handler);
}

/** Alias of `schedule`, the original Multinode's spelling. */
export function scheduledTask(options: ScheduleOptions, handler: ScheduleHandler): ScheduleDefinition {
  return new ScheduleDefinition(callerSite(scheduledTask), options, handler);
}
