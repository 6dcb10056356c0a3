/**
 * The code a local Lambda worker thread runs: it imports the app bundle, as Lambda's Node.js runtime does, and
 * calls the bundle's `handler(event, context)` for each invocation it is sent. A thrown error is reported in the
 * Node.js runtime's error JSON (`errorType`, `errorMessage`, `trace`), exactly what Lambda returns.
 *
 * Plain JavaScript in a string (run with `eval: true`), so the worker needs no TypeScript loader and runs only
 * what Lambda would run: the bundle.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { getHeapStatistics } = require('node:v8');

function errorPayload(error) {
  if (error instanceof Error || (error && typeof error === 'object' && 'message' in error && 'name' in error)) {
    return { errorType: String(error.name), errorMessage: String(error.message), trace: String(error.stack || '').split('\n') };
  }
  let message;
  try { message = String(error); } catch { message = Object.prototype.toString.call(error); }
  return { errorType: typeof error, errorMessage: message, trace: [] };
}

// A worker's stdout reaches the parent through messages; a write's callback runs once the parent has taken it. Waiting
// for what is still on the way before answering keeps an invocation's last lines ahead of its result, so a caller that
// stops the cloud on the result (multinode run) still prints them. Nothing waits when nothing was written.
function flushed(stream) {
  return stream.writableLength === 0 ? undefined : new Promise((resolve) => stream.write('', resolve));
}

// Lambda runs the bundle with NODE_OPTIONS=--enable-source-maps; a worker thread ignores that variable, so it turns
// source maps on itself (for this thread only) before importing: stack traces name the app's sources.
process.setSourceMapsEnabled(true);
// For the REPORT line: the environment's init (importing the bundle, once), each handler's run time, and the most
// memory the worker's heap used.
const workerStart = performance.now();
let initMs;
let maxMemoryUsedMB = 0;

const loading = import(pathToFileURL(workerData.bundle).href).then((module) => {
  initMs = performance.now() - workerStart;
  if (typeof module.handler !== 'function') {
    const error = new Error('The bundle ' + workerData.bundle + ' does not export a function named "handler".');
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return module.handler;
});
// The parent starts counting an invocation's timeout once the environment's init is over, as Lambda does (init has a
// limit of its own): it is told when the import has settled, either way.
loading.then(
  () => parentPort.postMessage({ ready: true }),
  () => parentPort.postMessage({ ready: true }),
);

// Invocations arrive in batches (what the parent sent in one turn of its event loop: one message per batch rather
// than one per invocation, which matters when many small calls are in flight). Replies leave the same way: those
// ready in one turn of this thread's event loop go together at its end, so a batch of small calls costs the parent
// one message, not one per call.
let outbox = [];
function reply(message) {
  if (outbox.length === 0) {
    setImmediate(() => {
      const batch = outbox;
      outbox = [];
      parentPort.postMessage(batch);
    });
  }
  outbox.push(message);
}

parentPort.on('message', (batch) => {
  for (const message of batch) void invoke(message);
});

async function invoke(message) {
  const context = {
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memoryMB),
    awsRequestId: message.requestId,
    logGroupName: '/aws/lambda/' + workerData.functionName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  let answer;
  let started;
  try {
    const handler = await loading;
    started = performance.now();
    const result = await handler(JSON.parse(message.payload), context);
    answer = { id: message.id, ok: true, payload: JSON.stringify(result === undefined ? null : result) };
  } catch (error) {
    answer = { id: message.id, ok: false, payload: JSON.stringify(errorPayload(error)) };
  }
  const heap = getHeapStatistics();
  maxMemoryUsedMB = Math.max(maxMemoryUsedMB, (heap.total_heap_size + heap.external_memory) / 1048576);
  answer.report = { durationMs: started === undefined ? 0 : performance.now() - started, maxMemoryUsedMB };
  if (initMs !== undefined) {
    answer.report.initMs = initMs;
    initMs = undefined;
  }
  const pending = [flushed(process.stdout), flushed(process.stderr)].filter(Boolean);
  if (pending.length > 0) await Promise.all(pending);
  reply(answer);
}
`;
