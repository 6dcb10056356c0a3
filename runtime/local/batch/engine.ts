/**
 * The local Batch scheduler: job definitions, queues and jobs with Batch's state machine
 * (SUBMITTED -> PENDING -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED | FAILED), array jobs (children
 * `<parent>:<index>`, the parent SUBMITTED -> PENDING -> SUCCEEDED | FAILED once every child is done), retries
 * (`retryStrategy.attempts`; terminated and timed-out attempts are not retried), dependencies on job ids,
 * CancelJob / TerminateJob with Batch's rules (docs/aws-behaviour.md, "Batch cancel and terminate"), and a "Batch Job State Change" event for every status
 * change after submission. Jobs run as child processes (container.ts); at most `maxRunning` at once, the rest wait
 * in RUNNABLE as they would for compute capacity. A job definition's container `secrets` are read (`resolveSecret`,
 * as ECS reads them with the execution role) before its container starts, into variables of that container only; a
 * secret that cannot be read fails the attempt with ECS's reason, and no container starts (docs/aws-behaviour.md,
 * "Batch container secrets").
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { JobDependency, JobSummary, KeyValuePair, ListJobsRequest, RegisterJobDefinitionRequest, SubmitJobRequest, Secret } from '@aws-sdk/client-batch';
import { type ContainerHost, signalGroup, startContainer, stopContainer } from './container.js';
import type { ContainerCredentialsEndpoint } from './credentials.js';
import { BATCH_LIMITS, checkRegister, checkSubmit } from './validate.js';
import {
  BatchClientError,
  type ContainerRun,
  FINAL_BATCH_STATUSES,
  type JobDefinitionInput,
  type JobDetail,
  type JobStatus,
  type LocalJob,
  type RegisteredJobDefinition,
} from './types.js';

/** The EventBridge event Batch sends on a job's status change (docs/aws-behaviour.md, "Batch job state change events"). */
export interface BatchStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Batch Job State Change';
  source: 'aws.batch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JobDetail;
}

export interface LocalBatchEngineOptions {
  region?: string;
  accountId?: string;
  /** Names of the job queues that exist. */
  jobQueues: readonly string[];
  /** Job definitions registered at start (as the CDK constructs would create them). */
  jobDefinitions?: readonly JobDefinitionInput[];
  /** Containers running at once (the compute environment's capacity); default: the number of CPUs. */
  maxRunning?: number;
  /** SIGTERM -> SIGKILL delay when stopping a container; default 30 s (ECS's default stop timeout). */
  stopTimeoutMs?: number;
  /** Environment every container gets before its own (endpoints of the local cloud, say). */
  containerEnvironment?: Readonly<Record<string, string>>;
  /** Serves credentials to containers whose job definition has a `jobRoleArn`. */
  credentials?: ContainerCredentialsEndpoint;
  /** Reads a container secret's value from its `valueFrom` (a Secrets Manager ARN); default: none can be read. */
  resolveSecret?: (valueFrom: string) => Promise<string>;
  /** Called for each status change after submission (what EventBridge would deliver). */
  onStateChange?: (event: BatchStateChangeEvent) => void;
  /**
   * Container output, a line at a time (without its newline), with the log group and stream the awslogs driver would
   * send it to; default: kept in memory (the last 64 KiB per job, see `logs`).
   */
  onOutput?: (job: ContainerOutputSource, stream: 'stdout' | 'stderr', line: string) => void;
  /** A container's output has ended (its last line was passed to `onOutput`). */
  onOutputEnd?: (job: ContainerOutputSource) => void;
  clock?: () => number;
}

/** Whose output a line is, and where awslogs sends it. */
export interface ContainerOutputSource {
  readonly jobId: string;
  readonly jobName: string;
  readonly jobDefinition: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

const LOG_KEEP = 64 * 1024;

/** A job's fields that come from its SubmitJob request (everything but its id and place in an array). */
type SubmittedFields = Omit<LocalJob, 'jobId' | 'jobArn' | 'arraySize' | 'arrayIndex' | 'parent'>;

export class LocalBatchEngine {
  readonly region: string;
  readonly accountId: string;
  private readonly clock: () => number;
  private readonly queues: ReadonlyMap<string, string>;
  private readonly definitions = new Map<string, RegisteredJobDefinition[]>();
  private readonly jobs = new Map<string, LocalJob>();
  /** Runnable units (single jobs and array children) in submission order. */
  private readonly queue: LocalJob[] = [];
  private readonly outputs = new Map<string, string>();
  private readonly host: ContainerHost;
  private readonly maxRunning: number;
  private running = 0;
  private advancing = false;
  private closed = false;

