/**
 * Runs a local Batch job's container: its command as a child process, with the environment a Fargate container
 * gets (job definition environment, then the submit's overrides, then the variables Batch sets: AWS_BATCH_JOB_ID,
 * AWS_BATCH_JOB_ATTEMPT, AWS_BATCH_JQ_NAME, AWS_BATCH_CE_NAME and, for array children, AWS_BATCH_JOB_ARRAY_INDEX;
 * plus container credentials when the job has a role). No image is pulled: `node` runs as this Node.js binary and
 * other commands come from PATH. Each container starts in a fresh empty directory (its HOME, TMPDIR and working
 * directory), so nothing of the developer's home (~/.aws) leaks in. Stopping sends SIGTERM to the process group
 * and SIGKILL after the stop timeout, like `docker stop`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ContainerCredentialsEndpoint } from './credentials.js';
import type { ContainerRun, KeyValuePair, LocalJob, RegisteredJobDefinition } from './types.js';

export interface ContainerHost {
  readonly region: string;
  readonly computeEnvironment: string;
  /** Variables every container gets first (the local cloud's endpoints, say); the job's own come after. */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  readonly credentials: ContainerCredentialsEndpoint | undefined;
  readonly stopTimeoutMs: number;
  /** A line the container wrote (without its newline), as awslogs sends each line as one log event. */
  onOutput(job: LocalJob, run: ContainerRun, stream: 'stdout' | 'stderr', line: string): void;
  /** The container's stdout and stderr have both ended: its last line was passed to onOutput. */
  onOutputEnd(job: LocalJob, run: ContainerRun): void;
}

/** Batch's log group when a job definition configures none, and the stream prefix then: the job definition's name. */
export const DEFAULT_BATCH_LOG_GROUP = '/aws/batch/job';

/**
 * Where the awslogs driver sends a container's output: the job definition's `awslogs-group` and
 * `awslogs-stream-prefix`, else Batch's defaults; the stream is `<prefix>/<container name>/<ECS task id>`, and Batch
 * names a job's container `default`
 * (https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
 */
export function awslogsTarget(definition: RegisteredJobDefinition, taskId: string): { logGroupName: string; logStreamName: string } {
  const options = definition.logConfiguration?.logDriver === 'awslogs' ? (definition.logConfiguration.options ?? {}) : {};
  const prefix = options['awslogs-stream-prefix'] ?? definition.name;
  return { logGroupName: options['awslogs-group'] ?? DEFAULT_BATCH_LOG_GROUP, logStreamName: `${prefix}/default/${taskId}` };
}

/** `Ref::name` placeholders of the command, replaced from the parameters (docs/aws-behaviour.md, "Batch parameters"). */
export function substituteParameters(command: readonly string[], parameters: Readonly<Record<string, string>>): string[] {
  return command.map((part) => part.replace(/Ref::([A-Za-z0-9_-]+)/g, (whole, name: string) => parameters[name] ?? whole));
}

function toRecord(pairs: readonly KeyValuePair[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { name, value } of pairs) if (name) record[name] = value ?? '';
  return record;
}

export function containerEnvironment(job: LocalJob, attempt: number, host: ContainerHost, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: home,
    AWS_REGION: host.region,
    AWS_DEFAULT_REGION: host.region,
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
    ...host.baseEnvironment,
    ...toRecord(job.environment),
    AWS_BATCH_JOB_ID: job.jobId,
    AWS_BATCH_JOB_ATTEMPT: String(attempt),
    AWS_BATCH_JQ_NAME: job.queueName,
    AWS_BATCH_CE_NAME: host.computeEnvironment,
    ...(job.arrayIndex !== undefined ? { AWS_BATCH_JOB_ARRAY_INDEX: String(job.arrayIndex) } : {}),
  };
}

/**
 * Starts the container of `job`'s attempt number `attempt`; `onExit` gets the exit code (128 + n for signal n).
 * `secrets`: the values of the job definition's container secrets, by variable name, for this process only (never
 * in the job's recorded environment, which DescribeJobs shows).
 */
export function startContainer(
  job: LocalJob,
  attempt: number,
  host: ContainerHost,
  events: { onSpawn(): void; onExit(exitCode: number, error?: Error): void },
  secrets: Readonly<Record<string, string>> = {},
): ContainerRun {
  const home = mkdtempSync(path.join(os.tmpdir(), 'multinode-batch-'));
  const grant = job.definition.jobRoleArn && host.credentials ? host.credentials.register(job.definition.jobRoleArn) : undefined;
  const env = { ...containerEnvironment(job, attempt, host, home), ...secrets, ...(grant?.env ?? {}) };
  const [file, ...args] = substituteParameters(job.command, job.parameters);
  const executable = file === 'node' ? process.execPath : file!;
  const child = spawn(executable, args, { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let exited = false;
  // An ECS task id: 32 hex digits.
  const taskId = randomBytes(16).toString('hex');
  const run: ContainerRun = {
    child,
    startedAt: Date.now(),
    taskId,
    ...awslogsTarget(job.definition, taskId),
    stopping: undefined,
    killTimer: undefined,
    timeoutTimer: undefined,
    cleanup() {
      clearTimeout(run.killTimer);
      clearTimeout(run.timeoutTimer);
      grant?.revoke();
      rmSync(home, { recursive: true, force: true });
    },
  };
  // Whole lines, however the pipe splits them: a JSON log line read in pieces would not parse.
  let open = 2;
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]!, crlfDelay: Infinity })
      .on('line', (line) => host.onOutput(job, run, stream, line))
      .on('close', () => {
        if (--open === 0) host.onOutputEnd(job, run);
      });
  }
  child.once('spawn', () => events.onSpawn());
  child.once('error', (error) => {
    if (exited) return;
    exited = true;
    events.onExit(127, error);
  });
  child.once('exit', (code, signal) => {
    if (exited) return;
    exited = true;
    events.onExit(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
  });
  return run;
}

/** SIGTERM to the container's processes, SIGKILL after the stop timeout. */
export function stopContainer(run: ContainerRun, stopTimeoutMs: number, reason: string): void {
  run.stopping ??= { reason };
  signalGroup(run, 'SIGTERM');
  clearTimeout(run.killTimer);
  run.killTimer = setTimeout(() => signalGroup(run, 'SIGKILL'), stopTimeoutMs);
  run.killTimer.unref();
}

export function signalGroup(run: ContainerRun, signal: NodeJS.Signals): void {
  const pid = run.child.pid;
  if (pid === undefined || run.child.exitCode !== null || run.child.signalCode !== null) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
