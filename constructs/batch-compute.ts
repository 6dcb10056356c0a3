/**
 * Where heavy definitions run: a Fargate compute environment and its job queue, plus an EC2 environment with GPU
 * instances and its own queue only when asked (Fargate has no GPUs, and one queue cannot mix Fargate and EC2).
 *
 * Queues cancel a job that waits at their head in RUNNABLE longer than `runnableTimeout` for a reason that will not
 * fix itself (no capacity, a request larger than the environment or its quota allows): without that, a 16-vCPU job
 * on an account whose Fargate quota is 6 vCPUs would wait forever.
 *
 * Without a VPC from the user, a small one is made: public subnets in two zones, no NAT gateway (containers get a
 * public IP to pull the public Node image and reach AWS APIs), and a flow log of rejected traffic.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { jobNetwork } from './batch-network.js';
import { SynthError } from './errors.js';
import { acknowledgeWildcards } from './nag.js';

export interface BatchComputeProps {
  /**
   * Where jobs run.
   *
   * @default - a new VPC with public subnets in two zones and no NAT gateway (no hourly NAT cost)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the jobs; they need a route out (isolated subnets are refused).
   *
   * @default - the VPC's private subnets with egress when it has some, else its public subnets (with a public IP)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Physical name of the job queue.
   *
   * @default - a name CloudFormation makes
   */
  readonly jobQueueName?: string;
  /**
   * Physical name of the GPU job queue.
   *
   * @default - a name CloudFormation makes
   */
  readonly gpuJobQueueName?: string;
  /**
   * Upper bound of vCPUs running at once per compute environment, a whole number of at least 1 (your account's
   * Fargate quota also applies).
   *
   * @default 256
   */
  readonly maxvCpus?: number;
  /**
   * How long a job may wait in RUNNABLE for capacity before it is cancelled, 10 minutes to 24 hours.
   *
   * @default Duration.minutes(30)
   */
  readonly runnableTimeout?: Duration;
  /**
   * EC2 instance classes for GPU jobs; when given, the GPU environment and its queue are created.
   *
   * @default - no GPU environment
   */
  readonly gpuInstanceClasses?: readonly ec2.InstanceClass[];
  /**
   * Retention of the flow log of a VPC made here.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

export class BatchCompute extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.SecurityGroup;
  readonly computeEnvironment: batch.FargateComputeEnvironment;
  readonly jobQueue: batch.JobQueue;
  readonly gpuComputeEnvironment?: batch.ManagedEc2EcsComputeEnvironment;
  readonly gpuJobQueue?: batch.JobQueue;
  /** Whether Fargate containers get a public IP (they run in public subnets). */
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: BatchComputeProps = {}) {
    super(scope, id);
    const runnableTimeout = props.runnableTimeout ?? Duration.minutes(30);
    const timeoutMinutes = runnableTimeout.toMinutes({ integral: false });
    if (timeoutMinutes < 10 || timeoutMinutes > 24 * 60) {
      throw new SynthError(`batch.runnableTimeout must be from 10 minutes to 24 hours (AWS Batch's limits), got ${runnableTimeout.toHumanString()}.`, this);
    }
    const maxvCpus = props.maxvCpus ?? 256;
    // At least 1 here; each job definition checks that its own vCPUs fit (app-batch.ts), so an account held to the
    // default Fargate quota of 6 vCPUs can set 6.
    if (!Number.isInteger(maxvCpus) || maxvCpus < 1) {
      throw new SynthError(`batch.maxvCpus must be a whole number of at least 1, got ${maxvCpus}.`, this);
    }

    this.vpc = props.vpc ?? this.createVpc(props.logRetention ?? logs.RetentionDays.ONE_MONTH);
    const gpu = (props.gpuInstanceClasses ?? []).length > 0;
    const network = jobNetwork(this, this.vpc, props.vpc ? props.vpcSubnets : (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PUBLIC }), { gpu });
    this.subnets = network.subnets;
    this.assignPublicIp = network.assignPublicIp;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'multinode Batch jobs: outbound only',
      allowAllOutbound: true,
    });

    this.computeEnvironment = new batch.FargateComputeEnvironment(this, 'Fargate', {
      vpc: this.vpc,
      vpcSubnets: this.subnets,
      securityGroups: [this.securityGroup],
      maxvCpus,
      replaceComputeEnvironment: false,
    });
    this.jobQueue = this.queue('Queue', this.computeEnvironment, runnableTimeout, props.jobQueueName);

    if (props.gpuInstanceClasses && props.gpuInstanceClasses.length > 0) {
      this.gpuComputeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'Gpu', {
        vpc: this.vpc,
        vpcSubnets: this.subnets,
        securityGroups: [this.securityGroup],
        instanceClasses: [...props.gpuInstanceClasses],
        useOptimalInstanceClasses: false,
        images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }],
        minvCpus: 0,
        maxvCpus,
        instanceRole: this.gpuInstanceRole(),
      });
      this.gpuJobQueue = this.queue('GpuQueue', this.gpuComputeEnvironment, runnableTimeout, props.gpuJobQueueName);
    }
  }

  private queue(id: string, environment: batch.IComputeEnvironment, maxTime: Duration, name: string | undefined): batch.JobQueue {
    const reasons = [
      batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
      batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
      batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
    ];
    return new batch.JobQueue(this, id, {
      ...(name ? { jobQueueName: name } : {}),
      computeEnvironments: [{ computeEnvironment: environment, order: 1 }],
      jobStateTimeLimitActions: reasons.map((reason) => ({
        reason,
        maxTime,
        action: batch.JobStateTimeLimitActionsAction.CANCEL,
        state: batch.JobStateTimeLimitActionsState.RUNNABLE,
      })),
    });
  }

  private createVpc(retention: logs.RetentionDays): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    return new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      // Nothing uses the default security group (jobs get their own, outbound only); restricting it would take a
      // custom-resource Lambda with an AWS managed policy in the app's stack.
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: {
        rejected: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT },
      },
    });
  }

  /**
   * The instance role of GPU hosts: what the ECS agent needs to join the cluster and ship logs (the actions of the
   * AWS managed policy AmazonEC2ContainerServiceforEC2Role, written out so no managed policy is attached).
   */
  private gpuInstanceRole(): iam.Role {
    const role = new iam.Role(this, 'GpuInstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const statement = new iam.PolicyStatement({
      actions: [
        'ec2:DescribeTags',
        'ecs:CreateCluster',
        'ecs:DeregisterContainerInstance',
        'ecs:DiscoverPollEndpoint',
        'ecs:Poll',
        'ecs:RegisterContainerInstance',
        'ecs:StartTelemetrySession',
        'ecs:UpdateContainerInstancesState',
        'ecs:SubmitAttachmentStateChanges',
        'ecs:SubmitContainerStateChange',
        'ecs:SubmitTaskStateChange',
        'ecr:GetAuthorizationToken',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      resources: ['*'],
    });
    role.addToPrincipalPolicy(statement);
    // Tags on the cluster and container instance the agent creates or registers, as the managed policy allows.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: ['*'],
        conditions: { StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'RegisterContainerInstance'] } },
      }),
    );
    acknowledgeWildcards(
      role,
      ['*'],
      'The ECS agent on GPU hosts registers with a cluster Batch creates at run time; these agent actions do not take resource ARNs known at deploy time.',
    );
    return role;
  }
}