  constructor(private readonly options: LocalBatchEngineOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.clock = options.clock ?? Date.now;
    this.maxRunning = options.maxRunning ?? Math.max(2, os.availableParallelism());
    this.queues = new Map(options.jobQueues.map((name) => [name, `arn:aws:batch:${this.region}:${this.accountId}:job-queue/${name}`]));
    this.host = {
      region: this.region,
      computeEnvironment: 'multinode-local',
      baseEnvironment: options.containerEnvironment ?? {},
      credentials: options.credentials,
      stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
      onOutput: (job, run, stream, line) => {
        if (options.onOutput) return options.onOutput(outputSource(job, run), stream, line);
        this.outputs.set(job.jobId, `${this.outputs.get(job.jobId) ?? ''}${line}\n`.slice(-LOG_KEEP));
      },
      onOutputEnd: (job, run) => options.onOutputEnd?.(outputSource(job, run)),
    };
    for (const definition of options.jobDefinitions ?? []) this.registerDefinition(definition);
  }

  // ---- job definitions ----

  register(request: RegisterJobDefinitionRequest): RegisteredJobDefinition {
    checkRegister(request);
    const container = request.containerProperties!;
    return this.registerDefinition({
      jobDefinitionName: request.jobDefinitionName!,
      image: container.image!,
      command: container.command!,
      environment: container.environment ?? [],
      resourceRequirements: container.resourceRequirements ?? [],
      ...(container.jobRoleArn ? { jobRoleArn: container.jobRoleArn } : {}),
      ...(container.secrets ? { secrets: container.secrets } : {}),
      parameters: request.parameters ?? {},
      ...(request.retryStrategy ? { retryStrategy: request.retryStrategy } : {}),
      ...(request.timeout ? { timeout: request.timeout } : {}),
      platformCapabilities: request.platformCapabilities ?? ['EC2'],
      ...(container.logConfiguration ? { logConfiguration: container.logConfiguration } : {}),
    });
  }

  registerDefinition(input: JobDefinitionInput): RegisteredJobDefinition {
    const revisions = this.definitions.get(input.jobDefinitionName) ?? [];
    const revision = revisions.length + 1;
    const definition: RegisteredJobDefinition = {
      name: input.jobDefinitionName,
      revision,
      arn: `arn:aws:batch:${this.region}:${this.accountId}:job-definition/${input.jobDefinitionName}:${revision}`,
      image: input.image ?? 'public.ecr.aws/docker/library/node:22-slim',
      command: [...input.command],
      environment: [...(input.environment ?? [])],
      resourceRequirements: [...(input.resourceRequirements ?? [])],
      jobRoleArn: input.jobRoleArn,
      secrets: [...(input.secrets ?? [])],
      parameters: { ...(input.parameters ?? {}) },
      retryAttempts: input.retryStrategy?.attempts ?? 1,
      attemptDurationSeconds: input.timeout?.attemptDurationSeconds,
      platformCapabilities: input.platformCapabilities ?? ['FARGATE'],
      logConfiguration: input.logConfiguration,
    };
    revisions.push(definition);
    this.definitions.set(input.jobDefinitionName, revisions);
    return definition;
  }

  /** `name`, `name:revision` or the ARN; a bare name means the latest revision. */
  private findDefinition(reference: string): RegisteredJobDefinition {
    const match = /^(?:arn:[^:]+:batch:[^:]*:[^:]*:job-definition\/)?([^:/]+)(?::(\d+))?$/.exec(reference);
    const revisions = match ? this.definitions.get(match[1]!) : undefined;
    const found = revisions && (match![2] ? revisions[Number(match![2]) - 1] : revisions[revisions.length - 1]);
    if (!found) throw new BatchClientError(`Job definition ${reference} does not exist. Registered: ${[...this.definitions.keys()].join(', ') || 'none'}.`);
    return found;
  }

