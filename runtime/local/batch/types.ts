/**
 * Shapes of the local Batch endpoint: the wire types are the SDK's own (so the emulator and the client cannot drift
 * apart), plus our records of registered job definitions and submitted jobs.
 */
import type { ChildProcess } from 'node:child_process';
import type {
  AttemptDetail,
  ContainerOverrides,
  JobDependency,
  JobDetail,
  JobStatus,
  KeyValuePair,
  LogConfiguration,
  ResourceRequirement,
  RetryStrategy,
  Secret,
} from '@aws-sdk/client-batch';

export type { JobDetail, JobStatus, KeyValuePair, Secret };

/** A ClientException (HTTP 400): the request was wrong. */
export class BatchClientError extends Error {
  override readonly name = 'ClientException';
}

export const FINAL_BATCH_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED'];

export interface RegisteredJobDefinition {
  readonly name: string;
  readonly revision: number;
  readonly arn: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly environment: readonly KeyValuePair[];
  readonly resourceRequirements: readonly ResourceRequirement[];
  readonly jobRoleArn: string | undefined;
  /** Variables whose values ECS reads from Secrets Manager (`valueFrom`) when a container starts. */
  readonly secrets: readonly Secret[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly retryAttempts: number;
  readonly attemptDurationSeconds: number | undefined;
  readonly platformCapabilities: readonly string[];
  /** The container's log configuration, as registered (absent: Batch's default, see `awslogsTarget`). */
  readonly logConfiguration: LogConfiguration | undefined;
}

/** What `registerJobDefinition` (and the endpoint's `jobDefinitions` option) takes: the container subset. */
export interface JobDefinitionInput {
  jobDefinitionName: string;
  image?: string;
  command: string[];
  environment?: KeyValuePair[];
  resourceRequirements?: ResourceRequirement[];
  jobRoleArn?: string;
  secrets?: Secret[];
  parameters?: Record<string, string>;
  retryStrategy?: RetryStrategy;
  timeout?: { attemptDurationSeconds?: number };
  platformCapabilities?: string[];
  logConfiguration?: LogConfiguration;
}

export interface LocalJob {
  readonly jobId: string;
  readonly jobArn: string;
  readonly jobName: string;
  readonly queueName: string;
  readonly queueArn: string;
  readonly definition: RegisteredJobDefinition;
  readonly createdAt: number;
  readonly parameters: Readonly<Record<string, string>>;
  readonly overrides: ContainerOverrides | undefined;
  /** Length of the overrides as ECS counts it (JSON), checked when the container starts. */
  readonly overridesLength: number;
  readonly command: readonly string[];
  readonly environment: readonly KeyValuePair[];
  readonly resourceRequirements: readonly ResourceRequirement[];
  readonly retryAttempts: number;
  readonly attemptDurationSeconds: number | undefined;
  readonly dependsOn: readonly JobDependency[];
  readonly tags: Readonly<Record<string, string>> | undefined;
  /** Array parents: their size and children; children: their index and parent. */
  readonly arraySize: number | undefined;
  readonly arrayIndex: number | undefined;
  readonly parent: LocalJob | undefined;
  children: LocalJob[];
  status: JobStatus;
  statusReason: string | undefined;
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  attempts: AttemptDetail[];
  isCancelled: boolean;
  isTerminated: boolean;
  /** The running container, while there is one. */
  run: ContainerRun | undefined;
}

export interface ContainerRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** The ECS task of this attempt (its id ends the task ARN and the log stream's name). */
  readonly taskId: string;
  /** Where the awslogs driver sends the container's output. */
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Why we are stopping it (TerminateJob or attempt timeout): such attempts are not retried. */
  stopping: { reason: string } | undefined;
  killTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  cleanup(): void;
}
