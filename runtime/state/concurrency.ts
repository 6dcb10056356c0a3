/**
 * `maxConcurrency` of started runs and jobs, kept in the app's state table so that it holds across every process
 * (callers, Lambda invocations, Batch containers), in AWS and locally alike.
 *
 * A definition has `limit` slots. Only an id (a run or job) that holds a slot may start running; the others wait in
 * a queue, oldest first. Nobody waits inside an invocation: whoever frees a slot (an executor that ended, a cancel, a
 * reconciliation) hands it on by "pumping": the oldest waiting ids get the free slots and are dispatched (an
 * asynchronous invoke, a SubmitJob) with their slot number, which their executor confirms before claiming the id.
 *
 * Items under `conc#<definition>` (schema.ts):
 *
 * | sort key | attributes | what |
 * |---|---|---|
 * | `slot#<nnnn>` | `holder`, `token`, `checkAt`, `checkAfterMs`, `since` | a slot in use by `holder` |
 * | `queue#<id>` | `queuedAt` | an id waiting for a slot; ids sort by creation time, so the queue is FIFO |
 *
 * Every step is a conditional write, so racing processes agree:
 * - hand-off: put the free `slot#i` only if absent, then delete `queue#<id>` only if present (the one that deletes it
 *   dispatches; a loser frees its slot again);
 * - an executor confirms `slot#i` only while its holder is the id (and pushes `checkAt` forward);
 * - releasing a slot deletes it only while it still carries the token of the hand-off that made it.
 *
 * Nothing is leased to a clock of its own: a slot has a `checkAt` time, and once it passed, whoever pumps asks the
 * holder's kind (GateMembers.inspect) whether the slot is still in use: kept (the holder runs: its heartbeat is fresh
 * or Batch says its container lives), released (the holder ended), or requeued (its hand-off was lost, or its executor
 * died and it goes back in line, at its place). So a dead executor's slot comes back, and a lost hand-off does not
 * strand anyone, as soon as someone pumps: every start, every release, and every read that finds an id waiting.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../lib/errors.js';
import { partitionKey, STATE_SCHEMA } from './schema.js';
import { attr, type Item, type StateTable } from './state-table.js';

/** What becomes of a slot whose check time passed. */
export type SlotVerdict = 'keep' | 'release' | 'requeue';

/** An id that still waits for a slot. */
export interface Waiting {
  /** How long a slot handed to it may go unchecked: the id's staleness limit, ms. */
  readonly checkAfterMs: number;
  /** Sends the id to its compute with slot `slot`. On failure it records why on the id (which ends), then throws. */
  dispatch(slot: number): Promise<void>;
}

/** What the gate asks of the kind of ids it admits (runs, jobs). */
export interface GateMembers {
  /** The id, if it still waits for a slot (PENDING before its deadline); undefined when it does not any more. */
  waiting(id: string): Promise<Waiting | undefined>;
  /** The check time of a slot held by `id` passed: is it still in use? */
  inspect(id: string): Promise<SlotVerdict>;
}

export interface GateOptions {
  readonly table: StateTable;
  /** The definition's name. */
  readonly name: string;
  /** `maxConcurrency`: 1..1000. */
  readonly limit: number;
  /** Epoch ms. */
  readonly clock: () => number;
  readonly members: GateMembers;
}

/** A slot an executor holds (confirmed). */
export interface Hold {
  readonly slot: number;
  readonly token: string;
}

interface Slot {
  readonly slot: number;
  readonly holder: string;
  readonly token: string;
  readonly checkAt: number;
  readonly checkAfterMs: number;
}

/** Slot and queue attribute names. */
const C = { holder: 'holder', token: 'token', checkAt: 'checkAt', checkAfterMs: 'checkAfterMs', since: 'since', queuedAt: 'queuedAt' } as const;
const SLOT = 'slot#';
const QUEUE = 'queue#';
/** A pump gives up after this many rounds lost to other pumpers (they made the progress; the next pump goes on). */
const MAX_ROUNDS = 20;
/** Queue entries read per round at most. */
const QUEUE_PAGE = 100;
/** Queue entries expire (DynamoDB TTL) well after any run could still wait: a backstop, not a rule. */
const QUEUE_RETENTION_DAYS = 30;

export const slotKey = (slot: number): string => `${SLOT}${String(slot).padStart(4, '0')}`;
export const queueKey = (id: string): string => `${QUEUE}${id}`;

export class ConcurrencyGate {
  readonly name: string;
  readonly limit: number;
  readonly #table: StateTable;
  readonly #clock: () => number;
  readonly #members: GateMembers;
  readonly #pk: string;