  describeDefinitions(references: readonly string[] | undefined): RegisteredJobDefinition[] {
    if (!references || references.length === 0) return [...this.definitions.values()].flat();
    return references.flatMap((reference) => {
      try {
        return [this.findDefinition(reference)];
      } catch {
        return [];
      }
    });
  }

  // ---- jobs ----

  submit(request: SubmitJobRequest, bodyBytes: number): LocalJob {
    if (this.closed) throw new BatchClientError('The local Batch endpoint is shutting down.');
    checkSubmit(request, bodyBytes);
    const job = this.addJob(this.submittedFields(request), randomUUID(), request.arrayProperties?.size);
    this.schedule();
    return job;
  }

  /** What a submitted job and each of its array children share: the request resolved against its job definition. */
  private submittedFields(request: SubmitJobRequest): SubmittedFields {
    const queueName = this.queueName(request.jobQueue!);
    const definition = this.findDefinition(request.jobDefinition!);
    this.checkDependencies(request.dependsOn ?? []);
    const overrides = request.containerOverrides;
    return {
      jobName: request.jobName!,
      queueName,
      queueArn: this.queues.get(queueName)!,
      definition,
      createdAt: this.clock(),
      parameters: { ...definition.parameters, ...(request.parameters ?? {}) },
      overrides,
      overridesLength: overrides ? JSON.stringify(overrides).length : 0,
      command: overrides?.command?.length ? overrides.command : definition.command,
      environment: mergeEnvironment(definition.environment, overrides?.environment ?? []),
      resourceRequirements: overrides?.resourceRequirements?.length ? overrides.resourceRequirements : definition.resourceRequirements,
      retryAttempts: request.retryStrategy?.attempts ?? definition.retryAttempts,
      attemptDurationSeconds: request.timeout?.attemptDurationSeconds ?? definition.attemptDurationSeconds,
      dependsOn: request.dependsOn ?? [],
      tags: request.tags,
      status: 'SUBMITTED',
      statusReason: undefined,
      startedAt: undefined,
      stoppedAt: undefined,
      attempts: [],
      isCancelled: false,
      isTerminated: false,
      run: undefined,
      children: [],
    };
  }

  /** Jobs depend on jobs this endpoint knows. */
  private checkDependencies(dependsOn: readonly JobDependency[]): void {
    for (const dependency of dependsOn) {
      if (!dependency.jobId || !this.jobs.has(dependency.jobId)) throw new BatchClientError(`dependsOn job ${dependency.jobId} does not exist.`);
    }
  }

  /** Records a job and queues what runs: the job itself, or each child of an array job (`size` given). */
  private addJob(fields: SubmittedFields, jobId: string, size: number | undefined): LocalJob {
    const job: LocalJob = { ...fields, jobId, jobArn: this.jobArn(jobId), arraySize: size, arrayIndex: undefined, parent: undefined };
    this.jobs.set(jobId, job);
    if (size === undefined) this.queue.push(job);
    else for (let index = 0; index < size; index++) this.addArrayChild(job, fields, index);
    return job;
  }

  /** Child `index` of an array job: `<parent>:<index>`, with attempts and status of its own. */
  private addArrayChild(parent: LocalJob, fields: SubmittedFields, index: number): void {
    const childId = `${parent.jobId}:${index}`;
    const child: LocalJob = {
      ...fields,
      attempts: [],
      children: [],
      jobId: childId,
      jobArn: this.jobArn(childId),
      arraySize: undefined,
      arrayIndex: index,
      parent,
    };
    parent.children.push(child);
    this.jobs.set(childId, child);
    this.queue.push(child);
  }

  private queueName(reference: string): string {
    const name = reference.startsWith('arn:') ? reference.slice(reference.lastIndexOf('/') + 1) : reference;
    if (!this.queues.has(name)) throw new BatchClientError(`Job queue ${reference} does not exist. Queues: ${[...this.queues.keys()].join(', ')}.`);
    return name;
  }

