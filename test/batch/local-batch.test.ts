/**
 * The local Batch endpoint through the real @aws-sdk/client-batch client: job lifecycle and Batch's environment,
 * array jobs, retries, TerminateJob / CancelJob rules, a container killed with SIGKILL, ListJobs
 * by status with paging, state-change events, the submit-time checks (docs/aws-behaviour.md) and container credentials.
 */
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type BatchClient,
  CancelJobCommand,
  ClientException,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBatch } from '../../runtime/local/batch/index.js';
import { type EventRecorder, nodeCommand, QUEUE, startBatch, waitForFile } from './helpers.js';

/** Writes its Batch-relevant environment to $OUT/<job id>.<attempt>.json, then exits with $EXIT_CODE (default 0). */
const RECORD_ENV = `
const fs = require('node:fs'), path = require('node:path');
const env = process.env;
const picked = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('AWS_') || k.startsWith('MY_') || k === 'HOME'));
const file = path.join(env.OUT, env.AWS_BATCH_JOB_ID.replace(':', '_') + '.' + env.AWS_BATCH_JOB_ATTEMPT + '.json');
fs.writeFileSync(file, JSON.stringify({ env: picked, argv: process.argv.slice(1), cwd: process.cwd() }));
process.exit(Number(env.EXIT_CODE || 0));
`;

/** Runs until stopped; on SIGTERM writes $OUT/<id>.sigterm and exits 0 unless $IGNORE_TERM is set. */
const LONG_RUNNING = `
const fs = require('node:fs'), path = require('node:path');
const env = process.env;
process.on('SIGTERM', () => {
  fs.writeFileSync(path.join(env.OUT, env.AWS_BATCH_JOB_ID + '.sigterm'), 'yes');
  if (!env.IGNORE_TERM) process.exit(0);
});
fs.writeFileSync(path.join(env.OUT, env.AWS_BATCH_JOB_ID + '.started'), String(process.pid));
setInterval(() => {}, 1000);
`;

let batch: LocalBatch;
let client: BatchClient;
let recorder: EventRecorder;
let out: string;

beforeAll(async () => {
  ({ batch, client, recorder } = await startBatch({ maxRunning: 4, stopTimeoutMs: 300 }));
  out = mkdtempSync(path.join(os.tmpdir(), 'mn-batch-test-'));
  const register = (name: string, script: string, extra: Record<string, unknown> = {}) =>
    client.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: name,
        type: 'container',
        containerProperties: {
          image: 'public.ecr.aws/docker/library/node:22-slim',
          command: nodeCommand(script),
          environment: [
            { name: 'OUT', value: out },
            { name: 'MY_FROM_DEFINITION', value: 'def' },
            { name: 'MY_OVERRIDDEN', value: 'def' },
          ],
          resourceRequirements: [
            { type: 'VCPU', value: '1' },
            { type: 'MEMORY', value: '2048' },
          ],
          ...extra,
        },
      }),
    );
  await register('record-env', RECORD_ENV);
  await register('long-running', LONG_RUNNING);
  await register('with-role', RECORD_ENV, { jobRoleArn: 'arn:aws:iam::000000000000:role/test' });
});

afterAll(async () => {
  await batch?.close();
});

const recorded = (jobId: string, attempt = 1) =>
  JSON.parse(readFileSync(path.join(out, `${jobId.replace(':', '_')}.${attempt}.json`), 'utf8')) as { env: Record<string, string>; cwd: string };

async function describeJob(jobId: string) {
  const { jobs } = await client.send(new DescribeJobsCommand({ jobs: [jobId] }));
  return jobs![0]!;
}