  constructor(options: GateOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 1000) {
      throw new InvalidArgumentError(`maxConcurrency of "${options.name}" must be a whole number from 1 to 1000, got ${String(options.limit)}.`);
    }
    this.name = options.name;
    this.limit = options.limit;
    this.#table = options.table;
    this.#clock = options.clock;
    this.#members = options.members;
    this.#pk = partitionKey('concurrency', options.name);
  }

  /** Puts `id` in line (idempotent; its place is its creation time). */
  async enqueue(id: string): Promise<void> {
    const now = this.#clock();
    await this.#table.put(this.#pk, queueKey(id), { [C.queuedAt]: attr.n(now), [STATE_SCHEMA.ttl]: attr.n(Math.ceil(now / 1000) + QUEUE_RETENTION_DAYS * 86400) });
  }

  /** A new id: in line, then pumped. Throws the error of its own dispatch, if that failed (the id is then FAILED). */
  async admit(id: string): Promise<void> {
    await this.enqueue(id);
    const failures = await this.pump();
    if (failures.has(id)) throw failures.get(id);
  }

  /**
   * Hands the free slots to the oldest waiting ids and dispatches them; first judges slots whose check time passed.
   * Resolves with the dispatch errors by id (those ids were recorded as failed).
   */
  pump(): Promise<ReadonlyMap<string, unknown>> {
    return this.#pump();
  }

  /** The pump, starting from `known` slots when the caller just read them. */
  async #pump(known?: readonly Slot[]): Promise<ReadonlyMap<string, unknown>> {
    const failures = new Map<string, unknown>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const slots = round === 0 && known ? known : await this.#slots();
      const now = this.#clock();
      const due = slots.filter((s) => s.checkAt <= now);
      if (due.length > 0) {
        await Promise.all(due.map((s) => this.#check(s, slots)));
        continue;
      }
      const available = this.limit - slots.length;
      if (available <= 0) return failures;
      const holders = new Set(slots.map((s) => s.holder));
      const queue = await this.#queue(Math.min(QUEUE_PAGE, available + holders.size));
      // An id that still holds a slot stays in line until that slot is settled.
      const next = queue.filter((id) => !holders.has(id)).slice(0, available);
      if (next.length === 0) return failures;
      const used = new Set(slots.map((s) => s.slot));
      const free = shuffle(Array.from({ length: this.limit }, (_, i) => i).filter((i) => !used.has(i)));
      const results = await Promise.all(next.map((id, i) => this.#handOff(id, free[i]!, failures)));
      if (results.every((r) => r === 'dispatched')) return failures;
    }
    return failures;
  }

  /**
   * The executor of `id` arrived with slot `slot`: confirms the slot is still the id's and pushes its check time
   * `checkAfterMs` ahead. Undefined when it is not (the id was put back in line meanwhile, or the slot is unknown).
   */
  async confirm(id: string, slot: number, checkAfterMs: number): Promise<Hold | undefined> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= 10_000) return undefined;
    const item = await this.#table.update(this.#pk, slotKey(slot), {
      set: { [C.checkAt]: attr.n(this.#clock() + checkAfterMs), [C.checkAfterMs]: attr.n(checkAfterMs) },
      condition: `#${C.holder} = :id`,
      values: { ':id': attr.s(id) },
    });
    return item ? { slot, token: attr.str(item, C.token)! } : undefined;
  }

  /** Keeps a confirmed slot from being checked for `checkAfterMs` more; false when it is no longer held. */
  async renew(hold: Hold, checkAfterMs: number): Promise<boolean> {
    const item = await this.#table.update(this.#pk, slotKey(hold.slot), {
      set: { [C.checkAt]: attr.n(this.#clock() + checkAfterMs) },
      condition: `#${C.token} = :token`,
      values: { ':token': attr.s(hold.token) },
    });
    return item !== undefined;
  }

  /** `id` ended: it leaves the line, its slots are freed, and the oldest waiting ids get them. */
  async settled(id: string): Promise<void> {
    const slots = await this.#slots();
    await this.#table.delete(this.#pk, queueKey(id));
    const released = await this.#releaseAll(slots, id);
    await this.#pump(released ? undefined : slots);
  }

  /** `id` waits again (a job's next attempt, a run whose executor died): in line at its place, its slots freed, pumped. */
  async requeue(id: string): Promise<void> {
    const slots = await this.#slots();
    await this.enqueue(id);
    await this.#releaseAll(slots, id);
    await this.pump();
  }

  /**
   * Reads found these ids waiting (PENDING). An id that neither holds a slot nor is in line (its starter died between
   * recording it and queueing it) is put in line; then the gate is pumped, which repairs lost hand-offs.
   */
  async reconcile(ids: readonly string[]): Promise<void> {
    const slots = await this.#slots();
    const holders = new Set(slots.map((s) => s.holder));
    const missing = [...new Set(ids)].filter((id) => !holders.has(id));
    const queued = await Promise.all(missing.map((id) => this.#table.get(this.#pk, queueKey(id))));
    await Promise.all(missing.filter((_, i) => !queued[i]).map((id) => this.enqueue(id)));
    await this.#pump(slots);
  }

  /** The slots in use and the waiting ids, oldest first (for tests, tools and measurement). */
  async snapshot(): Promise<{ slots: Array<{ slot: number; holder: string; checkAt: number }>; queue: string[] }> {
    const slots = await this.#slots();
    return { slots: slots.map(({ slot, holder, checkAt }) => ({ slot, holder, checkAt })), queue: await this.#queue(1000) };
  }

  /** One hand-off: slot `slot` to `id`, then its dispatch. */
  async #handOff(id: string, slot: number, failures: Map<string, unknown>): Promise<'dispatched' | 'dropped' | 'contended'> {
    const waiting = await this.#members.waiting(id);
    if (!waiting) {
      await this.#table.delete(this.#pk, queueKey(id));
      return 'dropped';
    }
    const token = randomUUID();
    const now = this.#clock();
    const taken = await this.#table.putIfAbsent(this.#pk, slotKey(slot), {
      [C.holder]: attr.s(id),
      [C.token]: attr.s(token),
      [C.checkAt]: attr.n(now + waiting.checkAfterMs),
      [C.checkAfterMs]: attr.n(waiting.checkAfterMs),
      [C.since]: attr.n(now),
    });
    if (!taken) return 'contended';
    // Whoever removes the queue entry dispatches; another pumper (or a cancel) got there first otherwise.
    const dequeued = await this.#table.delete(this.#pk, queueKey(id), { expression: `attribute_exists(#${STATE_SCHEMA.partitionKey})` });
    if (!dequeued) {
      await this.#release(slot, token);
      return 'dropped';
    }
    try {
      await waiting.dispatch(slot);
    } catch (error) {
      failures.set(id, error);
      await this.#release(slot, token);
    }
    return 'dispatched';
  }

  /** Judges a slot whose check time passed. Every write is conditional on the slot as read. */
  async #check(slot: Slot, all: readonly Slot[]): Promise<void> {
    const now = this.#clock();
    const unchanged = { expression: `#${C.token} = :token AND #${C.checkAt} = :seen`, values: { ':token': attr.s(slot.token), ':seen': attr.n(slot.checkAt) } };
    // A second slot of the same holder (a hand-off repeated after a crash) is simply freed.
    const twin = all.some((s) => s.holder === slot.holder && s.slot !== slot.slot && s.checkAt > now);
    const verdict = twin ? 'release' : await this.#members.inspect(slot.holder);
    if (verdict === 'keep') {
      await this.#table.update(this.#pk, slotKey(slot.slot), {
        set: { [C.checkAt]: attr.n(this.#clock() + slot.checkAfterMs) },
        condition: unchanged.expression,
        values: unchanged.values,
      });
      return;
    }
    if (verdict === 'requeue') await this.enqueue(slot.holder);
    await this.#table.delete(this.#pk, slotKey(slot.slot), unchanged);
  }

  /** Frees every slot `id` held when `slots` were read; true when there was any. */
  async #releaseAll(slots: readonly Slot[], id: string): Promise<boolean> {
    const own = slots.filter((s) => s.holder === id);
    await Promise.all(own.map((s) => this.#release(s.slot, s.token)));
    return own.length > 0;
  }

  async #release(slot: number, token: string): Promise<void> {
    await this.#table.delete(this.#pk, slotKey(slot), { expression: `#${C.token} = :token`, values: { ':token': attr.s(token) } });
  }

  /** Every slot in use (at most `limit`, plus any left from a higher limit before a redeploy). */
  async #slots(): Promise<Slot[]> {
    const slots: Slot[] = [];
    let after: string | undefined;
    do {
      const page = await this.#table.query(this.#pk, { limit: 1000, prefix: SLOT, ...(after ? { after } : {}) });
      for (const item of page.items) slots.push(toSlot(item));
      after = page.lastSortKey;
    } while (after);
    return slots;
  }

  /** The oldest `count` waiting ids. */
  async #queue(count: number): Promise<string[]> {
    const page = await this.#table.query(this.#pk, { limit: count, prefix: QUEUE });
    return page.items.map((item) => item[STATE_SCHEMA.sortKey]!.S!.slice(QUEUE.length));
  }
}

function toSlot(item: Item): Slot {
  return {
    slot: Number(item[STATE_SCHEMA.sortKey]!.S!.slice(SLOT.length)),
    holder: attr.str(item, C.holder) ?? '',
    token: attr.str(item, C.token) ?? '',
    checkAt: attr.num(item, C.checkAt) ?? 0,
    checkAfterMs: attr.num(item, C.checkAfterMs) ?? 60_000,
  };
}

/** Free slot numbers in random order, so racing pumpers rarely pick the same one. */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
