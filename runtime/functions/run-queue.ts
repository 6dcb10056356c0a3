/**
 * Started runs behind their function's concurrency gate (runtime/state/concurrency.ts): at most `maxConcurrency` runs
 * of a function hold a slot, and only a holder runs. This module says, for runs, how a waiting run is launched (the
 * placement's invoker, with its slot) and how a slot whose check time passed is judged:
 *  - the run ended (or timed out): the slot is released;
 *  - on Batch, Batch's own status of the run's job decides: queued or running keeps the slot; ended without finishing
 *    the run ends it FAILED with Batch's reason;
 *  - PENDING (handed a slot, never claimed: the asynchronous invoke was lost): the run goes back in line;
 *  - RUNNING with a fresh heartbeat keeps the slot; without one for the run's `staleAfterMs` its executor died: the
 *    run is retried (back in line) while retries and time remain, else FAILED; a CANCELLING one ends CANCELLED.
 */
import { FINAL_STATUSES, type RemoteErrorInfo } from '../../lib/handles.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import type { RuntimeContext } from '../core/context.js';
import type { BatchJobView } from '../batch/batch-jobs.js';
import { toRemoteError } from '../core/remote-error.js';
import { ConcurrencyGate, type SlotVerdict, type Ticket, type Waiting } from '../state/concurrency.js';
import { DEADLINE_GRACE_MS, heartbeatFresh, LOST_RUN_TYPE, type RunRecord, RunStore } from './run-store.js';
import type { FunctionInvoker } from './invoker.js';
import { invokerFor } from './invokers.js';

const isFinal = (status: string): boolean => (FINAL_STATUSES as readonly string[]).includes(status);
const BATCH_ENDED = new Set(['SUCCEEDED', 'FAILED']);

/** Invokers made for gates (one per context and function: each holds an SDK client). */
const invokers = new WeakMap<RuntimeContext, Map<string, FunctionInvoker>>();

function sharedInvoker(context: RuntimeContext, definition: FunctionManifest): FunctionInvoker {
  let byName = invokers.get(context);
  if (!byName) invokers.set(context, (byName = new Map()));
  let invoker = byName.get(definition.name);
  if (!invoker) byName.set(definition.name, (invoker = invokerFor(context, definition)));
  return invoker;
}

/** Gates made per context and function: one per process, so its callers share pumps. */
const gates = new WeakMap<RuntimeContext, Map<string, ConcurrencyGate>>();

/**
 * The gate of a function's started runs, one per context (process) and function. `invoker` launches them (default:
 * one shared per context and function).
 */
export function runGate(
  context: RuntimeContext,
  definition: FunctionManifest,
  runs: RunStore = new RunStore(definition.name, context.state, context.payloads, context.clock),
  invoker?: FunctionInvoker,
): ConcurrencyGate {
  let byName = gates.get(context);
  if (!byName) gates.set(context, (byName = new Map()));
  let gate = byName.get(definition.name);
  if (!gate) byName.set(definition.name, (gate = newRunGate(context, definition, runs, invoker)));
  return gate;
}

function newRunGate(context: RuntimeContext, definition: FunctionManifest, runs: RunStore, invoker?: FunctionInvoker): ConcurrencyGate {
  const { options } = definition;
  const launcher = () => invoker ?? sharedInvoker(context, definition);
  const { clock } = context;
  return new ConcurrencyGate({
    table: context.state,
    name: definition.name,
    limit: options.maxConcurrency,
    clock,
    members: {
      async waiting(id, ticket) {
        if (typeof ticket?.deadline === 'number' && typeof ticket.checkAfterMs === 'number') {
          return clock() < ticket.deadline ? waitingRun(runs, launcher(), { id, deadline: ticket.deadline, staleAfterMs: ticket.checkAfterMs }) : undefined;
        }
        const record = await runs.read(id);
        if (record?.status !== 'PENDING' || clock() >= record.deadline) return undefined;
        return waitingRun(runs, launcher(), record);
      },
      inspect: (id) => inspectRun(runs, id, launcher(), options.maxRetries, clock),
    },
  });
}

