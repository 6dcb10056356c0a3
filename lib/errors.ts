/**
 * Errors raised by the multinode model and runtime. Every error a user can meet has its own class, so callers
 * can `instanceof` them; the message always says what was wrong and what is allowed.
 */

/** Base class of every error multinode raises on purpose. */
export class MultinodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A definition (fn, job, schedule, service, dict, lock) was declared with invalid options or names. */
export class DefinitionError extends MultinodeError {}

/** A value cannot cross a process boundary: the codec refused it. `path` locates it (`args[1].items[3].fn`). */
export class CodecError extends MultinodeError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot serialize ${path}: ${reason}. Allowed: JSON values, Date, Map, Set, BigInt, Uint8Array and undefined.`);
  }
}

/** Loading an app (bundling it, importing it, naming its definitions) failed. */
export class ManifestError extends MultinodeError {}

/** A definition's remote API was used where no runtime is installed (plain `node` outside the app, no `connect`). */
export class RuntimeNotInstalledError extends MultinodeError {}
