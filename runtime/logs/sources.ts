/**
 * Where a definition's lines are in CloudWatch Logs, by placement, as the constructs (and the local cloud) set them
 * up:
 * - Lambda: the function's own log group, `/aws/lambda/<prefix>-<definition>`;
 * - Batch: the app's Batch log group `/aws/batch/<prefix>`, streams starting with `<definition>/` (awslogs names them
 *   `<definition>/default/<ECS task id>`), and the dispatcher function's log group, where the lines about the
 *   definition's scheduled deliveries are (only those whose `definition` field names it).
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import { isPlaced, type PlacedDefinition } from '../../lib/manifest.js';
import { batchLogStreamPrefix, lambdaLogGroup } from '../../lib/naming.js';
import { DISPATCHER_DEFINITION } from '../core/config.js';
import type { RuntimeContext } from '../core/context.js';

export interface LogSource {
  readonly group: string;
  /** Only streams whose names start with this. */
  readonly streamPrefix?: string;
  /** Only lines whose `definition` field is this (a log group shared by definitions). */
  readonly definition?: string;
  /** Whose lines the group holds, when it is one definition's (to name lines that do not say). */
  readonly owner?: string;
  /** The first part of each stream's name names its definition (the app's Batch group). */
  readonly ownerInStream?: true;
}

/** The sources of one definition's lines, or of the whole app's (every Lambda group and the Batch group). */
export function logSources(context: RuntimeContext, definition?: string): LogSource[] {
  const placed = context.manifest.definitions.filter(isPlaced);
  const dispatcher = lambdaLogGroup(context.names.lambdaFunction(DISPATCHER_DEFINITION));
  if (definition === undefined) {
    const sources: LogSource[] = placed
      .filter((d) => d.placement === 'lambda')
      .map((d) => ({ group: lambdaLogGroup(context.names.lambdaFunction(d.name)), owner: d.name }));
    if (placed.some((d) => d.placement === 'batch')) {
      // The dispatcher's own lines (its START, END and REPORT) are named after it; its lines about a task, after the task.
      sources.push({ group: context.names.batchLogGroup, ownerInStream: true }, { group: dispatcher, owner: DISPATCHER_DEFINITION });
    }
    return sources;
  }
  const found = context.manifest.definitions.find((d) => d.name === definition);
  if (!found || !isPlaced(found)) {
    const names = placed.map((d) => d.name).join(', ') || '(none)';
    const what = found
      ? `"${definition}" is a ${found.kind}, which runs no code and has no logs`
      : `the app "${context.config.app}" has no definition "${definition}"`;
    throw new InvalidArgumentError(`Cannot read logs of ${definition}: ${what}. Definitions with logs: ${names}.`);
  }
  return sourcesOf(context, found, dispatcher);
}

function sourcesOf(context: RuntimeContext, definition: PlacedDefinition, dispatcher: string): LogSource[] {
  if (definition.placement === 'lambda') return [{ group: lambdaLogGroup(context.names.lambdaFunction(definition.name)), owner: definition.name }];
  return [
    { group: context.names.batchLogGroup, streamPrefix: `${batchLogStreamPrefix(definition.name)}/`, owner: definition.name },
    { group: dispatcher, definition: definition.name },
  ];
}
