/** The invoker of each placement: how a function's calls and started runs reach its compute. */
import type { FunctionManifest } from '../../lib/manifest.js';
import type { Placement } from '../../lib/placement.js';
import type { RuntimeContext } from '../core/context.js';
import { BatchFunctionInvoker } from './batch-invoker.js';
import type { FunctionInvoker, InvokerFactory } from './invoker.js';
import { LambdaInvoker } from './lambda-invoker.js';

export const INVOKERS: Readonly<Record<Placement, InvokerFactory>> = {
  lambda: (context, definition) => new LambdaInvoker(context, definition),
  batch: (context, definition) => new BatchFunctionInvoker(context, definition),
};

export function invokerFor(context: RuntimeContext, definition: FunctionManifest): FunctionInvoker {
  return INVOKERS[definition.placement](context, definition);
}
