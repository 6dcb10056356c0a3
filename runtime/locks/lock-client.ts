/**
 * Locks: named leases in the app's state table (item `pk = lock#<name>`, `sk = lease`, see state/schema.ts), taken
 * and kept with conditional writes only:
 *  - acquire: put the lease if there is none or it has expired (`expiresAt <= now`);
 *  - heartbeat (every ttl/3): push `expiresAt` forward, only while `holder` is still us;
 *  - release: delete it, only while `holder` is still us.
 * A crashed holder stops its heartbeat, so its lease expires after its ttl and the next acquire takes it. The only
 * clock trusted is for lease expiry (the holder's `expiresAt` compared with the acquirer's now): keep the ttl well
 * above any clock skew between machines. A holder whose heartbeat cannot renew the lease in time learns it through
 * `lease.signal` (aborted with a LockLostError).
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, LockLostError, LockUnavailableError } from '../../lib/errors.js';
import type { AcquireOptions, Lease, LockHandle } from '../../lib/handles.js';
import { NAME_PATTERN, NAME_RULE } from '../../lib/options/fields.js';
import { DURATION_FORMS, parseDurationSeconds } from '../../lib/units/duration.js';
import { sleep } from '../core/retry.js';
import { partitionKey, STATE_SCHEMA } from '../state/schema.js';
import type { Expiring, StateTable } from '../state/state-table.js';

/** The sort key of a lock's one item. */
export const LEASE_SORT_KEY = 'lease';

/** A lock's item in the state table (besides its key): the lease. */
export interface LeaseItem extends Expiring {
  /** The token of the holder: only it renews or releases the lease. */
  readonly holder: string;
  /** When the lease ends unless renewed, epoch ms. */
  readonly expiresAt: number;
}

export const LOCK_LIMITS = { minTtlSeconds: 1, maxTtlSeconds: 86_400 } as const;

/** `withLock` without options: a minute's lease (renewed while `fn` runs), waiting as long as it takes. */
export const WITH_LOCK_DEFAULTS = { ttl: '1m', wait: true } as const;

export interface LockClientOptions {
  /** The app's state table. */
  readonly state: StateTable;
  readonly name: string;
  /** Epoch ms; injectable so expiry is testable without waiting. */
  readonly clock?: () => number;
  /** Longest pause between two tries of a waiting `acquire`, ms (default 250). */
  readonly pollMs?: number;
}

/** `acquire` options the runtime adds for its own callers (jobs holding a lock). */
export interface InternalAcquireOptions extends AcquireOptions {
  /** Stops waiting (rejecting with the signal's reason) when it aborts. */
  signal?: AbortSignal;
}

export class LockClient implements LockHandle {
  readonly name: string;
  readonly #state: StateTable;
  readonly #pk: string;
  readonly #clock: () => number;
  readonly #pollMs: number;

  constructor(options: LockClientOptions) {
    if (typeof options.name !== 'string' || !NAME_PATTERN.test(options.name)) {
      throw new InvalidArgumentError(`The lock name ${JSON.stringify(options.name)} is not valid; a lock name is ${NAME_RULE}.`);
    }
    this.name = options.name;
    this.#state = options.state;
    this.#pk = partitionKey('lock', options.name);
    this.#clock = options.clock ?? Date.now;
    this.#pollMs = options.pollMs ?? 250;
  }

