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
  if (argLists.length === 0) return { results: [], batchCalls: 0 };
  const { clock } = context;
  const map: MapJob = {
    context,
    definition,
    batch: new BatchJobs(context),
    id: `${clock()}-${randomUUID()}`,
    deadline: clock() + definition.options.timeoutSeconds * 1000,
    items: argLists.length,
    chunks: Math.ceil(argLists.length / INPUT_CHUNK),
    calls: { count: 0 },
  };
  await stageInputs(map, argLists);
  const parents = await submitParts(map);
  const stopped = await awaitParts(map, parents, options);
  const outputs = await collectOutputs(map);
  const reasons = await explainMissing(map, parents, outputs);
  removePayloads(map, outputs);
  const timedOut = stopped && clock() >= map.deadline + START_GRACE_MS;
  const results = outputs.map((output, i): WireValue | InvocationFailedError => {
    if (output && 'value' in output) return output.value;
    const error: RemoteErrorInfo = output?.error ?? {
      type: timedOut ? 'TimeoutError' : 'BatchJobFailed',
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
  return { results, batchCalls: map.calls.count };
}

/** One map on Batch, as its steps share it. */
interface MapJob {
  readonly context: RuntimeContext;
  readonly definition: FunctionManifest;
  readonly batch: BatchJobs;
  readonly id: string;
  readonly deadline: number;
  readonly items: number;
  /** Input objects in S3, INPUT_CHUNK argument lists each. */
  readonly chunks: number;
  /** Batch API calls made so far. */
  readonly calls: { count: number };
}

/** A submitted array job (or a plain job for a map of one) and the items it runs. */
interface Part {
  readonly id: string;
  readonly offset: number;
  readonly size: number;
}

/** Stores the argument lists in S3, INPUT_CHUNK per object: only ids travel in the submit. */
async function stageInputs(map: MapJob, argLists: readonly WireValue[]): Promise<void> {
  const { payloads } = map.context;
  await mapLimit(
    Array.from({ length: map.chunks }, (_, c) => c),
    16,
    (c) => payloads.put(inputKey(map.id, c), JSON.stringify(argLists.slice(c * INPUT_CHUNK, (c + 1) * INPUT_CHUNK))),
  );
}

/** Submits one array job per part; when a part cannot be submitted, stops the parts already submitted. */
async function submitParts(map: MapJob): Promise<Part[]> {
  const parents: Part[] = [];
  try {
    for (const { offset, size } of arrayParts(map.items)) {
      const id = await map.batch.submit({
        definition: map.definition,
        task: 'map',
        run: map.id,
        environment: { [TASK_ENV.mapOffset]: String(offset), [TASK_ENV.deadline]: String(map.deadline) },
        ...(size >= 2 ? { arraySize: size } : {}),
        attemptSeconds: map.definition.options.timeoutSeconds,
      });
      map.calls.count++;
      parents.push({ id, offset, size });
    }
  } catch (error) {
    // The map fails, so the parts already running would only waste their compute.
    const reason = 'multinode: another part of the map could not be submitted';
    await Promise.all(parents.map((p) => map.batch.terminate(p.id, reason).catch(() => undefined)));
    removeInputs(map);
    throw error;
  }
  return parents;
}

/**
 * Polls until every part ended; without `returnExceptions`, stops them all at the first failed item, and after the
 * deadline (plus a grace for children that never started) stops them too. Resolves true when it stopped them.
 */
async function awaitParts(map: MapJob, parents: readonly Part[], options: { returnExceptions: boolean; pollMaxMs?: number }): Promise<boolean> {
  const giveUpAt = map.deadline + START_GRACE_MS;
  for (let pause = 100; ; pause = Math.min(pause * 2, options.pollMaxMs ?? 2000)) {
    const details = await map.batch.describe(parents.map((p) => p.id));
    map.calls.count += Math.ceil(parents.length / 100);
    const statuses = parents.map((p) => details.get(p.id));
    if (statuses.every((d) => d && (d.status === 'SUCCEEDED' || d.status === 'FAILED'))) return false;
    const failedSoFar = statuses.some((d) => d && (d.status === 'FAILED' || (d.arrayProperties?.statusSummary?.FAILED ?? 0) > 0));
    if ((failedSoFar && !options.returnExceptions) || map.context.clock() >= giveUpAt) {
      const reason = failedSoFar ? 'multinode: another item of the map failed' : 'multinode: the map passed its deadline';
      await Promise.all(parents.map((p) => map.batch.terminate(p.id, reason)));
      map.calls.count += parents.length;
      return true;
    }
    await sleep(pause);
  }
}

/** Each item's output from S3; undefined for an item that wrote none (it never ran, or its container died). */
function collectOutputs(map: MapJob): Promise<Array<Output | undefined>> {
  const { payloads } = map.context;
  return mapLimit(
    Array.from({ length: map.items }, (_, i) => i),
    50,
    async (index): Promise<Output | undefined> => {
      try {
        return JSON.parse(await payloads.get({ bucket: payloads.bucket, key: outputKey(map.id, index) })) as Output;
      } catch {
        return undefined;
      }
    },
  );
}

/** Why each item without an output did not finish, from Batch (children are `<parent>:<index>`, or the plain job). */
async function explainMissing(map: MapJob, parents: readonly Part[], outputs: ReadonlyArray<Output | undefined>): Promise<Map<number, string>> {
  const missing = outputs.flatMap((o, i) => (o === undefined ? [i] : []));
  const reasons = new Map<number, string>();
  if (missing.length === 0) return reasons;
  const childId = (i: number) => {
    const parent = parents.find((p) => i >= p.offset && i < p.offset + p.size)!;
    return parent.size >= 2 ? `${parent.id}:${i - parent.offset}` : parent.id;
  };
  const details = await map.batch.describe(missing.map(childId));
  map.calls.count += Math.ceil(missing.length / 100);
  for (const i of missing) {
    const detail = details.get(childId(i));
    reasons.set(i, detail ? `Batch job ${detail.jobId} ${detail.status}: ${viewOf(detail).reason || 'no reason given'}` : `Batch job ${childId(i)} is unknown`);
  }
  return reasons;
}

/** Deletes the map's inputs and the outputs read, in the background (the bucket's lifecycle removes what remains). */
function removePayloads(map: MapJob, outputs: ReadonlyArray<Output | undefined>): void {
  const { payloads } = map.context;
  void Promise.all(outputs.map((o, i) => (o ? payloads.delete({ bucket: payloads.bucket, key: outputKey(map.id, i) }) : undefined)));
  removeInputs(map);
}

function removeInputs(map: MapJob): void {
  const { payloads } = map.context;
  void Promise.all(Array.from({ length: map.chunks }, (_, c) => payloads.delete({ bucket: payloads.bucket, key: inputKey(map.id, c) })));
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
