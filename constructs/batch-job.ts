/**
 * The AWS Batch job definition of one heavy definition: the public Node.js image (no image build, no Docker) or the
 * image given, the bootstrap command that fetches the app bundle and runs the definition, a valid Fargate
 * vCPU/memory pair (or EC2 with GPUs), the timeout, and logs in the app's Batch log group.
 */
import { Duration, type Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { batchLogStreamPrefix } from '../lib/naming.js';
import { FARGATE_SIZES } from '../lib/placement.js';
import { formatMiB } from '../lib/units/memory.js';
import { BATCH_IMAGE } from './batch-bootstrap.js';
import { SynthError } from './errors.js';

/** Batch refuses attempt timeouts under 60 seconds. */
const MIN_ATTEMPT = Duration.seconds(60);
/** The most GPUs one instance has. */
const MAX_GPUS = 8;

export interface BatchJobProps {
  /** The definition's name; errors and the log stream prefix name it. Required. */
  readonly definition: string;
  /** vCPUs of the container: on Fargate one of Fargate's sizes (0.25 to 16), with GPUs a whole number. Required. */
  readonly cpu: number;
  /** Memory of the container: on Fargate one Fargate allows with `cpu`. Required. */
  readonly memory: Size;
  /**
   * GPUs of the container, 1 to 8. A job with GPUs runs on EC2 (Fargate has none).
   *
   * @default - no GPUs: the job runs on Fargate
   */
  readonly gpu?: number;
  /** Longest an attempt may run; Batch's minimum is 60 seconds, so a shorter timeout becomes 60 seconds. Required. */
  readonly timeout: Duration;
  /**
   * Physical name of the job definition; the runtime submits jobs by it.
   *
   * @default - a name CloudFormation makes
   */
  readonly jobDefinitionName?: string;
  /** The container's command (the bootstrap that fetches and runs the bundle). Required. */
  readonly command: readonly string[];
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** What the container's code may do (the app's access). Required. */
  readonly jobRole: iam.IRole;
  /** What ECS needs to start the container (write its logs, read its secrets). Required. */
  readonly executionRole: iam.IRole;
  /**
   * Variables whose values ECS reads from Secrets Manager when the container starts (granted to the execution role by
   * each secret's `grantRead`); they are in the container only, never in the template.
   *
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, batch.Secret>>;
  /** Where the container's output goes. Required. */
  readonly logGroup: logs.ILogGroup;
  /**
   * Whether a Fargate container gets a public IP: needed in public subnets to reach the image registry and AWS APIs.
   *
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /**
   * The container image; it needs `node` 20 or newer on its PATH (the command is `node -e <bootstrap>`) and an
   * entrypoint that runs the command (or none).
   *
   * @default - the public Node.js image (BATCH_IMAGE)
   */
  readonly image?: ecs.ContainerImage;
  /**
   * Processor architecture of a Fargate container (GPU jobs run on x86_64 instances).
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
}

export class BatchJob extends Construct {
  readonly jobDefinition: batch.EcsJobDefinition;

  constructor(scope: Construct, id: string, props: BatchJobProps) {
    super(scope, id);
    const environment = props.environment ?? {};
    checkSize(this, props);
    checkOverrideBudget(this, props.definition, props.command, environment);
    const common = {
      image: props.image ?? ecs.ContainerImage.fromRegistry(BATCH_IMAGE),
      cpu: props.cpu,
      memory: props.memory,
      command: [...props.command],
      environment: { ...environment },
      jobRole: props.jobRole,
      executionRole: props.executionRole,
      ...(props.secrets && Object.keys(props.secrets).length > 0 ? { secrets: { ...props.secrets } } : {}),
      logging: ecs.LogDriver.awsLogs({ logGroup: props.logGroup, streamPrefix: batchLogStreamPrefix(props.definition) }),
    };
    const container =
      props.gpu === undefined
        ? new batch.EcsFargateContainerDefinition(this, 'Container', {
            ...common,
            assignPublicIp: props.assignPublicIp ?? false,
            fargatePlatformVersion: ecs.FargatePlatformVersion.LATEST,
            fargateCpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
          })
        : new batch.EcsEc2ContainerDefinition(this, 'Container', { ...common, gpu: props.gpu });
    const timeout = props.timeout.toSeconds() < MIN_ATTEMPT.toSeconds() ? MIN_ATTEMPT : props.timeout;
    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      ...(props.jobDefinitionName ? { jobDefinitionName: props.jobDefinitionName } : {}),
      container,
      timeout,
      // One attempt: the runtime owns retries (maxRetries), as it does on Lambda.
      retryAttempts: 1,
      propagateTags: true,
    });
  }
}

/** Fails, naming the definition, when Batch could not run the container's size. */
function checkSize(scope: Construct, props: BatchJobProps): void {
  const memoryMiB = props.memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (props.gpu === undefined) {
    const size = FARGATE_SIZES.find((s) => s.vcpu === props.cpu);
    if (!size?.memoryMiB.includes(memoryMiB)) {
      const pairs = FARGATE_SIZES.map((s) => `${s.vcpu} vCPU: ${formatMiB(s.memoryMiB[0]!)}..${formatMiB(s.memoryMiB.at(-1)!)}`).join('; ');
      throw new SynthError(`Fargate cannot run ${props.cpu} vCPU with ${formatMiB(memoryMiB)}; valid pairs: ${pairs}.`, scope, props.definition);
    }
    return;
  }
  if (!Number.isInteger(props.cpu) || props.cpu < 1) {
    throw new SynthError(`EC2 jobs take a whole number of vCPUs (at least 1), got ${props.cpu}.`, scope, props.definition);
  }
  if (!Number.isInteger(memoryMiB) || memoryMiB < 1) {
    throw new SynthError(`EC2 jobs take a whole number of MiB of memory, got ${memoryMiB} MiB.`, scope, props.definition);
  }
  if (!Number.isInteger(props.gpu) || props.gpu < 1 || props.gpu > MAX_GPUS) {
    throw new SynthError(`a job can use 1 to ${MAX_GPUS} GPUs (the most one instance has), got ${props.gpu}.`, scope, props.definition);
  }
}

/** ECS RunTask: "A total of 8192 characters are allowed for overrides", JSON formatting included. */
const ECS_OVERRIDE_LIMIT = 8192;
/** What Batch and the runtime add per job: AWS_BATCH_* variables, the run id, attempt, slot, task, map offset. */
const PER_JOB_VARIABLES_CHARS = 1200;
/** A value not known at synth (a bucket name token) counts as the longest it can be. */
const TOKEN_CHARS = 64;

/**
 * Batch starts each job's container with ECS overrides holding its command and environment; over 8,192 characters the
 * job goes FAILED at start ("Container Overrides length must be at most 8192"). Fails the synth instead.
 */
export function checkOverrideBudget(scope: Construct, definition: string, command: readonly string[], environment: Readonly<Record<string, string>>): void {
  const concrete = (value: string) => (Token.isUnresolved(value) ? 'x'.repeat(TOKEN_CHARS) : value);
  const overrides = { command: command.map(concrete), environment: Object.entries(environment).map(([name, value]) => ({ name, value: concrete(value) })) };
  const chars = JSON.stringify(overrides).length + PER_JOB_VARIABLES_CHARS;
  if (chars > ECS_OVERRIDE_LIMIT) {
    throw new SynthError(
      `its container command and environment come to about ${chars} characters with the variables Batch and the runtime add to each job, ` +
        `over the ${ECS_OVERRIDE_LIMIT} ECS allows for a container's overrides (the job would fail at start); shorten its environment (overrides.environment).`,
      scope,
      definition,
    );
  }
}
