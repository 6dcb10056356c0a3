/**
 * The local Lambda service: Invoke semantics over worker threads that run the app bundle's handler.
 *
 * - RequestResponse: runs the handler and answers 200 with its result, or 200 + `X-Amz-Function-Error: Unhandled`
 *   and the Node.js runtime's error JSON; a response over 6 MB becomes Lambda's `Function.ResponseSizeTooLarge`.
 * - Event: answers 202 at once and queues the event; queued events run as concurrency frees up (Lambda's internal
 *   queue), and a failed one is retried twice, after 1 and 2 minutes, as Lambda retries asynchronous invocations.
 * - Request payloads over 6 MB (sync) or 1 MB (async) are refused with 413 RequestTooLargeException.
 * - Concurrency is Lambda's: the account's pool (1,000 by default) shared by every function, and a function's
 *   reserved concurrency when it has one. A synchronous invoke beyond either is refused with 429
 *   TooManyRequestsException, Reason ConcurrentInvocationLimitExceeded (the pool) or
 *   ReservedFunctionConcurrentInvocationLimitExceeded (the reservation). The local cloud deploys functions as the
 *   CDK constructs do, without reserved concurrency: a definition's `maxConcurrency` is the runtime's business.
 * - Each invocation is stopped at the function's timeout with Lambda's `Sandbox.Timedout` error.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT } from '../../core/payloads.js';
import type { FunctionLogWriter } from '../logs/lambda-logs.js';
import { FunctionWorkers, type LogSink } from './workers.js';

export interface LocalFunction {
  /** The Lambda function name (`resourceNames(prefix).lambdaFunction(definition)`). */
  readonly functionName: string;
  /** The definition it runs (for logs). */
  readonly definition: string;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** Reserved concurrency, when the function has one: more simultaneous invocations of it are throttled. */
  readonly reservedConcurrency?: number;
}

export interface LocalLambdaOptions {
  /** Absolute path of the app bundle (`app.mjs`). */
  readonly bundle: string;
  readonly functions: readonly LocalFunction[];
  /** Environment of every worker (the runtime's variables and endpoints). */
  readonly env: Readonly<Record<string, string>>;
  readonly region?: string;
  /** Worker threads per function at most (default: the number of CPUs, at least 2). */
  readonly workerCap?: number;
  /** The account's concurrency, shared by every function (Lambda's default: 1,000). */
  readonly accountConcurrency?: number;
  readonly log?: LogSink;
  /** Where each function's invocations log, as in Lambda's log group (START, output, END, REPORT); default nowhere. */
  readonly cloudLogs?: (functionName: string) => FunctionLogWriter;
  /** Fault injection: answer this synchronous invoke with 429 (the handler does not run). */
  readonly throttle?: (functionName: string) => boolean;
  /** Delays before the retries of a failed asynchronous invocation (Lambda: 1 and 2 minutes). */
  readonly asyncRetryDelaysMs?: readonly number[];
}

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface FunctionStats {
  invocations: number;
  throttles: number;
  inFlight: number;
  maxInFlight: number;
}

export const ACCOUNT_ID = '000000000000';
/** Lambda's default concurrency per account and Region (docs/aws-behaviour.md, "Lambda payload and concurrency limits"). */
export const ACCOUNT_CONCURRENCY = 1000;

interface Deployed {
  readonly spec: LocalFunction;
  readonly workers: FunctionWorkers;
  readonly stats: FunctionStats;
  /** Asynchronous invocations waiting for concurrency; a retry keeps its request id, as in Lambda. */
  readonly queue: Array<{ requestId: string; payload: string; attempt: number }>;
}

export class LocalLambda {
  readonly #functions = new Map<string, Deployed>();
  readonly #options: LocalLambdaOptions;
  readonly #region: string;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #accountConcurrency: number;
  /** Invocations in flight across every function (the account's pool). */
  #inFlight = 0;
  #closed = false;