  private jobArn(jobId: string): string {
    return `arn:aws:batch:${this.region}:${this.accountId}:job/${jobId}`;
  }

  private find(reference: string): LocalJob | undefined {
    return this.jobs.get(reference.startsWith('arn:') ? reference.slice(reference.lastIndexOf('/') + 1) : reference);
  }

  private require(reference: string | undefined): LocalJob {
    if (!reference) throw new BatchClientError('jobId is required.');
    const job = this.find(reference);
    if (!job) throw new BatchClientError(`Job ${reference} does not exist.`);
    return job;
  }

  describe(references: readonly string[] | undefined): JobDetail[] {
    if (!references) throw new BatchClientError('jobs is required: a list of up to 100 job ids.');
    if (references.length > BATCH_LIMITS.maxDescribeJobs)
      throw new BatchClientError(`DescribeJobs takes at most ${BATCH_LIMITS.maxDescribeJobs} job ids; got ${references.length}.`);
    return references.flatMap((reference) => {
      const job = this.find(reference);
      return job ? [this.detail(job)] : [];
    });
  }

  list(request: ListJobsRequest): { jobSummaryList: JobSummary[]; nextToken?: string } {
    const scopes = [request.jobQueue, request.arrayJobId, request.multiNodeJobId].filter((s) => s !== undefined);
    if (scopes.length !== 1) throw new BatchClientError('ListJobs needs exactly one of jobQueue, arrayJobId or multiNodeJobId.');
    if (request.multiNodeJobId !== undefined) throw new BatchClientError('Multi-node parallel jobs are not supported by the local Batch endpoint.');
    let candidates: LocalJob[];
    if (request.arrayJobId !== undefined) {
      const parent = this.require(request.arrayJobId);
      if (parent.arraySize === undefined) throw new BatchClientError(`Job ${request.arrayJobId} is not an array job.`);
      candidates = parent.children;
    } else {
      const queueName = this.queueName(request.jobQueue!);
      candidates = [...this.jobs.values()].filter((job) => job.parent === undefined && job.queueName === queueName).reverse();
    }
    const filters = request.filters ?? [];
    if (filters.length > 0) {
      for (const filter of filters) {
        const values = filter.values ?? [];
        if (filter.name === 'JOB_NAME') candidates = candidates.filter((job) => values.some((v) => matchName(v, job.jobName)));
        else if (filter.name === 'JOB_DEFINITION')
          candidates = candidates.filter((job) =>
            values.some((v) => v === job.definition.arn || v === job.definition.name || v === `${job.definition.name}:${job.definition.revision}`),
          );
        else if (filter.name === 'AFTER_CREATED_AT') candidates = candidates.filter((job) => job.createdAt > Number(values[0]));
        else if (filter.name === 'BEFORE_CREATED_AT') candidates = candidates.filter((job) => job.createdAt < Number(values[0]));
        else throw new BatchClientError(`Filter ${filter.name} is not valid: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT or AFTER_CREATED_AT.`);
      }
    } else {
      // Without filters Batch lists one status, RUNNING by default.
      const status = request.jobStatus ?? 'RUNNING';
      candidates = candidates.filter((job) => job.status === status);
    }
    const max = request.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > BATCH_LIMITS.maxListResults)
      throw new BatchClientError(`maxResults ${max} is invalid: from 1 to ${BATCH_LIMITS.maxListResults}.`);
    const start = request.nextToken ? decodeToken(request.nextToken) : 0;
    const page = candidates.slice(start, start + max);
    const end = start + page.length;
    return { jobSummaryList: page.map((job) => this.summary(job)), ...(end < candidates.length ? { nextToken: encodeToken(end) } : {}) };
  }

  /** SUBMITTED, PENDING and RUNNABLE jobs end FAILED; STARTING and RUNNING ones are left alone, as CancelJob does. */
  cancel(reference: string | undefined, reason: string | undefined): void {
    const job = this.require(reference);
    if (!reason) throw new BatchClientError('reason is required.');
    for (const unit of job.arraySize === undefined ? [job] : job.children) {
      if (unit.status === 'SUBMITTED' || unit.status === 'PENDING' || unit.status === 'RUNNABLE') {
        unit.isCancelled = true;
        this.finish(unit, 'FAILED', reason);
      }
    }
    if (job.arraySize !== undefined) job.isCancelled = true;
    this.schedule();
  }

