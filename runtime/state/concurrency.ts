/**
 * `maxConcurrency` of started runs and jobs, kept in the app's state table so that it holds across every process
 * (callers, Lambda invocations, Batch containers), in AWS and locally alike.
 *
 * A definition has `limit` slots. Only an id (a run or job) that holds a slot may start running; the others wait in
 * a queue, oldest first. Nobody waits inside an invocation: whoever frees a slot (an executor that ended, a cancel, a
 * reconciliation) hands it on by "pumping": the oldest waiting ids get the free slots and are launched (an
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
 *   launches; a loser frees its slot again);
 * - an executor confirms `slot#i` only while its holder is the id (and pushes `checkAt` forward);
 * - releasing a slot deletes it only while it still carries the token of the hand-off that made it.
 *
 * Nothing is leased to a clock of its own: a slot has a `checkAt` time, and once it passed, whoever pumps asks the
 * holder's kind (GateMembers.inspect) whether the slot is still in use: kept (the holder runs: its heartbeat is fresh
 * or Batch says its container lives), released (the holder ended), or requeued (its hand-off was lost, or its executor
 * died and it goes back in line, at its place). So a dead executor's slot comes back, and a lost hand-off does not
 * strand anyone, as soon as someone pumps: every start, every release, and reads that find an id waiting.
 *
 * Within a process, one gate per definition (callers share it): pumps asked for while one runs are served by a single
 * next pump, and reads reconcile at most once per RECONCILE_EVERY_MS, so a burst of starts or of waiting readers does
 * not turn into a burst of requests racing for the same queue entries.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../lib/errors.js';
import { partitionKey, STATE_SCHEMA } from './schema.js';
import type { Expiring, StateTable, Stored } from './state-table.js';
import { currentLogger } from '../core/invocation-log.js';

/** What becomes of a slot whose check time passed. */
export type SlotVerdict = 'keep' | 'release' | 'requeue';

