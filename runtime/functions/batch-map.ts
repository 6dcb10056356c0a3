/**
 * Calls of a function placed on Batch. A `map` of N items is ONE array job (chunked above Batch's 10,000 children);
 * `call` is a map of one (a plain job). Nothing but ids travels in the submit:
 *  - the caller stores the argument lists in S3, 100 per object (`calls/<map id>/in/<chunk>`);
 *  - child i (offset + AWS_BATCH_JOB_ARRAY_INDEX) reads its chunk, runs the handler with the function's retries
 *    until the deadline, and stores `{ value }` or `{ error }` at `calls/<map id>/out/<i>`;
 *  - the caller polls the array jobs (DescribeJobs, 100 per call) until they end, then reads the outputs and
 *    returns results in input order. A child without an output died: its error is Batch's reason.
 * Without `returnExceptions`, the first failure seen stops the rest (TerminateJob of the array jobs).
 */
import { randomUUID } from 'node:crypto';
import { fromWire, toWire, type WireValue } from '../../lib/codec.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import { InvocationFailedError } from '../../lib/errors.js';
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import type { RuntimeContext } from '../core/context.js';
import { withDeadline } from '../core/deadline.js';
import { withLog } from '../core/invocation-log.js';
import { asError, type Logger } from '../core/logger.js';
import { mapLimit } from '../core/map-limit.js';
import { PAYLOAD_PREFIXES } from '../core/payloads.js';
import { toRemoteError } from '../core/remote-error.js';
import { backoffDelay, sleep } from '../core/retry.js';
import { BatchJobs, TASK_ENV, viewOf } from '../batch/batch-jobs.js';

/** Batch's limit on an array job's size. */
export const MAX_ARRAY_SIZE = 10_000;
/** Argument lists per input object. */
export const INPUT_CHUNK = 100;

type Output = { value: WireValue } | { error: RemoteErrorInfo };

const inputKey = (mapId: string, chunk: number) => `${PAYLOAD_PREFIXES.calls}${mapId}/in/${chunk}`;
const outputKey = (mapId: string, index: number) => `${PAYLOAD_PREFIXES.calls}${mapId}/out/${index}`;

export interface MapRun {
  /** Results (wire forms) or errors, in input order. */
  readonly results: Array<WireValue | InvocationFailedError>;
  /** Batch API calls made (SubmitJob, DescribeJobs, TerminateJob): what the bench compares. */
  readonly batchCalls: number;
}

/** Grace beyond the timeout before the caller stops waiting for children that never started. */
const START_GRACE_MS = 60_000;

