/**
 * Functions placed on Batch: `call` is a map of one (a plain job), `map`/`starmap` one array job (map.ts), and a
 * `start`ed run a job whose container executes the run recorded in the state table, exactly as the Lambda
 * handler does (runtime/handler/run-kind.ts). Started runs wait for a slot of the function's `maxConcurrency` before
 * they are submitted (runtime/state/concurrency.ts); the compute environment's capacity may bound them further.
 */
import type { WireValue } from '../../lib/codec.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import type { RuntimeContext } from '../core/context.js';
import type { FunctionInvoker, MapManyOptions } from './invoker.js';
import { jobTuningFromEnv } from '../jobs/tuning.js';
import type { BatchJobView } from '../batch/batch-jobs.js';
import { BatchJobs, TASK_ENV } from '../batch/batch-jobs.js';
import { runBatchMap } from './batch-map.js';

export class BatchFunctionInvoker implements FunctionInvoker {
  constructor(
    private readonly context: RuntimeContext,
    private readonly definition: FunctionManifest,
  ) {}

  async call(args: WireValue): Promise<WireValue> {
    const { results } = await runBatchMap(this.context, this.definition, [args], { returnExceptions: false, pollMaxMs: jobTuningFromEnv().pollMaxMs });
    return results[0] as WireValue;
  }

  async mapMany(argLists: WireValue[], options: MapManyOptions): Promise<Array<WireValue | Error>> {
    const { results } = await runBatchMap(this.context, this.definition, argLists, {
      returnExceptions: options.returnExceptions,
      pollMaxMs: jobTuningFromEnv().pollMaxMs,
    });
    return results;
  }

  async startRun(id: string, slot: number, _deadline: number): Promise<{ batchJobId: string }> {
    const timeoutSeconds = this.definition.options.timeoutSeconds;
    const batchJobId = await new BatchJobs(this.context).submit({
      definition: this.definition,
      task: 'run',
      run: id,
      environment: { [TASK_ENV.slot]: String(slot) },
      attemptSeconds: timeoutSeconds + jobTuningFromEnv().graceMs / 1000,
    });
    return { batchJobId };
  }

  describe(batchJobIds: readonly string[]): Promise<ReadonlyMap<string, BatchJobView>> {
    return new BatchJobs(this.context).views(batchJobIds);
  }
}
