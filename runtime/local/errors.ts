/** Errors of the local cloud (they never occur in AWS). */
import { MultinodeError } from '../../lib/errors.js';

/** The local cloud could not start (a port in use, a broken state directory, an app that does not load, ...). */
export class LocalCloudError extends MultinodeError {}

/** The state directory cannot be opened: corrupt files, or not a multinode state directory. */
export class StateDirError extends LocalCloudError {}
