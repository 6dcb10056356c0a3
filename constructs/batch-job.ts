/**
 * The AWS Batch job definition of one heavy definition: the public Node.js image (no image build, no Docker), the
 * bootstrap command that fetches the app bundle and runs the definition, a valid Fargate vCPU/memory pair (or EC2
 * with GPUs), the timeout, and logs in the app's Batch log group.
 */
import { Duration, Size, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FARGATE_SIZES, type BatchCompute as BatchComputeSpec } from '../lib/placement.js';
import { batchLogStreamPrefix } from '../lib/naming.js';
import { formatMiB } from '../lib/units/memory.js';
import { BATCH_IMAGE } from './batch-bootstrap.js';
import { SynthError } from './errors.js';

/** Batch refuses attempt timeouts under 60 seconds. */
const MIN_ATTEMPT_SECONDS = 60;

export interface BatchJobProps {
  /** The definition's name (errors name it). */
  readonly definition: string;
  readonly compute: BatchComputeSpec;
  readonly jobDefinitionName?: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** What the container's code may do (the app's access). */
  readonly jobRole: iam.IRole;
  /** What ECS needs to start the container (write its logs). */
  readonly executionRole: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  /** True when the job runs in public subnets (it needs a public IP to reach the image registry and AWS APIs). */
  readonly assignPublicIp: boolean;
}

export class BatchJob extends Construct {
  readonly jobDefinition: batch.EcsJobDefinition;

  constructor(scope: Construct, id: string, props: BatchJobProps) {
    super(scope, id);
    const { compute } = props;
    checkCompute(props.definition, compute);
    checkOverrideBudget(props.definition, props.command, props.environment);
    const common = {
      image: ecs.ContainerImage.fromRegistry(BATCH_IMAGE),
      cpu: compute.vcpu,
      memory: Size.mebibytes(compute.memoryMiB),
      command: [...props.command],
      environment: { ...props.environment },
      jobRole: props.jobRole,
      executionRole: props.executionRole,
      logging: ecs.LogDriver.awsLogs({ logGroup: props.logGroup, streamPrefix: batchLogStreamPrefix(props.definition) }),
    };
    const container =
      compute.platform === 'fargate'
        ? new batch.EcsFargateContainerDefinition(this, 'Container', {
            ...common,
            assignPublicIp: props.assignPublicIp,
            fargatePlatformVersion: ecs.FargatePlatformVersion.LATEST,
            fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
          })
        : new batch.EcsEc2ContainerDefinition(this, 'Container', { ...common, gpu: compute.gpu?.count ?? 1 });
    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      ...(props.jobDefinitionName ? { jobDefinitionName: props.jobDefinitionName } : {}),
      container,
      timeout: Duration.seconds(Math.max(MIN_ATTEMPT_SECONDS, compute.timeoutSeconds)),
      // One attempt: the runtime owns retries (maxRetries), as it does on Lambda.
      retryAttempts: 1,
      propagateTags: true,
    });
  }
}

/** Fails with the definition's name when Batch could not run the request (a manifest not made by this version, say). */
export function checkCompute(definition: string, compute: BatchComputeSpec): void {
  if (compute.platform === 'fargate') {
    if (compute.gpu) throw new SynthError('Fargate has no GPUs; GPU definitions run on the EC2 environment.', definition);
    const size = FARGATE_SIZES.find((s) => s.vcpu === compute.vcpu);
    if (!size?.memoryMiB.includes(compute.memoryMiB)) {
      const pairs = FARGATE_SIZES.map((s) => `${s.vcpu} vCPU: ${formatMiB(s.memoryMiB[0]!)}..${formatMiB(s.memoryMiB.at(-1)!)}`).join('; ');
      throw new SynthError(`Fargate cannot run ${compute.vcpu} vCPU with ${formatMiB(compute.memoryMiB)}; valid pairs: ${pairs}.`, definition);
    }
    return;
  }
  if (!Number.isInteger(compute.vcpu) || compute.vcpu < 1) {
    throw new SynthError(`EC2 jobs take a whole number of vCPUs (at least 1), got ${compute.vcpu}.`, definition);
  }
  if (compute.gpu && (!Number.isInteger(compute.gpu.count) || compute.gpu.count < 1 || compute.gpu.count > 8)) {
    throw new SynthError(`a job can use 1 to 8 GPUs (the most one instance has), got ${compute.gpu.count}.`, definition);
  }
}

/** ECS RunTask: "A total of 8192 characters are allowed for overrides", JSON included (aws-facts 69). */
const ECS_OVERRIDE_LIMIT = 8192;
/** What Batch and the runtime add per job: AWS_BATCH_* variables, the run id, attempt, slot, task, map offset. */
const PER_JOB_VARIABLES_CHARS = 1200;
/** A value not known at synth (a bucket name token) counts as the longest it can be. */
const TOKEN_CHARS = 64;

/**
 * Batch starts each job's container with ECS overrides holding its command and environment; over 8,192 characters the
 * job goes FAILED at start ("Container Overrides length must be at most 8192"). Fails the synth instead.
 */
export function checkOverrideBudget(definition: string, command: readonly string[], environment: Readonly<Record<string, string>>): void {
  const concrete = (value: string) => (Token.isUnresolved(value) ? 'x'.repeat(TOKEN_CHARS) : value);
  const overrides = { command: command.map(concrete), environment: Object.entries(environment).map(([name, value]) => ({ name, value: concrete(value) })) };
  const chars = JSON.stringify(overrides).length + PER_JOB_VARIABLES_CHARS;
  if (chars > ECS_OVERRIDE_LIMIT) {
    throw new SynthError(
      `its container command and environment come to about ${chars} characters with the variables Batch and the runtime add to each job, ` +
        `over the ${ECS_OVERRIDE_LIMIT} ECS allows for a container's overrides (the job would fail at start); shorten its environment (overrides.environment).`,
      definition,
    );
  }
}
