import { MultinodeError } from '../lib/errors.js';

/**
 * The app cannot be turned into AWS resources: its entry does not load, a definition asks for something the target
 * service cannot provide, a construct prop is wrong, or the stack would break a CloudFormation limit. `definition`
 * names the definition at fault when there is one; the message always says what is allowed.
 */
export class SynthError extends MultinodeError {
  constructor(
    message: string,
    readonly definition?: string,
  ) {
    super(definition === undefined ? message : `definition "${definition}": ${message}`);
  }
}
