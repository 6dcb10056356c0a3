/**
 * The Batch side of an app: the compute (BatchCompute), the bundle as an S3 asset the containers fetch, their log
 * group and roles, one job definition per heavy definition, and the EventBridge rule that sends the queues' job
 * state changes to the runtime (the dispatcher Lambda), so a run whose container died ends FAILED.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ManifestDefinition } from '../lib/manifest.js';
import type { ResourceNames } from '../lib/naming.js';
import type { BatchCompute as BatchComputeSpec } from '../lib/placement.js';
import { batchCommand, batchEnvironment, batchEventPattern } from './batch-bootstrap.js';
import { BatchCompute } from './batch-compute.js';
import { BatchJob } from './batch-job.js';
import { SynthError } from './errors.js';
import { gpuInstanceClasses } from './gpu.js';

export interface AppBatchProps {
  readonly appName: string;
  readonly names: ResourceNames;
  /** The Batch-placed definitions. */
  readonly definitions: readonly ManifestDefinition[];
  /** The bundle file (`app.mjs`). */
  readonly bundleFile: string;
  /** The app's permissions, for the containers' code. */
  readonly accessPolicy: iam.IManagedPolicy;
  /** The runtime's variables (app, prefix, bucket); each job definition adds its own. */
  readonly environment: Readonly<Record<string, string>>;
  /** Extra variables per definition name. */
  readonly extraEnvironment: (definition: string) => Readonly<Record<string, string>> | undefined;
  /** Receives the queues' job state changes. */
  readonly stateChangeTarget: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly maxvCpus: number;
  readonly runnableTimeout?: Duration;
  readonly logRetention: logs.RetentionDays;
}

export class AppBatch extends Construct {
  readonly compute: BatchCompute;
  readonly jobDefinitions: Readonly<Record<string, batch.EcsJobDefinition>>;
  /** What the containers' code may do: the app's access, and reading the bundle. */
  readonly jobRole: iam.Role;

  constructor(scope: Construct, id: string, props: AppBatchProps) {
    super(scope, id);
    for (const definition of props.definitions) {
      const { vcpu } = definition.compute as BatchComputeSpec;
      if (vcpu > props.maxvCpus) {
        throw new SynthError(
          `asks for ${vcpu} vCPUs, but batch.maxvCpus is ${props.maxvCpus}: the job could never start. Raise batch.maxvCpus.`,
          definition.name,
        );
      }
    }
    const gpuClasses = gpuInstanceClasses(props.definitions);
    this.compute = new BatchCompute(this, 'Compute', {
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      jobQueueName: props.names.jobQueue,
      gpuJobQueueName: props.names.gpuJobQueue,
      maxvCpus: props.maxvCpus,
      ...(props.runnableTimeout ? { runnableTimeout: props.runnableTimeout } : {}),
      ...(gpuClasses.length > 0 ? { gpuInstanceClasses: gpuClasses } : {}),
      logRetention: props.logRetention,
    });

    const bundle = new Asset(this, 'Bundle', { path: props.bundleFile });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.names.batchLogGroup,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Starts the containers of the multinode app ${props.appName}`,
    });
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `What the multinode app ${props.appName} may do from its Batch jobs`,
      managedPolicies: [props.accessPolicy],
    });
    // The bundle object itself, not the asset bucket (Asset.grantRead would allow wildcard actions).
    const bundleArn = `arn:${Stack.of(this).partition}:s3:::${bundle.s3BucketName}/${bundle.s3ObjectKey}`;
    this.jobRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadBundle', actions: ['s3:GetObject'], resources: [bundleArn] }));

    const jobDefinitions: Record<string, batch.EcsJobDefinition> = {};
    for (const definition of props.definitions) {
      jobDefinitions[definition.name] = new BatchJob(this, `Job-${definition.name}`, {
        definition: definition.name,
        compute: definition.compute as BatchComputeSpec,
        jobDefinitionName: props.names.batchJobDefinition(definition.name),
        command: batchCommand(),
        environment: { ...props.environment, ...batchEnvironment(bundle, definition.name), ...props.extraEnvironment(definition.name) },
        jobRole: this.jobRole,
        executionRole,
        logGroup,
        assignPublicIp: this.compute.assignPublicIp,
      }).jobDefinition;
    }
    this.jobDefinitions = jobDefinitions;

    const queues = [this.compute.jobQueue, ...(this.compute.gpuJobQueue ? [this.compute.gpuJobQueue] : [])];
    new events.Rule(this, 'JobStateChanges', {
      description: `Batch job state changes of the multinode app ${props.appName}, for its state table`,
      eventPattern: batchEventPattern(queues.map((q) => q.jobQueueArn)),
      targets: [
        new eventTargets.LambdaFunction(props.stateChangeTarget, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(2) }),
      ],
    });
  }
}

/** Whether a Batch-placed definition needs the GPU queue. */
export function needsGpu(definition: ManifestDefinition): boolean {
  return definition.compute?.type === 'batch' && definition.compute.platform === 'ec2';
}
