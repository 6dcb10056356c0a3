/**
 * The Batch side of an app: the compute (BatchCompute), the bundle as an S3 asset the containers fetch, their log
 * group and roles, one job definition per heavy definition, and the EventBridge rule that sends the queues' job
 * state changes to the runtime (the dispatcher Lambda), so a run whose container died ends FAILED.
 *
 * The manifest's numbers (vCPUs, MiB, seconds) become the job definitions' `Size`s and `Duration`s here.
 */
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as batch from 'aws-cdk-lib/aws-batch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BatchPlaced } from '../lib/manifest.js';
import type { ResourceNames } from '../lib/naming.js';
import { batchCommand, batchEnvironment, batchEventPattern } from './batch-bootstrap.js';
import { BatchCompute } from './batch-compute.js';
import { checkGpuImage, containerImage, pullsFromEcr } from './batch-image.js';
import { BatchJob } from './batch-job.js';
import { SynthError } from './errors.js';
import { gpuInstanceClasses, gpuJobMemoryMiB } from './gpu.js';
import { acknowledgeWildcards } from './nag.js';
import type { CpuArchitecture } from './native-assets.js';

export interface AppBatchProps {
  /** The app's name, for descriptions. Required. */
  readonly appName: string;
  /** The app's physical names (job definitions, queues, log group). Required. */
  readonly names: ResourceNames;
  /** The Batch-placed definitions of the manifest. Required. */
  readonly definitions: readonly BatchPlaced[];
  /**
   * The file the containers download and run: the app bundle's archive (a gzipped tar of `app.mjs`, its chunks and
   * source maps; constructs/native-assets.ts), or a bundle in one file. Required.
   */
  readonly bundleFile: string;
  /**
   * The file containers on an architecture download instead of `bundleFile`: for an app with native modules, an
   * archive of the bundle with its node_modules for that architecture (constructs/native-assets.ts). It is given the
   * definitions that run there, for its errors.
   *
   * @default - `bundleFile` on every architecture
   */
  readonly bundleFor?: (architecture: CpuArchitecture, definitions: readonly string[]) => string;
  /**
   * Processor architecture of the Fargate containers (GPU jobs run on x86_64 instances).
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly architecture?: ecs.CpuArchitecture;
  /**
   * The folder that `image` options naming a folder (`./images/gpu`) are relative to: the app's folder.
   *
   * @default - the working directory
   */
  readonly appDir?: string;
  /** The app's permissions, for the containers' code. Required. */
  readonly accessPolicy: iam.IManagedPolicy;
  /** The runtime's variables (app, prefix, bucket); each job definition adds its own. Required. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Extra variables per definition name.
   *
   * @default - none
   */
  readonly extraEnvironment?: (definition: string) => Readonly<Record<string, string>> | undefined;
  /**
   * Container secrets per definition name (variable name to secret): ECS reads them when the container starts, with
   * an execution role of that job definition's own, allowed to read exactly them.
   *
   * @default - none
   */
  readonly containerSecrets?: (definition: string) => Readonly<Record<string, batch.Secret>> | undefined;
  /** Receives the queues' job state changes (the app's dispatcher). Required. */
  readonly stateChangeTarget: lambda.IFunction;
  /** Receives job state changes the target could not take. Required. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Where jobs run.
   *
   * @default - a new VPC with public subnets and no NAT gateway
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the jobs; they need a route out (isolated subnets are refused).
   *
   * @default - the VPC's private subnets with egress when it has some, else its public subnets (with a public IP)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * vCPUs running at once per compute environment; every definition must fit in it.
   *
   * @default 256
   */
  readonly maxvCpus?: number;
  /**
   * How long a job may wait in RUNNABLE for capacity before it is cancelled.
   *
   * @default Duration.minutes(30)
   */
  readonly runnableTimeout?: Duration;
  /**
   * Retention of the containers' log group (and of the flow log of a VPC made here).
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The KMS key of the CDK asset bucket the bundle is in, for an account bootstrapped with a customer key; the job
   * role gets `kms:Decrypt` on it, through S3 only.
   *
   * @default - no key
   */
  readonly assetBucketKey?: kms.IKey;
}

