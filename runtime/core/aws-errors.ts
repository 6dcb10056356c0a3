/** Recognizing AWS service errors by name, and turning "the resource is not there" into a clear message. */
import { MultinodeError } from '../../lib/errors.js';

/** An AWS resource the app needs (a dict's table, a function, the bucket) does not exist where the runtime looked. */
export class CloudResourceMissingError extends MultinodeError {}

export function awsErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return awsErrorName(error) === 'ConditionalCheckFailedException';
}

/** Awaits a conditional write: true when it was applied, false when its condition failed; other errors rethrown. */
export async function appliedIfCondition(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Rethrows a ResourceNotFoundException as CloudResourceMissingError naming `what`; anything else unchanged. */
export function explainMissing(error: unknown, what: string): never {
  if (awsErrorName(error) === 'ResourceNotFoundException') {
    throw new CloudResourceMissingError(
      `${what} does not exist (${(error as Error).message}). Is the app deployed (cdk deploy), or the local cloud running for this app?`,
      { cause: error },
    );
  }
  throw error;
}
