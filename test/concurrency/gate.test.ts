/**
 * The concurrency gate (runtime/state/concurrency.ts) against the local DynamoDB with the real SDK client, several
 * gate instances standing for several processes, and a small in-memory kind of ids whose "executors" run in this
 * process the way a Lambda invocation would: confirm the slot, run, settle. Checks the bound under a burst, exactly
 * once, FIFO order, lost hand-offs, stranded queues, dead holders, cancel while waiting, failed launches, a lowered
 * limit, and wrong input. Time-dependent checks use an injectable clock.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { createTables } from '../../runtime/local/tables.js';
import {
  type Adopter,
  ConcurrencyGate,
  type Hold,
  queueKey,
  slotKey,
  type GateMembers,
  type SlotVerdict,
  type Waiting,
} from '../../runtime/state/concurrency.js';
import { newRunId } from '../../runtime/state/ids.js';
import { partitionKey } from '../../runtime/state/schema.js';
import { type QueryPage, StateTable, type Stored } from '../../runtime/state/state-table.js';
import { withLog } from '../../runtime/core/invocation-log.js';
import { Logger } from '../../runtime/core/logger.js';
import { documentClient } from '../../runtime/core/clients.js';
import { STATE_TABLE_SCHEMA } from '../../runtime/state/schema.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let table: StateTable;

beforeAll(async () => {
  dynamo = await startDynamo();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  await createTables(client, [['gate-test-state', STATE_TABLE_SCHEMA]]);
  table = new StateTable(documentClient(client), 'gate-test-state');
});
afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

type State = 'PENDING' | 'RUNNING' | 'DONE' | 'CANCELLED' | 'FAILED';
const CHECK_AFTER_MS = 1000;

/**
 * A kind of ids kept in memory, run by "executors" in this process. `processes` gate instances share the table, as
 * callers and executors in different processes would; each executor uses a random one.
 */
class Kind implements GateMembers {
  readonly state = new Map<string, State>();
  readonly launched: Array<{ id: string; slot: number }> = [];
  readonly started: string[] = [];
  readonly runs = new Map<string, number>();
  /** Ids whose executor ended and handed its slot on. */
  readonly settledIds = new Set<string>();
  /** Ids whose executors are alive (a RUNNING id not in here died). */
  readonly alive = new Set<string>();
  /** Launches of these ids are lost once (the invoke never arrives). */
  readonly lose = new Set<string>();
  /** Launches of these ids fail. */
  readonly failing = new Set<string>();
  /** Executors of these ids die after confirming their slot and claiming. */
  readonly dying = new Set<string>();
  /** Executors of these ids hold until released. */
  readonly holding = new Map<string, () => void>();
  /** Executors that ended pass their confirmed slot on (`release`, as run and job executors do), else `settled`. */
  passOn = false;
  /** The final write of these ids' executors fails (their slot is given up with it). */
  readonly finalWriteFails = new Set<string>();
  inFlight = 0;
  maxInFlight = 0;
  readonly gates: ConcurrencyGate[];
  #waiters: Array<() => void> = [];

  constructor(name: string, limit: number, processes: number, clock: () => number, state: StateTable = table) {
    this.gates = Array.from({ length: processes }, () => new ConcurrencyGate({ table: state, name, limit, clock, members: this }));
  }

  get gate(): ConcurrencyGate {
    return this.gates[Math.floor(Math.random() * this.gates.length)]!;
  }

  async waiting(id: string): Promise<Waiting | undefined> {
    if (this.state.get(id) !== 'PENDING') return undefined;
    return {
      checkAfterMs: CHECK_AFTER_MS,
      launch: async (slot) => {
        this.launched.push({ id, slot });
        if (this.failing.has(id)) {
          this.state.set(id, 'FAILED');
          throw new Error(`cannot launch ${id}`);
        }
        if (this.lose.delete(id)) return;
        setImmediate(() => void this.execute(id, slot));
      },
    };
  }

  async inspect(id: string): Promise<SlotVerdict> {
    const state = this.state.get(id);
    if (state === 'PENDING') return 'requeue';
    if (state !== 'RUNNING') return 'release';
    if (this.alive.has(id)) return 'keep';
    this.state.set(id, 'PENDING'); // its executor died: another attempt
    return 'requeue';
  }

