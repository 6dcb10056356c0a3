/**
 * How a function is executed remotely depends on its placement: Lambda or AWS Batch (invokers.ts picks the invoker).
 * A function handle talks only to this interface.
 */
import type { WireValue } from '../../lib/codec.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import type { RuntimeContext } from '../core/context.js';
import type { BatchJobView } from '../batch/batch-jobs.js';

export interface CallOptions {
  /** Aborts retries and waiting (the caller gave up, e.g. a `map` that already failed). */
  readonly signal?: AbortSignal;
}

export interface MapManyOptions {
  readonly concurrency: number;
  readonly returnExceptions: boolean;
}

export interface FunctionInvoker {
  /**
   * Executes one call (with the function's retries and timeout) and resolves the result's wire form, or rejects
   * with InvocationFailedError carrying the remote error.
   */
  call(args: WireValue, options?: CallOptions): Promise<WireValue>;
  /**
   * Optional: executes a whole map at once (Batch runs it as one array job). Results (wire forms), or errors in
   * place when `returnExceptions`, in input order. Without it, `map` makes one `call` per item.
   */
  mapMany?(argLists: WireValue[], options: MapManyOptions): Promise<Array<WireValue | Error>>;
  /**
   * Begins executing a run recorded PENDING in the state table, holding concurrency slot `slot`. Resolves with the
   * Batch job id when Batch executes it. Gives up (throws) once the run's `deadline` (epoch ms) passes. `token`, the
   * slot's hand-off, travels with the run where the compute's event carries it (Lambda).
   */
  startRun(id: string, slot: number, deadline: number, token?: string): Promise<{ batchJobId?: string }>;
  /** Batch's status of the jobs executing runs (Batch placement only). */
  describe?(batchJobIds: readonly string[]): Promise<ReadonlyMap<string, BatchJobView>>;
}

export type InvokerFactory = (context: RuntimeContext, definition: FunctionManifest) => FunctionInvoker;
