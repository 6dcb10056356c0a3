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
 * | `queue#<id>` | `queuedAt`, `ticket` | an id waiting for a slot; ids sort by creation time, so the queue is FIFO |
 *
 * One Query of the partition, newest key first, reads the gate: "slot#" sorts after "queue#", so the first
 * `limit + 1` items are every slot in use and, when anyone waits, a queue entry. That read (the "view") is how a new
 * id finds a free slot: with one free and nobody waiting, the id takes it at once (a conditional put of the slot;
 * it never enters the queue); else it goes in line behind the others.
 *
 * Every step is a conditional write, so racing processes agree:
 * - a slot is put only if absent, so there are never more than `limit` holders;
 * - hand-off from the queue: put the free `slot#i`, then delete `queue#<id>` only if present (the one that deletes it
 *   launches; a loser frees its slot again), so an id is launched once per place in line;
 * - an executor confirms `slot#i` only while its holder is the id (and pushes `checkAt` forward);
 * - an executor that ended passes its slot straight to the oldest waiting id: it makes the slot name that id (only
 *   while the slot still carries its own token) and, in the same round trip, deletes the id's entry only if present
 *   (the one that deletes it launches; a loser passes the slot on to the next entry; an entry deleted for a slot that
 *   was no longer its own goes back). An executor that takes the id over itself (Adopter) claims it in that same round
 *   trip instead, and the claim decides: it succeeds once, and only then is the entry removed. The slot never shows
 *   free, so nobody races for it;
 * - releasing a slot deletes it only while it still carries the token of the hand-off that made it.
 *
 * No wake-up is lost: whoever puts an id in line reads the gate after that write, and whoever frees a slot reads it
 * after the delete (a slot passed on was never free); of two such writers, the later read sees the other's write, so
 * a freed slot and a waiting id always meet (one of them hands the slot over).
 *
 * Nothing is leased to a clock of its own: a slot has a `checkAt` time, and once it passed, whoever pumps asks the
 * holder's kind (GateMembers.inspect) whether the slot is still in use: kept (the holder runs: its heartbeat is fresh
 * or Batch says its container lives), released (the holder ended), or requeued (its hand-off was lost, or its executor
 * died and it goes back in line, at its place). So a dead executor's slot comes back, and a lost hand-off does not
 * strand anyone, as soon as someone pumps: every start, every release, and reads that find an id waiting.
 *
 * Within a process, one gate per definition (callers share it): pumps asked for while one runs are served by a single
 * next pump, new ids arriving meanwhile are placed together by it (one read of the gate for a burst of starts), and
 * reads reconcile at most once per RECONCILE_EVERY_MS, so a burst of starts or of waiting readers does not turn into
 * a burst of requests racing for the same slots and queue entries.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../lib/errors.js';
import { partitionKey, STATE_SCHEMA } from './schema.js';
import type { Expiring, StateTable, Stored } from './state-table.js';
import { currentLogger } from '../core/invocation-log.js';

/** What becomes of a slot whose check time passed. */
export type SlotVerdict = 'keep' | 'release' | 'requeue';

/**
 * What an id's place in line carries (its kind decides: a deadline, an attempt), so that handing it a slot needs no
 * read of the id. Written by whoever puts the id in line, who has just read or written it.
 */
export type Ticket = Readonly<Record<string, number>>;

/** An id that still waits for a slot. */
export interface Waiting {
  /** How long a slot handed to it may go unchecked: the id's staleness limit, ms. */
  readonly checkAfterMs: number;
  /** What its queue entry carries, if it goes in line. */
  readonly ticket?: Ticket;
  /**
   * Sends the id to its compute with slot `slot`, handed over with `token` (an executor that knows it may confirm the
   * slot and claim the id at once). On failure it records why on the id (which ends), then throws.
   */
  launch(slot: number, token: string): Promise<void>;
}

/** What the gate asks of the kind of ids it admits (runs, jobs). */
export interface GateMembers {
  /**
   * The id, if it still waits for a slot (PENDING before its deadline); undefined when it does not any more. With the
   * `ticket` of its queue entry, the kind may answer without reading the id: an executor launched for an id that no
   * longer waits finds so when it claims the id, and gives the slot back.
   */
  waiting(id: string, ticket?: Ticket): Promise<Waiting | undefined>;
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
  /** The id (a run or job) holding it. */
  readonly holder: string;
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
  /** Absent on entries put in line without one (and by earlier versions): their hand-off reads the id. */
  readonly ticket?: Ticket;
}