  async acquire(options: InternalAcquireOptions): Promise<Lease> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`lock "${this.name}".acquire needs options such as { ttl: "30s" }.`);
    const ttlMs = parseTtl(this.name, options.ttl);
    const waitMs = parseWait(this.name, options.wait);
    const started = this.#clock();
    const holder = randomUUID();
    for (let _tries = 1; ; _tries++) {
      options.signal?.throwIfAborted();
      const expiresAt = await this.#tryPut(holder, ttlMs);
      if (expiresAt !== undefined) return new HeldLease(this, holder, ttlMs, expiresAt);
      const heldUntil = await this.#heldUntil();
      const now = this.#clock();
      if (now - started >= waitMs) {
        const until = heldUntil === undefined ? 'it was just released; try again' : `its lease runs until ${new Date(heldUntil).toISOString()} unless renewed`;
        throw new LockUnavailableError(
          this.name,
          `lock "${this.name}" is held by another holder (${until}). ` +
            `${waitMs === 0 ? 'Pass { wait: "30s" } (or wait: true) to wait for it.' : `Waited ${Math.round((now - started) / 1000)} s.`}`,
        );
      }
      // Jitter spreads contenders out; never sleep past the lease's expiry or our own deadline.
      const untilExpiry = heldUntil === undefined ? 0 : Math.max(0, heldUntil - now);
      const delay = Math.min(this.#pollMs * (0.5 + Math.random() / 2), untilExpiry + 1, Math.max(0, started + waitMs - now));
      await sleep(Math.max(1, delay), options.signal);
    }
  }

  async withLock<T>(fn: (lease: Lease) => Promise<T> | T, options: Partial<AcquireOptions> = {}): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`lock "${this.name}".withLock needs a function to run while holding the lock.`);
    const lease = await this.acquire({ ...WITH_LOCK_DEFAULTS, ...options });
    let result: T;
    try {
      result = await fn(lease);
    } finally {
      await lease.release();
    }
    // The work ran, but not (all of it) under the lock: say so rather than return as if it had.
    if (lease.signal.aborted) throw lease.signal.reason;
    return result;
  }

  /** Puts our lease when there is none or it expired; returns its expiry, or undefined when someone holds it. */
  async #tryPut(holder: string, ttlMs: number): Promise<number | undefined> {
    const now = this.#clock();
    const expiresAt = now + ttlMs;
    const put = await this.#state.put<LeaseItem>(
      this.#pk,
      LEASE_SORT_KEY,
      { holder, expiresAt, [STATE_SCHEMA.ttl]: ttlSeconds(expiresAt) },
      { expression: `attribute_not_exists(#${STATE_SCHEMA.partitionKey}) OR #expiresAt <= :now`, values: { ':now': now } },
    );
    return put ? expiresAt : undefined;
  }

  /** The current lease's expiry (undefined when there is none). */
  async #heldUntil(): Promise<number | undefined> {
    return (await this.#state.get<LeaseItem>(this.#pk, LEASE_SORT_KEY))?.expiresAt;
  }

  /** @internal Renews `holder`'s lease; false when it is no longer ours. */
  async renew(holder: string, ttlMs: number): Promise<{ ok: true; expiresAt: number } | { ok: false }> {
    const expiresAt = this.#clock() + ttlMs;
    const renewed = await this.#state.update<LeaseItem>(this.#pk, LEASE_SORT_KEY, {
      set: { expiresAt, [STATE_SCHEMA.ttl]: ttlSeconds(expiresAt) },
      condition: '#holder = :holder',
      values: { ':holder': holder },
    });
    return renewed ? { ok: true, expiresAt } : { ok: false };
  }

  /** @internal Deletes `holder`'s lease if it is still ours. */
  async remove(holder: string): Promise<void> {
    await this.#state.delete<LeaseItem>(this.#pk, LEASE_SORT_KEY, { expression: '#holder = :holder', values: { ':holder': holder } });
  }

  /** @internal */
  now(): number {
    return this.#clock();
  }
}

class HeldLease implements Lease {
  readonly lock: string;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #expiresAt: number;
  #released: Promise<void> | undefined;

  constructor(
    private readonly owner: LockClient,
    private readonly holder: string,
    private readonly ttlMs: number,
    expiresAt: number,
  ) {
    this.lock = owner.name;
    this.#expiresAt = expiresAt;
    this.#timer = setInterval(() => void this.#beat(), Math.max(50, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }

  get expiresAt(): Date {
    return new Date(this.#expiresAt);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  async #beat(): Promise<void> {
    if (this.#released || this.#controller.signal.aborted) return;
    try {
      const renewed = await this.owner.renew(this.holder, this.ttlMs);
      if (this.#released) return;
      if (renewed.ok) this.#expiresAt = renewed.expiresAt;
      else this.#lose(`lock "${this.lock}" was lost: another holder took it after this lease expired.`);
    } catch (error) {
      // A failed renewal is retried on the next beat, until the lease would have expired.
      if (this.owner.now() >= this.#expiresAt)
        this.#lose(`lock "${this.lock}" was lost: its lease expired while renewing it failed (${(error as Error).message}).`);
    }
  }

  #lose(message: string): void {
    clearInterval(this.#timer);
    this.#controller.abort(new LockLostError(this.lock, message));
  }

  release(): Promise<void> {
    clearInterval(this.#timer);
    this.#released ??= this.#controller.signal.aborted ? Promise.resolve() : this.owner.remove(this.holder);
    return this.#released;
  }
}

function parseTtl(lock: string, ttl: unknown): number {
  const parsed = parseDurationSeconds(ttl);
  const { minTtlSeconds: min, maxTtlSeconds: max } = LOCK_LIMITS;
  if ('problem' in parsed || parsed.seconds < min || parsed.seconds > max) {
    const why = 'problem' in parsed ? ` (${parsed.problem})` : '';
    throw new InvalidArgumentError(`lock "${lock}": ttl ${JSON.stringify(ttl)} is not valid${why}; give ${DURATION_FORMS}, from ${min} s to 1 day.`);
  }
  return parsed.seconds * 1000;
}

function parseWait(lock: string, wait: unknown): number {
  if (wait === undefined || wait === false) return 0;
  if (wait === true) return Infinity;
  const parsed = parseDurationSeconds(wait);
  if ('problem' in parsed)
    throw new InvalidArgumentError(`lock "${lock}": wait ${JSON.stringify(wait)} is not valid (${parsed.problem}); give true, false or ${DURATION_FORMS}.`);
  return parsed.seconds * 1000;
}

/** DynamoDB's TTL attribute (epoch seconds): an hour after expiry, so stale leases get cleaned up eventually. */
function ttlSeconds(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000) + 3600;
}