  /** Like cancel for jobs not yet started; STARTING and RUNNING containers are stopped and end FAILED. */
  terminate(reference: string | undefined, reason: string | undefined): void {
    const job = this.require(reference);
    if (!reason) throw new BatchClientError('reason is required.');
    for (const unit of job.arraySize === undefined ? [job] : job.children) {
      if (FINAL_BATCH_STATUSES.includes(unit.status)) continue;
      unit.isTerminated = true;
      if (unit.run) stopContainer(unit.run, this.host.stopTimeoutMs, reason);
      else this.finish(unit, 'FAILED', reason);
    }
    if (job.arraySize !== undefined) job.isTerminated = true;
    this.schedule();
  }

  /** The pid of a job's running container (tests use it to kill a container as a crash would). */
  pidOf(jobId: string): number | undefined {
    return this.jobs.get(jobId)?.run?.child.pid;
  }

  /** What a job's containers printed (when no `onOutput` was given). */
  logs(jobId: string): string {
    return this.outputs.get(jobId) ?? '';
  }

  /** Stops every container at once (SIGKILL) and refuses new jobs. */
  async close(): Promise<void> {
    this.closed = true;
    const exits: Promise<void>[] = [];
    for (const job of this.jobs.values()) {
      const run = job.run;
      if (!run) continue;
      exits.push(
        new Promise((resolve) => (run.child.exitCode !== null || run.child.signalCode !== null ? resolve() : run.child.once('exit', () => resolve()))),
      );
      run.stopping ??= { reason: 'The local Batch endpoint was shut down' };
      signalGroup(run, 'SIGKILL');
    }
    await Promise.all(exits);
  }

  // ---- the state machine ----

  private schedule(): void {
    setImmediate(() => this.advance());
  }

  private advance(): void {
    if (this.advancing || this.closed) return;
    this.advancing = true;
    try {
      for (const job of this.queue) {
        if (job.status === 'SUBMITTED') this.transition(job, 'PENDING');
        if (job.status === 'PENDING') {
          const dependencies = job.dependsOn.map((d) => this.jobs.get(d.jobId!)!);
          if (dependencies.some((d) => d.status === 'FAILED')) {
            this.finish(job, 'FAILED', 'Dependent Job failed');
            continue;
          }
          if (dependencies.every((d) => d.status === 'SUCCEEDED')) this.transition(job, 'RUNNABLE');
        }
        if (job.status === 'RUNNABLE' && this.running < this.maxRunning) this.start(job);
      }
      for (let i = this.queue.length - 1; i >= 0; i--) if (FINAL_BATCH_STATUSES.includes(this.queue[i]!.status)) this.queue.splice(i, 1);
    } finally {
      this.advancing = false;
    }
  }

  private start(job: LocalJob): void {
    this.transition(job, 'STARTING');
    if (job.overridesLength > BATCH_LIMITS.maxOverrideChars) {
      this.finish(job, 'FAILED', `Container Overrides length must be at most ${BATCH_LIMITS.maxOverrideChars}`);
      return;
    }
    this.running++;
    if (job.definition.secrets.length === 0) {
      this.startAttempt(job, {});
      return;
    }
    void this.readSecrets(job.definition.secrets).then(
      (secrets) => {
        // Cancelled, terminated or shut down while the secrets were read: nothing starts.
        if (job.status !== 'STARTING' || this.closed) {
          this.running--;
          this.schedule();
          return;
        }
        this.startAttempt(job, secrets);
      },
      (error: Error) => {
        this.running--;
        if (job.status === 'STARTING') {
          const stoppedAt = this.clock();
          const statusReason = `ResourceInitializationError: unable to pull secrets or registry auth: ${error.message}`;
          job.attempts.push({ startedAt: stoppedAt, stoppedAt, statusReason });
          if (!this.closed && job.attempts.length < job.retryAttempts) this.transition(job, 'RUNNABLE');
          else this.finish(job, 'FAILED', statusReason);
        }
        this.schedule();
      },
    );
  }

