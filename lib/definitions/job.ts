import { COMPUTE_KEYS, parseRunnable } from '../options/compute.js';
import { LIMITS, parseInteger, parseName } from '../options/fields.js';
import type { Compute, Placement } from '../placement.js';
import { callerSite } from '../site.js';
import type { AwaitOptions, JobContext, JobHandle, ListOptions, Page, RunInfo } from '../handles.js';
import { Definition, openDefinition, requireHandler } from './base.js';
import type { FunctionOptions, FunctionSettings } from './function.js';

/** Options of `job(options, handler)`. */
export interface JobOptions extends FunctionOptions {
  /** At most one job holding this lock runs at a time; others wait in PENDING. */
  lock?: string;
}

export const JOB_OPTION_KEYS = ['name', ...COMPUTE_KEYS, 'maxRetries', 'maxConcurrency', 'lock', 'secrets'] as const;

export interface JobSettings extends FunctionSettings {
  readonly lock: string | null;
}

/**
 * A job handler: an async generator whose `yield`s report progress (the latest is the visible result), or an
 * async function whose return value is the result.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a generator that ends without `return` has the return type void.
export type JobHandler<I, P> = (input: I, ctx: JobContext) => AsyncGenerator<P, P | void, undefined> | Generator<P, P | void, undefined> | Promise<P> | P;

/** A job: long work started by id, reporting progress, cancellable, queryable from anywhere. */
export class JobDefinition<I, P> extends Definition<'job'> implements JobHandle<I, P> {
  readonly options: JobSettings;
  readonly placement: Placement;
  readonly compute: Compute;

  /** @internal Use `job(...)`. */
  constructor(
    site: ReturnType<typeof callerSite>,
    rawOptions: unknown,
    readonly handler: JobHandler<I, P>,
  ) {
    const { ctx, raw, name } = openDefinition('job', site, rawOptions, JOB_OPTION_KEYS);
    requireHandler(ctx, handler, 'an async generator function');
    super('job', site, name);
    const { settings, placement, compute } = parseRunnable(ctx, raw);
    this.options = {
      ...settings,
      maxConcurrency: ctx.check(() => parseInteger(ctx, 'maxConcurrency', raw.maxConcurrency, LIMITS.maxConcurrency), LIMITS.maxConcurrency.default),
      lock: raw.lock === undefined ? null : ctx.check(() => parseName(ctx, 'lock', raw.lock), null),
    };
    this.placement = placement;
    this.compute = compute;
  }

  private remote(method: string): JobHandle<I, P> {
    return this.runtimeFor(method).job(this.name) as unknown as JobHandle<I, P>;
  }

  async start(input: I): Promise<string> {
    return this.remote('start').start(input);
  }
  async get(id: string): Promise<RunInfo<P>> {
    return this.remote('get').get(id);
  }
  async cancel(id: string): Promise<void> {
    return this.remote('cancel').cancel(id);
  }
  async remove(id: string): Promise<void> {
    return this.remote('remove').remove(id);
  }
  async list(options?: ListOptions): Promise<Page<RunInfo<P>>> {
    return this.remote('list').list(options);
  }
  async awaitResult(id: string, options?: AwaitOptions): Promise<P | undefined> {
    return this.remote('awaitResult').awaitResult(id, options);
  }
  async *watch(id: string): AsyncIterable<P> {
    yield* this.remote('watch').watch(id);
  }
}

/**
 * Declares a job: `export const process = job({ cpu: 2 }, async function* (input: Input, ctx) { ... yield { percent } })`.
 */
export function job<I, P>(handler: JobHandler<I, P>): JobDefinition<I, P>;
export function job<I, P>(options: JobOptions, handler: JobHandler<I, P>): JobDefinition<I, P>;
export function job(optionsOrHandler: unknown, maybeHandler?: unknown): JobDefinition<unknown, unknown> {
  const site = callerSite(job);
  const [options, handler] = typeof optionsOrHandler === 'function' && maybeHandler === undefined ? [{}, optionsOrHandler] : [optionsOrHandler, maybeHandler];
  return new JobDefinition(site, options, handler as JobHandler<unknown, unknown>);
}
