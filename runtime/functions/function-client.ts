/**
 * The remote API of a function (`fn.call`, `map`, `starmap`, `start`, `get`, `cancel`, `list`, `awaitResult`),
 * over its placement's invoker and the runs kept in the state table.
 *
 * `maxConcurrency` bounds both paths, each where it is cheap:
 * - started runs (`start`) go through the function's concurrency gate in the state table (run-queue.ts): at most
 *   `maxConcurrency` run at once across every caller; the others wait PENDING, oldest first. Reads of a waiting run
 *   reconcile the gate, so a lost hand-off cannot strand it.
 * - calls (`call`, `map`, `starmap`) take no slot: a caller waits for each call anyway, `map` keeps at most
 *   `maxConcurrency` of its own calls in flight, and a state-table round trip per call would tax every call.
 */
import { fromWire, toWire, type WireValue } from '../../lib/codec.js';
import { InvalidArgumentError, InvocationFailedError, RunCancelledError, WaitTimeoutError } from '../../lib/errors.js';
import type { AwaitOptions, FunctionHandle, ListOptions, MapOptions, Page, RunInfo } from '../../lib/handles.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import { DURATION_FORMS, parseDurationSeconds } from '../../lib/units/duration.js';
import type { RuntimeContext } from '../core/context.js';
import { sleep } from '../core/retry.js';
import type { ConcurrencyGate } from '../state/concurrency.js';
import { newRunId } from '../state/ids.js';
import { heartbeatFresh, RunStore, type RunRecord } from './run-store.js';
import type { FunctionInvoker } from './invoker.js';
import { runGate, waitingRun } from './run-queue.js';

type Args = unknown[];

export class FunctionClient implements FunctionHandle<Args, unknown> {
  readonly name: string;
  readonly #context: RuntimeContext;
  readonly #invoker: FunctionInvoker;
  readonly #runs: RunStore;
  readonly #gate: ConcurrencyGate;
  readonly #maxConcurrency: number;
  readonly #timeoutSeconds: number;

  constructor(context: RuntimeContext, definition: FunctionManifest, invoker: FunctionInvoker) {
    this.name = definition.name;
    this.#context = context;
    this.#invoker = invoker;
    this.#runs = new RunStore(definition.name, context.state, context.payloads, context.clock);
    this.#gate = runGate(context, definition, this.#runs, invoker);
    this.#maxConcurrency = definition.options.maxConcurrency;
    this.#timeoutSeconds = definition.options.timeoutSeconds;
  }

  async call(...args: Args): Promise<unknown> {
    return fromWire(await this.#invoker.call(toWire(args, 'args')));
  }

  map(items: Iterable<unknown> | AsyncIterable<unknown>, options: MapOptions & { returnExceptions: true }): Promise<Array<unknown | Error>>;
  map(items: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): Promise<unknown[]>;
  map(items: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): Promise<Array<unknown | Error>> {
    return this.#fanOut('map', items, (item, i) => toWire([item], `items[${i}]`), options);
  }

  starmap(argLists: Iterable<Args> | AsyncIterable<Args>, options: MapOptions & { returnExceptions: true }): Promise<Array<unknown | Error>>;
  starmap(argLists: Iterable<Args> | AsyncIterable<Args>, options?: MapOptions): Promise<unknown[]>;
  starmap(argLists: Iterable<Args> | AsyncIterable<Args>, options?: MapOptions): Promise<Array<unknown | Error>> {
    return this.#fanOut(
      'starmap',
      argLists,
      (args, i) => {
        if (!Array.isArray(args))
          throw new InvalidArgumentError(`${this.name}.starmap(): argLists[${i}] must be an array of arguments, got ${args === null ? 'null' : typeof args}.`);
        return toWire(args, `argLists[${i}]`);
      },
      options,
    );
  }

