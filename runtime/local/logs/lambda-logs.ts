/**
 * What Lambda writes to a function's log group, locally: one stream per execution environment (a worker thread),
 * named as Lambda names them (`2024/01/01/[$LATEST]<32 hex digits>`); per invocation a `START` line, the function's
 * output line by line, an `END` line and a `REPORT` line with its duration, billed duration, memory and, on an
 * environment's first invocation, its init duration. A failed invocation also gets the Node.js runtime's
 * `Invoke Error` line, a timed-out one Lambda's `Task timed out` line and `Status: timeout` in its REPORT. These are
 * the function log group's lines in Lambda's Text log format, the format the constructs deploy
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).
 */
import { randomBytes } from 'node:crypto';
import { lambdaLogGroup } from '../../../lib/naming.js';
import type { LogDelivery } from './delivery.js';

/** What an invocation reports when it ends. */
export interface InvocationReport {
  /** The handler's run time, ms. */
  readonly durationMs: number;
  readonly memoryMB: number;
  /** Memory the environment used at most, MB (locally: the worker thread's heap). */
  readonly maxMemoryUsedMB?: number;
  /** The environment's init (importing the bundle), on its first invocation only, ms. */
  readonly initMs?: number;
  /** The handler failed: the Node.js runtime's error JSON (`errorType`, `errorMessage`, `trace`). */
  readonly error?: string;
  /** The invocation was stopped at the function's timeout, seconds. */
  readonly timedOutAfterSeconds?: number;
}

/** The log lines of one function's invocations (`FunctionWorkers` calls it). */
export interface FunctionLogWriter {
  /** A new execution environment's stream name. */
  newStream(): string;
  start(stream: string, requestId: string): void;
  /** A line the function wrote (stdout or stderr). */
  line(stream: string, text: string): void;
  /** Writes the END and REPORT lines (put with the stream's others in the delivery's next batch). */
  end(stream: string, requestId: string, report: InvocationReport): void;
}

export function functionLogWriter(delivery: LogDelivery, functionName: string, clock: () => number = Date.now): FunctionLogWriter {
  const group = lambdaLogGroup(functionName);
  return {
    newStream() {
      const day = new Date(clock()).toISOString().slice(0, 10).replace(/-/g, '/');
      return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    },
    start(stream, requestId) {
      delivery.push(group, stream, `START RequestId: ${requestId} Version: $LATEST`);
    },
    line(stream, text) {
      delivery.push(group, stream, text);
    },
    end(stream, requestId, report) {
      if (report.timedOutAfterSeconds !== undefined) {
        const seconds = report.timedOutAfterSeconds.toFixed(2);
        delivery.push(group, stream, `${new Date(clock()).toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
      } else if (report.error !== undefined) {
        delivery.push(group, stream, `${new Date(clock()).toISOString()}\t${requestId}\tERROR\tInvoke Error \t${invokeError(report.error)}`);
      }
      delivery.push(group, stream, `END RequestId: ${requestId}`);
      delivery.push(group, stream, reportLine(requestId, report));
    },
  };
}

/** `REPORT RequestId: …<TAB>Duration: 12.34 ms<TAB>Billed Duration: 13 ms<TAB>Memory Size: 128 MB<TAB>Max Memory Used: 70 MB…` */
export function reportLine(requestId: string, report: InvocationReport): string {
  // Billed in whole milliseconds, rounded up; an environment's init is billed with its first invocation.
  const billed = Math.ceil(report.durationMs + (report.initMs ?? 0));
  const fields = [
    `REPORT RequestId: ${requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billed} ms`,
    `Memory Size: ${report.memoryMB} MB`,
    `Max Memory Used: ${Math.ceil(report.maxMemoryUsedMB ?? 0)} MB`,
    ...(report.initMs !== undefined ? [`Init Duration: ${report.initMs.toFixed(2)} ms`] : []),
    ...(report.timedOutAfterSeconds !== undefined ? ['Status: timeout'] : []),
  ];
  return fields.join('\t');
}

/** The runtime's error JSON as its `Invoke Error` line shows it (`stack` for the payload's `trace`). */
function invokeError(payload: string): string {
  try {
    const { errorType, errorMessage, trace } = JSON.parse(payload) as { errorType?: string; errorMessage?: string; trace?: string[] };
    return JSON.stringify({ errorType, errorMessage, stack: trace ?? [] });
  } catch {
    return payload;
  }
}
