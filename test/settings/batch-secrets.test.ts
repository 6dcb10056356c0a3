/**
 * Container `secrets` on the local Batch endpoint, as ECS handles them: read (with the execution role, here the
 * resolver) just before the container starts, given to that container's process only, shown by DescribeJobs and
 * DescribeJobDefinitions as names and ARNs without values; a secret that cannot be read fails the attempt with ECS's
 * ResourceInitializationError and starts no container.
 */
import { createHash } from 'node:crypto';
import { DescribeJobDefinitionsCommand, DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand, type BatchClient } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBatch } from '../../runtime/local/batch/index.js';
import { type EventRecorder, nodeCommand, QUEUE, startBatch } from '../batch/helpers.js';

const VALUE = 'container-secret-value';
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:shop/API_KEY-AbCdEf';
const MISSING_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:shop/UNSET-AbCdEf';
const digest = (value: string) => createHash('sha256').update(value).digest('hex');

let batch: LocalBatch;
let client: BatchClient;
let recorder: EventRecorder;
const output = new Map<string, string[]>();
const reads: string[] = [];

beforeAll(async () => {
  ({ batch, client, recorder } = await startBatch({
    resolveSecret: async (valueFrom) => {
      reads.push(valueFrom);
      if (valueFrom === ARN) return VALUE;
      throw Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"), {
        name: 'ResourceNotFoundException',
      });
    },
    onOutput: (job, _stream, line) => output.set(job.jobId, [...(output.get(job.jobId) ?? []), line]),
  }));
});
afterAll(async () => {
  client?.destroy();
  await batch?.close();
});

/** Prints a digest of the secret variable, and whether it appears anywhere else than its own variable. */
const PRINT_DIGEST = `
const { createHash } = require('node:crypto');
const value = process.env.MULTINODE_SECRET_API_KEY;
console.log('digest ' + (value === undefined ? 'none' : createHash('sha256').update(value).digest('hex')));
`;

async function register(name: string, secrets: Array<{ name: string; valueFrom: string }>) {
  await client.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: name,
      type: 'container',
      containerProperties: { image: 'node', command: nodeCommand(PRINT_DIGEST), environment: [{ name: 'PLAIN', value: 'x' }], secrets },
    }),
  );
}

describe('container secrets on the local Batch endpoint', () => {
  it("gives the container the secret's value in its variable, and shows only names and ARNs", async () => {
    await register('with-secret', [{ name: 'MULTINODE_SECRET_API_KEY', valueFrom: ARN }]);
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'reads', jobQueue: QUEUE, jobDefinition: 'with-secret' }));
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('SUCCEEDED');
    expect(output.get(jobId!)).toEqual([`digest ${digest(VALUE)}`]);
    expect(reads).toContain(ARN);
    const [detail] = (await client.send(new DescribeJobsCommand({ jobs: [jobId!] }))).jobs!;
    expect(detail!.container!.secrets).toEqual([{ name: 'MULTINODE_SECRET_API_KEY', valueFrom: ARN }]);
    expect(detail!.container!.environment).toEqual([{ name: 'PLAIN', value: 'x' }]);
    const definitions = await client.send(new DescribeJobDefinitionsCommand({ jobDefinitions: ['with-secret'] }));
    expect(definitions.jobDefinitions![0]!.containerProperties!.secrets).toEqual([{ name: 'MULTINODE_SECRET_API_KEY', valueFrom: ARN }]);
    const everything = JSON.stringify([detail, definitions, recorder.events]);
    expect(everything).not.toContain(VALUE);
  });

  it('fails the attempt with ResourceInitializationError, starting no container, when a secret cannot be read', async () => {
    await register('with-missing-secret', [{ name: 'MULTINODE_SECRET_API_KEY', valueFrom: MISSING_ARN }]);
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'cannot-read', jobQueue: QUEUE, jobDefinition: 'with-missing-secret' }));
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    expect(done.detail.status).toBe('FAILED');
    expect(done.detail.statusReason).toBe(
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: ' +
        `failed to fetch secret ${MISSING_ARN}: ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSCURRENT`,
    );
    expect(recorder.statuses(jobId!)).not.toContain('RUNNING');
    expect(output.get(jobId!)).toBeUndefined();
    expect(done.detail.attempts).toHaveLength(1);
  });

  it('without secrets, a container has no secret variable', async () => {
    await register('without-secret', []);
    const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'plain', jobQueue: QUEUE, jobDefinition: 'without-secret' }));
    expect((await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED')).detail.status).toBe('SUCCEEDED');
    expect(output.get(jobId!)).toEqual(['digest none']);
  });
});