export class AppBatch extends Construct {
  readonly compute: BatchCompute;
  readonly jobDefinitions: Readonly<Record<string, batch.EcsJobDefinition>>;
  /** What the containers' code may do: the app's access, and reading the bundle. */
  readonly jobRole: iam.Role;
  /** The bundle's archive (with its native modules, if any) as an S3 asset, for the first architecture used. */
  readonly bundle: Asset;
  /** The downloads by processor architecture (one for each architecture the app's containers run on). */
  readonly bundles: Readonly<Partial<Record<CpuArchitecture, Asset>>>;

  constructor(scope: Construct, id: string, props: AppBatchProps) {
    super(scope, id);
    const maxvCpus = props.maxvCpus ?? 256;
    this.checkSizes(props.definitions, maxvCpus);
    for (const definition of props.definitions) checkGpuImage(this, definition);
    const architecture = props.architecture?._cpuArchitecture;
    if (architecture !== undefined && architecture !== 'X86_64' && architecture !== 'ARM64') {
      throw new SynthError(`batch.architecture must be ecs.CpuArchitecture.X86_64 or ARM64 (what Fargate runs), got ${architecture}.`, this);
    }
    this.compute = this.createCompute(props, maxvCpus);
    this.bundles = this.createBundles(props);
    this.bundle = Object.values(this.bundles)[0]!;
    const logGroup = this.createLogGroup(props);
    const executionRole = this.createExecutionRole(props.appName, 'ExecutionRole');
    this.jobRole = this.createJobRole(props);
    this.jobDefinitions = this.createJobDefinitions(props, { executionRole, logGroup });
    this.sendStateChanges(props);
  }

  /** Where a definition's containers run: GPU instances are x86_64; Fargate takes the app's architecture. */
  private architectureOf(definition: BatchPlaced, props: AppBatchProps): CpuArchitecture {
    if (definition.compute.platform === 'ec2') return 'x86_64';
    return props.architecture?._cpuArchitecture === ecs.CpuArchitecture.ARM64._cpuArchitecture ? 'arm64' : 'x86_64';
  }

  /** One download per architecture in use: the bundle, or its archive with the native modules built for it. */
  private createBundles(props: AppBatchProps): Partial<Record<CpuArchitecture, Asset>> {
    const bundles: Partial<Record<CpuArchitecture, Asset>> = {};
    for (const architecture of ['x86_64', 'arm64'] as const) {
      const definitions = props.definitions.filter((d) => this.architectureOf(d, props) === architecture).map((d) => d.name);
      if (definitions.length === 0) continue;
      const file = props.bundleFor?.(architecture, definitions) ?? props.bundleFile;
      // The first keeps the id of the single bundle of an app without native modules, so its template is unchanged.
      bundles[architecture] = new Asset(this, Object.keys(bundles).length === 0 ? 'Bundle' : `Bundle-${architecture}`, { path: file });
    }
    return bundles;
  }

  /** Every definition must fit in a compute environment, or its jobs would wait forever. */
  private checkSizes(definitions: readonly BatchPlaced[], maxvCpus: number): void {
    for (const definition of definitions) {
      const { vcpu } = definition.compute;
      if (vcpu > maxvCpus) {
        throw new SynthError(
          `asks for ${vcpu} vCPUs, but batch.maxvCpus is ${maxvCpus}: the job could never start. Raise batch.maxvCpus.`,
          this,
          definition.name,
        );
      }
    }
  }

