/**
 * The control plane's errors. Each is a MultinodeError whose message says what was wrong and what to do; a caller
 * (the CLI, the dashboard) tells them apart with `instanceof`: not found (UnknownRunError, UnknownDefinitionError),
 * refused (ActionRefusedError, and the runtime's RunFinishedError), bad input (InvalidArgumentError), not set up
 * (RunsIndexUnavailableError, LogsUnavailableError).
 */
import { DefinitionError, MultinodeError, RunNotFoundError } from '../../lib/errors.js';

/** How the control plane's run ids look, for messages. */
export const RUN_ID_FORMS =
  'a started run or job id (26 characters of 0-9 and a-z, as start() returned it) or a scheduled run "<task>@<scheduled time>" ' +
  '(e.g. "daily@2024-01-01T23:00:00Z")';

/** No run, job or scheduled run has this id. A RunNotFoundError (`definition` is the task of an `@` id, else ""). */
export class UnknownRunError extends RunNotFoundError {
  constructor(id: string, definition = '', why = 'no run, job or scheduled run has it (it never existed, expired after 30 days, or was removed)') {
    super(definition, id);
    this.message = `No run with id ${JSON.stringify(id)}: ${why}. Run ids are ${RUN_ID_FORMS}.`;
  }
}

/** The app has no definition of that name (of the kinds the call takes); the message lists those it has. */
export class UnknownDefinitionError extends DefinitionError {
  constructor(
    readonly definition: string,
    message: string,
  ) {
    super(message);
  }
}

/** An action that does not apply to the run as it is (retry of a running run, cancel of a scheduled run). */
export class ActionRefusedError extends MultinodeError {
  constructor(
    readonly action: 'cancel' | 'retry' | 'trigger' | 'pause' | 'resume',
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The state table has no `runsByTime` index yet (an app deployed before it; deploy the new version), or the index is
 * still being built. Listings of one definition work meanwhile.
 */
export class RunsIndexUnavailableError extends MultinodeError {}

/** `logs` was called on a control plane created without a log source. */
export class LogsUnavailableError extends MultinodeError {}
