/**
 * Runs started with `fn.start` (an asynchronous invoke carrying the run id, its concurrency slot and the hand-off's
 * token). The executor confirms its slot (without one the run waits in line: the executor returns at once, it never
 * waits for capacity) and claims the run (PENDING -> RUNNING, refused for duplicate deliveries), both at once, runs
 * the handler with the function's retries until the run's deadline, heartbeats (so a dead executor is noticed) and
 * watches for cancellation, writes the final state, and passes its slot on to the oldest waiting run, which on Lambda
 * it then runs itself when that run's deadline falls within the invocation. Failures are recorded, not thrown:
 * Lambda's own asynchronous retries would only find the run already final.
 */
import { randomUUID } from 'node:crypto';
import { fromWire, toWire } from '../../lib/codec.js';
import type { FunctionDefinition } from '../../lib/definitions/function.js';
import type { RuntimeTuning } from '../core/context.js';
import { envelopeType, type RunEvent } from '../core/envelope.js';
import { runGate, runTicket } from './run-queue.js';
import { toRemoteError } from '../core/remote-error.js';
import { backoffDelay, sleep } from '../core/retry.js';
import type { Adopter, ConcurrencyGate, Hold } from '../state/concurrency.js';
import { RunStore, type FinalOutcome, type RunRecord } from './run-store.js';
import { FINAL_WRITE_MARGIN_MS, invocationDeadline, TimeoutError, withDeadline } from '../core/deadline.js';
import { targetDefinition } from '../core/event-handler.js';
import type { EventHandler } from '../core/event-handler.js';
import { withLog } from '../core/invocation-log.js';
import { asError, type Logger } from '../core/logger.js';

export interface RunResponse {
  readonly multinode: 'run';
  readonly id: string;
  /** The final status written, or why nothing was done ('queued': no slot, the run waits in line). */
  readonly outcome: FinalOutcome['status'] | 'duplicate' | 'lost' | 'queued';
}

export const CANCELLED = Symbol('cancelled');
export const LOST = Symbol('lost');

export const runEvent: EventHandler<RunEvent> = {
  name: 'run',
  accepts: (event): event is RunEvent => envelopeType(event) === 'run',
  async handle(event, context): Promise<RunResponse> {
    const definition = targetDefinition(context, event.function, 'function') as FunctionDefinition<unknown[], unknown>;
    const { state, payloads, clock } = context.runtime;
    const runs = new RunStore(definition.name, state, payloads, clock);
    const manifest = context.runtime.definition(definition.name, 'function');
    const gate = runGate(context.runtime, manifest, runs);
    // On Lambda, an executor whose slot goes to a waiting run goes on with that run itself when the run's deadline
    // falls within this invocation: no invoke, no cold start, no second confirm of the slot. Otherwise the run is
    // invoked as usual. (A Batch container runs the one run its job was submitted for.)
    const adopting = manifest.placement === 'lambda';
    let next: Executing | undefined = { event };
    let first: RunResponse | undefined;
    while (next) {
      const { outcome, adopted } = await executeRun(next, definition, runs, gate, context, adopting);
      first ??= { multinode: 'run', id: event.id, outcome };
      next = adopted && {
        event: { multinode: 'run', function: event.function, id: adopted.hold.holder, slot: adopted.hold.slot, token: adopted.hold.token },
        adopted,
      };
    }
    // The line entries of runs taken over are removed after their claims: done before the invocation returns.
    await gate.idle();
    return first!;
  },
};

/** A run for this executor: the invocation's own event, or a waiting run its slot was passed to (`adopted`, claimed). */
interface Executing {
  readonly event: RunEvent;
  readonly adopted?: Adopted;
}

/** A run taken over by the executor that passed it its slot: claimed by `owner`, under the hand-off's token. */
interface Adopted {
  readonly hold: Hold;
  readonly owner: string;
  readonly record: RunRecord;
}

