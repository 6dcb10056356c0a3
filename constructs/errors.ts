import type { IConstruct } from 'constructs';
import { MultinodeError } from '../lib/errors.js';

/**
 * The app cannot be turned into AWS resources: its entry does not load, a definition asks for something the target
 * service cannot provide, a construct prop is wrong, or the stack would break a CloudFormation limit. The message
 * starts with the path of the construct at fault (`Shop/App/Batch`) and the definition at fault, when there are
 * ones, and always says what is allowed.
 */
export class SynthError extends MultinodeError {
  /** The path of the construct at fault, when there is one. */
  readonly constructPath?: string;
  /** What went wrong, without the construct path and definition the message starts with. */
  readonly reason: string;

  constructor(
    message: string,
    scope?: IConstruct,
    readonly definition?: string,
    options?: { cause?: unknown },
  ) {
    const where = [scope ? scope.node.path : undefined, definition === undefined ? undefined : `definition "${definition}"`].filter(Boolean);
    super(where.length === 0 ? message : `${where.join(': ')}: ${message}`, options);
    this.reason = message;
    if (scope) this.constructPath = scope.node.path;
  }
}
