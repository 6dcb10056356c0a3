/**
 * The control plane the dashboard answers from. A deployed app's target is fixed; a running `multinode dev` has a
 * new manifest (and maybe new service URLs) after each rebuild, so its target is read at every request, and a changed
 * one gets a new plane. The old plane is closed once the requests and log streams using it have ended.
 */
import { type ControlPlane, type ControlPlaneOptions, createControlPlane } from '../control/control-plane.js';
import type { ControlPlaneTarget } from '../control/types.js';
import type { LogEntry } from '../logs/entries.js';

export type DashboardTarget = ControlPlaneTarget | (() => ControlPlaneTarget);

interface Held {
  readonly plane: ControlPlane<LogEntry>;
  readonly target: ControlPlaneTarget;
  users: number;
  retired: boolean;
}

export class PlaneSource {
  readonly #target: DashboardTarget;
  readonly #options: ControlPlaneOptions<LogEntry>;
  #current: Held | undefined;
  #closed = false;

  constructor(target: DashboardTarget, options: ControlPlaneOptions<LogEntry>) {
    this.#target = target;
    this.#options = options;
  }

  /** Runs `use` with the current plane, which stays open until it settles. */
  async use<T>(use: (plane: ControlPlane<LogEntry>) => Promise<T> | T): Promise<T> {
    const held = this.#acquire();
    try {
      return await use(held.plane);
    } finally {
      this.#release(held);
    }
  }

  #acquire(): Held {
    if (this.#closed) throw new Error('the dashboard is closed');
    const target = typeof this.#target === 'function' ? this.#target() : this.#target;
    const current = this.#current;
    if (!current || !sameTarget(current.target, target)) {
      if (current) this.#retire(current);
      this.#current = { plane: createControlPlane(target, this.#options), target, users: 0, retired: false };
    }
    const held = this.#current!;
    held.users++;
    return held;
  }

  #release(held: Held): void {
    held.users--;
    if (held.retired && held.users === 0) held.plane.close();
  }

  #retire(held: Held): void {
    held.retired = true;
    if (held.users === 0) held.plane.close();
  }

  close(): void {
    this.#closed = true;
    if (this.#current) this.#retire(this.#current);
    this.#current = undefined;
  }
}

/** The same app as before: the same manifest object (a rebuild makes a new one) and the same services' URLs. */
function sameTarget(a: ControlPlaneTarget, b: ControlPlaneTarget): boolean {
  return (
    a.manifest === b.manifest &&
    a.config === b.config &&
    a.services.length === b.services.length &&
    a.services.every((s, i) => s.name === b.services[i]!.name && s.url === b.services[i]!.url)
  );
}
