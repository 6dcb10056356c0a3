/**
 * One Lambda function running the app bundle's handler: the newest Node.js runtime aws-cdk-lib offers, memory and
 * timeout from the manifest, its own log group with a retention, and a role given by the caller (no AWS managed
 * policies). Lambda's own retries of asynchronous invocations are off: the runtime owns retries (`maxRetries`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { lambdaLogGroup } from '../lib/naming.js';

/** The newest Node.js runtime of aws-cdk-lib 2.276 (cdk-nag AwsSolutions-L1 checks for it). Set explicitly, never NODEJS_LATEST. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** `app.mjs` exports `handler`. */
export const LAMBDA_HANDLER = 'app.handler';

export interface AppFunctionProps {
  readonly functionName: string;
  /** The app bundle folder, as one shared `Code` so every function uses one asset. */
  readonly code: lambda.Code;
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
  readonly role: iam.IRole;
  readonly environment: Readonly<Record<string, string>>;
  /** Default ARM_64. */
  readonly architecture?: lambda.Architecture;
  /** Default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** Receives asynchronous invocations that failed for good (the role must be allowed to send to it). */
  readonly deadLetterQueue?: sqs.IQueue;
  readonly reservedConcurrentExecutions?: number;
  readonly description?: string;
}

export class AppFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
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
      memorySize: props.memoryMB,
      timeout: Duration.seconds(props.timeoutSeconds),
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
