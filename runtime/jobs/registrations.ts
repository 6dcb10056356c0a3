/**
 * The jobs issue's pieces, registered at the runtime's extension points (imported once by runtime/registrations.ts):
 * job and lock handles, the Batch invoker for functions, the Batch runner for scheduled tasks, and the handler's
 * event kinds for job attempts and Batch job state changes.
 */
import { BatchFunctionInvoker } from '../batch/function-invoker.js';
import { batchScheduledRunner } from '../batch/schedule-runner.js';
import { batchStateChangeKind } from '../batch/state-change-kind.js';
import { registerInvoker } from '../functions/invoker.js';
import { registerHandleFactory } from '../handle-factories.js';
import { registerEventKind } from '../handler/dispatch.js';
import { registerScheduledRunner } from '../handler/schedule-kind.js';
import { createJobClient, createLockClient } from './factory.js';
import { jobKind } from './job-kind.js';

registerHandleFactory('job', (context, name) => createJobClient(context, name));
registerHandleFactory('lock', (context, name) => createLockClient(context, name));
registerInvoker('batch', (context, definition) => new BatchFunctionInvoker(context, definition));
registerScheduledRunner('batch', batchScheduledRunner);
registerEventKind(jobKind);
registerEventKind(batchStateChangeKind);