export async function runBatchMap(
  context: RuntimeContext,
  definition: FunctionManifest,
  argLists: readonly WireValue[],
  options: { returnExceptions: boolean; pollMaxMs?: number },
): Promise<MapRun> {
  const batch = new BatchJobs(context);
  const { clock, payloads } = context;
  const timeoutSeconds = definition.options.timeoutSeconds;
  const mapId = `${clock()}-${randomUUID()}`;
  const deadline = clock() + timeoutSeconds * 1000;
  let batchCalls = 0;
  if (argLists.length === 0) return { results: [], batchCalls };

  const chunks = Math.ceil(argLists.length / INPUT_CHUNK);
  await mapLimit(
    Array.from({ length: chunks }, (_, c) => c),
    16,
    (c) => payloads.put(inputKey(mapId, c), JSON.stringify(argLists.slice(c * INPUT_CHUNK, (c + 1) * INPUT_CHUNK))),
  );

  const parents: Array<{ id: string; offset: number; size: number }> = [];
  try {
    for (const { offset, size } of arrayParts(argLists.length)) {
      const id = await batch.submit({
        definition,
        task: 'map',
        run: mapId,
        environment: { [TASK_ENV.mapOffset]: String(offset), [TASK_ENV.deadline]: String(deadline) },
        ...(size >= 2 ? { arraySize: size } : {}),
        attemptSeconds: timeoutSeconds,
      });
      batchCalls++;
      parents.push({ id, offset, size });
    }
  } catch (error) {
    // A part could not be submitted: the map fails, so the parts already running would only waste their compute.
    await Promise.all(parents.map((p) => batch.terminate(p.id, 'multinode: another part of the map could not be submitted').catch(() => undefined)));
    void Promise.all(Array.from({ length: chunks }, (_, c) => payloads.delete({ bucket: payloads.bucket, key: inputKey(mapId, c) })));
    throw error;
  }

  // Wait for every array job to end (or the first failure, without returnExceptions).
  const giveUpAt = deadline + START_GRACE_MS;
  let stopped = false;
  for (let pause = 100; ; pause = Math.min(pause * 2, options.pollMaxMs ?? 2000)) {
    const details = await batch.describe(parents.map((p) => p.id));
    batchCalls += Math.ceil(parents.length / 100);
    const statuses = parents.map((p) => details.get(p.id));
    if (statuses.every((d) => d && (d.status === 'SUCCEEDED' || d.status === 'FAILED'))) break;
    const failedSoFar = statuses.some((d) => d && (d.status === 'FAILED' || (d.arrayProperties?.statusSummary?.FAILED ?? 0) > 0));
    if ((failedSoFar && !options.returnExceptions) || clock() >= giveUpAt) {
      const reason = failedSoFar ? 'multinode: another item of the map failed' : 'multinode: the map passed its deadline';
      await Promise.all(parents.map((p) => batch.terminate(p.id, reason)));
      batchCalls += parents.length;
      stopped = true;
      break;
    }
    await sleep(pause);
  }

  const outputs = await mapLimit(
    argLists.map((_, i) => i),
    50,
    async (index): Promise<Output | undefined> => {
      try {
        return JSON.parse(await payloads.get({ bucket: payloads.bucket, key: outputKey(mapId, index) })) as Output;
      } catch {
        return undefined;
      }
    },
  );
  // Children without an output: ask Batch why (their ids are `<parent>:<index>`, or the parent for a plain job).
  const missing = outputs.flatMap((o, i) => (o === undefined ? [i] : []));
  const reasons = new Map<number, string>();
  if (missing.length > 0) {
    const childId = (i: number) => {
      const parent = parents.find((p) => i >= p.offset && i < p.offset + p.size)!;
      return parent.size >= 2 ? `${parent.id}:${i - parent.offset}` : parent.id;
    };
    const details = await batch.describe(missing.map(childId));
    batchCalls += Math.ceil(missing.length / 100);
    for (const i of missing) {
      const detail = details.get(childId(i));
      reasons.set(
        i,
        detail ? `Batch job ${detail.jobId} ${detail.status}: ${viewOf(detail).reason || 'no reason given'}` : `Batch job ${childId(i)} is unknown`,
      );
    }
  }
  void Promise.all(outputs.map((o, i) => (o ? payloads.delete({ bucket: payloads.bucket, key: outputKey(mapId, i) }) : undefined)));
  void Promise.all(Array.from({ length: chunks }, (_, c) => payloads.delete({ bucket: payloads.bucket, key: inputKey(mapId, c) })));

  const results = outputs.map((output, i): WireValue | InvocationFailedError => {
    if (output && 'value' in output) return output.value;
    const error: RemoteErrorInfo = output?.error ?? {
      type: stopped && clock() >= giveUpAt ? 'TimeoutError' : 'BatchJobFailed',
      message: `${definition.name} item ${i} did not finish: ${reasons.get(i) ?? 'stopped'}.`,
    };
    return new InvocationFailedError(definition.name, error);
  });
  if (!options.returnExceptions) {
    // The item that failed, not an earlier one that was still running when the map was stopped because of it.
    const failedItem = outputs.findIndex((o) => o !== undefined && 'error' in o);
    const firstFailure = failedItem >= 0 ? results[failedItem] : results.find((r) => r instanceof InvocationFailedError);
    if (firstFailure) throw firstFailure;
  }
  return { results, batchCalls };
}

/**
 * How a map of `count` items is submitted: one array job per 10,000 items, sizes as even as possible so that none
 * falls under Batch's minimum of 2 (a map of one item is a plain job, size 1).
 */
export function arrayParts(count: number): Array<{ offset: number; size: number }> {
  const parts = Math.ceil(count / MAX_ARRAY_SIZE);
  const out: Array<{ offset: number; size: number }> = [];
  for (let i = 0, offset = 0; i < parts; i++) {
    const size = Math.floor(count / parts) + (i < count % parts ? 1 : 0);
    out.push({ offset, size });
    offset += size;
  }
  return out;
}

/** Container side: runs item `index` of map `mapId`; resolves true when it succeeded. */
export async function runMapItem(
  context: RuntimeContext,
  fn: FunctionDefinition<unknown[], unknown>,
  mapId: string,
  index: number,
  deadline: number,
  mapLog: Logger = context.log.child({ definition: fn.name, kind: 'function', runId: mapId, item: index }),
): Promise<boolean> {
  const { payloads, clock, tuning } = context;
  const chunk = JSON.parse(await payloads.get({ bucket: payloads.bucket, key: inputKey(mapId, Math.floor(index / INPUT_CHUNK)) })) as WireValue[];
  const args = fromWire(chunk[index % INPUT_CHUNK]) as unknown[];
  let output: Output;
  for (let attempt = 1; ; attempt++) {
    const log = mapLog.child({ attempt });
    try {
      const value = await withDeadline(() => withLog(log, () => fn.handler(...args)), deadline, clock, `${fn.name} item ${index}`);
      output = { value: toWire(value, 'result') };
      break;
    } catch (error) {
      const remote = toRemoteError(error);
      if (attempt > fn.options.maxRetries || clock() >= deadline || remote.type === 'TimeoutError') {
        output = { error: remote };
        break;
      }
      log.warn(`item ${index}: attempt ${attempt} failed; retrying`, asError(error));
      await sleep(backoffDelay(attempt, tuning.retryBackoff));
    }
  }
  await payloads.put(outputKey(mapId, index), JSON.stringify(output));
  return 'value' in output;
}