/** An id that still waits for a slot. */
export interface Waiting {
  /** How long a slot handed to it may go unchecked: the id's staleness limit, ms. */
  readonly checkAfterMs: number;
  /** Sends the id to its compute with slot `slot`. On failure it records why on the id (which ends), then throws. */
  launch(slot: number): Promise<void>;
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

/** A slot's item (`slot#<nnnn>`, besides its key). */
export interface SlotItem {
  /** The id (a run or job) the slot was handed to. */
  readonly holder: string;
  /** Made by the hand-off: only its holder's release (or a check of the slot as read) deletes the slot. */
  readonly token: string;
  /** When the slot is next checked, epoch ms. */
  readonly checkAt: number;
  readonly checkAfterMs: number;
  /** When it was handed over, epoch ms. */
  readonly since: number;
}

/** A queue entry's item (`queue#<id>`, besides its key). */
export interface QueueItem extends Expiring {
  readonly queuedAt: number;
}

/** Slot attribute names, for expressions. */
const C = { holder: 'holder', token: 'token', checkAt: 'checkAt' } as const satisfies Record<string, keyof SlotItem>;
const SLOT = 'slot#';
const QUEUE = 'queue#';
/** A pump gives up after this many rounds lost to other pumpers (they made the progress; the next pump goes on). */
const MAX_ROUNDS = 20;
/** Queue entries read per round at most. */
const QUEUE_PAGE = 100;
/** Queue entries expire (DynamoDB TTL) well after any run could still wait: a backstop, not a rule. */
const QUEUE_RETENTION_DAYS = 30;
/** Reads reconcile the gate at most this often per process (a stranded id is rare; readers poll often). */
export const RECONCILE_EVERY_MS = 1000;

export const slotKey = (slot: number): string => `${SLOT}${String(slot).padStart(4, '0')}`;
export const queueKey = (id: string): string => `${QUEUE}${id}`;

export class ConcurrencyGate {
  readonly name: string;
  readonly limit: number;
  readonly #table: StateTable;
  readonly #clock: () => number;
  readonly #members: GateMembers;
  readonly #pk: string;
  /** The pump running now, and the one more that serves everyone who asked meanwhile. */
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  /** Launch errors of ids admitted through this instance, until their admit reads them. */
  readonly #admitting = new Map<string, unknown>();
  /** Ids reads found waiting, checked at the next reconciliation; when the last one began. */
  readonly #toCheck = new Set<string>();
  #reconciledAt = -Infinity;

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
    await this.#table.put<QueueItem>(this.#pk, queueKey(id), {
      queuedAt: now,
      [STATE_SCHEMA.ttl]: Math.ceil(now / 1000) + QUEUE_RETENTION_DAYS * 86400,
    });
  }

  /**
   * A new id: in line, then pumped. Throws the error of its own launch, if that failed (the id is then FAILED). A
   * pump that fails otherwise (checking another id's slot, a table error) is no failure of this id: it is recorded
   * and in line, and the next pump (a start, a release, a read of a waiting id) hands it a slot; the caller gets its
   * id rather than an error that would make it start the same work again.
   */
  async admit(id: string): Promise<void> {
    this.#admitting.set(id, undefined);
    try {
      await this.enqueue(id);
      await this.pump().catch((error: unknown) => {
        currentLogger().warn(
          `multinode: ${this.name}: ${id} is in line; handing out slots failed this time (${(error as Error).message}); the next start, end or read retries.`,
        );
      });
      const failure = this.#admitting.get(id);
      if (failure !== undefined) throw failure;
    } finally {
      this.#admitting.delete(id);
    }
  }

  /**
   * Hands the free slots to the oldest waiting ids and launches them; first judges slots whose check time passed.
   * A launch that fails is recorded on its id (which ends FAILED). Concurrent calls in one process share pumps: the
   * one running, then a single next one for everyone who asked meanwhile (it sees their changes).
   */
  pump(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#next ??= this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    return this.#next;
  }

  #start(known?: readonly Slot[]): Promise<void> {
    this.#next = undefined;
    const running = this.#pump(known).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /**
   * The pump, starting from `known` slots when the caller just read them. A slot whose check fails (its holder cannot
   * be judged just now) counts as held for the rest of this pump, so the free slots are still handed out; the pump
   * then throws the first such failure.
   */
  async #pump(known?: readonly Slot[]): Promise<void> {
    const unjudged = new Map<number, unknown>();
    await this.#rounds(known, unjudged);
    if (unjudged.size > 0) throw unjudged.values().next().value;
  }

  async #rounds(known: readonly Slot[] | undefined, unjudged: Map<number, unknown>): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const slots = round === 0 && known ? known : await this.#slots();
      const now = this.#clock();
      const due = slots.filter((s) => s.checkAt <= now && !unjudged.has(s.slot));
      if (due.length > 0) {
        const checks = await Promise.allSettled(due.map((s) => this.#check(s, slots)));
        checks.forEach((check, i) => {
          if (check.status === 'rejected') unjudged.set(due[i]!.slot, check.reason);
        });
        continue;
      }
      const available = this.limit - slots.length;
      if (available <= 0) return;
      const holders = new Set(slots.map((s) => s.holder));
      const queue = await this.#queue(Math.min(QUEUE_PAGE, available + holders.size));
      // An id that still holds a slot stays in line until that slot is settled.
      const next = queue.filter((id) => !holders.has(id)).slice(0, available);
      if (next.length === 0) return;
      const used = new Set(slots.map((s) => s.slot));
      const free = shuffle(Array.from({ length: this.limit }, (_, i) => i).filter((i) => !used.has(i)));
      const results = await Promise.all(next.map((id, i) => this.#handOff(id, free[i]!)));
      if (results.every((r) => r === 'launched')) return;
    }
  }

  /**
   * The executor of `id` arrived with slot `slot`: confirms the slot is still the id's and pushes its check time
   * `checkAfterMs` ahead. Undefined when it is not (the id was put back in line meanwhile, or the slot is unknown).
   */
  async confirm(id: string, slot: number, checkAfterMs: number): Promise<Hold | undefined> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= 10_000) return undefined;
    const item = await this.#table.update<SlotItem>(this.#pk, slotKey(slot), {
      set: { checkAt: this.#clock() + checkAfterMs, checkAfterMs },
      condition: `#${C.holder} = :id`,
      values: { ':id': id },
    });
    return item ? { slot, token: item.token } : undefined;
  }

  /** Keeps a confirmed slot from being checked for `checkAfterMs` more; false when it is no longer held. */
  async renew(hold: Hold, checkAfterMs: number): Promise<boolean> {
    const item = await this.#table.update<SlotItem>(this.#pk, slotKey(hold.slot), {
      set: { checkAt: this.#clock() + checkAfterMs },
      condition: `#${C.token} = :token`,
      values: { ':token': hold.token },
    });
    return item !== undefined;
  }

  /** `id` ended: it leaves the line, its slots are freed, and the oldest waiting ids get them. */
  async settled(id: string): Promise<void> {
    const slots = await this.#slots();
    await this.#table.delete(this.#pk, queueKey(id));
    await this.#releaseAll(slots, id);
    // The slots are known but for the ones just freed: the pump need not read them again.
    await (this.#running ? this.pump() : this.#start(slots.filter((s) => s.holder !== id)));
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
   * recording it and queueing it) is put in line; then the gate is pumped, which repairs lost hand-offs. At most once
   * per RECONCILE_EVERY_MS per instance: ids read in between are checked the next time.
   */
  async reconcile(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#toCheck.add(id);
    const now = this.#clock();
    // (A clock that went back, as another machine's may, does not hold reconciliation off.)
    if (now >= this.#reconciledAt && now - this.#reconciledAt < RECONCILE_EVERY_MS) return;
    this.#reconciledAt = now;
    const checking = [...this.#toCheck];
    this.#toCheck.clear();
    const slots = await this.#slots();
    const holders = new Set(slots.map((s) => s.holder));
    await Promise.all(checking.filter((id) => !holders.has(id)).map((id) => this.#ensureInLine(id)));
    await (this.#running ? this.pump() : this.#start(slots));
  }

  /** Puts `id` in line if it is in none and still waits (it may have run and ended since it was read). */
  async #ensureInLine(id: string): Promise<void> {
    if (await this.#table.get(this.#pk, queueKey(id))) return;
    if (await this.#members.waiting(id)) await this.enqueue(id);
  }

  /** The slots in use and the waiting ids, oldest first (for tests, tools and measurement). */
  async snapshot(): Promise<{ slots: Array<{ slot: number; holder: string; checkAt: number }>; queue: string[] }> {
    const slots = await this.#slots();
    return { slots: slots.map(({ slot, holder, checkAt }) => ({ slot, holder, checkAt })), queue: await this.#queue(1000) };
  }

  /** One hand-off: slot `slot` to `id`, then its launch. */
  async #handOff(id: string, slot: number): Promise<'launched' | 'dropped' | 'contended'> {
    const waiting = await this.#members.waiting(id);
    if (!waiting) {
      await this.#table.delete(this.#pk, queueKey(id));
      return 'dropped';
    }
    const token = randomUUID();
    const now = this.#clock();
    const taken = await this.#table.putIfAbsent<SlotItem>(this.#pk, slotKey(slot), {
      holder: id,
      token,
      checkAt: now + waiting.checkAfterMs,
      checkAfterMs: waiting.checkAfterMs,
      since: now,
    });
    if (!taken) return 'contended';
    // Whoever removes the queue entry launches; another pumper (or a cancel) got there first otherwise.
    const dequeued = await this.#table.delete(this.#pk, queueKey(id), { expression: `attribute_exists(#${STATE_SCHEMA.partitionKey})` });
    if (!dequeued) {
      await this.#release(slot, token);
      return 'dropped';
    }
    try {
      await waiting.launch(slot);
    } catch (error) {
      if (this.#admitting.has(id)) this.#admitting.set(id, error);
      await this.#release(slot, token);
    }
    return 'launched';
  }

  /** Judges a slot whose check time passed. Every write is conditional on the slot as read. */
  async #check(slot: Slot, all: readonly Slot[]): Promise<void> {
    const now = this.#clock();
    const unchanged = { expression: `#${C.token} = :token AND #${C.checkAt} = :seen`, values: { ':token': slot.token, ':seen': slot.checkAt } };
    // A second slot of the same holder (a hand-off repeated after a crash) is simply freed.
    const twin = all.some((s) => s.holder === slot.holder && s.slot !== slot.slot && s.checkAt > now);
    const verdict = twin ? 'release' : await this.#members.inspect(slot.holder);
    if (verdict === 'keep') {
      await this.#table.update<SlotItem>(this.#pk, slotKey(slot.slot), {
        set: { checkAt: this.#clock() + slot.checkAfterMs },
        condition: unchanged.expression,
        values: unchanged.values,
      });
      return;
    }
    if (verdict === 'requeue') await this.enqueue(slot.holder);
    await this.#table.delete(this.#pk, slotKey(slot.slot), unchanged);
  }

  /** Frees every slot `id` held when `slots` were read. */
  async #releaseAll(slots: readonly Slot[], id: string): Promise<void> {
    await Promise.all(slots.filter((s) => s.holder === id).map((s) => this.#release(s.slot, s.token)));
  }

  async #release(slot: number, token: string): Promise<void> {
    await this.#table.delete(this.#pk, slotKey(slot), { expression: `#${C.token} = :token`, values: { ':token': token } });
  }

  /** Every slot in use (at most `limit`, plus any left from a higher limit before a redeploy). */
  async #slots(): Promise<Slot[]> {
    const slots: Slot[] = [];
    let after: string | undefined;
    do {
      const page = await this.#table.query<SlotItem>(this.#pk, { limit: 1000, prefix: SLOT, ...(after ? { after } : {}) });
      for (const item of page.items) slots.push(toSlot(item));
      after = page.lastSortKey;
    } while (after);
    return slots;
  }

  /** The oldest `count` waiting ids. */
  async #queue(count: number): Promise<string[]> {
    const page = await this.#table.query<QueueItem>(this.#pk, { limit: count, prefix: QUEUE });
    return page.items.map((item) => item[STATE_SCHEMA.sortKey].slice(QUEUE.length));
  }
}

function toSlot(item: Stored<SlotItem>): Slot {
  return {
    slot: Number(item[STATE_SCHEMA.sortKey].slice(SLOT.length)),
    holder: item.holder ?? '',
    token: item.token ?? '',
    checkAt: item.checkAt ?? 0,
    checkAfterMs: item.checkAfterMs ?? 60_000,
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
