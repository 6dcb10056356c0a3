/**
 * How many state-table requests the steps of a started run make, counted by a middleware on the SDK client (a count is
 * deterministic where a timing is not): a start that finds a free slot, a start that finds every slot taken, and an
 * executor from the confirmation of its slot to handing it on. Through the local cloud; the executor measured runs in
 * this process (the local Lambda's own run in worker threads, with clients of their own).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { toWire } from '../../lib/codec.js';
import { createLambdaHandler } from '../../runtime/entry/lambda-handler.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { ConcurrencyGate, slotKey } from '../../runtime/state/concurrency.js';
import { partitionKey } from '../../runtime/state/schema.js';
import { newRunId } from '../../runtime/state/ids.js';
import { until } from '../helpers/poll.js';
import { countRequests, type RequestCounter } from '../helpers/request-counter.js';
import * as app from './fixtures/concurrency-app/src/app.js';
import { functionGate, jobGateOf } from './support.js';

const entry = path.join(import.meta.dirname, 'fixtures/concurrency-app/src/app.ts');

let t: TestCloud;
let requests: RequestCounter;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app });
  requests = countRequests([t.context.clients.dynamodb, t.context.clients.cachedDynamodb], { table: t.context.names.stateTable });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const empty = (gate: ConcurrencyGate) =>
  until(
    () => gate.snapshot(),
    (s) => s.slots.length === 0 && s.queue.length === 0,
    'every slot given back',
  );

describe('state-table requests of a start', () => {
  it('a start that finds a free slot costs at most 4: the run recorded, the gate read, the slot taken (a run, and a job)', async () => {
    const runs = functionGate(t.context, 'single');
    await empty(runs);
    requests.reset();
    const id = await app.single.start({ key: 'requests-free', item: 'run' });
    expect(requests.total()).toBeLessThanOrEqual(4);
    expect(requests.log).toEqual(['PutItem', 'Query', 'PutItem']);
    await app.single.awaitResult(id);

    const jobs = jobGateOf(t.context, 'singleJob');
    await empty(jobs);
    requests.reset();
    const job = await app.singleJob.start({ key: 'requests-free', item: 'job' });
    expect(requests.total()).toBeLessThanOrEqual(4);
    expect(requests.log).toEqual(['PutItem', 'Query', 'PutItem']);
    await app.singleJob.awaitResult(job);
  });

  it('a start that finds every slot taken goes in line: the run recorded, the gate read, the entry put, the gate read again', async () => {
    const gate = 'requests-full/open';
    const holder = await app.single.start({ key: 'requests-full', item: 'holder', gate });
    await until(
      () => app.single.get(holder),
      (info) => info.status === 'RUNNING',
      'the holder RUNNING',
    );
    requests.reset();
    const waiting = await app.single.start({ key: 'requests-full', item: 'waiting' });
    expect(requests.log).toEqual(['PutItem', 'Query', 'PutItem', 'Query']);
    expect((await functionGate(t.context, 'single').snapshot()).queue).toEqual([waiting]);
    await app.marks.set(gate, 1);
    await app.single.awaitResult(holder);
    await app.single.awaitResult(waiting);
  });
});

/** A run's staleness limit by default, which its place in line carries. */
const STALE_AFTER_MS = 60_000;

type Launched = { id: string; slot: number; token: string };

/** A gate of "single" (1 slot) whose launches are only noted in `launched`: their executors are invoked here, in this process. */
function notingGate(launched: Launched[]): ConcurrencyGate {
  return new ConcurrencyGate({
    table: t.context.state,
    name: 'single',
    limit: 1,
    clock: t.context.clock,
    members: {
      waiting: async (id) => ({ checkAfterMs: STALE_AFTER_MS, launch: async (slot, token) => void launched.push({ id, slot, token }) }),
      inspect: async () => 'keep',
    },
  });
}