/** Slot attribute names, for expressions. */
const C = { holder: 'holder', token: 'token', checkAt: 'checkAt', checkAfterMs: 'checkAfterMs' } as const satisfies Record<string, keyof SlotItem>;
const SLOT = 'slot#';
const QUEUE = 'queue#';
/** A pump gives up after this many rounds lost to other pumpers (they made the progress; the next pump goes on). */
const MAX_ROUNDS = 20;
/** Queue entries read per round at most. */
const QUEUE_PAGE = 100;
/**
 * Queue entries a release reads besides one per slot it passes: the line's first `limit`, at least HEAD and at most
 * HEAD_MAX. A pass that lost an entry to another process tries one from the far half of those, at random: when many
 * executors end at once (each in its own process, as on Lambda), the losers spread over that many entries rather than
 * a handful. DynamoDB charges a Query by the size read, in 4 KB units, so 50 small entries cost what 5 do.
 */
const HEAD = 5;
const HEAD_MAX = 50;
/**
 * How long passes of a process skip an entry whose id another process took over (it removes the entry right after):
 * long enough for that removal to land, short enough that an id given back (its taker's slot was taken back) soon
 * gets its turn again.
 */
const TAKEN_ELSEWHERE_MS = 1000;
/** Queue entries expire (DynamoDB TTL) well after any run could still wait: a backstop, not a rule. */
const QUEUE_RETENTION_DAYS = 30;
/** Reads reconcile the gate at most this often per process (a stranded id is rare; readers poll often). */
export const RECONCILE_EVERY_MS = 1000;

export const slotKey = (slot: number): string => `${SLOT}${String(slot).padStart(4, '0')}`;
export const queueKey = (id: string): string => `${QUEUE}${id}`;

/** The gate as one read shows it: the slots in use, and whether anyone waits in line. */
interface View {
  readonly slots: readonly Slot[];
  /** Some id waits in line (the read reached a queue entry). */
  readonly waiting: boolean;
}

/** A place in line, as read. */
interface Entry {
  readonly id: string;
  readonly ticket?: Ticket;
}

/** What a pump is to do: place new ids, and (`full`) read the gate and hand out what is free. */
interface Work {
  readonly arrivals: Arrival[];
  full: boolean;
}

/** A slot given up, and the write that ends its holder (the slot moves on only once that is done). */
interface Leaving {
  readonly hold: Hold;
  readonly ended?: Promise<unknown>;
  readonly adopt?: Adopter;
}

/**
 * The caller that gives a slot up may take over the waiting id the slot passes to and run it itself (the executor goes
 * on with the next run in the same invocation, with no launch). It decides, and starts taking the id over, in the same
 * round trip as the slot's move (the line entry is removed once it took the id): so whoever takes the id over decides
 * who runs it.
 */
export interface Adopter {
  /**
   * Offered `hold.holder`, to which the slot is being passed under `hold.token` (`ticket`: what its place in line
   * carried, a run's deadline). Undefined: declined, the id is launched as usual. Else a promise of true once the
   * caller took the id over (claimed it under the token), false when it could not (the id no longer waits).
   */
  take(hold: Hold, ticket: Ticket | undefined): Promise<boolean> | undefined;
  /** Gives back an id taken over under `hold` whose slot was not this caller's to pass any more (a check took it back). */
  undo(hold: Hold): Promise<void>;
}

