/**
 * Errors of secrets and config settings. None of them ever carries a value: they name the setting, the definition
 * and where to set the value.
 */
import { MultinodeError } from '../errors.js';

/**
 * A handler read a secret its definition does not declare (`secrets: [...]` in its options), or code outside any
 * handler read one. Only the definitions that declare a secret may read it, locally and in AWS alike.
 */
export class SecretNotDeclaredError extends MultinodeError {
  constructor(
    readonly secret: string,
    /** The definition that read it; undefined outside any handler. */
    readonly definition: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The secret exists but has no value yet. The message says where to set it. */
export class SecretValueMissingError extends MultinodeError {
  constructor(
    readonly secret: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reading a secret failed for another reason (access denied, the service unreachable, ...). */
export class SecretReadError extends MultinodeError {
  constructor(
    readonly secret: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A config setting without a default has no value. The message says where to set it. */
export class ConfigValueMissingError extends MultinodeError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}