  /** The values of a job definition's container secrets, by variable name. */
  private async readSecrets(secrets: readonly Secret[]): Promise<Record<string, string>> {
    const resolve = this.options.resolveSecret;
    const values: Record<string, string> = {};
    for (const { name, valueFrom } of secrets) {
      if (!name || !valueFrom) throw new Error('a container secret needs a name and a valueFrom');
      if (!resolve) throw new Error(`unable to retrieve secret ${valueFrom}: this local Batch endpoint reads no secrets`);
      try {
        values[name] = await resolve(valueFrom);
      } catch (error) {
        const { name: type = 'Error', message } = error as Error;
        throw new Error(`execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret ${valueFrom}: ${type}: ${message}`);
      }
    }
    return values;
  }

  private startAttempt(job: LocalJob, secrets: Readonly<Record<string, string>>): void {
    const attempt = job.attempts.length + 1;
    const run = startContainer(
      job,
      attempt,
      this.host,
      {
        onSpawn: () => {
          job.startedAt ??= this.clock();
          if (job.parent) job.parent.startedAt ??= job.startedAt;
          this.transition(job, 'RUNNING');
          if (job.attemptDurationSeconds !== undefined) {
            run.timeoutTimer = setTimeout(
              () => stopContainer(run, this.host.stopTimeoutMs, 'Job attempt duration exceeded timeout'),
              job.attemptDurationSeconds * 1000,
            );
            run.timeoutTimer.unref();
          }
        },
        onExit: (exitCode, error) => {
          this.running--;
          run.cleanup();
          job.run = undefined;
          const stoppedAt = this.clock();
          const statusReason = error ? `CannotStartContainerError: ${error.message}` : (run.stopping?.reason ?? 'Essential container in task exited');
          job.attempts.push({
            container: {
              exitCode,
              logStreamName: run.logStreamName,
              taskArn: `arn:aws:ecs:${this.region}:${this.accountId}:task/multinode-local/${run.taskId}`,
            },
            startedAt: run.startedAt,
            stoppedAt,
            statusReason,
          });
          if (exitCode === 0 && !run.stopping) this.finish(job, 'SUCCEEDED', statusReason);
          else if (!run.stopping && !this.closed && job.attempts.length < job.retryAttempts) this.transition(job, 'RUNNABLE');
          else this.finish(job, 'FAILED', statusReason);
          this.schedule();
        },
      },
      secrets,
    );
    job.run = run;
  }

  private transition(job: LocalJob, status: JobStatus, statusReason?: string): void {
    if (job.status === status) return;
    job.status = status;
    if (statusReason !== undefined) job.statusReason = statusReason;
    this.emit(job);
    if (job.parent) this.updateParent(job.parent);
  }

  private finish(job: LocalJob, status: 'SUCCEEDED' | 'FAILED', statusReason: string): void {
    job.stoppedAt = this.clock();
    this.transition(job, status, statusReason);
  }

  private updateParent(parent: LocalJob): void {
    if (FINAL_BATCH_STATUSES.includes(parent.status)) return;
    const children = parent.children;
    if (children.every((c) => FINAL_BATCH_STATUSES.includes(c.status))) {
      const failed = children.filter((c) => c.status === 'FAILED').length;
      parent.stoppedAt = this.clock();
      this.transition(
        parent,
        failed > 0 ? 'FAILED' : 'SUCCEEDED',
        failed > 0 ? `${failed} of ${children.length} array child jobs failed` : 'All array child jobs succeeded',
      );
    } else if (parent.status === 'SUBMITTED' && children.some((c) => c.status !== 'SUBMITTED' && c.status !== 'PENDING')) {
      this.transition(parent, 'PENDING');
    }
  }

