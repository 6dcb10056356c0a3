/**
 * The request checks real Batch makes at submit time (docs/aws-behaviour.md, "Batch SubmitJob limits"), as ClientExceptions with messages that
 * say what was wrong and what is allowed.
 */
import type { KeyValuePair, RegisterJobDefinitionRequest, SubmitJobRequest } from '@aws-sdk/client-batch';
import { BatchClientError } from './types.js';

export const BATCH_LIMITS = {
  jobNameLength: 128,
  minArraySize: 2,
  maxArraySize: 10_000,
  minAttemptDurationSeconds: 60,
  maxRetryAttempts: 10,
  maxDependsOn: 20,
  /** "Job size must be less than 30 KiB" (the whole SubmitJob request). */
  maxSubmitBytes: 30 * 1024,
  /** ECS RunTask: "A total of 8192 characters are allowed for overrides". */
  maxOverrideChars: 8192,
  maxDescribeJobs: 100,
  maxListResults: 1000,
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function fail(message: string): never {
  throw new BatchClientError(message);
}

function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${what} is required.`);
  if (value.length > BATCH_LIMITS.jobNameLength || !NAME.test(value)) {
    fail(`${what} "${value}" is invalid: up to ${BATCH_LIMITS.jobNameLength} letters, numbers, hyphens and underscores, starting with a letter or number.`);
  }
  return value;
}

function checkEnvironment(where: string, environment: KeyValuePair[] | undefined): void {
  for (const variable of environment ?? []) {
    if (typeof variable.name !== 'string' || variable.name === '') fail(`${where}: every environment variable needs a name.`);
    if (variable.name.startsWith('AWS_BATCH'))
      fail(`${where}: environment variable ${variable.name} is reserved (names starting with AWS_BATCH are set by AWS Batch).`);
  }
}

export function checkSubmit(request: SubmitJobRequest, bodyBytes: number): void {
  if (bodyBytes > BATCH_LIMITS.maxSubmitBytes) fail(`Job size must be less than 30 KiB; this SubmitJob request is ${bodyBytes} bytes.`);
  checkName('jobName', request.jobName);
  if (typeof request.jobQueue !== 'string' || !request.jobQueue) fail('jobQueue is required.');
  if (typeof request.jobDefinition !== 'string' || !request.jobDefinition) fail('jobDefinition is required.');
  const size = request.arrayProperties?.size;
  if (size !== undefined && (!Number.isInteger(size) || size < BATCH_LIMITS.minArraySize || size > BATCH_LIMITS.maxArraySize)) {
    fail(`arrayProperties.size ${size} is invalid: an array job has ${BATCH_LIMITS.minArraySize} to ${BATCH_LIMITS.maxArraySize} child jobs.`);
  }
  const duration = request.timeout?.attemptDurationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < BATCH_LIMITS.minAttemptDurationSeconds)) {
    fail(`timeout.attemptDurationSeconds ${duration} is invalid: the minimum is ${BATCH_LIMITS.minAttemptDurationSeconds} seconds.`);
  }
  checkRetry(request.retryStrategy?.attempts);
  if ((request.dependsOn?.length ?? 0) > BATCH_LIMITS.maxDependsOn)
    fail(`dependsOn lists ${request.dependsOn!.length} jobs; at most ${BATCH_LIMITS.maxDependsOn} are allowed.`);
  checkEnvironment('containerOverrides', request.containerOverrides?.environment);
}

function checkRetry(attempts: number | undefined): void {
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > BATCH_LIMITS.maxRetryAttempts)) {
    fail(`retryStrategy.attempts ${attempts} is invalid: from 1 to ${BATCH_LIMITS.maxRetryAttempts}.`);
  }
}

export function checkRegister(request: RegisterJobDefinitionRequest): void {
  checkName('jobDefinitionName', request.jobDefinitionName);
  if (request.type !== 'container') fail(`type "${String(request.type)}" is not supported by the local Batch endpoint; use "container".`);
  const container = request.containerProperties;
  if (!container) fail('containerProperties is required for a container job definition.');
  if (!container.image) fail('containerProperties.image is required.');
  if (!Array.isArray(container.command) || container.command.length === 0) {
    fail('containerProperties.command is required locally: the local endpoint runs the command as a process (images are not pulled).');
  }
  checkEnvironment('containerProperties', container.environment);
  checkRetry(request.retryStrategy?.attempts);
  const duration = request.timeout?.attemptDurationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < BATCH_LIMITS.minAttemptDurationSeconds)) {
    fail(`timeout.attemptDurationSeconds ${duration} is invalid: the minimum is ${BATCH_LIMITS.minAttemptDurationSeconds} seconds.`);
  }
}