  /** What an executor does: confirm the slot (else wait in line), claim, run, settle. */
  async execute(id: string, slot: number): Promise<void> {
    const gate = this.gate;
    const hold = await gate.confirm(id, slot, CHECK_AFTER_MS);
    if (!hold) {
      await gate.enqueue(id);
      await gate.pump();
      return;
    }
    if (this.state.get(id) !== 'PENDING') return; // a duplicate
    this.state.set(id, 'RUNNING');
    this.alive.add(id);
    this.started.push(id);
    this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.dying.delete(id)) {
      this.alive.delete(id);
      this.inFlight--;
      return; // crashed: no settle, no more reports
    }
    const held = this.holding.get(id);
    if (held) await new Promise<void>((resolve) => this.holding.set(id, resolve));
    else await new Promise((resolve) => setTimeout(resolve, 2)); // a little work
    this.inFlight--;
    this.alive.delete(id);
    if (this.passOn) {
      const ended = this.finalWriteFails.has(id) ? Promise.reject(new Error('final write failed')) : Promise.resolve(this.state.set(id, 'DONE'));
      await gate.release(hold, ended);
    } else {
      this.state.set(id, 'DONE');
      await gate.settled(id);
    }
    this.settledIds.add(id);
    this.#notify();
  }

  /** A new id, recorded PENDING, in creation order. */
  create(time: number): string {
    const id = newRunId(time);
    this.state.set(id, 'PENDING');
    return id;
  }

  /** Lets a holding executor finish. */
  release(id: string): void {
    this.holding.get(id)?.();
  }

  /** Resolves once `test` holds (checked after every executor ends). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(() => {
        if (test()) resolve();
      });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Every id ran and its executor handed its slot on. */
  done(ids: readonly string[]): boolean {
    return ids.every((id) => this.settledIds.has(id));
  }
}

/**
 * What an executor that gives up a slot does when offered the id the slot passes to (run-event.ts on Lambda): takes it
 * over by claiming it (only a PENDING id; the claim is refused to everyone else), and gives it back on `undo`.
 */
class Adoption implements Adopter {
  /** The ids offered, in order; the ones taken over; the ones given back. */
  readonly offered: string[] = [];
  readonly took: string[] = [];
  readonly undone: string[] = [];
  /** `meeting`: takes wait there until as many as it expects were offered (so that two passes race for one id). */
  constructor(
    private readonly kind: Kind,
    private readonly meeting?: Meeting,
  ) {}

  async take(hold: Hold): Promise<boolean> {
    this.offered.push(hold.holder);
    await this.meeting?.arrive();
    if (this.kind.state.get(hold.holder) !== 'PENDING') return false;
    this.kind.state.set(hold.holder, 'RUNNING');
    this.took.push(hold.holder);
    return true;
  }

  async undo(hold: Hold): Promise<void> {
    this.kind.state.set(hold.holder, 'PENDING');
    this.undone.push(hold.holder);
  }

  /** The ids it took over and kept. */
  get kept(): string[] {
    return this.took.filter((id) => !this.undone.includes(id));
  }
}

/** Holds the first `count` arrivals until the last of them came; later ones pass at once. */
class Meeting {
  readonly #waiting: Array<() => void> = [];
  constructor(private count: number) {}