  private emit(job: LocalJob): void {
    const listener = this.options.onStateChange;
    if (!listener) return;
    const event: BatchStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Batch Job State Change',
      source: 'aws.batch',
      account: this.accountId,
      time: new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [job.jobArn],
      detail: this.detail(job),
    };
    queueMicrotask(() => listener(event));
  }

  // ---- rendering ----

  private detail(job: LocalJob): JobDetail {
    const last = job.attempts[job.attempts.length - 1];
    const vcpu = job.resourceRequirements.find((r) => r.type === 'VCPU')?.value;
    const memory = job.resourceRequirements.find((r) => r.type === 'MEMORY')?.value;
    return {
      jobArn: job.jobArn,
      jobName: job.jobName,
      jobId: job.jobId,
      jobQueue: job.queueArn,
      status: job.status,
      ...(job.statusReason !== undefined ? { statusReason: job.statusReason } : {}),
      attempts: job.attempts,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      ...(job.stoppedAt !== undefined ? { stoppedAt: job.stoppedAt } : {}),
      retryStrategy: { attempts: job.retryAttempts },
      dependsOn: [...job.dependsOn],
      jobDefinition: job.definition.arn,
      parameters: { ...job.parameters },
      container: {
        image: job.definition.image,
        command: [...job.command],
        environment: [...job.environment],
        resourceRequirements: [...job.resourceRequirements],
        ...(vcpu ? { vcpus: Number(vcpu) } : {}),
        ...(memory ? { memory: Number(memory) } : {}),
        ...(job.definition.jobRoleArn ? { jobRoleArn: job.definition.jobRoleArn } : {}),
        ...(job.definition.secrets.length > 0 ? { secrets: job.definition.secrets.map((x) => ({ ...x })) } : {}),
        ...(last?.container?.exitCode !== undefined ? { exitCode: last.container.exitCode } : {}),
        ...(last?.container?.logStreamName ? { logStreamName: last.container.logStreamName } : {}),
      },
      ...(job.arraySize !== undefined ? { arrayProperties: { size: job.arraySize, statusSummary: this.statusSummary(job) } } : {}),
      ...(job.arrayIndex !== undefined ? { arrayProperties: { index: job.arrayIndex } } : {}),
      ...(job.attemptDurationSeconds !== undefined ? { timeout: { attemptDurationSeconds: job.attemptDurationSeconds } } : {}),
      ...(job.tags ? { tags: { ...job.tags } } : {}),
      platformCapabilities: [...job.definition.platformCapabilities] as JobDetail['platformCapabilities'],
      isCancelled: job.isCancelled,
      isTerminated: job.isTerminated,
    };
  }

  private statusSummary(parent: LocalJob): Record<string, number> {
    const summary: Record<string, number> = { STARTING: 0, FAILED: 0, RUNNING: 0, SUCCEEDED: 0, RUNNABLE: 0, SUBMITTED: 0, PENDING: 0 };
    for (const child of parent.children) summary[child.status] = (summary[child.status] ?? 0) + 1;
    return summary;
  }

  private summary(job: LocalJob): JobSummary {
    const last = job.attempts[job.attempts.length - 1];
    return {
      jobArn: job.jobArn,
      jobId: job.jobId,
      jobName: job.jobName,
      createdAt: job.createdAt,
      status: job.status,
      ...(job.statusReason !== undefined ? { statusReason: job.statusReason } : {}),
      ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
      ...(job.stoppedAt !== undefined ? { stoppedAt: job.stoppedAt } : {}),
      ...(last?.container?.exitCode !== undefined ? { container: { exitCode: last.container.exitCode } } : {}),
      ...(job.arraySize !== undefined ? { arrayProperties: { size: job.arraySize } } : {}),
      ...(job.arrayIndex !== undefined ? { arrayProperties: { index: job.arrayIndex } } : {}),
      jobDefinition: job.definition.arn,
    };
  }
}

function outputSource(job: LocalJob, run: ContainerRun): ContainerOutputSource {
  return { jobId: job.jobId, jobName: job.jobName, jobDefinition: job.definition.name, logGroupName: run.logGroupName, logStreamName: run.logStreamName };
}

function mergeEnvironment(base: readonly KeyValuePair[], overrides: readonly KeyValuePair[]): KeyValuePair[] {
  const merged = new Map<string, string>();
  for (const { name, value } of [...base, ...overrides]) if (name) merged.set(name, value ?? '');
  return [...merged].map(([name, value]) => ({ name, value }));
}

function matchName(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown }).offset;
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Fall through.
  }
  throw new BatchClientError('nextToken is not valid: pass the nextToken of the previous ListJobs response.');
}
