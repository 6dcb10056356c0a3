/**
 * Worker threads of one local Lambda function: warm workers are reused; a new one starts (a cold start: it imports
 * the bundle) while the function has fewer than its cap. Beyond the cap, invocations share workers, so a machine
 * with a few cores can run a function with `maxConcurrency` 100 without 100 copies of the app in memory; the
 * concurrency limit (429) is still counted per invocation, as Lambda counts it.
 *
 * An invocation's timeout counts from the end of the environment's init (importing the bundle), as in Lambda, where
 * init has its own limit of 10 seconds: an invocation that arrives while the worker still imports waits for it, and
 * its clock starts when the import is done or the 10 seconds have passed (then, as when Lambda repeats a failed init
 * within the invocation, what is left of the import counts against the timeout).
 *
 * A worker that timed out an invocation is retired: it takes no new work and is stopped once nothing else runs in
 * it (its user code may be stuck; Lambda would discard that environment too).
 *
 * Each worker is one execution environment for the function's logs: its own log stream, with each invocation's
 * START, output, END and REPORT lines (logs/lambda-logs.ts).
 */
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { LambdaErrorPayload } from '../../core/remote-error.js';
import type { FunctionLogWriter, InvocationReport } from '../logs/lambda-logs.js';
import { WORKER_SOURCE } from './worker-source.js';

export interface WorkerSpec {
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMB: number;
  /** Environment of the worker's `process.env`. */
  readonly env: Readonly<Record<string, string>>;
}

export type WorkerOutcome = { readonly ok: true; readonly payload: string } | { readonly ok: false; readonly payload: string };

export type LogSink = (functionName: string, stream: 'stdout' | 'stderr', line: string) => void;

/** Lambda's limit on an execution environment's init, after which invocations start their clocks anyway. */
export const INIT_LIMIT_MS = 10_000;

interface Pending {
  resolve(outcome: WorkerOutcome): void;
  timer: NodeJS.Timeout;
  /** When it was sent, for the REPORT of an invocation that never answered. */
  sentAt: number;
}

/** What the worker measures of an invocation (worker-source.ts). */
type WorkerReport = Pick<InvocationReport, 'durationMs' | 'maxMemoryUsedMB' | 'initMs'>;

/** What the worker is sent for an invocation (worker-source.ts). */
interface Invocation {
  readonly id: string;
  readonly requestId: string;
  readonly payload: string;
  /** Epoch ms: the context's remaining time counts down to it. */
  readonly deadline: number;
}

class LambdaWorker {
  readonly worker: Worker;
  readonly pending = new Map<string, Pending>();
  /** Invocations not yet sent: they leave together at the end of this turn of the event loop. */
  #outbox: Invocation[] = [];
  retired = false;
  exited = false;
  /** Whether init is over (or its limit passed): until then invocations wait, their clocks not started. */
  #ready = false;
  #waiting: Array<() => void> = [];
  readonly #initLimit: NodeJS.Timeout;

  /** This environment's log stream (when the function's logs go to CloudWatch Logs). */
  readonly logStream: string | undefined;

