/**
 * Functions placed on Lambda: a call is a synchronous Invoke of the definition's Lambda function; a started run is
 * an asynchronous (`Event`) Invoke that executes the run recorded in the state table.
 *
 * - A 200 response with `FunctionError` is a failure (docs/aws-behaviour.md, "Lambda invoke results and errors"): the
 *   payload is the Node.js runtime's error JSON, re-raised as InvocationFailedError. An endpoint that cannot be
 *   reached is a failed attempt of type ConnectionError (the call may or may not have run), retried like any failure.
 * - Failures are retried up to `maxRetries` times with backoff while the call's deadline allows; a timeout is not
 *   retried (the time is spent). Throttling (429) is retried without counting as a failure.
 * - Arguments and results over Lambda's 6 MB limit travel through S3 (payloads.ts).
 */
import type { InvokeCommand, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { WireValue } from '../../lib/codec.js';
import { InvocationFailedError } from '../../lib/errors.js';
import type { RemoteErrorInfo } from '../../lib/handles.js';
import type { FunctionManifest } from '../../lib/manifest.js';
import { awsErrorName, explainMissing } from '../core/aws-errors.js';
import { clientConfig } from '../core/clients.js';
import type { RuntimeContext } from '../core/context.js';
import type { CallEvent, CallResponse, RunEvent } from '../core/envelope.js';
import { ENVELOPE_MARGIN, SYNC_PAYLOAD_LIMIT, type PayloadRef } from '../core/payloads.js';
import { fromLambdaError, REMOTE_TYPES } from '../core/remote-error.js';
import { lambdaSdk } from '../core/sdk-modules.js';
import { backoffDelay, sleep } from '../core/retry.js';
import type { CallOptions, FunctionInvoker } from './invoker.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How much longer than the function's timeout a synchronous invoke may take before the client gives up on it. */
const REQUEST_TIMEOUT_MARGIN_MS = 60_000;

/** Error names of throttling responses: retried without counting as a failure. */
const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'EC2ThrottledException']);

type LambdaSdkParts = { readonly InvokeCommand: typeof InvokeCommand; readonly client: LambdaClient };

export class LambdaInvoker implements FunctionInvoker {
  readonly #context: RuntimeContext;
  readonly #name: string;
  readonly #functionName: string;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #requestTimeoutMs: number;
  /**
   * The SDK's InvokeCommand and the invoker's own client, whose request timeout outlasts the function's (a connection
   * that hangs cannot hang the call); made at the first invoke (sdk-modules.ts).
   */
  #lambda: Promise<LambdaSdkParts> | undefined;
  /** The same, once made. */
  #ready: LambdaSdkParts | undefined;

  constructor(context: RuntimeContext, definition: FunctionManifest) {
    this.#context = context;
    this.#name = definition.name;
    this.#functionName = context.names.lambdaFunction(definition.name);
    this.#maxRetries = definition.options.maxRetries;
    this.#timeoutMs = definition.options.timeoutSeconds * 1000;
    this.#requestTimeoutMs = this.#timeoutMs + REQUEST_TIMEOUT_MARGIN_MS;
  }

