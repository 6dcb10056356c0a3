/**
 * Worker threads of one local Lambda function: warm workers are reused; a new one starts (a cold start: it imports
 * the bundle) while the function has fewer than its cap. Beyond the cap, invocations share workers, so a machine
 * with a few cores can run a function with `maxConcurrency` 100 without 100 copies of the app in memory; the
 * concurrency limit (429) is still counted per invocation, as Lambda counts it.
 *
 * A worker that timed out an invocation is retired: it takes no new work and is stopped once nothing else runs in
 * it (its user code may be stuck; Lambda would discard that environment too).
 *
 * Each worker is one execution environment for the function's logs: its own log stream, with each invocation's
 * START, output, END and REPORT lines (logs/lambda-logs.ts).
 */
import { randomUUID } from 'node:crypto';
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
    // Replies come as arrays (worker-source.ts).
    this.worker.on('message', (replies: Array<{ id: string; ok: boolean; payload: string; report?: WorkerReport }>) => {
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

  invoke(payload: string, timeoutMs: number, log: LogSink, functionName: string): Promise<WorkerOutcome> {
    const requestId = randomUUID();
    if (this.logStream) this.logs!.start(this.logStream, requestId);
    return new Promise((resolve) => {
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
    });
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

  invoke(payload: string, timeoutMs: number): Promise<WorkerOutcome> {
    return this.#pick().invoke(payload, timeoutMs, this.log, this.spec.functionName);
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