  async start(...args: Args): Promise<string> {
    const wire = toWire(args, 'args');
    const id = newRunId(this.#context.clock());
    const record = await this.#runs.create(id, wire, this.#timeoutSeconds, this.#context.tuning.runStaleAfterMs);
    // Launched at once when a slot is free and nobody waits; else in line.
    await this.#gate.admit(id, waitingRun(this.#runs, this.#invoker, record));
    return id;
  }

  async get(id: string): Promise<RunInfo<unknown>> {
    return this.#runs.toInfo(await this.#read(id));
  }

  async cancel(id: string): Promise<void> {
    // A waiting run is cancelled without ever holding a slot; one that was handed a slot gives it back.
    if ((await this.#runs.cancel(id)) === 'CANCELLED') await this.#gate.settled(id);
  }

  async list(options?: ListOptions): Promise<Page<RunInfo<unknown>>> {
    const page = await this.#runs.list(options);
    const waiting = page.items.filter((run) => run.status === 'PENDING').map((run) => run.id);
    if (waiting.length > 0) await this.#gate.reconcile(waiting);
    return page;
  }

  async awaitResult(id: string, options?: AwaitOptions): Promise<unknown> {
    const { clock, tuning } = this.#context;
    const limitMs = waitLimit(this.name, options);
    const giveUpAt = limitMs === undefined ? undefined : clock() + limitMs;
    for (let pause = 25; ; pause = Math.min(pause * 2, tuning.awaitPollMaxMs)) {
      const record = await this.#read(id);
      switch (record.status) {
        case 'SUCCEEDED':
          return (await this.#runs.toInfo(record)).result;
        case 'FAILED':
        case 'TIMED_OUT':
          throw new InvocationFailedError(this.name, record.error ?? { type: record.status, message: `run ${id} ended ${record.status}` });
        case 'CANCELLED':
          throw new RunCancelledError(this.name, id);
      }
      if (giveUpAt !== undefined && clock() >= giveUpAt) {
        throw new WaitTimeoutError(`${this.name}.awaitResult(${JSON.stringify(id)}) gave up after ${limitMs! / 1000}s; the run is still ${record.status}.`);
      }
      await sleep(giveUpAt === undefined ? pause : Math.max(0, Math.min(pause, giveUpAt - clock())));
    }
  }

  /**
   * A run's state (reconciled). A waiting run also reconciles the gate (a lost hand-off is repaired here); so does a
   * running one whose executor went silent: the gate's check of its slot retries it or ends it, even when nothing
   * else (a start, an end) would pump the gate.
   */
  async #read(id: string): Promise<RunRecord> {
    const record = await this.#runs.get(id);
    const silent = (record.status === 'RUNNING' || record.status === 'CANCELLING') && !heartbeatFresh(record, this.#context.clock());
    if (record.status === 'PENDING') await this.#gate.reconcile([id]);
    else if (silent) await this.#gate.reconcile([]);
    return record;
  }

  /**
   * One call per item, at most `concurrency` in flight, results in input order. Without `returnExceptions` the
   * first failure rejects at once and no further item is started: calls already in flight are not waited for (a
   * Lambda invocation cannot be recalled); they finish on their own, their retries stop, and their results are dropped.
   */
  async #fanOut<T>(
    method: string,
    items: Iterable<T> | AsyncIterable<T>,
    encode: (item: T, index: number) => WireValue,
    options: MapOptions = {},
  ): Promise<Array<unknown | Error>> {
    const concurrency = this.#concurrency(method, options);
    const returnExceptions = options.returnExceptions === true;
    if (items === null || typeof items !== 'object' || (!(Symbol.iterator in items) && !(Symbol.asyncIterator in items))) {
      throw new InvalidArgumentError(
        `${this.name}.${method}(): expected an array, iterable or async iterable of items, got ${items === null ? 'null' : typeof items}.`,
      );
    }
    if (this.#invoker.mapMany) {
      const wires: WireValue[] = [];
      let i = 0;
      for await (const item of items) wires.push(encode(item, i++));
      const results = await this.#invoker.mapMany(wires, { concurrency, returnExceptions });
      return results.map((r) => (r instanceof Error ? r : fromWire(r)));
    }
    const results: Array<unknown | Error> = [];
    const iterator = itemSource(items);
    let nextIndex = 0;
    // The first failure, kept once; it aborts every worker's signal (stopping retry pauses) and rejects `failed`.
    let failure: { error: unknown } | undefined;
    let rejectFailed!: (error: unknown) => void;
    const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
    // A signal per worker, not one for the whole map: each retry or throttle pause listens on its own worker's signal
    // and stops listening when it ends, so one signal never carries more than one listener.
    const controllers = Array.from({ length: concurrency }, () => new AbortController());
    const fail = (error: unknown): void => {
      if (failure) return;
      failure = { error };
      for (const controller of controllers) controller.abort(error);
      rejectFailed(error);
    };
    const worker = async (signal: AbortSignal): Promise<void> => {
      while (!failure) {
        const next = iterator.next();
        const step = next instanceof Promise ? await next : next;
        if (step.done || failure) return;
        const index = nextIndex++;
        try {
          results[index] = fromWire(await this.#invoker.call(encode(step.value, index), { signal }));
        } catch (error) {
          if (returnExceptions && error instanceof InvocationFailedError) {
            results[index] = error;
            continue;
          }
          return fail(error);
        }
      }
    };
    // Workers reject only when the iterator throws, which fails the map the same way.
    const workers = Promise.all(controllers.map((controller) => worker(controller.signal))).catch(fail);
    await Promise.race([workers, failed]);
    if (failure) throw failure.error;
    return results;
  }

  #concurrency(method: string, options: MapOptions): number {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError(`${this.name}.${method}(): options must be an object such as { concurrency: 5 }.`);
    const requested = options.concurrency;
    if (requested === undefined) return this.#maxConcurrency;
    if (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1 || requested > 1000) {
      throw new InvalidArgumentError(`${this.name}.${method}(): concurrency must be a whole number from 1 to 1000, got ${String(requested)}.`);
    }
    // The function's maxConcurrency is a ceiling for every caller together; more would only be throttled.
    return Math.min(requested, this.#maxConcurrency);
  }
}

/**
 * One source of items for the map's workers. A sync iterable is read directly: its `next` runs to completion before any
 * other worker's, so nothing can interleave, and no promise is made per item (a chain of them, one per item, made a
 * `map` of quick calls spend half as much again on each). An async iterator's `next` calls are serialized, so workers
 * calling it at once never race it.
 */
function itemSource<T>(items: Iterable<T> | AsyncIterable<T>): { next(): IteratorResult<T> | Promise<IteratorResult<T>> } {
  if (!(Symbol.asyncIterator in items)) return items[Symbol.iterator]();
  const inner = items[Symbol.asyncIterator]();
  let chain: Promise<unknown> = Promise.resolve();
  return {
    next() {
      const step = chain.then(() => inner.next());
      chain = step.catch(() => undefined);
      return step;
    },
  };
}

function waitLimit(name: string, options: AwaitOptions | undefined): number | undefined {
  if (options?.timeout === undefined) return undefined;
  const parsed = parseDurationSeconds(options.timeout);
  if ('problem' in parsed)
    throw new InvalidArgumentError(`${name}.awaitResult(): timeout ${JSON.stringify(options.timeout)} is not valid; expected ${DURATION_FORMS}.`);
  return parsed.seconds * 1000;
}