  private createCompute(props: AppBatchProps, maxvCpus: number): BatchCompute {
    const gpuClasses = gpuInstanceClasses(this, props.definitions);
    return new BatchCompute(this, 'Compute', {
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      jobQueueName: props.names.jobQueue,
      gpuJobQueueName: props.names.gpuJobQueue,
      maxvCpus,
      ...(props.runnableTimeout ? { runnableTimeout: props.runnableTimeout } : {}),
      ...(gpuClasses.length > 0 ? { gpuInstanceClasses: gpuClasses } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
  }

  private createLogGroup(props: AppBatchProps): logs.LogGroup {
    return new logs.LogGroup(this, 'Logs', {
      logGroupName: props.names.batchLogGroup,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  private createExecutionRole(appName: string, id: string, definition?: string): iam.Role {
    return new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description:
        definition === undefined
          ? `Starts the containers of the multinode app ${appName}`
          : `Starts the containers of ${definition} of the multinode app ${appName}, reading its secrets`,
    });
  }

  /** The app's access, plus reading the bundle object itself (Asset.grantRead would allow wildcard actions on the bucket). */
  private createJobRole(props: AppBatchProps): iam.Role {
    const role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `What the multinode app ${props.appName} may do from its Batch jobs`,
      managedPolicies: [props.accessPolicy],
    });
    const bundleArns = Object.values(this.bundles).map((bundle) => `arn:${Stack.of(this).partition}:s3:::${bundle.s3BucketName}/${bundle.s3ObjectKey}`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadBundle', actions: ['s3:GetObject'], resources: bundleArns }));
    if (props.assetBucketKey) {
      // An object encrypted with a customer key needs kms:Decrypt besides s3:GetObject, or S3 refuses the download.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptBundle',
          actions: ['kms:Decrypt'],
          resources: [props.assetBucketKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    return role;
  }

  private createJobDefinitions(props: AppBatchProps, shared: { executionRole: iam.IRole; logGroup: logs.ILogGroup }): Record<string, batch.EcsJobDefinition> {
    const jobDefinitions: Record<string, batch.EcsJobDefinition> = {};
    for (const definition of props.definitions) {
      const secrets = props.containerSecrets?.(definition.name) ?? {};
      const withSecrets = Object.keys(secrets).length > 0;
      const architecture = this.architectureOf(definition, props);
      const image = containerImage(this, definition, architecture, props.appDir ?? process.cwd());
      // Secrets are read with the execution role: one per definition that has some, so each reads only its own.
      const executionRole = withSecrets ? this.createExecutionRole(props.appName, `ExecutionRole-${definition.name}`, definition.name) : shared.executionRole;
      if (image && pullsFromEcr(definition)) {
        acknowledgeWildcards(
          executionRole,
          ['*'],
          'ecr:GetAuthorizationToken, which a private ECR image pull needs, has no resource-level permissions; the pull itself is granted on the repository.',
        );
      }
      jobDefinitions[definition.name] = new BatchJob(this, `Job-${definition.name}`, {
        definition: definition.name,
        ...this.jobSize(definition),
        jobDefinitionName: props.names.batchJobDefinition(definition.name),
        command: batchCommand(),
        environment: { ...props.environment, ...batchEnvironment(this.bundles[architecture]!, definition.name), ...props.extraEnvironment?.(definition.name) },
        ...(image ? { image } : {}),
        ...(architecture === 'arm64' ? { cpuArchitecture: ecs.CpuArchitecture.ARM64 } : {}),
        jobRole: this.jobRole,
        ...shared,
        executionRole,
        ...(withSecrets ? { secrets } : {}),
        assignPublicIp: this.compute.assignPublicIp,
      }).jobDefinition;
    }
    return jobDefinitions;
  }

  /** The container size and timeout of a definition, from the manifest's numbers. */
  private jobSize(definition: BatchPlaced): { cpu: number; memory: Size; gpu?: number; timeout: Duration } {
    const compute = definition.compute;
    if (compute.platform === 'fargate' && compute.gpu) {
      throw new SynthError('Fargate has no GPUs; GPU definitions run on the EC2 environment.', this, definition.name);
    }
    return {
      cpu: compute.vcpu,
      memory: Size.mebibytes(gpuJobMemoryMiB(compute)),
      ...(compute.platform === 'ec2' ? { gpu: compute.gpu?.count ?? 1 } : {}),
      timeout: Duration.seconds(compute.timeoutSeconds),
    };
  }

  /** The queues' job state changes go to the runtime, so a run whose container died ends FAILED. */
  private sendStateChanges(props: AppBatchProps): void {
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
export function needsGpu(definition: BatchPlaced): boolean {
  return definition.compute?.type === 'batch' && definition.compute.platform === 'ec2';
}