describe('local Batch endpoint', () => {
  it('runs a job with Batch environment and overrides, and reports it SUCCEEDED', async () => {
    const submitted = await client.send(
      new SubmitJobCommand({
        jobName: 'env-check_1',
        jobQueue: QUEUE,
        jobDefinition: 'record-env',
        containerOverrides: {
          environment: [
            { name: 'MY_OVERRIDDEN', value: 'override' },
            { name: 'MY_RUN', value: 'r-1' },
          ],
        },
      }),
    );
    expect(submitted.jobName).toBe('env-check_1');
    expect(submitted.jobArn).toBe(`arn:aws:batch:us-east-1:000000000000:job/${submitted.jobId}`);
    await recorder.waitFor(submitted.jobId!, 'SUCCEEDED', 'FAILED');

    const { env, cwd } = recorded(submitted.jobId!);
    expect(env.AWS_BATCH_JOB_ID).toBe(submitted.jobId);
    expect(env.AWS_BATCH_JOB_ATTEMPT).toBe('1');
    expect(env.AWS_BATCH_JQ_NAME).toBe(QUEUE);
    expect(env.AWS_BATCH_CE_NAME).toBeTruthy();
    expect(env).not.toHaveProperty('AWS_BATCH_JOB_ARRAY_INDEX');
    expect(env.MY_FROM_DEFINITION).toBe('def');
    expect(env.MY_OVERRIDDEN).toBe('override');
    expect(env.MY_RUN).toBe('r-1');
    expect(env.AWS_REGION).toBe('us-east-1');
    // A fresh directory, not the developer's home; no credentials without a job role.
    expect(env.HOME).toBe(cwd);
    expect(env.HOME).not.toBe(os.homedir());
    expect(env).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    expect(existsSync(cwd)).toBe(false);

    const job = await describeJob(submitted.jobId!);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.jobQueue).toBe(`arn:aws:batch:us-east-1:000000000000:job-queue/${QUEUE}`);
    expect(job.jobDefinition).toBe('arn:aws:batch:us-east-1:000000000000:job-definition/record-env:1');
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts![0]!.container!.exitCode).toBe(0);
    expect(job.container!.exitCode).toBe(0);
    expect(job.container!.environment).toContainEqual({ name: 'MY_OVERRIDDEN', value: 'override' });
    expect(job.container!.vcpus).toBe(1);
    expect(job.createdAt).toBeLessThanOrEqual(job.startedAt!);
    expect(job.startedAt).toBeLessThanOrEqual(job.stoppedAt!);
    // Events for every change after submission, none for SUBMITTED itself.
    expect(recorder.statuses(submitted.jobId!)).toEqual(['PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED']);
  });

  it('runs an array job: one child per index, results per child, the parent SUCCEEDED with a status summary', async () => {
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'array', jobQueue: QUEUE, jobDefinition: 'record-env', arrayProperties: { size: 3 } }));
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('SUCCEEDED');
    const indexes = [0, 1, 2].map((i) => recorded(`${jobId}:${i}`).env.AWS_BATCH_JOB_ARRAY_INDEX);
    expect(indexes).toEqual(['0', '1', '2']);
    expect(recorded(`${jobId}:1`).env.AWS_BATCH_JOB_ID).toBe(`${jobId}:1`);

    const parent = await describeJob(jobId!);
    expect(parent.arrayProperties!.size).toBe(3);
    expect(parent.arrayProperties!.statusSummary!.SUCCEEDED).toBe(3);
    const parentStatuses = recorder.statuses(jobId!);
    expect(parentStatuses[0]).toBe('PENDING');
    expect(parentStatuses[parentStatuses.length - 1]).toBe('SUCCEEDED');
    expect(parentStatuses).not.toContain('RUNNING');

    const children = await client.send(new ListJobsCommand({ arrayJobId: jobId, jobStatus: 'SUCCEEDED' }));
    expect(children.jobSummaryList!.map((s) => s.arrayProperties!.index).sort()).toEqual([0, 1, 2]);
    const child = await describeJob(`${jobId}:2`);
    expect(child.arrayProperties).toEqual({ index: 2 });
  });

  it('marks the array parent FAILED when any child fails, after all children end', async () => {
    // Children read EXIT_CODE; make only index 1 fail through a Ref:: parameter? Simpler: a script per index.
    const script = `process.exit(process.env.AWS_BATCH_JOB_ARRAY_INDEX === '1' ? 2 : 0)`;
    await client.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'one-fails',
        type: 'container',
        containerProperties: { image: 'x', command: nodeCommand(script) },
      }),
    );
    const { jobId } = await client.send(
      new SubmitJobCommand({ jobName: 'array-fail', jobQueue: QUEUE, jobDefinition: 'one-fails', arrayProperties: { size: 3 } }),
    );
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('FAILED');
    expect(done.detail.arrayProperties!.statusSummary).toMatchObject({ SUCCEEDED: 2, FAILED: 1 });
    expect((await describeJob(`${jobId}:1`)).container!.exitCode).toBe(2);
  });

  it('retries a failing container up to retryStrategy.attempts, with AWS_BATCH_JOB_ATTEMPT counting', async () => {
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'retry',
        jobQueue: QUEUE,
        jobDefinition: 'record-env',
        retryStrategy: { attempts: 2 },
        containerOverrides: { environment: [{ name: 'EXIT_CODE', value: '3' }] },
      }),
    );
    await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    const job = await describeJob(jobId!);
    expect(job.status).toBe('FAILED');
    expect(job.statusReason).toBe('Essential container in task exited');
    expect(job.attempts!.map((a) => a.container!.exitCode)).toEqual([3, 3]);
    expect(recorded(jobId!, 1).env.AWS_BATCH_JOB_ATTEMPT).toBe('1');
    expect(recorded(jobId!, 2).env.AWS_BATCH_JOB_ATTEMPT).toBe('2');
    expect(recorder.statuses(jobId!).filter((s) => s === 'RUNNABLE')).toHaveLength(2);
  });

  it('ends a container killed with SIGKILL as FAILED with exit code 137 (never stuck RUNNING)', async () => {
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'killed', jobQueue: QUEUE, jobDefinition: 'long-running' }));
    await recorder.waitFor(jobId!, 'RUNNING');
    const pid = batch.engine.pidOf(jobId!);
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('FAILED');
    expect(done.detail.statusReason).toBe('Essential container in task exited');
    expect(done.detail.container!.exitCode).toBe(137);
  });

  it('TerminateJob stops a RUNNING container with SIGTERM and ends it FAILED with the reason', async () => {
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'terminated', jobQueue: QUEUE, jobDefinition: 'long-running' }));
    await waitForFile(path.join(out, `${jobId}.started`));
    await client.send(new TerminateJobCommand({ jobId, reason: 'stop it' }));
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('FAILED');
    expect(done.detail.statusReason).toBe('stop it');
    expect(done.detail.isTerminated).toBe(true);
    expect(existsSync(path.join(out, `${jobId}.sigterm`))).toBe(true);
    // A clean exit after SIGTERM is still a terminated job, not a success.
    expect(done.detail.container!.exitCode).toBe(0);
  });

  it('TerminateJob kills a container that ignores SIGTERM after the stop timeout', async () => {
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'stubborn',
        jobQueue: QUEUE,
        jobDefinition: 'long-running',
        containerOverrides: { environment: [{ name: 'IGNORE_TERM', value: '1' }] },
      }),
    );
    await waitForFile(path.join(out, `${jobId}.started`));
    await client.send(new TerminateJobCommand({ jobId, reason: 'hard stop' }));
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.statusReason).toBe('hard stop');
    expect(done.detail.container!.exitCode).toBe(137);
    expect(existsSync(path.join(out, `${jobId}.sigterm`))).toBe(true);
  });

  it('CancelJob fails a RUNNABLE job but leaves a RUNNING one alone (the call succeeds either way)', async () => {
    const { batch: small, client: smallClient, recorder: smallRecorder } = await startBatch({ maxRunning: 1, stopTimeoutMs: 200 });
    try {
      await smallClient.send(
        new RegisterJobDefinitionCommand({
          jobDefinitionName: 'long',
          type: 'container',
          containerProperties: { image: 'x', command: nodeCommand(LONG_RUNNING), environment: [{ name: 'OUT', value: out }] },
        }),
      );
      const first = await smallClient.send(new SubmitJobCommand({ jobName: 'first', jobQueue: QUEUE, jobDefinition: 'long' }));
      await smallRecorder.waitFor(first.jobId!, 'RUNNING');
      const second = await smallClient.send(new SubmitJobCommand({ jobName: 'second', jobQueue: QUEUE, jobDefinition: 'long' }));
      await smallRecorder.waitFor(second.jobId!, 'RUNNABLE');

      await smallClient.send(new CancelJobCommand({ jobId: second.jobId, reason: 'not needed' }));
      await smallClient.send(new CancelJobCommand({ jobId: first.jobId, reason: 'not needed either' }));
      const cancelled = await smallRecorder.waitFor(second.jobId!, 'FAILED');
      expect(cancelled.detail.statusReason).toBe('not needed');
      expect(cancelled.detail.isCancelled).toBe(true);
      expect(smallRecorder.statuses(second.jobId!)).not.toContain('STARTING');

      const { jobs } = await smallClient.send(new DescribeJobsCommand({ jobs: [first.jobId!] }));
      expect(jobs![0]!.status).toBe('RUNNING');
      // ListJobs lists RUNNING by default, and FAILED on request.
      const running = await smallClient.send(new ListJobsCommand({ jobQueue: QUEUE }));
      expect(running.jobSummaryList!.map((j) => j.jobId)).toEqual([first.jobId]);
      const failed = await smallClient.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'FAILED' }));
      expect(failed.jobSummaryList!.map((j) => j.jobId)).toEqual([second.jobId]);
    } finally {
      await small.close();
    }
  });

  it('lists jobs by status, newest first, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { jobId } = await client.send(new SubmitJobCommand({ jobName: `page-${i}`, jobQueue: QUEUE, jobDefinition: 'record-env' }));
      ids.push(jobId!);
    }
    await Promise.all(ids.map((id) => recorder.waitFor(id, 'SUCCEEDED')));
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'SUCCEEDED', maxResults: 2, nextToken, filters: undefined }));
      expect(page.jobSummaryList!.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobSummaryList!.map((j) => j.jobId!));
      nextToken = page.nextToken;
    } while (nextToken);
    const ours = seen.filter((id) => ids.includes(id));
    expect(ours).toEqual([...ids].reverse());
    const byName = await client.send(new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['page-*'] }] }));
    expect(byName.jobSummaryList!.map((j) => j.jobId).sort()).toEqual([...ids].sort());
  });

  it('gives containers of jobs with a role their own credentials, revoked when the container stops', async () => {
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'role', jobQueue: QUEUE, jobDefinition: 'with-role' }));
    await recorder.waitFor(jobId!, 'SUCCEEDED');
    const { env } = recorded(jobId!);
    const uri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI!;
    expect(uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/credentials\//);
    expect(env.AWS_CONTAINER_AUTHORIZATION_TOKEN).toBeTruthy();
    expect((await fetch(uri, { headers: { authorization: env.AWS_CONTAINER_AUTHORIZATION_TOKEN! } })).status).toBe(404);

    const grant = batch.credentials.register('arn:aws:iam::000000000000:role/test');
    const url = grant.env.AWS_CONTAINER_CREDENTIALS_FULL_URI!;
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: grant.env.AWS_CONTAINER_AUTHORIZATION_TOKEN! } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, string>;
    expect(body).toMatchObject({ AccessKeyId: 'S3RVER', SecretAccessKey: 'S3RVER', RoleArn: 'arn:aws:iam::000000000000:role/test' });
    expect(Date.parse(body.Expiration!)).toBeGreaterThan(Date.now());
    grant.revoke();
    expect((await fetch(url, { headers: { authorization: grant.env.AWS_CONTAINER_AUTHORIZATION_TOKEN! } })).status).toBe(404);
  });

  it('fails a job whose container overrides exceed 8192 characters when it starts, not at submit', async () => {
    const big = 'x'.repeat(9000);
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'big-overrides',
        jobQueue: QUEUE,
        jobDefinition: 'record-env',
        containerOverrides: { environment: [{ name: 'MY_BIG', value: big }] },
      }),
    );
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('FAILED');
    expect(done.detail.statusReason).toBe('Container Overrides length must be at most 8192');
    expect(readdirSync(out).filter((f) => f.startsWith(jobId!))).toEqual([]);
  });
});