/** What a run's place in line carries: its deadline and staleness limit. */
export function runTicket(record: Pick<RunRecord, 'deadline' | 'staleAfterMs'>): Ticket {
  return { deadline: record.deadline, checkAfterMs: record.staleAfterMs };
}

/**
 * How the gate launches a waiting run (`record`, PENDING): an asynchronous invoke, or a Batch job. Its ticket (what
 * its place in line carries) is its deadline and staleness limit.
 */
export function waitingRun(runs: RunStore, invoker: FunctionInvoker, record: Pick<RunRecord, 'id' | 'deadline' | 'staleAfterMs'>): Waiting {
  const { id } = record;
  return {
    checkAfterMs: record.staleAfterMs,
    ticket: runTicket(record),
    async launch(slot, token) {
      try {
        const { batchJobId } = await invoker.startRun(id, slot, record.deadline, token);
        if (batchJobId) await runs.setBatchJob(id, batchJobId);
      } catch (error) {
        // Nothing will run it: record why, rather than leave it PENDING until its deadline.
        await runs.failPending(id, toRemoteError(error));
        throw error;
      }
    },
  };
}

async function inspectRun(runs: RunStore, id: string, invoker: FunctionInvoker, maxRetries: number, clock: () => number): Promise<SlotVerdict> {
  const record = await runs.read(id);
  if (!record || isFinal(record.status)) return 'release';
  const now = clock();
  if (now >= record.deadline + DEADLINE_GRACE_MS) {
    await runs.get(id); // stores TIMED_OUT
    return 'release';
  }
  if (record.batchJobId && invoker.describe) {
    const view = (await invoker.describe([record.batchJobId])).get(record.batchJobId);
    if (view && !BATCH_ENDED.has(view.status)) return 'keep';
    if (view) return (await endRunOnBatch(runs, record, record.batchJobId, view)).ended ? 'release' : 'keep';
  }
  if (record.status === 'PENDING') return 'requeue';
  if (heartbeatFresh(record, now)) return 'keep';
  const error: RemoteErrorInfo = {
    type: LOST_RUN_TYPE,
    message:
      `${runs.functionName} run ${id}: its executor stopped reporting (no heartbeat for ` +
      `${Math.round((now - (record.heartbeatAt ?? now)) / 1000)} s); the invocation ended without finishing the run (crashed, out of memory or stopped).`,
  };
  const retry = record.status === 'RUNNING' && record.attempts <= maxRetries && now < record.deadline;
  const settled = await runs.settleLost(record, retry, error);
  if (!settled) return 'keep'; // it changed meanwhile: judged again at the next check
  return settled.status === 'PENDING' ? 'requeue' : 'release';
}

/**
 * The Batch job `jobId` executing `record` ended (Batch's state-change event, or its status read) without the run
 * being finished: the container died, before or after claiming it. Ends the run FAILED with Batch's reason
 * (CANCELLED when a cancel was pending). `ended` tells whether this call ended it.
 */
export async function endRunOnBatch(runs: RunStore, record: RunRecord, jobId: string, view: BatchJobView): Promise<{ ended: boolean; outcome: string }> {
  const what = `run ${runs.functionName} ${record.id}`;
  const error: RemoteErrorInfo = {
    type: 'BatchJobFailed',
    message: `the Batch job ${jobId} running ${runs.functionName} run ${record.id} ended without finishing it: ${view.reason}`,
  };
  if (record.status === 'PENDING') {
    // The container died before it claimed the run (image pull, bundle fetch, out of memory at start).
    const failed = await runs.failPending(record.id, error);
    return { ended: failed, outcome: failed ? `${what} FAILED before it started` : `${what} changed meanwhile` };
  }
  if ((record.status !== 'RUNNING' && record.status !== 'CANCELLING') || !record.owner) return { ended: false, outcome: `${what} is ${record.status}` };
  const outcome = record.status === 'CANCELLING' ? { status: 'CANCELLED' as const } : { status: 'FAILED' as const, error };
  const ended = await runs.finish(record.id, record.owner, outcome);
  return { ended, outcome: ended ? `${what} ${outcome.status}` : `${what} changed meanwhile` };
}