describe('state-table requests of recording runs', () => {
  it('records the runs created in one turn together: a BatchWriteItem per 25, a conditional PutItem for one alone', async () => {
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    const ids = Array.from({ length: 60 }, () => newRunId());
    requests.reset();
    await Promise.all(ids.map((id, i) => runs.create(id, toWire([{ key: 'requests-create', item: i }], 'args'), 120)));
    expect(requests.log).toEqual(['BatchWriteItem', 'BatchWriteItem', 'BatchWriteItem']);
    const stored = await Promise.all(ids.map((id) => runs.read(id)));
    expect(stored.map((run) => run?.status)).toEqual(ids.map(() => 'PENDING'));
    requests.reset();
    await runs.create(newRunId(), toWire([{ key: 'requests-create', item: 'alone' }], 'args'), 120);
    expect(requests.log).toEqual(['PutItem']);
  });
});

describe('state-table requests of an executor', () => {
  it('confirms its slot, claims the run, records the result and hands the slot on: 6 when nobody waits', async () => {
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    await empty(functionGate(t.context, 'single'));
    // A run handed a slot by a gate whose launch only notes it: the executor is then invoked here, in this process.
    const id = newRunId();
    const record = await runs.create(id, toWire([{ key: 'requests-executor', item: 'run' }], 'args'), 120);
    expect(record.staleAfterMs).toBe(STALE_AFTER_MS);
    const launched: Launched[] = [];
    await notingGate(launched).admit(id);
    const handed = launched[0];
    expect(handed).toBeDefined();

    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'counted', getRemainingTimeInMillis: () => 60_000 };
    requests.reset();
    expect(await handler({ multinode: 'run', function: 'single', ...handed! }, lambda)).toMatchObject({ id, outcome: 'SUCCEEDED' });
    // The handler's own dict requests go to the dict's table and are not counted; a cancel poll would be (every second).
    // Confirm and claim at once (the event carries the hand-off's token), the final write alongside the read of the
    // line's head, then (nobody waits) the slot freed and the gate read again after that.
    const counted = requests.log.filter((operation) => operation !== 'GetItem');
    expect(counted.slice(0, 2)).toEqual(['UpdateItem', 'UpdateItem']);
    expect([...counted.slice(2, 4)].sort()).toEqual(['Query', 'UpdateItem']);
    expect(counted.slice(4)).toEqual(['DeleteItem', 'Query']);
    expect(await functionGate(t.context, 'single').snapshot()).toEqual({ slots: [], queue: [] });
  });

  /** A run handed the only slot of "single" by a gate that notes its launch, and a second run waiting in line. */
  async function heldAndWaiting(key: string, firstWaitsFor?: string) {
    const runs = new RunStore('single', t.context.state, t.context.payloads, t.context.clock);
    await empty(functionGate(t.context, 'single'));
    const launched: Launched[] = [];
    const records = new Map<string, Awaited<ReturnType<RunStore['create']>>>();
    const handing = notingGate(launched);
    const [first, second] = [newRunId(), newRunId()];
    for (const id of [first, second]) {
      const gate = id === first && firstWaitsFor ? { gate: firstWaitsFor } : {};
      records.set(id, await runs.create(id, toWire([{ key, item: id, ...gate }], 'args'), 120));
    }
    await handing.admit(first);
    await handing.enqueue(second, { deadline: records.get(second)!.deadline, checkAfterMs: STALE_AFTER_MS });
    expect(launched.map((l) => l.id)).toEqual([first]);
    return { runs, first, second, event: { multinode: 'run', function: 'single', id: first, slot: launched[0]!.slot, token: launched[0]!.token } };
  }

  it('goes on with the waiting run its slot passes to, in the same invocation: slot passed, entry removed, run claimed; no invoke', async () => {
    const { runs, first, second, event } = await heldAndWaiting('requests-adopt');
    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    // Ten minutes left: the waiting run's deadline (2 minutes after it was created) falls within this invocation.
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'adopting', getRemainingTimeInMillis: () => 600_000 };
    const invoked = t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations;
    requests.reset();
    expect(await handler(event, lambda)).toMatchObject({ id: first, outcome: 'SUCCEEDED' });
    expect((await runs.get(second)).status).toBe('SUCCEEDED');
    expect(t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations).toBe(invoked);
    const kept = requests.log.flatMap((operation, i) => (operation === 'GetItem' ? [] : [{ operation, inFlight: requests.inFlight[i]! }]));
    const counted = kept.map((request) => request.operation);
    // The first run as before up to its final write and the line's head; then, sent together, the slot passed to the
    // second and the second claimed (its slot needs no confirm: this executor just passed it); once the claim
    // succeeded, the second's entry removed, while the second runs.
    expect(counted.slice(0, 2)).toEqual(['UpdateItem', 'UpdateItem']);
    expect([...counted.slice(2, 4)].sort()).toEqual(['Query', 'UpdateItem']);
    expect(counted.slice(4, 7)).toEqual(['UpdateItem', 'UpdateItem', 'DeleteItem']);
    expect(kept.slice(5, 7).map((request) => request.inFlight)).toEqual([1, 0]);
    expect([...counted.slice(7, 9)].sort()).toEqual(['Query', 'UpdateItem']);
    expect(counted.slice(9)).toEqual(['DeleteItem', 'Query']);
    expect(await functionGate(t.context, 'single').snapshot()).toEqual({ slots: [], queue: [] });
  });

  it('gives back the waiting run it claimed in passing when its own slot was taken back meanwhile: still in line, nothing invoked', async () => {
    const open = 'requests-taken-back/open';
    const { runs, first, second, event } = await heldAndWaiting('requests-taken-back', open);
    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'taken-back', getRemainingTimeInMillis: () => 600_000 };
    const invoked = t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations;
    const running = handler(event, lambda);
    await until(
      () => runs.get(first),
      (run) => run.status === 'RUNNING',
      'the first run to start',
    );
    // The executor overran its check time: a check took its slot back and handed it to another run.
    const pk = partitionKey('concurrency', 'single');
    const now = t.context.clock();
    await t.context.state.put(pk, slotKey(event.slot), {
      holder: 'another-run',
      token: 'another-token',
      checkAt: now + 60_000,
      checkAfterMs: 60_000,
      since: now,
    });
    await app.marks.set(open, 1);
    expect(await running).toMatchObject({ id: first, outcome: 'SUCCEEDED' });
    // The pass claimed the second run alongside the slot's move, which was refused: the claim was undone.
    const waiting = await runs.get(second);
    expect([waiting.status, waiting.attempts]).toEqual(['PENDING', 0]);
    expect(await functionGate(t.context, 'single').snapshot()).toMatchObject({ queue: [second] });
    expect(t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations).toBe(invoked);
    // The other run's slot given back: the second one is handed it and runs.
    await t.context.state.delete(pk, slotKey(event.slot));
    await functionGate(t.context, 'single').pump();
    await until(
      () => runs.get(second),
      (run) => run.status === 'SUCCEEDED',
      'the second run to end',
    );
  });

  it('invokes the waiting run instead when its deadline falls after the end of this invocation', async () => {
    const { runs, first, second, event } = await heldAndWaiting('requests-no-adopt');
    const handler = createLambdaHandler(resolveApp(app), { context: t.context });
    // One minute left: the second run's 2 minutes would be cut short here, so it gets an invocation of its own.
    const lambda = { functionName: t.context.names.lambdaFunction('single'), awsRequestId: 'not-adopting', getRemainingTimeInMillis: () => 60_000 };
    const invoked = t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations;
    expect(await handler(event, lambda)).toMatchObject({ id: first, outcome: 'SUCCEEDED' });
    expect(t.cloud.lambda.stats(t.context.names.lambdaFunction('single'))!.invocations).toBe(invoked + 1);
    await until(
      () => runs.get(second),
      (run) => run.status === 'SUCCEEDED',
      'the second run, invoked, to end',
    );
  });
});
