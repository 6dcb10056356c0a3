import { type ComputeOptions, COMPUTE_KEYS, parseRunnable, type RunnableSettings } from '../options/compute.js';
import { LIMITS, parseInteger } from '../options/fields.js';
import type { Compute, Placement } from '../placement.js';
import type { SecretsOption } from '../settings/option.js';
import { callerSite } from '../site.js';
import type { AwaitOptions, FunctionHandle, ListOptions, MapOptions, Page, RunInfo } from '../handles.js';
import { Definition, openDefinition, requireHandler } from './base.js';

/** Options of `fn(options, handler)`. */
export interface FunctionOptions extends ComputeOptions, SecretsOption {
  /** Overrides the export name. */
  name?: string;
  /** Retries after a failed execution, 0 to 50 (default 0). Throttling is retried without counting. */
  maxRetries?: number;
  /** Executions of this function in flight at once, 1 to 1000 (default 10); `map` never exceeds it. */
  maxConcurrency?: number;
}

export const FUNCTION_OPTION_KEYS = ['name', ...COMPUTE_KEYS, 'maxRetries', 'maxConcurrency', 'secrets'] as const;

/** Normalized function options, as in the manifest. */
export interface FunctionSettings extends RunnableSettings {
  readonly maxConcurrency: number;
}

export type FunctionHandler<A extends unknown[], R> = (...args: A) => R | Promise<R>;

/** A function: code called remotely with `call`, fanned out with `map`. */
export class FunctionDefinition<A extends unknown[], R> extends Definition<'function'> implements FunctionHandle<A, R> {
  readonly options: FunctionSettings;
  readonly placement: Placement;
  readonly compute: Compute;

  /** @internal Use `fn(...)`. */
  constructor(
    site: ReturnType<typeof callerSite>,
    rawOptions: unknown,
    /** The user's handler; `local(...)` runs it in this process. */
    readonly handler: FunctionHandler<A, R>,
  ) {
    const { ctx, raw, name } = openDefinition('function', site, rawOptions, FUNCTION_OPTION_KEYS);
    requireHandler(ctx, handler, 'a function');
    super('function', site, name);
    const { settings, placement, compute } = parseRunnable(ctx, raw);
    this.options = {
      ...settings,
      maxConcurrency: ctx.check(() => parseInteger(ctx, 'maxConcurrency', raw.maxConcurrency, LIMITS.maxConcurrency), LIMITS.maxConcurrency.default),
    };
    this.placement = placement;
    this.compute = compute;
  }

  private remote(method: string): FunctionHandle<A, R> {
    return this.runtimeFor(method).function(this.name) as unknown as FunctionHandle<A, R>;
  }

  /** Runs the handler in this process, without the runtime (no serialization, no retries). */
  async local(...args: A): Promise<R> {
    return this.handler(...args);
  }

  async call(...args: A): Promise<R> {
    return this.remote('call').call(...args);
  }
  map(items: Iterable<A[0]> | AsyncIterable<A[0]>, options: MapOptions & { returnExceptions: true }): Promise<Array<R | Error>>;
  map(items: Iterable<A[0]> | AsyncIterable<A[0]>, options?: MapOptions): Promise<R[]>;
  async map(items: Iterable<A[0]> | AsyncIterable<A[0]>, options?: MapOptions): Promise<Array<R | Error>> {
    return this.remote('map').map(items, options);
  }
  starmap(argLists: Iterable<A> | AsyncIterable<A>, options: MapOptions & { returnExceptions: true }): Promise<Array<R | Error>>;
  starmap(argLists: Iterable<A> | AsyncIterable<A>, options?: MapOptions): Promise<R[]>;
  async starmap(argLists: Iterable<A> | AsyncIterable<A>, options?: MapOptions): Promise<Array<R | Error>> {
    return this.remote('starmap').starmap(argLists, options);
  }
  async start(...args: A): Promise<string> {
    return this.remote('start').start(...args);
  }
  async get(id: string): Promise<RunInfo<R>> {
    return this.remote('get').get(id);
  }
  async cancel(id: string): Promise<void> {
    return this.remote('cancel').cancel(id);
  }
  async list(options?: ListOptions): Promise<Page<RunInfo<R>>> {
    return this.remote('list').list(options);
  }
  async awaitResult(id: string, options?: AwaitOptions): Promise<R> {
    return this.remote('awaitResult').awaitResult(id, options);
  }
}

/**
 * Declares a function: `export const report = fn({ cpu: 4, memory: "8 GiB" }, async (country: string) => ...)`.
 * Argument and result types flow to `call`, `map`, `start` and `get`.
 */
export function fn<A extends unknown[], R>(handler: FunctionHandler<A, R>): FunctionDefinition<A, Awaited<R>>;
export function fn<A extends unknown[], R>(options: FunctionOptions, handler: FunctionHandler<A, R>): FunctionDefinition<A, Awaited<R>>;
export function fn(optionsOrHandler: unknown, maybeHandler?: unknown): FunctionDefinition<unknown[], unknown> {
  const site = callerSite(fn);
  const [options, handler] = typeof optionsOrHandler === 'function' && maybeHandler === undefined ? [{}, optionsOrHandler] : [optionsOrHandler, maybeHandler];
  return new FunctionDefinition(site, options, handler as FunctionHandler<unknown[], unknown>);
}
