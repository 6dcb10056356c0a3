import { DefinitionError, RuntimeNotInstalledError } from '../errors.js';
import { DECLARING_CALL, type DefinitionKind, OptionContext } from '../options/context.js';
import { parseName } from '../options/fields.js';
import type { Compute, Placement } from '../placement.js';
import { register } from '../registry.js';
import { currentRuntime, isRuntimeInstalled, type RuntimePort } from '../runtime-port.js';
import { assignedName, formatSite, type SourceSite } from '../site.js';

const DEFINITION = Symbol.for('multinode.definition');

/** Common part of every definition: its kind, where it was declared, its name once known. */
export abstract class Definition<K extends DefinitionKind = DefinitionKind> {
  readonly [DEFINITION] = true;
  #name: string | undefined;

  protected constructor(
    readonly kind: K,
    readonly site: SourceSite | undefined,
    /** The name given with `name` (or to `dict(name)`), if any. */
    readonly explicitName: string | undefined,
  ) {
    this.#name = explicitName;
    register(this as unknown as AnyDefinition);
  }

  /** The definition's name: the explicit one, else its export name (known once the app is resolved). */
  get name(): string {
    if (this.#name === undefined) {
      throw new DefinitionError(
        `The ${this.kind} declared at ${formatSite(this.site)} has no name yet: export it from the app's entry ` +
          '(export const myName = ...) or give it a "name" option.',
      );
    }
    return this.#name;
  }

  /**
   * The runtime for a remote call (`call`, `start`, ...), or an error saying why there is none: a definition has
   * no name until the running app resolves it, so an unnamed one is called before the app runs (at import time,
   * in a test without a cloud) or is not part of the running app.
   */
  protected runtimeFor(method: string): RuntimePort {
    if (this.#name !== undefined) return currentRuntime(`${this.#name}.${method}()`);
    throw unnamedCallError(this.kind, this.site, method);
  }

  /** True once the definition has a name. */
  get isNamed(): boolean {
    return this.#name !== undefined;
  }

  /** @internal Called by the app resolver. */
  assignName(name: string): void {
    if (this.#name !== undefined && this.#name !== name) {
      throw new DefinitionError(`The ${this.kind} "${this.#name}" cannot be renamed to "${name}".`);
    }
    this.#name = name;
  }

  /** Placement (`lambda`, `batch`) for compute definitions; null for dicts and locks. */
  abstract readonly placement: Placement | null;
  abstract readonly compute: Compute | null;
  /** Normalized options as recorded in the manifest. */
  abstract readonly options: object;
}

function unnamedCallError(kind: DefinitionKind, site: SourceSite | undefined, method: string): Error {
  const variable = assignedName(site);
  const call = `${variable ?? DECLARING_CALL[kind]}.${method}()`;
  const what = `${DECLARING_CALL[kind]}${variable ? ` "${variable}"` : ''} at ${formatSite(site)}`;
  if (!isRuntimeInstalled()) {
    const local = kind === 'function' ? `, or run the handler in this process with ${variable ?? 'the function'}.local(...)` : '';
    return new RuntimeNotInstalledError(
      `${call} cannot run here: the app is not running in this process, so ${what} has no name and no runtime to reach it. ` +
        "Calling a remote definition while the app's module loads (top-level code) cannot work, because the app starts only after " +
        `its module has loaded: call it from a handler. In a test, start the app with startTestCloud(entry) from "multinode/testing"${local}.`,
    );
  }
  return new DefinitionError(
    `${call} cannot run: ${what} is not a definition of the running app (it has no name). Export it from the app's entry ` +
      '(export const myName = ...) or give it a "name" option; in a test, give startTestCloud(entry, { module }) the module the test imported.',
  );
}

export function isDefinition(value: unknown): value is AnyDefinition {
  return typeof value === 'object' && value !== null && (value as { [DEFINITION]?: unknown })[DEFINITION] === true;
}

/** A new option context for a definition call. */
export function contextFor(kind: DefinitionKind, site: SourceSite | undefined, options: unknown): OptionContext {
  const name = typeof options === 'object' && options !== null ? (options as { name?: unknown }).name : undefined;
  return new OptionContext(kind, site, typeof name === 'string' ? name : undefined);
}

/** Checks that `options` is a plain object (or undefined) before reading it. */
export function objectOptions(ctx: OptionContext, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const given = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    return ctx.check(() => ctx.fail(`options must be an object such as { cpu: 2 }, not ${given}.`), {});
  }
  return options as Record<string, unknown>;
}

/**
 * The common opening of a definition's constructor, before `super()`: the options object, its allowed keys, the
 * explicit name and the handler. Returns what the rest of the constructor needs.
 */
export function openDefinition(
  kind: DefinitionKind,
  site: SourceSite | undefined,
  rawOptions: unknown,
  keys: readonly string[],
  hints: Record<string, string> = {},
): { ctx: OptionContext; raw: Record<string, unknown>; name: string | undefined } {
  const ctx = contextFor(kind, site, rawOptions);
  const raw = objectOptions(ctx, rawOptions);
  ctx.checkKeys(raw, keys, hints);
  return { ctx, raw, name: raw.name === undefined ? undefined : ctx.check(() => parseName(ctx, 'name', raw.name), undefined) };
}

export function requireHandler<T extends (...args: never[]) => unknown>(ctx: OptionContext, handler: unknown, what: string): T {
  if (typeof handler !== 'function') {
    return ctx.check(() => ctx.fail(`expected ${what} as the handler, got ${handler === null ? 'null' : typeof handler}.`), missingHandler as unknown as T);
  }
  return handler as T;
}

/** Stands in for a missing handler while problems are collected (the app will not run). */
function missingHandler(): never {
  throw new DefinitionError('this definition has no handler.');
}

import type { FunctionDefinition } from './function.js';
import type { JobDefinition } from './job.js';
import type { ScheduleDefinition } from './schedule.js';
import type { ServiceDefinition } from './service.js';
import type { DictDefinition } from './dict.js';
import type { LockDefinition } from './lock.js';

export type AnyDefinition =
  | FunctionDefinition<never, unknown>
  | JobDefinition<never, unknown>
  | ScheduleDefinition
  | ServiceDefinition
  | DictDefinition<unknown>
  | LockDefinition;