  arrive(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    const arrived = new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (--this.count === 0) for (const go of this.#waiting) go();
    return arrived;
  }
}

/** `count` slots held by executors that ended (`ended-<slot>`, `token-<slot>`), put in the table as a hand-off left them. */
async function endedHolds(pk: string, count: number): Promise<Hold[]> {
  const holds = Array.from({ length: count }, (_, slot) => ({ holder: `ended-${slot}`, slot, token: `token-${slot}` }));
  for (const hold of holds) {
    await table.put(pk, slotKey(hold.slot), {
      holder: hold.holder,
      token: hold.token,
      checkAt: clock() + CHECK_AFTER_MS,
      checkAfterMs: CHECK_AFTER_MS,
      since: clock(),
    });
  }
  return holds;
}

let kinds = 0;
const kindName = () => `gated-${++kinds}`;
let clockOffset = 0;
const clock = () => Date.now() + clockOffset;

/** Resolves once `started` has `count` entries, polling the in-memory list (executors run asynchronously). */
async function startedCount(kind: Kind, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (kind.started.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${kind.started.length} of ${count} started`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the concurrency gate', () => {
  it('never lets more than the limit run under a burst from several processes, and runs each id exactly once', async () => {
    const kind = new Kind(kindName(), 3, 4, clock);
    const base = Date.now();
    const ids = Array.from({ length: 40 }, (_, i) => kind.create(base + i));
    for (const id of ids) kind.holding.set(id, () => undefined);
    await Promise.all(ids.map((id) => kind.gate.admit(id)));
    // Every executor holds: exactly the limit got slots and started; the others wait in line.
    await startedCount(kind, 3);
    const full = await kind.gates[1]!.snapshot();
    expect(full.slots.map((s) => s.holder).sort()).toEqual([...kind.started].sort());
    expect(full.queue).toHaveLength(37);
    // Let them all go: each one that starts from now on finishes at once.
    for (const id of ids) if (!kind.started.includes(id)) kind.holding.delete(id);
    for (const id of kind.started) kind.release(id);
    await kind.until(() => kind.done(ids));
    expect(kind.maxInFlight).toBe(3);
    expect(ids.map((id) => kind.runs.get(id))).toEqual(ids.map(() => 1));
    expect(await kind.gates[0]!.snapshot()).toEqual({ slots: [], queue: [] });
  });

  it('passing slots on: never more than the limit under a burst from several processes, each id once, oldest first, nothing left', async () => {
    const kind = new Kind(kindName(), 3, 4, clock);
    kind.passOn = true;
    const base = Date.now();
    const ids = Array.from({ length: 40 }, (_, i) => kind.create(base + i));
    await Promise.all(ids.map((id) => kind.gate.admit(id)));
    await kind.until(() => kind.done(ids));
    expect(kind.maxInFlight).toBeLessThanOrEqual(3);
    expect(ids.map((id) => kind.runs.get(id))).toEqual(ids.map(() => 1));
    // The first 3 launches took free slots while nobody waited yet: any process's arrivals may, by design. Every later
    // one was handed a slot from the line, oldest first; passes made at the same time race, so one may overtake a few,
    // and now and then a race holds one id back a while (in 130 runs of this test, once by 24 places): on the whole the
    // order is the line's, an id's turn a fraction of a place from its place in line on average (a shuffled order
    // would be about 13 places off).
    // An id launched twice had its hand-off repaired (its executor did not confirm within the check time, as on a
    // loaded machine; it went back in line): its second launch is no hand-off in order, and is left out here.
    const launches = new Map<string, number>();
    for (const { id } of kind.launched) launches.set(id, (launches.get(id) ?? 0) + 1);
    const fromLine = kind.launched
      .slice(3)
      .map((d) => d.id)
      .filter((id) => launches.get(id) === 1);
    const oldestFirst = [...fromLine].sort((a, b) => ids.indexOf(a) - ids.indexOf(b));
    const distances = fromLine.map((id, handedOut) => Math.abs(oldestFirst.indexOf(id) - handedOut));
    expect(distances.reduce((sum, d) => sum + d, 0) / distances.length).toBeLessThan(2);
    expect(await kind.gates[0]!.snapshot()).toEqual({ slots: [], queue: [] });
  });

  it('a slot given up goes to the oldest waiting id without ever showing free; it stays held when the final write failed', async () => {
    const kind = new Kind(kindName(), 1, 1, clock);
    kind.passOn = true;
    const [holder, first, second] = [0, 1, 2].map((i) => kind.create(Date.now() + i)) as [string, string, string];
    kind.holding.set(holder, () => undefined);
    await kind.gate.admit(holder);
    await startedCount(kind, 1);
    await kind.gate.admit(second);
    await kind.gate.admit(first);
    expect((await kind.gate.snapshot()).queue).toEqual([first, second]);
    kind.holding.set(first, () => undefined);
    kind.finalWriteFails.add(first);
    kind.release(holder);
    await startedCount(kind, 2);
    // The holder's slot (number 0, the only one) now names `first`, the older of the two.
    expect(kind.started).toEqual([holder, first]);
    expect(kind.launched.map((d) => d.slot)).toEqual([0, 0]);
    expect((await kind.gate.snapshot()).queue).toEqual([second]);
    // `first` ends, but its final write fails: its slot is not passed on (its check will judge it), so `second` waits.
    kind.release(first);
    await kind.until(() => kind.settledIds.has(first));
    const held = await kind.gate.snapshot();
    expect(held).toEqual({ slots: [{ slot: 0, holder: first, checkAt: expect.any(Number) }], queue: [second] });
    // Once the slot's check time passes, the check finds `first` no longer running and `second` gets the slot.
    kind.state.set(first, 'DONE');
    clockOffset += CHECK_AFTER_MS + 1;
    await kind.gate.pump();
    await kind.until(() => kind.done([second]));
    expect(kind.started).toEqual([holder, first, second]);
  });

  it('a slot taken back before it was passed on stays with its new holder; what went with its move is undone', async () => {
    for (const adopting of [false, true]) {
      const kind = new Kind(kindName(), 1, 1, clock);
      const pk = partitionKey('concurrency', kind.gate.name);
      const waiting = kind.create(Date.now());
      await kind.gate.enqueue(waiting, { deadline: 42 });
      const entry = await table.get(pk, queueKey(waiting));
      // The releasing executor overran its check time: the check took its slot back and it now names another id.
      const slot = { holder: 'another-id', token: 'another-token', checkAt: clock() + CHECK_AFTER_MS, checkAfterMs: CHECK_AFTER_MS, since: clock() };
      await table.put(pk, slotKey(0), slot);
      // The pass sends the slot's move (refused: the token is no longer the executor's) alongside the entry's removal
      // (the entry goes back as it was) or, for an adopter, the id's claim (given back; the entry never left).
      const adopter = new Adoption(kind);
      await kind.gate.release({ holder: 'late-executor', slot: 0, token: 'its-old-token' }, undefined, adopting ? adopter : undefined);
      expect(kind.launched).toEqual([]);
      expect(await table.get(pk, queueKey(waiting))).toEqual(entry);
      expect(await table.get(pk, slotKey(0))).toMatchObject(slot);
      expect(adopter.took).toEqual(adopting ? [waiting] : []);
      expect(adopter.undone).toEqual(adopting ? [waiting] : []);
      expect(kind.state.get(waiting)).toBe('PENDING');
    }
  });

  it('slots given up at once in two processes, both offered to their executors: each waiting id is taken over once', async () => {
    const kind = new Kind(kindName(), 2, 2, clock);
    const pk = partitionKey('concurrency', kind.gate.name);
    const [older, newer] = [0, 1].map((i) => kind.create(Date.now() + i)) as [string, string];
    for (const id of [newer, older]) await kind.gate.enqueue(id);
    const holds = await endedHolds(pk, 2);
    // Both passes read the same head and try the older id first (their takes meet before either claims): one of them
    // takes it over, the other goes on to the newer one.
    const meeting = new Meeting(2);
    const adopters = [new Adoption(kind, meeting), new Adoption(kind, meeting)];
    await Promise.all(holds.map((hold, i) => kind.gates[i]!.release(hold, undefined, adopters[i])));
    expect(adopters.flatMap((a) => a.kept).sort()).toEqual([older, newer].sort());
    expect(kind.launched).toEqual([]);
    // The entries of the ids taken over leave the line after their takes.
    await Promise.all(kind.gates.map((gate) => gate.idle()));
    const after = await kind.gate.snapshot();
    expect(after.queue).toEqual([]);
    // Each slot names the id its executor took over.
    for (const [i, adopter] of adopters.entries()) {
      const named = after.slots.find((s) => s.slot === holds[i]!.slot)!.holder;
      expect(adopter.kept).toEqual([named]);
    }
  });

  it('an id another process took over is removed from the line after its take; until then, passes of the loser skip it', async () => {
    // The winner's removal of the entry is held back, as on a slow network: the entry is still in line meanwhile.
    let removals: Array<() => void> = [];
    class SlowRemoval extends StateTable {
      override async delete<A extends object>(pk: string, sk: string, condition?: Parameters<StateTable['delete']>[2]): Promise<Stored<A> | undefined> {
        if (sk.startsWith('queue#')) await new Promise<void>((resolve) => removals.push(resolve));
        return super.delete<A>(pk, sk, condition);
      }
    }
    const kind = new Kind(kindName(), 3, 2, clock, new SlowRemoval(documentClient(client), 'gate-test-state'));
    const pk = partitionKey('concurrency', kind.gate.name);
    const [older, mid, newer] = [0, 1, 2].map((i) => kind.create(Date.now() + i)) as [string, string, string];
    for (const id of [older, mid, newer]) await kind.gate.enqueue(id);
    const holds = await endedHolds(pk, 3);
    // Two processes pass a slot each at once; both try the oldest first (their takes meet), one of them takes it over.
    const meeting = new Meeting(2);
    const adopters = [new Adoption(kind, meeting), new Adoption(kind, meeting)];
    await Promise.all(holds.slice(0, 2).map((hold, i) => kind.gates[i]!.release(hold, undefined, adopters[i])));
    const loser = adopters.findIndex((a) => !a.kept.includes(older));
    expect(adopters[1 - loser]!.kept).toEqual([older]);
    const lost = adopters[loser]!.kept[0]!;
    expect([mid, newer]).toContain(lost);
    expect((await kind.gate.snapshot()).queue).toEqual([older, mid, newer]);
    // The loser passes another slot while the winner's removal is still on its way: it goes straight to the id left.
    const next = new Adoption(kind);
    await kind.gates[loser]!.release(holds[2]!, undefined, next);
    const left = [mid, newer].find((id) => id !== lost)!;
    expect(next.offered).toEqual([left]);
    for (const remove of removals) remove();
    removals = [];
    await Promise.all(kind.gates.map((gate) => gate.idle()));
    expect(await kind.gate.snapshot()).toMatchObject({ queue: [] });
  });

  it('executors ending at once in many processes all try the oldest entry; each that lost it goes on to the one its slot points to', async () => {
    const processes = 5;
    const kind = new Kind(kindName(), 20, processes, clock);
    const pk = partitionKey('concurrency', kind.gate.name);
    const base = Date.now();
    const ids = Array.from({ length: 30 }, (_, i) => kind.create(base + i));
    for (const id of ids) await kind.gate.enqueue(id);
    const holds = await endedHolds(pk, processes);
    const meeting = new Meeting(processes);
    const adopters = holds.map(() => new Adoption(kind, meeting));
    await Promise.all(holds.map((hold, i) => kind.gates[i]!.release(hold, undefined, adopters[i])));
    // The oldest is every pass's first try (their takes meet, one wins). A loser then tries, among the line's first
    // `limit`, the entry its slot number points to: passes of other processes hold other slots, so no two losers
    // meet again, and each takes a run over with its second try.
    expect(adopters.map((a) => a.offered[0])).toEqual(holds.map(() => ids[0]));
    expect(adopters.filter((a) => a.kept[0] === ids[0])).toHaveLength(1);
    for (const [i, adopter] of adopters.entries()) {
      if (adopter.kept[0] === ids[0]) continue;
      expect(adopter.offered).toEqual([ids[0], ids[1 + (holds[i]!.slot % 19)]]);
      expect(adopter.kept).toEqual([adopter.offered[1]]);
    }
  });

  it('idle waits for the removals from the line under way, not for those other callers start meanwhile', async () => {
    const held = new Map<string, () => void>();
    class HeldRemoval extends StateTable {
      override async delete<A extends object>(pk: string, sk: string, condition?: Parameters<StateTable['delete']>[2]): Promise<Stored<A> | undefined> {
        if (sk.startsWith('queue#')) await new Promise<void>((resolve) => held.set(sk, resolve));
        return super.delete<A>(pk, sk, condition);
      }
    }
    const kind = new Kind(kindName(), 2, 1, clock, new HeldRemoval(documentClient(client), 'gate-test-state'));
    const pk = partitionKey('concurrency', kind.gate.name);
    const [first, second] = [0, 1].map((i) => kind.create(Date.now() + i)) as [string, string];
    for (const id of [first, second]) await kind.gate.enqueue(id);
    const holds = await endedHolds(pk, 2);
    await kind.gate.release(holds[0]!, undefined, new Adoption(kind));
    const idle = kind.gate.idle();
    // Another caller of the process takes the second id over while the first removal is still on its way.
    await kind.gate.release(holds[1]!, undefined, new Adoption(kind));
    expect([...held.keys()].sort()).toEqual([queueKey(first), queueKey(second)].sort());
    held.get(queueKey(first))!();
    await idle;
    expect(await table.get(pk, queueKey(first))).toBeUndefined();
    expect(await table.get(pk, queueKey(second))).toMatchObject({ queuedAt: expect.any(Number) });
    held.get(queueKey(second))!();
    await kind.gate.idle();
    expect((await kind.gate.snapshot()).queue).toEqual([]);
  });

  it('an entry whose removal failed after its id was taken over is logged and stays in line until a pass finds its id gone', async () => {
    let failing: string | undefined;
    class FailedRemoval extends StateTable {
      override async delete<A extends object>(pk: string, sk: string, condition?: Parameters<StateTable['delete']>[2]): Promise<Stored<A> | undefined> {
        if (sk === failing) throw new Error('the table is unavailable');
        return super.delete<A>(pk, sk, condition);
      }
    }
    const kind = new Kind(kindName(), 1, 1, clock, new FailedRemoval(documentClient(client), 'gate-test-state'));
    const pk = partitionKey('concurrency', kind.gate.name);
    const [taken, after] = [0, 1].map((i) => kind.create(Date.now() + i)) as [string, string];
    for (const id of [taken, after]) await kind.gate.enqueue(id);
    await table.put(pk, slotKey(0), { holder: 'ended', token: 'its-token', checkAt: clock() + CHECK_AFTER_MS, checkAfterMs: CHECK_AFTER_MS, since: clock() });
    failing = queueKey(taken);
    const lines: string[] = [];
    const adopter = new Adoption(kind);
    await withLog(new Logger({ sink: (line) => lines.push(line) }), async () => {
      await kind.gate.release({ holder: 'ended', slot: 0, token: 'its-token' }, undefined, adopter);
      await kind.gate.idle();
    });
    expect(adopter.kept).toEqual([taken]);
    expect(lines.map((line) => JSON.parse(line).message)).toEqual([
      expect.stringContaining(`${taken} runs, but its line entry could not be removed (the table is unavailable)`),
    ]);
    expect((await kind.gate.snapshot()).queue).toEqual([taken, after]);
    // The id ran; the next pass finds it no longer waiting, removes its entry and hands the slot to the next id.
    failing = undefined;
    kind.state.set(taken, 'DONE');
    const slot = (await table.get<{ token: string }>(pk, slotKey(0)))!;
    const next = new Adoption(kind);
    await kind.gate.release({ holder: taken, slot: 0, token: slot.token }, undefined, next);
    expect(next.kept).toEqual([after]);
    await kind.gate.idle();
    expect((await kind.gate.snapshot()).queue).toEqual([]);
  });

  it('starts waiting ids oldest first as slots free up', async () => {
    for (const limit of [1, 3]) {
      const kind = new Kind(kindName(), limit, 3, clock);
      const base = Date.now();
      const blockers = Array.from({ length: limit }, (_, i) => kind.create(base - 1000 + i));
      for (const id of blockers) kind.holding.set(id, () => undefined);
      for (const id of blockers) await kind.gate.admit(id);
      await startedCount(kind, limit);
      // Created in order, admitted in a shuffled order while every slot is taken: they wait.
      const waiting = Array.from({ length: 12 }, (_, i) => kind.create(base + i));
      await Promise.all([...waiting].sort(() => Math.random() - 0.5).map((id) => kind.gate.admit(id)));
      expect((await kind.gates[0]!.snapshot()).queue).toEqual(waiting);
      for (const id of blockers) kind.release(id);
      await kind.until(() => kind.done(waiting));
      // The order of hand-offs: strictly oldest first through one slot; with several slots handed out at once, their
      // hand-offs run side by side, so one may overtake at most limit - 1 others.
      const order = kind.launched.filter((d) => waiting.includes(d.id)).map((d) => waiting.indexOf(d.id));
      if (limit === 1) expect(order).toEqual(waiting.map((_, i) => i));
      else for (const [handedOut, created] of order.entries()) expect(Math.abs(created - handedOut)).toBeLessThan(limit);
      if (limit === 1) expect(kind.started.filter((id) => waiting.includes(id))).toEqual(waiting);
      expect(kind.maxInFlight).toBeLessThanOrEqual(limit);
    }
  });

  it('repairs a lost hand-off: the slot is checked after its time, the id goes back in line and runs', async () => {
    const kind = new Kind(kindName(), 1, 2, clock);
    const id = kind.create(Date.now());
    kind.lose.add(id);
    await kind.gate.admit(id);
    const next = kind.create(Date.now() + 1);
    await kind.gate.admit(next);
    expect(kind.started).toEqual([]);
    expect((await kind.gates[0]!.snapshot()).slots.map((s) => s.holder)).toEqual([id]);
    // Before its check time a read changes nothing; after it, the read's pump requeues and launches it again.
    await kind.gate.reconcile([next]);
    expect(kind.launched.map((d) => d.id)).toEqual([id]);
    clockOffset += CHECK_AFTER_MS + 1;
    await kind.gate.reconcile([next]);
    await kind.until(() => kind.done([id, next]));
    expect(kind.launched.map((d) => d.id)).toEqual([id, id, next]);
    expect(kind.started).toEqual([id, next]);
  });

  it('starts a stranded waiting id when a read reconciles: queued but never pumped, or recorded but never queued', async () => {
    const kind = new Kind(kindName(), 2, 1, clock);
    const queued = kind.create(Date.now());
    await kind.gate.enqueue(queued); // its starter died before pumping
    const unqueued = kind.create(Date.now() + 1); // its starter died before queueing
    expect(kind.launched).toEqual([]);
    await kind.gate.reconcile([unqueued]);
    await kind.until(() => kind.done([queued, unqueued]));
    expect(kind.started.sort()).toEqual([queued, unqueued].sort());
  });

  it('a read that finds a waiting id neither in line nor holding a slot looks at the slots again before putting it back', async () => {
    // A hand-off sends the slot's write alongside the entry's removal: here the slot lands just after the gate's read.
    let landing: (() => Promise<unknown>) | undefined;
    class LateSlot extends StateTable {
      override async query<A extends object>(pk: string, options: Parameters<StateTable['query']>[1]): Promise<QueryPage<A>> {
        const page = await super.query<A>(pk, options);
        if (options.descending && landing) {
          const land = landing;
          landing = undefined;
          await land();
        }
        return page;
      }
    }
    const kind = new Kind(kindName(), 1, 1, clock, new LateSlot(documentClient(client), 'gate-test-state'));
    const id = kind.create(Date.now());
    const pk = partitionKey('concurrency', kind.gate.name);
    landing = () => table.put(pk, slotKey(0), { holder: id, token: 't', checkAt: clock() + CHECK_AFTER_MS, checkAfterMs: CHECK_AFTER_MS, since: clock() });
    await kind.gate.reconcile([id]);
    expect(landing).toBeUndefined();
    // Not queued a second time (its hand-off launches it).
    expect(await kind.gate.snapshot()).toEqual({ slots: [{ slot: 0, holder: id, checkAt: expect.any(Number) }], queue: [] });
    expect(kind.launched).toEqual([]);
  });

  it('reads reconcile at most once a second per process (ids read meanwhile wait for the next), even after the clock went back', async () => {
    const kind = new Kind(kindName(), 1, 1, clock);
    const gate = kind.gates[0]!;
    const [first, second, third] = [0, 1, 2].map((i) => kind.create(Date.now() + i));
    await gate.enqueue(first!); // stranded: nobody pumped
    await gate.reconcile([first!]);
    await kind.until(() => kind.done([first!]));
    const unqueued = second!; // stranded: never put in line
    await gate.reconcile([unqueued]);
    expect(kind.launched.map((d) => d.id)).toEqual([first]);
    clockOffset += 1001;
    await gate.reconcile([]);
    await kind.until(() => kind.done([unqueued]));
    clockOffset -= 60_000; // another machine's clock, or a test's, went back
    await gate.enqueue(third!);
    await gate.reconcile([third!]);
    await kind.until(() => kind.done([third!]));
    expect(kind.launched.map((d) => d.id)).toEqual([first, second, third]);
    clockOffset += 60_000;
  });

  /**
   * A running holder whose slot is due for a check that fails (say, Batch's DescribeJobs is throttled), and `next`,
   * created after it; `settle` lets the holder's checks work again, ends the holder and waits for both.
   */
  async function uncheckableHolder(kind: Kind) {
    const holder = kind.create(Date.now());
    kind.holding.set(holder, () => undefined);
    await kind.gate.admit(holder);
    await startedCount(kind, 1);
    clockOffset += CHECK_AFTER_MS + 1;
    const inspect = kind.inspect.bind(kind);
    kind.inspect = async () => {
      throw new Error('ThrottlingException');
    };
    const next = kind.create(Date.now() + 1);
    const settle = async () => {
      kind.inspect = inspect;
      kind.release(holder);
      await kind.until(() => kind.done([holder, next]));
      clockOffset += 60_000;
    };
    return { holder, next, settle };
  }

  it('admits an id when handing out slots fails for another reason (a holder that cannot be checked); a later pump hands it its slot', async () => {
    const kind = new Kind(kindName(), 1, 1, clock);
    const { next, settle } = await uncheckableHolder(kind);
    await expect(kind.gate.admit(next)).resolves.toBeUndefined();
    expect((await kind.gates[0]!.snapshot()).queue).toEqual([next]);
    await settle();
  });

  it('still hands out the free slots when a holder cannot be checked just now', async () => {
    const kind = new Kind(kindName(), 2, 1, clock);
    const { holder, next, settle } = await uncheckableHolder(kind);
    await kind.gate.admit(next);
    // The second slot went to `next` although the first one's check failed.
    await startedCount(kind, 2);
    expect(kind.started).toEqual([holder, next]);
    await settle();
  });

  it("gives a dead holder's slot to the next id once its check time passes, and keeps a live holder's", async () => {
    const kind = new Kind(kindName(), 1, 2, clock);
    const live = kind.create(Date.now());
    kind.holding.set(live, () => undefined);
    await kind.gate.admit(live);
    await startedCount(kind, 1);
    const next = kind.create(Date.now() + 1);
    await kind.gate.admit(next);
    clockOffset += CHECK_AFTER_MS + 1;
    await kind.gate.reconcile([next]);
    // The live holder keeps its slot (checked again later); the next id still waits.
    const held = await kind.gates[0]!.snapshot();
    expect(held.slots.map((s) => s.holder)).toEqual([live]);
    expect(held.slots[0]!.checkAt).toBeGreaterThan(clock());
    expect(held.queue).toEqual([next]);
    kind.release(live);
    await kind.until(() => kind.done([live, next]));

    const dying = kind.create(Date.now() + 2);
    kind.dying.add(dying);
    await kind.gate.admit(dying);
    await startedCount(kind, 3);
    const after = kind.create(Date.now() + 3);
    await kind.gate.admit(after);
    expect(kind.started).not.toContain(after);
    clockOffset += CHECK_AFTER_MS + 1;
    await kind.gate.reconcile([after]);
    // The dead holder's id went back in line ahead of `after` (it is older) and ran again, then `after`.
    await kind.until(() => kind.done([dying, after]));
    expect(kind.started.slice(2)).toEqual([dying, dying, after]);
    expect(kind.maxInFlight).toBe(1);
  });

  it('a waiting id that ends (cancelled) leaves the line without ever holding a slot', async () => {
    const kind = new Kind(kindName(), 1, 1, clock);
    const first = kind.create(Date.now());
    kind.holding.set(first, () => undefined);
    await kind.gate.admit(first);
    await startedCount(kind, 1);
    const cancelled = kind.create(Date.now() + 1);
    const last = kind.create(Date.now() + 2);
    await kind.gate.admit(cancelled);
    await kind.gate.admit(last);
    kind.state.set(cancelled, 'CANCELLED');
    await kind.gate.settled(cancelled);
    expect((await kind.gate.snapshot()).queue).toEqual([last]);
    kind.release(first);
    await kind.until(() => kind.done([first, last]));
    expect(kind.launched.map((d) => d.id)).not.toContain(cancelled);
  });

  it('a late executor whose slot was taken back finds none; an executor without a slot waits in line and runs once', async () => {
    const kind = new Kind(kindName(), 2, 1, clock);
    const id = kind.create(Date.now());
    kind.lose.add(id);
    await kind.gate.admit(id);
    const [first] = kind.launched;
    // Cancelled while its invoke was lost; the next pump after its check time takes the slot back.
    kind.state.set(id, 'CANCELLED');
    clockOffset += CHECK_AFTER_MS + 1;
    await kind.gate.pump();
    expect(await kind.gate.snapshot()).toEqual({ slots: [], queue: [] });
    expect(await kind.gate.confirm(id, first!.slot, CHECK_AFTER_MS)).toBeUndefined();
    expect(await kind.gate.confirm(id, 9999, CHECK_AFTER_MS)).toBeUndefined();
    expect(await kind.gate.confirm(id, -1, CHECK_AFTER_MS)).toBeUndefined();
    // An executor that arrives without a slot (an old event, a slot taken back) puts its id in line and returns.
    const other = kind.create(Date.now() + 1);
    await kind.execute(other, 1);
    await kind.until(() => kind.done([other]));
    expect(kind.runs.get(other)).toBe(1);
    expect(kind.launched.map((d) => d.id)).toEqual([id, other]);
  });

  it('a failed launch fails that id (admit throws its error) and frees the slot for the next one', async () => {
    const kind = new Kind(kindName(), 1, 1, clock);
    const broken = kind.create(Date.now());
    kind.failing.add(broken);
    await expect(kind.gate.admit(broken)).rejects.toThrow(`cannot launch ${broken}`);
    expect(kind.state.get(broken)).toBe('FAILED');
    const fine = kind.create(Date.now() + 1);
    await kind.gate.admit(fine);
    await kind.until(() => kind.done([fine]));
    expect(await kind.gate.snapshot()).toEqual({ slots: [], queue: [] });
  });

  it('counts slots left from a higher limit (before a redeploy) until they are released', async () => {
    const name = kindName();
    const kind = new Kind(name, 2, 1, clock);
    // Three slots of the old limit 5, held by live ids.
    const old = [0, 3, 4].map((slot, i) => ({ slot, id: kind.create(Date.now() - 100 + i) }));
    for (const { slot, id } of old) {
      kind.state.set(id, 'RUNNING');
      kind.alive.add(id);
      await table.put(partitionKey('concurrency', name), slotKey(slot), {
        holder: id,
        token: `t-${slot}`,
        checkAt: clock() + 60_000,
        checkAfterMs: 60_000,
      });
    }
    const waiting = kind.create(Date.now());
    await kind.gate.admit(waiting);
    expect(kind.launched).toEqual([]);
    for (const { id } of old) {
      kind.state.set(id, 'DONE');
      await kind.gate.settled(id);
    }
    await kind.until(() => kind.done([waiting]));
    expect(kind.launched).toEqual([{ id: waiting, slot: expect.any(Number) }]);
    expect(kind.launched[0]!.slot).toBeLessThan(2);
  });

  it('refuses a limit outside 1..1000, naming it', () => {
    const members: GateMembers = { waiting: async () => undefined, inspect: async () => 'release' };
    for (const limit of [0, 1001, 2.5, Number.NaN]) {
      expect(() => new ConcurrencyGate({ table, name: 'bad', limit, clock, members })).toThrow(InvalidArgumentError);
    }
    expect(() => new ConcurrencyGate({ table, name: 'bad', limit: 0, clock, members })).toThrow(
      /maxConcurrency of "bad" must be a whole number from 1 to 1000, got 0/,
    );
  });
});
