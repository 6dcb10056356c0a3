/**
 * Every pluggable piece of the runtime, registered once per process, one line each: event kinds of the handler
 * (runtime/handler/dispatch.ts), invokers per placement (runtime/functions/invoker.ts), runners of scheduled tasks
 * per placement (runtime/handler/schedule-kind.ts) and job/lock handles (runtime/handle-factories.ts). The jobs issue
 * adds its kinds (job execution, Batch state changes), its Batch invoker and runner, and its handles here.
 */
import { LambdaInvoker } from './functions/lambda-invoker.js';
import { registerInvoker } from './functions/invoker.js';
import { callKind } from './handler/call-kind.js';
import { registerEventKind } from './handler/dispatch.js';
import { httpKind } from './handler/http-kind.js';
import { runKind } from './handler/run-kind.js';
import { scheduleKind } from './handler/schedule-kind.js';
import { scheduleStartKind } from './handler/schedule-start-kind.js';

registerInvoker('lambda', (context, definition) => new LambdaInvoker(context, definition));

registerEventKind(callKind);
registerEventKind(runKind);
registerEventKind(httpKind);
registerEventKind(scheduleKind);
registerEventKind(scheduleStartKind);

// Jobs, locks, and everything on AWS Batch (runtime/jobs/registrations.ts).
import './jobs/registrations.js';