  async call(args: WireValue, options: CallOptions = {}): Promise<WireValue> {
    const { clock, tuning, payloads } = this.#context;
    const deadline = clock() + this.#timeoutMs;
    const argsJson = JSON.stringify(args);
    const argsRef = Buffer.byteLength(argsJson, 'utf8') > SYNC_PAYLOAD_LIMIT - ENVELOPE_MARGIN ? await payloads.putCall(argsJson) : undefined;
    let throttles = 0;
    try {
      for (let attempt = 1; ; ) {
        const event: CallEvent = { multinode: 'call', function: this.#name, ...(argsRef ? { argsRef } : { args }), deadline, attempt };
        const outcome = await this.#invoke(
          argsRef
            ? JSON.stringify(event)
            : `{"multinode":"call","function":${JSON.stringify(this.#name)},"args":${argsJson},"deadline":${deadline},"attempt":${attempt}}`,
        );
        if (outcome.kind === 'ok') return outcome.response.ref ? await this.#fetched(outcome.response.ref) : (outcome.response.value ?? null);
        if (outcome.kind === 'throttled') {
          if (clock() >= deadline) throw this.#failure({ type: REMOTE_TYPES.timeout, message: `${this.#name} was throttled until its deadline passed.` });
          await sleep(backoffDelay(++throttles, tuning.throttleBackoff), options.signal);
          continue;
        }
        const timedOut = outcome.error.type === REMOTE_TYPES.timeout || outcome.error.type === REMOTE_TYPES.lambdaTimeout;
        if (timedOut || attempt > this.#maxRetries || clock() >= deadline) throw this.#failure(outcome.error);
        await sleep(backoffDelay(attempt, tuning.retryBackoff), options.signal);
        attempt++;
      }
    } finally {
      if (argsRef) void payloads.delete(argsRef);
    }
  }

  async startRun(id: string, slot: number, deadline: number, token?: string): Promise<{ batchJobId?: string }> {
    const event: RunEvent = { multinode: 'run', function: this.#name, id, slot, ...(token ? { token } : {}) };
    const payload = encoder.encode(JSON.stringify(event));
    const { InvokeCommand, client } = await this.#sdk();
    for (let throttles = 1; ; throttles++) {
      try {
        await client.send(new InvokeCommand({ FunctionName: this.#functionName, InvocationType: 'Event', Payload: payload }));
        return {};
      } catch (error) {
        if (!THROTTLES.has(awsErrorName(error) ?? '')) explainMissing(error, `The Lambda function "${this.#functionName}" of function "${this.#name}"`);
        // Throttled: again after a pause, but not past the run's deadline (the gate's pump waits for this).
        const pause = backoffDelay(throttles, this.#context.tuning.throttleBackoff);
        if (this.#context.clock() + pause >= deadline)
          throw new Error(`${this.#name} run ${id}: Lambda throttled its start until its deadline passed (${awsErrorName(error)}).`, { cause: error });
        await sleep(pause);
      }
    }
  }

  async #invoke(payload: string): Promise<{ kind: 'ok'; response: CallResponse } | { kind: 'failed'; error: RemoteErrorInfo } | { kind: 'throttled' }> {
    let output: InvokeCommandOutput;
    // After the first invoke the client is at hand: no await (a call's own cost matters in a map of many).
    const { InvokeCommand, client } = this.#ready ?? (await this.#sdk());
    try {
      output = await client.send(new InvokeCommand({ FunctionName: this.#functionName, Payload: encoder.encode(payload) }));
    } catch (error) {
      const name = awsErrorName(error) ?? 'Error';
      if (THROTTLES.has(name)) return { kind: 'throttled' };
      if (name === 'ResourceNotFoundException') explainMissing(error, `The Lambda function "${this.#functionName}" of function "${this.#name}"`);
      if (name === 'RequestTooLargeException') throw error;
      // The request may or may not have run: count it as a failed attempt.
      return { kind: 'failed', error: { type: name, message: `invoking ${this.#functionName} failed: ${(error as Error).message}` } };
    }
    const text = output.Payload ? decoder.decode(output.Payload) : '';
    if (output.FunctionError) return { kind: 'failed', error: fromLambdaError(text) };
    return { kind: 'ok', response: JSON.parse(text) as CallResponse };
  }

  #sdk() {
    this.#lambda ??= lambdaSdk().then((sdk) => {
      this.#ready = {
        InvokeCommand: sdk.InvokeCommand,
        client: new sdk.LambdaClient(clientConfig(this.#context.config, 'lambda', { maxAttempts: 1, requestTimeoutMs: this.#requestTimeoutMs })),
      };
      return this.#ready;
    });
    return this.#lambda;
  }

  /** A result too large to come back inline: read from S3, then deleted. */
  async #fetched(ref: PayloadRef): Promise<WireValue> {
    const text = await this.#context.payloads.get(ref);
    void this.#context.payloads.delete(ref);
    return JSON.parse(text) as WireValue;
  }

  #failure(error: RemoteErrorInfo): InvocationFailedError {
    return new InvocationFailedError(this.#name, error);
  }
}