/** One run: its slot and claim, the handler, the final write and the handing on of the slot (maybe to `adopted`). */
async function executeRun(
  { event, adopted: taken }: Executing,
  definition: FunctionDefinition<unknown[], unknown>,
  runs: RunStore,
  gate: ConcurrencyGate,
  context: Parameters<EventHandler<RunEvent>['handle']>[1],
  adopting: boolean,
): Promise<{ outcome: RunResponse['outcome']; adopted?: Adopted }> {
  const { clock } = context.runtime;
  // Only a holder of one of the function's slots runs (maxConcurrency); without one, the run waits in line. A run this
  // executor took over holds the slot it passed on, and is claimed already.
  const owner = taken?.owner ?? randomUUID();
  const { hold, record } = taken ?? (await holdAndClaim(gate, runs, event, owner));
  if (!hold) {
    // Claimed while confirming a slot that is gone: the claim is undone before anything ran.
    const undone = record ? await undoClaim(runs, event.id, owner) : 'PENDING';
    if (undone !== 'PENDING') return { outcome: undone };
    // Not a holder (the slot was taken back, or an event without one): a run still waiting goes back in line.
    const seen = await runs.read(event.id);
    if (seen?.status !== 'PENDING') return { outcome: 'duplicate' };
    await gate.enqueue(event.id, runTicket(seen));
    await gate.pump();
    return { outcome: 'queued' };
  }
  if (!record) {
    await giveBack(gate, runs, hold, context.log);
    return { outcome: 'duplicate' };
  }
  // The run's deadline, or a second before the invocation's own end when that comes first (an executor invoked as
  // the run was created), so the executor still records TIMED_OUT and hands its slot on itself.
  const deadline = invocationDeadline(record.deadline, context, FINAL_WRITE_MARGIN_MS);
  const log = context.log.child({ definition: definition.name, kind: 'function', runId: event.id });
  let adopted: Adopted | undefined;
  const adopt: Adopter | undefined = adopting
    ? {
        take: (passed, ticket) => {
          // Only a run whose deadline comes before this invocation's end: it has its time here, less at most the final
          // write's margin, as a run whose executor was invoked the moment it was created.
          const fits = typeof ticket?.deadline === 'number' && ticket.deadline <= clock() + context.lambda.getRemainingTimeInMillis();
          if (!fits) return undefined;
          const next = randomUUID();
          return runs.claim(passed.holder, next, passed.token).then((claimed) => {
            if (claimed) adopted = { hold: passed, owner: next, record: claimed };
            return claimed !== undefined;
          });
        },
        undo: async (passed) => {
          const giving = adopted;
          adopted = undefined;
          if (giving?.hold.token === passed.token) await undoClaim(runs, passed.holder, giving.owner);
        },
      }
    : undefined;
  // Ended (or, when 'lost', taken over by another executor with its own slot): the slot goes to the oldest waiting
  // run. The handing on starts with the final write (it reads the line meanwhile) and moves the slot after it.
  let handing: Promise<void> | undefined;
  const handOn = (ended?: Promise<unknown>) =>
    gate
      .release(hold, ended, adopt)
      .catch((error: unknown) => log.warn(`run ${event.id} could not hand its slot on; the next start or read will`, asError(error)));
  const outcome = await execute(definition, record, deadline, owner, runs, context.runtime.tuning, clock, log, (writing) => {
    handing = handOn(writing);
  });
  await (handing ?? handOn());
  return { outcome, ...(adopted ? { adopted } : {}) };
}

/**
 * Undoes `owner`'s claim of a run it never ran (the slot it claimed it with turned out to be gone): 'PENDING' when
 * the run waits again. A cancel requested in between is recorded by this owner ('CANCELLED'); 'lost' when the run
 * changed otherwise.
 */
async function undoClaim(runs: RunStore, id: string, owner: string): Promise<'PENDING' | 'CANCELLED' | 'lost'> {
  if (await runs.unclaim(id, owner)) return 'PENDING';
  const cancelled = (await runs.status(id)) === 'CANCELLING' && (await runs.finish(id, owner, { status: 'CANCELLED' }));
  return cancelled ? 'CANCELLED' : 'lost';
}

/**
 * Confirms the run's slot and claims the run. With the hand-off's token (Lambda's events carry it) both go at once,
 * one round trip rather than two: the caller undoes a claim whose slot turned out to be gone. Without it (Batch, an
 * event of an earlier version), the slot first; the run is claimed only with it, under the slot's token.
 */
async function holdAndClaim(
  gate: ConcurrencyGate,
  runs: RunStore,
  event: RunEvent,
  owner: string,
): Promise<{ hold: Hold | undefined; record: RunRecord | undefined }> {
  if (event.slot === undefined) return { hold: undefined, record: undefined };
  if (event.token === undefined) {
    const hold = await gate.confirm(event.id, event.slot);
    return { hold, record: hold ? await runs.claim(event.id, owner, hold.token) : undefined };
  }
  const [hold, record] = await Promise.all([gate.confirm(event.id, event.slot, undefined, event.token), runs.claim(event.id, owner, event.token)]);
  return { hold, record };
}

