/**
 * One Lambda function running the app bundle's handler: the newest Node.js runtime aws-cdk-lib offers, the memory
 * and timeout given, its own log group with a retention, and a role given by the caller (no AWS managed policies).
 * Lambda's own retries of asynchronous invocations are off: the runtime owns retries (`maxRetries`).
 */
import { type Duration, RemovalPolicy, type Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { lambdaLogGroup } from '../lib/naming.js';
import { LAMBDA_LIMITS } from '../lib/placement.js';
import { SynthError } from './errors.js';

/** The newest Node.js runtime of aws-cdk-lib 2.276 (cdk-nag AwsSolutions-L1 checks for it). Set explicitly, never NODEJS_LATEST. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** `app.mjs` exports `handler`. */
export const LAMBDA_HANDLER = 'app.handler';

export interface AppFunctionProps {
  /** Physical name of the function; the runtime finds the function by it. Required. */
  readonly functionName: string;
  /** The app bundle folder, as one shared `Code` so every function uses one asset. Required. */
  readonly code: lambda.Code;
  /**
   * Memory of the function, in whole MiB from 128 MiB to 10,240 MiB (Lambda gives CPU in proportion: 1,769 MiB is one
   * vCPU). Required.
   */
  readonly memory: Size;
  /** Longest an invocation may run, in whole seconds from 1 second to 15 minutes. Required. */
  readonly timeout: Duration;
  /** The execution role; it must be allowed to write the function's logs. Required. */
  readonly role: iam.IRole;
  /**
   * Environment variables of the function.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Processor architecture; the bundle is plain JavaScript, so either works.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Receives asynchronous invocations that failed for good (the role must be allowed to send to it).
   *
   * @default - no dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Lambda reserved concurrency: the most invocations at once, taken from the account's pool.
   *
   * @default - no reservation (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Description of the function.
   *
   * @default - none
   */
  readonly description?: string;
}

export class AppFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const memoryMiB = props.memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!Number.isInteger(memoryMiB) || memoryMiB < LAMBDA_LIMITS.minMemoryMB || memoryMiB > LAMBDA_LIMITS.maxMemoryMB) {
      throw new SynthError(
        `memory must be a whole number of MiB from ${LAMBDA_LIMITS.minMemoryMB} to ${LAMBDA_LIMITS.maxMemoryMB} (Lambda's range), got ${memoryMiB} MiB.`,
        this,
      );
    }
    const timeoutSeconds = props.timeout.toSeconds({ integral: false });
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > LAMBDA_LIMITS.maxTimeoutSeconds) {
      throw new SynthError(`timeout must be whole seconds from 1 second to 15 minutes (Lambda's range), got ${props.timeout.toHumanString()}.`, this);
    }
    // Lambda's default log group name, so the console's links work; deleted with the stack so a redeploy can recreate it.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: lambdaLogGroup(props.functionName),
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      code: props.code,
      memorySize: memoryMiB,
      timeout: props.timeout,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      role: props.role,
      environment: { ...props.environment },
      logGroup: this.logGroup,
      retryAttempts: 0,
      ...(props.deadLetterQueue ? { deadLetterQueueEnabled: true, deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.description ? { description: props.description } : {}),
    });
  }
}
