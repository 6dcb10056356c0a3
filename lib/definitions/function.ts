import { type ComputeOptions, COMPUTE_KEYS, parseComputeOptions } from '../options/compute.js';
import { LIMITS, parseInteger, parseName } from '../options/fields.js';
import { type Compute, place, type Placement } from '../placement.js';
import { currentRuntime } from '../runtime-port.js';
import { callerSite } from '../site.js';
import type { AwaitOptions, FunctionHandle, ListOptions, MapOptions, Page, RunInfo } from '../handles.js';
import { contextFor, Definition, objectOptions, requireHandler } from './base.js';

/** Options of `fn(options, handler)`. */
export interface FunctionOptions extends ComputeOptions {
  /** Overrides the export name. */
  name?: string;
  /** Retries after a failed execution, 0 to 50 (default 0). Throttling is retried without counting. */
  maxRetries?: number;
  /** Executions of this function in flight at once, 1 to 1000 (default 10); `map` never exceeds it. */
  maxConcurrency?: number;
}

export const FUNCTION_OPTION_KEYS = ['name', ...COMPUTE_KEYS, 'maxRetries', 'maxConcurrency'] as const;

/** Normalized function options, as in the manifest. */
export interface FunctionSettings {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly maxRetries: number;
  readonly maxConcurrency: number;
  readonly gpu: { count: number; model: string | null } | null;
  readonly compute: 'auto' | 'lambda' | 'batch';
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
    const ctx = contextFor('function', site, rawOptions);
    const raw = objectOptions(ctx, rawOptions);
    ctx.checkKeys(raw, FUNCTION_OPTION_KEYS);
    const name = raw.name === undefined ? undefined : parseName(ctx, 'name', raw.name);
    requireHandler(ctx, handler, 'a function');
    super('function', site, name);
    const request = parseComputeOptions(ctx, raw);
    this.options = {
      cpu: request.cpu,
      memoryMiB: request.memoryMiB,
      timeoutSeconds: request.timeoutSeconds,
      maxRetries: parseInteger(ctx, 'maxRetries', raw.maxRetries, LIMITS.maxRetries),
      maxConcurrency: parseInteger(ctx, 'maxConcurrency', raw.maxConcurrency, LIMITS.maxConcurrency),
      gpu: request.gpu,
      compute: request.compute,
    };
    ({ placement: this.placement, compute: this.compute } = place(request, (m) => ctx.fail(m)));
  }

  private remote(method: string): FunctionHandle<A, R> {
    return currentRuntime(`${this.name}.${method}()`).function(this.name) as unknown as FunctionHandle<A, R>;
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