  constructor(
    bundle: string,
    readonly spec: WorkerSpec,
    log: LogSink,
    readonly logs: FunctionLogWriter | undefined,
    onExit: (self: LambdaWorker) => void,
  ) {
    this.logStream = logs?.newStream();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: { ...spec.env },
      workerData: { bundle, functionName: spec.functionName, functionArn: spec.functionArn, memoryMB: spec.memoryMB },
      stdout: true,
      stderr: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.worker[stream] }).on('line', (line) => {
        log(spec.functionName, stream, line);
        if (this.logStream) logs!.line(this.logStream, line);
      });
    }
    this.#initLimit = setTimeout(() => this.#initOver(), INIT_LIMIT_MS);
    this.#initLimit.unref();
    // Replies come as arrays (worker-source.ts); `{ ready: true }` says init is over.
    this.worker.on('message', (replies: Array<{ id: string; ok: boolean; payload: string; report?: WorkerReport }> | { ready: true }) => {
      if (!Array.isArray(replies)) return this.#initOver();
      for (const reply of replies) {
        const pending = this.pending.get(reply.id);
        if (!pending) continue; // timed out before: the late answer is dropped, as Lambda drops it.
        this.pending.delete(reply.id);
        clearTimeout(pending.timer);
        // The invocation's lines are in before it answers: its output reached us ahead of this reply.
        this.#ended(reply.id, { durationMs: Date.now() - pending.sentAt, ...reply.report, ...(reply.ok ? {} : { error: reply.payload }) });
        pending.resolve(reply.ok ? { ok: true, payload: reply.payload } : { ok: false, payload: reply.payload });
      }
      this.stopIfDone();
    });
    const fail = (reason: string) => {
      this.exited = true;
      this.#initOver();
      for (const [requestId, pending] of this.pending) {
        clearTimeout(pending.timer);
        const payload = JSON.stringify({
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited ${reason}`,
        } satisfies LambdaErrorPayload);
        this.#ended(requestId, { durationMs: Date.now() - pending.sentAt, error: payload });
        pending.resolve({ ok: false, payload });
      }
      this.pending.clear();
      onExit(this);
    };
    this.worker.on('error', (error) => fail(`with error: ${error.message}`));
    this.worker.on('exit', (code) => {
      if (!this.exited) fail(`with exit status ${code}`);
      else onExit(this);
    });
  }

  invoke(requestId: string, payload: string, timeoutMs: number, log: LogSink, functionName: string): Promise<WorkerOutcome> {
    if (this.logStream) this.logs!.start(this.logStream, requestId);
    return new Promise((resolve) => {
      if (this.#ready) this.#start(requestId, payload, timeoutMs, log, functionName, resolve);
      else this.#waiting.push(() => this.#start(requestId, payload, timeoutMs, log, functionName, resolve));
    });
  }

  #initOver(): void {
    if (this.#ready) return;
    this.#ready = true;
    clearTimeout(this.#initLimit);
    for (const start of this.#waiting.splice(0)) start();
  }

  /** Starts an invocation's clock and sends it. */
  #start(requestId: string, payload: string, timeoutMs: number, log: LogSink, functionName: string, resolve: (outcome: WorkerOutcome) => void): void {
    if (this.exited) {
      const error = { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited before the invocation started` };
      this.#ended(requestId, { durationMs: 0, error: JSON.stringify(error) });
      resolve({ ok: false, payload: JSON.stringify(error satisfies LambdaErrorPayload) });
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(requestId);
      this.retired = true;
      log(functionName, 'stderr', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (request ${requestId})`);
      this.#ended(requestId, { durationMs: timeoutMs, timedOutAfterSeconds: timeoutMs / 1000 });
      resolve({
        ok: false,
        payload: JSON.stringify({
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        } satisfies LambdaErrorPayload),
      });
      this.stopIfDone();
    }, timeoutMs);
    this.pending.set(requestId, { resolve, timer, sentAt: Date.now() });
    this.#send({ id: requestId, requestId, payload, deadline: Date.now() + timeoutMs });
  }

  /**
   * Sends an invocation to the worker with the others sent in this turn of the event loop: one message per batch (a
   * message's cost is mostly its own, not its size), so a burst of small calls does not pay it per call.
   */
  #send(message: Invocation): void {
    if (this.#outbox.length === 0) {
      setImmediate(() => {
        const batch = this.#outbox;
        this.#outbox = [];
        if (!this.exited) this.worker.postMessage(batch);
      });
    }
    this.#outbox.push(message);
  }

  /** The invocation's END and REPORT lines. */
  #ended(requestId: string, report: Omit<InvocationReport, 'memoryMB'>): void {
    if (this.logStream) this.logs!.end(this.logStream, requestId, { ...report, memoryMB: this.spec.memoryMB });
  }

  stopIfDone(): void {
    if (this.retired && this.pending.size === 0 && !this.exited) {
      this.exited = true;
      void this.worker.terminate();
    }
  }
}

export class FunctionWorkers {
  readonly #workers: LambdaWorker[] = [];
  #bundle: string;

  constructor(
    bundle: string,
    readonly spec: WorkerSpec,
    readonly cap: number,
    readonly log: LogSink,
    readonly logs?: FunctionLogWriter,
  ) {
    this.#bundle = bundle;
  }

  /** Runs one invocation; `requestId` is its id in the Invoke response and in its log lines, as in Lambda. */
  invoke(requestId: string, payload: string, timeoutMs: number): Promise<WorkerOutcome> {
    return this.#pick().invoke(requestId, payload, timeoutMs, this.log, this.spec.functionName);
  }

  /** New invocations use `bundle`; workers of the old one stop once idle. */
  replaceBundle(bundle: string): void {
    this.#bundle = bundle;
    for (const worker of this.#workers) {
      worker.retired = true;
      worker.stopIfDone();
    }
    this.#workers.length = 0;
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  get size(): number {
    return this.#workers.length;
  }

  #pick(): LambdaWorker {
    const live = this.#workers.filter((w) => !w.retired && !w.exited);
    const idle = live.find((w) => w.pending.size === 0);
    if (idle) return idle;
    if (live.length < this.cap) {
      const worker = new LambdaWorker(this.#bundle, this.spec, this.log, this.logs, (gone) => {
        const index = this.#workers.indexOf(gone);
        if (index >= 0) this.#workers.splice(index, 1);
      });
      this.#workers.push(worker);
      return worker;
    }
    return live.reduce((least, w) => (w.pending.size < least.pending.size ? w : least));
  }
}