/** A new id of this process, not yet placed (neither in line nor holding a slot). */
interface Arrival {
  readonly id: string;
  /** How to launch it, when its starter knows (it just recorded the id); else read from the members. */
  readonly waiting?: Waiting;
}

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
  /** What the next pump does besides a whole pump (when asked for): new ids to place. */
  #work: Work = { arrivals: [], full: false };
  /** Slots given up in this turn of the event loop, passed on together; the pass that will take them. */
  #leaving: Leaving[] = [];
  #passing: Promise<void> | undefined;
  /** Queue entries a pass of this process is handing a slot to: other passes leave them alone. */
  readonly #taking = new Set<string>();
  /** Entries of ids taken over by this process, still being removed from the line (other passes leave them alone). */
  readonly #removing = new Map<string, Promise<void>>();
  /** Entries whose id another process took over just now (the claim failed here), when: passes skip them a while. */
  readonly #takenElsewhere = new Map<string, number>();
  /** Ids admitted through this instance, with the error that keeps each from running (its launch, or its placing). */
  readonly #admitting = new Map<string, { error?: unknown }>();
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

  /** Puts `id` in line (idempotent; its place is its creation time), with what its hand-off needs to know. */
  async enqueue(id: string, ticket?: Ticket): Promise<void> {
    await this.#table.put<QueueItem>(this.#pk, queueKey(id), this.#queueItem(ticket));
  }

  /** Puts arrivals in line together (a burst of starts: one BatchWriteItem per 25 rather than a put each). */
  async #enqueueMany(arrivals: readonly Arrival[]): Promise<void> {
    if (arrivals.length === 1) return this.enqueue(arrivals[0]!.id, arrivals[0]!.waiting?.ticket);
    await this.#table.putMany<QueueItem>(
      this.#pk,
      arrivals.map((a) => [queueKey(a.id), this.#queueItem(a.waiting?.ticket)]),
    );
  }

  #queueItem(ticket: Ticket | undefined): QueueItem {
    const now = this.#clock();
    return { queuedAt: now, [STATE_SCHEMA.ttl]: Math.ceil(now / 1000) + QUEUE_RETENTION_DAYS * 86400, ...(ticket ? { ticket } : {}) };
  }

  /**
   * A new id, just recorded: it takes a free slot at once when nobody waits (and is launched), else it goes in line.
   * `waiting` says how to launch it (its starter knows; without it the members are asked, one read more). Throws the
   * error of its own launch, if that failed (the id is then FAILED), or of putting it in line. A pump that fails
   * otherwise (checking another id's slot, a table error after the id was placed) is no failure of this id: it is
   * recorded and in line, and the next pump (a start, a release, a read of a waiting id) hands it a slot; the caller
   * gets its id rather than an error that would make it start the same work again.
   */
  async admit(id: string, waiting?: Waiting): Promise<void> {
    const admitting: { error?: unknown } = {};
    this.#admitting.set(id, admitting);
    try {
      this.#work.arrivals.push({ id, ...(waiting ? { waiting } : {}) });
      await this.#schedule().catch((error: unknown) => {
        currentLogger().warn(
          `multinode: ${this.name}: ${id} is in line; handing out slots failed this time (${(error as Error).message}); the next start, end or read retries.`,
        );
      });
      if ('error' in admitting) throw admitting.error;
    } finally {
      this.#admitting.delete(id);
    }
  }

  /**
   * Hands the free slots to the oldest waiting ids and launches them; first judges slots whose check time passed, and
   * places the ids admitted since the last pump. A launch that fails is recorded on its id (which ends FAILED).
   * Concurrent calls in one process share pumps: the one running, then a single next one for everyone who asked
   * meanwhile (it sees their changes).
   */
  pump(): Promise<void> {
    this.#work.full = true;
    return this.#schedule();
  }

  /** The pump that will do the work asked for so far: the next one if one runs now (it sees the changes made since). */
  #schedule(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#next ??= this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    return this.#next;
  }

  /** Starts a pump; `known` is the gate as the caller read it after its last write (one read fewer). */
  #start(known?: View): Promise<void> {
    this.#next = undefined;
    const work = this.#work;
    this.#work = { arrivals: [], full: false };
    work.arrivals.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const running = this.#pump(work, known).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /**
   * The pump: when a whole pump was asked for or ids arrived, reads the gate and judges, places and hands out. A
   * slot whose check fails (its holder cannot be judged just now) counts as held for the rest of this pump, so the
   * free slots are still handed out; the pump then throws the first such failure. Arrivals it could not place (the
   * table failed) are put in line if possible; otherwise their admit throws.
   */
  async #pump(work: Work, known?: View): Promise<void> {
    const unjudged = new Map<number, unknown>();
    const unplaced = { arrivals: work.arrivals };
    try {
      if (work.full || work.arrivals.length > 0) await this.#rounds(unplaced, known, unjudged);
      if (unplaced.arrivals.length > 0) await this.#enqueueMany(unplaced.arrivals);
    } catch (error) {
      await Promise.all(
        unplaced.arrivals.map((a) =>
          this.enqueue(a.id, a.waiting?.ticket).catch((failed: unknown) => {
            const admitting = this.#admitting.get(a.id);
            if (admitting && !('error' in admitting)) admitting.error = failed;
          }),
        ),
      );
      throw error;
    }
    if (unjudged.size > 0) throw unjudged.values().next().value;
  }

  /**
   * Passes each slot given up straight to the oldest id still waiting (one read of the line's head for all of them;
   * each slot takes the next entry not yet taken, by this pass or another of this process). When a slot was freed
   * instead (nobody read still waited, or a launch failed), the gate is then read again, after the deletes, and what
   * is free handed out (a pump). Passes do not wait for pumps: a slot given up moves on at once.
   */
  async #pass(leaving: readonly Leaving[]): Promise<void> {
    // The line's head is read while the holders' final writes are on their way; the slots move after those. A slot
    // whose holder's final write failed stays held: its check finds the holder's executor gone, and retries or ends it.
    const [read, ...ended] = await Promise.all([
      this.#queue(leaving.length + Math.max(HEAD, Math.min(this.limit, HEAD_MAX)) + this.#taking.size + this.#removing.size + this.#takenElsewhere.size),
      ...leaving.map((l) =>
        (l.ended ?? Promise.resolve()).then(
          () => true,
          () => false,
        ),
      ),
    ]);
    const holds = leaving.filter((_, i) => ended[i]);
    const now = this.#clock();
    for (const [id, at] of this.#takenElsewhere) if (!(now - at < TAKEN_ELSEWHERE_MS && now >= at)) this.#takenElsewhere.delete(id);
    const head = read.filter((entry) => !this.#inHand(entry.id) && !this.#takenElsewhere.has(entry.id));
    const tried = new Set<number>();
    let freed = false;
    /** Another process took an entry this pass wanted: it is handing slots out from the same head right now. */
    let contended = false;
    const pick = (i: number): Entry | undefined => {
      tried.add(i);
      const entry = head[i]!;
      if (this.#taking.has(entry.id)) return undefined;
      this.#taking.add(entry.id);
      return entry;
    };
    /**
     * The oldest entry no pass of this process is taking, now taken by this one. Once contended (another process took
     * an entry this turn wanted: it passes slots from the same head right now), the other processes passing now walk
     * from the oldest too, and those that lost would otherwise all try the same next one. So instead, among the line's
     * first `limit`:
     * - a pass alone in its process (one executor a process, as on Lambda) tries the entry its slot number points to,
     *   and on from there: the others passing now, each alone in its process too, hold other slots and try other
     *   entries, so many executors ending at once meet once, at the oldest entry, and not again (with more than HEAD
     *   entries in reach; among fewer, as below);
     * - a process passing several slots (many executors in one process, as in the local cloud's worker threads) takes
     *   the near entries in order: its passes that lost try one from the far half at random, away from where other
     *   such processes take in order.
     * Either way a slot goes to one of the `limit` oldest waiting ids, and the oldest is every pass's first try.
     */
    const take = (slot: number): Entry | undefined => {
      if (contended) {
        const window = Math.min(head.length, this.limit);
        // A slot's place keeps passes apart only with room for them: among a handful of entries, the far half at random
        // does as well.
        const alone = holds.length === 1 && this.#taking.size === 0 && window > HEAD;
        const order = alone
          ? Array.from({ length: window - 1 }, (_, k) => 1 + ((slot + k) % (window - 1)))
          : [
              ...shuffle(Array.from({ length: window }, (_, i) => i).filter((i) => i >= window / 2)),
              ...Array.from({ length: window }, (_, i) => window - 1 - i).filter((i) => i < window / 2),
            ];
        for (const i of order) {
          const entry = tried.has(i) ? undefined : pick(i);
          if (entry) return entry;
        }
      }
      for (let i = 0; i < head.length; i++) {
        const entry = tried.has(i) ? undefined : pick(i);
        if (entry) return entry;
      }
      return undefined;
    };
    await Promise.all(
      holds.map(async ({ hold, adopt }) => {
        let current = hold;
        for (let entry = take(hold.slot); entry; entry = take(hold.slot)) {
          const passed = await this.#transfer(current, entry, adopt).finally(() => this.#taking.delete(entry.id));
          if (passed === 'launched' || passed === 'lost') return;
          if (passed === 'failed') {
            freed = true;
            return;
          }
          current = passed;
          contended = true;
        }
        await this.#release(current.slot, current.token);
        freed = true;
      }),
    );
    if (freed) await this.pump();
  }

  async #rounds(unplaced: { arrivals: Arrival[] }, known: View | undefined, unjudged: Map<number, unknown>): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const view = round === 0 && known ? known : await this.#view();
      const { slots } = view;
      const now = this.#clock();
      const due = slots.filter((s) => s.checkAt <= now && !unjudged.has(s.slot));
      if (due.length > 0) {
        const checks = await Promise.all(
          due.map((s) =>
            this.#check(s, slots).then(
              () => undefined,
              (error: unknown) => ({ error }),
            ),
          ),
        );
        checks.forEach((check, i) => {
          if (check) unjudged.set(due[i]!.slot, check.error);
        });
        continue;
      }
      const available = this.limit - slots.length;
      const used = new Set(slots.map((s) => s.slot));
      const free = () => shuffle(Array.from({ length: this.limit }, (_, i) => i).filter((i) => !used.has(i)));
      if (unplaced.arrivals.length > 0) {
        if (!view.waiting && available > 0) {
          // Nobody waits: the oldest arrivals take the free slots at once, without a place in line.
          const slotsFree = free();
          const direct = unplaced.arrivals.slice(0, available);
          const results = await Promise.all(direct.map((arrival, i) => this.#grant(arrival, slotsFree[i]!)));
          const contended = direct.filter((_, i) => results[i] === 'contended');
          unplaced.arrivals = [...contended, ...unplaced.arrivals.slice(available)];
          if (unplaced.arrivals.length === 0) return;
          // Another process took a slot meanwhile: read again, there may be another one.
          if (contended.length > 0) continue;
        }
        // Every slot is taken, or others wait (they are older): in line. Then read again, after that write: a slot
        // freed meanwhile, whose releaser read the line before these entries, is handed out by this pump.
        const placing = unplaced.arrivals;
        await this.#enqueueMany(placing);
        unplaced.arrivals = [];
        continue;
      }
      if (available <= 0 || !view.waiting) return;
      const holders = new Set(slots.map((s) => s.holder));
      const queue = await this.#queue(Math.min(QUEUE_PAGE, available + holders.size));
      // An id that still holds a slot stays in line until that slot is settled; one a pass of this process is handing a
      // slot to (or took over, its entry on its way out) is left to it.
      const next = queue.filter((entry) => !holders.has(entry.id) && !this.#inHand(entry.id)).slice(0, available);
      if (next.length === 0) return;
      const slotsFree = free();
      const results = await Promise.all(next.map((entry, i) => this.#handOff(entry, slotsFree[i]!)));
      if (results.every((r) => r === 'launched')) return;
    }
  }

  /**
   * The executor of `id` arrived with slot `slot`: confirms the slot is still the id's and pushes its check time
   * ahead (by `checkAfterMs`, default the slot's own, set at its hand-off). Undefined when it is not (the id was put
   * back in line meanwhile, or the slot is unknown).
   */
  async confirm(id: string, slot: number, checkAfterMs?: number, token?: string): Promise<Hold | undefined> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= 10_000) return undefined;
    const now = this.#clock();
    const item = await this.#table.update<SlotItem>(this.#pk, slotKey(slot), {
      ...(checkAfterMs === undefined ? { setSum: { checkAt: [now, C.checkAfterMs] } } : { set: { checkAt: now + checkAfterMs, checkAfterMs } }),
      condition: token === undefined ? `#${C.holder} = :id` : `#${C.holder} = :id AND #${C.token} = :token`,
      values: token === undefined ? { ':id': id } : { ':id': id, ':token': token },
    });
    return item ? { holder: id, slot, token: item.token } : undefined;
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

  /**
   * The executor that confirmed `hold` is done with it (its id ended). When anyone waits, the slot passes straight to
   * the oldest id that still does (it never shows free, so no other pumper races for it): one read of the line's head
   * (shared by the releases of this process at that moment) and two conditional writes. Else it is freed, and the gate
   * read again after the delete (an id put in line since the first read, whose starter saw every slot taken, is handed
   * it then): three requests when nobody waits. `ended`: the holder's final write, when it is still on its way: the
   * line's head is read meanwhile, and the slot moves on only after it (a crash before then leaves the slot held, and
   * its check finds the holder's executor gone). `adopt`: offered the id the slot passes to, to run it itself.
   */
  release(hold: Hold, ended?: Promise<unknown>, adopt?: Adopter): Promise<void> {
    // Whether the final write failed is read when the slot is passed; its rejection is handled from now on.
    ended?.catch(() => undefined);
    this.#leaving.push({ hold, ...(ended ? { ended } : {}), ...(adopt ? { adopt } : {}) });
    this.#passing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const leaving = this.#leaving;
      this.#leaving = [];
      this.#passing = undefined;
      return this.#pass(leaving);
    });
    return this.#passing;
  }

  /** Whether a pass of this process is handing a slot to `id`, or took it over and is removing its entry. */
  #inHand(id: string): boolean {
    return this.#taking.has(id) || this.#removing.has(id);
  }

  /**
   * Resolves once the removals from the line under way now, of ids this process took over, are done (a removal goes on
   * after its take). Removals started later are not waited for: other callers of this process may go on taking ids over.
   */
  async idle(): Promise<void> {
    await Promise.all(this.#removing.values());
  }

  /** `id` ended and its slots (if any) are not known: it leaves the line, its slots are freed, and waiting ids get them. */
  async settled(id: string): Promise<void> {
    const slots = await this.#slots();
    await this.#table.delete(this.#pk, queueKey(id));
    await this.#releaseAll(slots, id);
    await this.pump();
  }

  /**
   * `id` waits again (a job's next attempt, a run whose executor died): in line at its place, its slots freed (the
   * one its executor confirmed, `hold`, or else every slot it holds), pumped.
   */
  async requeue(id: string, hold?: Hold, ticket?: Ticket): Promise<void> {
    const slots = hold ? undefined : await this.#slots();
    await this.enqueue(id, ticket);
    // The slot goes to the oldest waiting id: often this very one, being older than most.
    if (hold) return this.release(hold);
    await this.#releaseAll(slots!, id);
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
    // The line first, then the slots: a hand-off from the line is sent the slot's write no later than the entry's
    // removal, so an id handed a slot meanwhile is seen in one of the reads (in the other order it could be in
    // neither, and be queued twice). An id in neither is looked for among the slots once more: a slot's write sent
    // alongside the removal may land just after it. (An id queued twice anyway is launched twice and runs once: its
    // second executor finds it no longer waiting when it claims it.)
    const queued = checking.length > 0 ? await this.#inLine(checking) : new Set<string>();
    const view = await this.#view();
    const holders = new Set(view.slots.map((s) => s.holder));
    let stranded = checking.filter((id) => !holders.has(id) && !queued.has(id));
    if (stranded.length > 0) {
      const again = new Set((await this.#slots()).map((s) => s.holder));
      stranded = stranded.filter((id) => !again.has(id));
    }
    const requeued = await Promise.all(stranded.map((id) => this.#putBackInLine(id)));
    // The view holds unless this pass wrote entries since (then the pump reads the gate again, after them).
    this.#work.full = true;
    await (this.#running || requeued.includes(true) ? this.#schedule() : this.#start(view));
  }

  /** Which of `ids` are in line: one read of the line's head; ids beyond it are looked up one by one. */
  async #inLine(ids: readonly string[]): Promise<Set<string>> {
    const line = new Set((await this.#queue(QUEUE_PAGE * 10)).map((entry) => entry.id));
    const found = new Set(ids.filter((id) => line.has(id)));
    if (line.size < QUEUE_PAGE * 10) return found;
    const beyond = await Promise.all(ids.filter((id) => !found.has(id)).map(async (id) => ((await this.#table.get(this.#pk, queueKey(id))) ? id : undefined)));
    for (const id of beyond) if (id) found.add(id);
    return found;
  }

  /** Puts `id` in line if it still waits (it may have run and ended since it was read); true when it did. */
  async #putBackInLine(id: string): Promise<boolean> {
    const waiting = await this.#members.waiting(id);
    if (!waiting) return false;
    await this.enqueue(id, waiting.ticket);
    return true;
  }

  /** The slots in use and the waiting ids, oldest first (for tests, tools and measurement). */
  async snapshot(): Promise<{ slots: Array<{ slot: number; holder: string; checkAt: number }>; queue: string[] }> {
    const slots = await this.#slots();
    return { slots: slots.map(({ slot, holder, checkAt }) => ({ slot, holder, checkAt })), queue: (await this.#queue(1000)).map((entry) => entry.id) };
  }

  /** A new id takes slot `slot` at once (it is in no line), then is launched. */
  async #grant(arrival: Arrival, slot: number): Promise<'launched' | 'dropped' | 'contended'> {
    const waiting = arrival.waiting ?? (await this.#members.waiting(arrival.id));
    if (!waiting) return 'dropped';
    const token = await this.#take(arrival.id, slot, waiting);
    if (!token) return 'contended';
    await this.#launch(arrival.id, slot, token, waiting);
    return 'launched';
  }

  /** One hand-off from the line: slot `slot` to the entry's id, then its launch. */
  async #handOff({ id, ticket }: Entry, slot: number): Promise<'launched' | 'dropped' | 'contended'> {
    const waiting = await this.#members.waiting(id, ticket);
    if (!waiting) {
      await this.#table.delete(this.#pk, queueKey(id));
      return 'dropped';
    }
    const token = await this.#take(id, slot, waiting);
    if (!token) return 'contended';
    // Whoever removes the queue entry launches; another pumper (or a cancel) got there first otherwise.
    const dequeued = await this.#table.delete(this.#pk, queueKey(id), { expression: `attribute_exists(#${STATE_SCHEMA.partitionKey})` });
    if (!dequeued) {
      await this.#release(slot, token);
      return 'dropped';
    }
    await this.#launch(id, slot, token, waiting);
    return 'launched';
  }

  /** Puts slot `slot` for `id` if it is free; the hand-off's token, or undefined when another took the slot. */
  async #take(id: string, slot: number, waiting: Waiting): Promise<string | undefined> {
    const token = randomUUID();
    const now = this.#clock();
    const taken = await this.#table.putIfAbsent<SlotItem>(this.#pk, slotKey(slot), {
      holder: id,
      token,
      checkAt: now + waiting.checkAfterMs,
      checkAfterMs: waiting.checkAfterMs,
      since: now,
    });
    return taken ? token : undefined;
  }

  /**
   * Passes the slot of `hold` to the entry's id, in one round trip: the slot is made to name it (only while it still
   * carries the holder's token) and, alongside, either `adopt` takes the id over (see `#takeOver`) or the entry is
   * removed (only if present; whoever removed it launches the id).
   * 'lost': the slot was no longer the holder's (a check took it back); what went with it is undone (an entry removed
   * is put back as it was, an id taken over is given back). 'failed': the launch failed and the slot is free. A hold
   * (the slot, now under a new token) comes back when the id is not this pass's to run (it no longer waits, or another
   * pumper has it): the slot for the next entry.
   * A crash after the slot moved leaves its check to find the id not running: the id goes back in line. (The one window
   * that strands an id out of line, a crash between a lost slot and putting the entry back, needs the holder's slot to
   * have been taken back first; a read that finds the id waiting puts it back, see `reconcile`.)
   */
  async #transfer(hold: Hold, { id, ticket }: Entry, adopt?: Adopter): Promise<'launched' | 'lost' | 'failed' | Hold> {
    const waiting = await this.#members.waiting(id, ticket);
    if (!waiting) {
      await this.#table.delete(this.#pk, queueKey(id));
      return hold;
    }
    const token = randomUUID();
    const now = this.#clock();
    const passed: Hold = { holder: id, slot: hold.slot, token };
    const moving = this.#table.update<SlotItem>(this.#pk, slotKey(hold.slot), {
      set: { holder: id, token, checkAt: now + waiting.checkAfterMs, checkAfterMs: waiting.checkAfterMs, since: now },
      condition: `#${C.token} = :mine`,
      values: { ':mine': hold.token },
    });
    const taking = adopt?.take(passed, waiting.ticket);
    if (taking) return this.#takeOver(passed, moving, taking, adopt!);
    const [move, dequeue] = await Promise.allSettled([
      moving,
      this.#table.delete<QueueItem>(this.#pk, queueKey(id), { expression: `attribute_exists(#${STATE_SCHEMA.partitionKey})` }),
    ]);
    const dequeued = dequeue.status === 'fulfilled' ? dequeue.value : undefined;
    if (move.status === 'rejected' || !move.value) {
      // The id has no slot from this pass: the entry removed with the move goes back.
      if (dequeued) await this.#table.put<QueueItem>(this.#pk, queueKey(id), dequeued);
      if (move.status === 'rejected') throw move.reason;
      return 'lost';
    }
    // The slot names the id. Whatever failed to be known from here on, its check settles: it finds the id running,
    // or not (then it goes back in line).
    if (dequeue.status === 'rejected') throw dequeue.reason;
    if (!dequeued) return passed;
    return (await this.#launch(id, hold.slot, token, waiting)) ? 'launched' : 'failed';
  }

  /**
   * The adopter's take (a run's claim) decides who runs the id: it succeeds for one caller only, so the id runs once
   * (a launch racing it finds the id taken when its executor claims it). The line entry is removed only once the id
   * is this caller's, after the take and without holding the adopted id back: a pass that loses the id to another
   * process has then spent two requests on it, not three. Until the entry is gone, passes of this process leave it
   * alone, and pumps leave it to the slot that names its id; a pass of another process that tries it loses the take.
   */
  async #takeOver(passed: Hold, moving: Promise<unknown>, taking: Promise<boolean>, adopt: Adopter): Promise<'launched' | 'lost' | Hold> {
    const id = passed.holder;
    const [move, take] = await Promise.allSettled([moving, taking]);
    if (move.status === 'rejected' || !move.value) {
      // The slot was not this caller's to pass any more: the id it took over goes back (its entry never left the line).
      if (take.status === 'fulfilled' && take.value) await adopt.undo(passed);
      if (move.status === 'rejected') throw move.reason;
      return 'lost';
    }
    if (take.status === 'rejected') throw take.reason;
    if (!take.value) {
      // Another process took the id over (it removes the entry), or it stopped waiting: the slot goes to the next.
      this.#takenElsewhere.set(id, this.#clock());
      return passed;
    }
    const removing = this.#table
      .delete(this.#pk, queueKey(id))
      .then(
        () => undefined,
        (error: unknown) => {
          currentLogger().warn(
            `multinode: ${this.name}: ${id} runs, but its line entry could not be removed (${(error as Error).message}); ` +
              'it stays in line until a pass finds the id no longer waiting.',
          );
        },
      )
      .finally(() => this.#removing.delete(id));
    this.#removing.set(id, removing);
    return 'launched';
  }

  /** Launches `id` with its slot; a failed launch (recorded on the id by `launch`) frees the slot at once (false). */
  async #launch(id: string, slot: number, token: string, waiting: Waiting): Promise<boolean> {
    try {
      await waiting.launch(slot, token);
      return true;
    } catch (error) {
      const admitting = this.#admitting.get(id);
      if (admitting) admitting.error = error;
      await this.#release(slot, token);
      return false;
    }
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

  /**
   * The gate in one read: newest sort key first, so the slots (at most `limit`, plus any left from a higher limit
   * before a redeploy) come before the queue entries; reading one item past `limit` tells whether anyone waits. With
   * more than `limit` slots in use, the ones beyond that read are not seen: no slot is free anyway.
   */
  async #view(): Promise<View> {
    const page = await this.#table.query<SlotItem & QueueItem>(this.#pk, { limit: this.limit + 1, descending: true });
    const slots: Slot[] = [];
    let waiting = false;
    for (const item of page.items) {
      if (item[STATE_SCHEMA.sortKey].startsWith(SLOT)) slots.push(toSlot(item));
      else if (item[STATE_SCHEMA.sortKey].startsWith(QUEUE)) waiting = true;
    }
    return { slots, waiting };
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

  /** The oldest `count` entries of the line. */
  async #queue(count: number): Promise<Entry[]> {
    const page = await this.#table.query<QueueItem>(this.#pk, { limit: count, prefix: QUEUE });
    return page.items.map((item) => ({ id: item[STATE_SCHEMA.sortKey].slice(QUEUE.length), ...(item.ticket ? { ticket: item.ticket } : {}) }));
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