describe('local Batch endpoint: wrong requests are ClientExceptions', () => {
  const submit = (input: Record<string, unknown>) =>
    client.send(new SubmitJobCommand({ jobName: 'ok', jobQueue: QUEUE, jobDefinition: 'record-env', ...input } as never));

  async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientException);
    expect((error as Error).message).toMatch(message);
    expect((error as ClientException).$metadata.httpStatusCode).toBe(400);
  }

  it('names the problem in each case', async () => {
    await rejects(submit({ jobName: 'bad name!' }), /jobName "bad name!" is invalid/);
    await rejects(submit({ jobName: '_starts-with-underscore' }), /starting with a letter or number/);
    await rejects(submit({ jobName: 'x'.repeat(129) }), /up to 128/);
    await rejects(submit({ jobQueue: 'nope' }), /Job queue nope does not exist/);
    await rejects(submit({ jobDefinition: 'nope' }), /Job definition nope does not exist/);
    await rejects(submit({ jobDefinition: 'record-env:7' }), /Job definition record-env:7 does not exist/);
    await rejects(submit({ arrayProperties: { size: 1 } }), /2 to 10000 child jobs/);
    await rejects(submit({ arrayProperties: { size: 10_001 } }), /2 to 10000 child jobs/);
    await rejects(submit({ timeout: { attemptDurationSeconds: 30 } }), /minimum is 60 seconds/);
    await rejects(submit({ retryStrategy: { attempts: 11 } }), /from 1 to 10/);
    await rejects(submit({ containerOverrides: { environment: [{ name: 'AWS_BATCH_JOB_ID', value: 'x' }] } }), /reserved/);
    await rejects(submit({ parameters: { big: 'x'.repeat(31 * 1024) } }), /Job size must be less than 30 KiB/);
    await rejects(client.send(new DescribeJobsCommand({ jobs: Array.from({ length: 101 }, (_, i) => `j${i}`) })), /at most 100/);
    await rejects(client.send(new TerminateJobCommand({ jobId: 'no-such-job', reason: 'x' })), /Job no-such-job does not exist/);
    await rejects(client.send(new ListJobsCommand({ jobQueue: QUEUE, nextToken: 'garbage' })), /nextToken is not valid/);
    await rejects(client.send(new ListJobsCommand({})), /exactly one of jobQueue, arrayJobId/);
  });

  it('accepts job definitions by name, name:revision and ARN', async () => {
    for (const jobDefinition of ['record-env', 'record-env:1', 'arn:aws:batch:us-east-1:000000000000:job-definition/record-env:1']) {
      const { jobId } = await submit({ jobDefinition, jobName: 'by-ref' });
      expect((await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED')).detail.status).toBe('SUCCEEDED');
    }
  });
});