/** Runs the handler with retries, heartbeats and cancellation; resolves with the final status written, or 'lost'. */
async function execute(
  definition: FunctionDefinition<unknown[], unknown>,
  record: RunRecord,
  deadline: number,
  owner: string,
  runs: RunStore,
  tuning: RuntimeTuning,
  clock: () => number,
  runLog: Logger,
  onFinal: (writing: Promise<unknown>) => void,
): Promise<RunResponse['outcome']> {
  const id = record.id;
  const args = fromWire(await runs.args(record)) as unknown[];
  const maxRetries = definition.options.maxRetries;

  const watching = new AbortController();
  const stopped = watchRun(runs, id, owner, { beatEveryMs: record.staleAfterMs / 4, pollMs: tuning.cancelPollMs, clock }, watching.signal);

  try {
    for (let attempt = record.attempts; ; attempt++) {
      const log = runLog.child({ attempt });
      let outcome: FinalOutcome | undefined;
      try {
        const running = withDeadline(() => withLog(log, () => definition.handler(...args)), deadline, clock, `${definition.name} run ${id}`);
        const result = await Promise.race([running, stopped]);
        if (result === LOST) return 'lost';
        outcome = result === CANCELLED ? { status: 'CANCELLED' } : { status: 'SUCCEEDED', result: toWire(result, 'result') };
      } catch (error) {
        const remote = toRemoteError(error);
        if (error instanceof TimeoutError) outcome = { status: 'TIMED_OUT', error: remote };
        else if (attempt > maxRetries || clock() >= deadline) outcome = { status: 'FAILED', error: remote };
        else {
          log.warn(`attempt ${attempt} failed; retrying`, asError(error));
          await sleep(backoffDelay(attempt, tuning.retryBackoff));
          if ((await runs.status(id)) === 'CANCELLING') outcome = { status: 'CANCELLED' };
          else if (!(await runs.nextAttempt(id, owner))) return 'lost';
          else continue;
        }
      }
      const final = outcome;
      const writing = (async (): Promise<RunResponse['outcome']> => {
        const written = await runs.finish(id, owner, final);
        if (!written && final.status !== 'CANCELLED' && (await runs.status(id)) === 'CANCELLING') {
          await runs.finish(id, owner, { status: 'CANCELLED' });
          return 'CANCELLED';
        }
        return written ? final.status : 'lost';
      })();
      onFinal(writing);
      return await writing;
    }
  } finally {
    watching.abort();
  }
}

/**
 * The claim failed: the run ended while its start was on the way (cancelled as its slot was handed over), or its
 * deadline passed, or another executor runs it. The slot goes back now rather than when its check time comes, unless
 * it is the running executor's own (a duplicate delivery of the same event). A failure here is repaired by the next
 * check of the slot.
 */
async function giveBack(gate: ConcurrencyGate, runs: RunStore, hold: Hold, log: Logger): Promise<void> {
  try {
    const now = await runs.read(hold.holder);
    const running = now?.status === 'RUNNING' || now?.status === 'CANCELLING';
    if (!running || (now.slotToken !== undefined && now.slotToken !== hold.token)) await gate.release(hold);
  } catch (error) {
    log.warn(`run ${hold.holder} could not hand its slot on; the next start or read will`, asError(error));
  }
}

/**
 * Polls for a cancel request while a run's handler runs, writing a heartbeat every `beatEveryMs` (a reader judges the
 * executor dead without one). Resolves when the run is CANCELLING, or when a heartbeat finds this executor no longer
 * owns it; never otherwise. A failed request is tried again next round: giving up would leave the executor silent,
 * judged dead, and its run handed to another while this one still runs it.
 */
export function watchRun(
  runs: Pick<RunStore, 'heartbeat' | 'status'>,
  id: string,
  owner: string,
  options: { beatEveryMs: number; pollMs: number; clock: () => number },
  signal: AbortSignal,
): Promise<typeof CANCELLED | typeof LOST> {
  const { beatEveryMs, pollMs, clock } = options;
  return new Promise((resolve) => {
    void (async () => {
      let lastBeat = clock();
      while (!signal.aborted) {
        try {
          await sleep(Math.min(pollMs, beatEveryMs), signal);
          const beat = clock() - lastBeat >= beatEveryMs;
          const status = beat ? await runs.heartbeat(id, owner) : await runs.status(id);
          if (beat && status) lastBeat = clock();
          if (status === 'CANCELLING') return resolve(CANCELLED);
          if (beat && status === undefined) return resolve(LOST);
        } catch {
          // Stopped watching (the loop ends), or a request failed (the next round tries again).
        }
      }
    })();
  });
}
