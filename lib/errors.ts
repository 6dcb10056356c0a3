/**
 * Errors raised by the multinode model and runtime. Every error a user can meet has its own class, so callers
 * can `instanceof` them; the message always says what was wrong and what is allowed.
 */
import type { RemoteErrorInfo } from './handles.js';

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

/**
 * A remote invocation (`call`, `map`, `awaitResult`, a service or scheduled run) failed. `remote` carries the
 * remote error's type, message and stack; `functionName` the definition that failed.
 */
export class InvocationFailedError extends MultinodeError {
  constructor(
    readonly functionName: string,
    readonly remote: RemoteErrorInfo,
    options?: { cause?: unknown },
  ) {
    super(`${functionName} failed: ${remote.type}: ${remote.message}`, options);
    if (remote.stack) this.stack = `${this.name}: ${this.message}\n--- remote stack ---\n${remote.stack}`;
  }

  /** The remote error's class name (`TypeError`, `TimeoutError`, a user class name, ...). */
  get remoteType(): string {
    return this.remote.type;
  }
}

/** `dict.require(key)` found no (unexpired) entry. */
export class KeyNotFoundError extends MultinodeError {
  constructor(
    readonly dict: string,
    readonly key: string,
  ) {
    super(`dict "${dict}" has no entry for key ${JSON.stringify(key)}.`);
  }
}

/** A dict key breaks the key rules (a non-empty string of at most 2,048 UTF-8 bytes). */
export class InvalidKeyError extends MultinodeError {}

/** A value is over a size limit of the cloud (a dict entry over DynamoDB's 400 KB item limit, ...). */
export class ValueTooLargeError extends MultinodeError {
  constructor(
    message: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(message);
  }
}

/** An increment met an entry that does not hold a number. */
export class NotANumberError extends MultinodeError {}

/** No run (a `start`ed invocation, a job) has this id. */
export class RunNotFoundError extends MultinodeError {
  constructor(
    readonly definition: string,
    readonly id: string,
  ) {
    super(`${definition} has no run with id ${JSON.stringify(id)} (it never existed, or was removed).`);
  }
}

/** An operation needs a run that is not finished yet (`cancel` of a SUCCEEDED run, ...). */
export class RunFinishedError extends MultinodeError {
  constructor(
    readonly definition: string,
    readonly id: string,
    readonly status: string,
  ) {
    super(`${definition} run ${id} already finished with status ${status}; only PENDING and RUNNING runs can be cancelled.`);
  }
}

/** `awaitResult` of a run that was cancelled. */
export class RunCancelledError extends MultinodeError {
  constructor(
    readonly definition: string,
    readonly id: string,
  ) {
    super(`${definition} run ${id} was cancelled.`);
  }
}

/** A wait (`awaitResult({ timeout })`) gave up before the run finished. */
export class WaitTimeoutError extends MultinodeError {}

/** An argument of a runtime API call is invalid (a ttl that is not a duration, a page size out of range, ...). */
export class InvalidArgumentError extends MultinodeError {}

/** No job has this id (a `RunNotFoundError` too). */
export class JobNotFoundError extends RunNotFoundError {
  constructor(definition: string, id: string) {
    super(definition, id);
    this.message = `job ${definition} has no job with id ${JSON.stringify(id)} (it never existed, or was removed).`;
  }
}

/** An operation needs a finished run (`remove` of a RUNNING job). */
export class RunNotFinishedError extends MultinodeError {
  constructor(
    readonly definition: string,
    readonly id: string,
    readonly status: string,
  ) {
    super(`${definition} run ${id} is ${status}; only finished runs (SUCCEEDED, FAILED, CANCELLED, TIMED_OUT) can be removed. Cancel it first.`);
  }
}

/** `awaitResult` of a run that ran out of time (status TIMED_OUT). */
export class RunTimedOutError extends MultinodeError {
  constructor(
    readonly definition: string,
    readonly id: string,
    readonly timeoutSeconds: number,
  ) {
    super(`${definition} run ${id} timed out: it did not finish within its timeout of ${timeoutSeconds} s (counted from its creation).`);
  }
}

/** `lock.acquire` could not get the lock in time (another holder has it). */
export class LockUnavailableError extends MultinodeError {
  constructor(
    readonly lock: string,
    message: string,
  ) {
    super(message);
  }
}

/** A held lease was lost (its heartbeat could not renew it before it expired, or another holder took it). */
export class LockLostError extends MultinodeError {
  constructor(
    readonly lock: string,
    message: string,
  ) {
    super(message);
  }
}