  constructor(options: LocalLambdaOptions) {
    this.#options = options;
    this.#region = options.region ?? 'us-east-1';
    this.#accountConcurrency = options.accountConcurrency ?? ACCOUNT_CONCURRENCY;
    const cap = options.workerCap ?? Math.max(2, os.availableParallelism());
    const log: LogSink = options.log ?? ((_name, stream, line) => (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`));
    for (const spec of options.functions) {
      const env = {
        ...options.env,
        AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      };
      const workers = new FunctionWorkers(
        options.bundle,
        { functionName: spec.functionName, functionArn: this.arn(spec.functionName), memoryMB: spec.memoryMB, env },
        Math.min(cap, spec.reservedConcurrency ?? cap),
        log,
        options.cloudLogs?.(spec.functionName),
      );
      this.#functions.set(spec.functionName, { spec, workers, stats: { invocations: 0, throttles: 0, inFlight: 0, maxInFlight: 0 }, queue: [] });
    }
  }

  arn(functionName: string): string {
    return `arn:aws:lambda:${this.#region}:${ACCOUNT_ID}:function:${functionName}`;
  }

  stats(functionName: string): FunctionStats | undefined {
    return this.#functions.get(functionName)?.stats;
  }

  /** Runs later invocations on a rebuilt bundle. */
  replaceBundle(bundle: string): void {
    for (const deployed of this.#functions.values()) deployed.workers.replaceBundle(bundle);
  }

  /** `size`: the request's length when `payload` holds only its first part (an oversize request). */
  async invoke(name: string, payload: Buffer, type: InvocationType, size = payload.length): Promise<InvokeAnswer> {
    const requestId = randomUUID();
    const deployed = this.#functions.get(functionNameOf(name));
    if (!deployed)
      return error(404, 'ResourceNotFoundException', { Type: 'User', Message: `Function not found: ${this.arn(functionNameOf(name))}` }, requestId);
    const limit = type === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (size > limit) {
      return error(
        413,
        'RequestTooLargeException',
        { Type: 'User', message: `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation` },
        requestId,
      );
    }
    const text = payload.length === 0 ? '{}' : payload.toString('utf8');
    try {
      JSON.parse(text);
    } catch {
      return error(
        400,
        'InvalidRequestContentException',
        { Type: 'User', message: 'Could not parse request body into json: the payload is not valid JSON.' },
        requestId,
      );
    }
    if (type === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': requestId }, body: '' };
    if (type === 'Event') {
      deployed.queue.push({ requestId, payload: text, attempt: 1 });
      this.#drain(deployed);
      return { status: 202, headers: { 'x-amzn-requestid': requestId }, body: '' };
    }
    const throttled = this.#options.throttle?.(deployed.spec.functionName) ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : this.#limitReached(deployed);
    if (throttled) {
      deployed.stats.throttles++;
      return error(429, 'TooManyRequestsException', { Reason: throttled, Type: 'User', message: 'Rate Exceeded.' }, requestId);
    }
    const outcome = await this.#run(deployed, requestId, text);
    const headers = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': requestId };
    if (outcome.ok && Buffer.byteLength(outcome.payload, 'utf8') > SYNC_PAYLOAD_LIMIT) {
      const body = JSON.stringify({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
      });
      return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body };
    }
    return { status: 200, headers: outcome.ok ? headers : { ...headers, 'x-amz-function-error': 'Unhandled' }, body: outcome.payload };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all([...this.#functions.values()].map((d) => d.workers.close()));
  }

  /** Which limit a new invocation of `deployed` would exceed (the Reason of Lambda's 429), if any. */
  #limitReached(deployed: Deployed): string | undefined {
    const reserved = deployed.spec.reservedConcurrency;
    if (reserved !== undefined && deployed.stats.inFlight >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    if (reserved === undefined && this.#inFlight >= this.#accountConcurrency) return 'ConcurrentInvocationLimitExceeded';
    return undefined;
  }

  async #run(deployed: Deployed, requestId: string, payload: string) {
    const { stats, spec } = deployed;
    stats.invocations++;
    stats.inFlight++;
    this.#inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      return await deployed.workers.invoke(requestId, payload, spec.timeoutSeconds * 1000);
    } finally {
      stats.inFlight--;
      this.#inFlight--;
      // A freed unit of the account's pool may serve any function's queued events.
      for (const other of this.#functions.values()) this.#drain(other);
    }
  }

  /** Runs queued asynchronous events while the function has free concurrency. */
  #drain(deployed: Deployed): void {
    while (!this.#closed && deployed.queue.length > 0 && !this.#limitReached(deployed)) {
      const event = deployed.queue.shift()!;
      void this.#run(deployed, event.requestId, event.payload).then((outcome) => {
        if (outcome.ok || this.#closed) return;
        const delays = this.#options.asyncRetryDelaysMs ?? [60_000, 120_000];
        const delay = delays[event.attempt - 1];
        const log = this.#options.log;
        const message =
          `asynchronous invocation failed (attempt ${event.attempt}): ` +
          `${outcome.payload.slice(0, 500)}${delay === undefined ? '' : `; retrying in ${delay / 1000}s`}`;
        if (log) log(deployed.spec.functionName, 'stderr', message);
        else process.stderr.write(`${message}\n`);
        if (delay === undefined) return;
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          deployed.queue.push({ ...event, attempt: event.attempt + 1 });
          this.#drain(deployed);
        }, delay);
        this.#timers.add(timer);
      });
    }
  }
}

/** The function name in an Invoke path: a name, a full or partial ARN, with an optional `:qualifier`. */
export function functionNameOf(name: string): string {
  const decoded = decodeURIComponent(name);
  const match = /^(?:arn:[^:]+:lambda:[^:]*:[^:]*:function:|[0-9]{12}:function:)?([^:]+)(?::[^:]+)?$/.exec(decoded);
  return match ? match[1]! : decoded;
}

function error(status: number, type: string, body: Record<string, unknown>, requestId: string): InvokeAnswer {
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': requestId }, body: JSON.stringify(body) };
}
