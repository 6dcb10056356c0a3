/**
 * The stack wires the real runtime: the bundle every Lambda and container runs exports the handler the functions
 * name and the entry the Batch bootstrap calls; Lambda environments satisfy the runtime's configuration reader;
 * job definitions carry the bootstrap command and the variables it reads; the dispatcher is the function the
 * runtime expects.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAMBDA_HANDLER } from '../../constructs/index.js';
import { BATCH_ENTRY_EXPORT, BATCH_ENV } from '../../runtime/batch/bootstrap.js';
import { batchContainerCommand } from '../../runtime/build/batch-command.js';
import { configFromEnv, DISPATCHER_DEFINITION } from '../../runtime/core/config.js';
import { SCHEDULE_START_RESOURCE_TYPE } from '../../runtime/schedules/start-date-event.js';
import { DEFAULT_JOB_TUNING } from '../../runtime/jobs/tuning.js';
import { exampleEntry, oneResource, resourcesOf, synthApp } from './helpers.js';

describe('daily-16cpu and tweet-summaries against the runtime', () => {
  const daily = synthApp(exampleEntry('daily-16cpu'), { prefix: 'daily' });
  const tweets = synthApp(exampleEntry('tweet-summaries'), { prefix: 'tweets' });

  it('ships a bundle exporting the Lambda handler and the Batch entry', () => {
    const [file, exported] = LAMBDA_HANDLER.split('.') as [string, string];
    const bundle = path.join(daily.mn.bundleDir, `${file}.mjs`);
    const script =
      `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(JSON.stringify({ handler: typeof ` +
      `m[${JSON.stringify(exported)}], batch: typeof m[${JSON.stringify(BATCH_ENTRY_EXPORT)}] }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ handler: 'function', batch: 'function' });
  });

  it('gives every Lambda an environment the runtime configuration accepts (Lambda adds AWS_REGION)', () => {
    for (const { template } of [daily, tweets]) {
      for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
        const env = Object.fromEntries(
          Object.entries(fn.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : 'payloads-bucket-1a2b3c']),
        );
        const config = configFromEnv({ ...env, AWS_REGION: 'eu-west-2' });
        expect(config.prefix).toBe(env.MULTINODE_PREFIX);
      }
    }
  });

  it('runs heavy definitions with the bootstrap command and the variables it reads', () => {
    const [, job] = oneResource(daily.template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === 'daily-weekdaysAt23');
    expect(job.ContainerProperties.Command).toEqual(batchContainerCommand());
    const names = job.ContainerProperties.Environment.map((e: { Name: string }) => e.Name);
    expect(names).toEqual(expect.arrayContaining([BATCH_ENV.bundleBucket, BATCH_ENV.bundleKey, BATCH_ENV.definition, BATCH_ENV.region]));
    // Per-run variables are the runtime's to set at submit time, not the job definition's.
    expect(names).not.toContain(BATCH_ENV.run);
    const bundleKey = job.ContainerProperties.Environment.find((e: { Name: string }) => e.Name === BATCH_ENV.bundleKey).Value;
    // The bundle's archive (app.mjs, its chunks and their maps), which the bootstrap unpacks.
    expect(bundleKey).toMatch(/^[0-9a-f]{64}\.gz$/);
  });

  it('names the dispatcher as the runtime does', () => {
    daily.template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: daily.mn.names.lambdaFunction(DISPATCHER_DEFINITION) });
    expect(daily.mn.dispatcher).toBeDefined();
    expect(tweets.mn.dispatcher).toBeUndefined();
  });
});

describe('a job placed on Lambda', () => {
  const jobs = synthApp(path.join(import.meta.dirname, '../jobs/fixtures/jobs-app/src/app.ts'), { prefix: 'jobs' });
  const timeoutOf = (name: string) =>
    oneResource(jobs.template, 'AWS::Lambda::Function', (p) => p.FunctionName === jobs.mn.names.lambdaFunction(name))[1].Timeout as number;

  it('gets a function timeout past the job timeout by the grace period and the final write, so the handler can stop', () => {
    const allowance = DEFAULT_JOB_TUNING.graceMs / 1000 + 1;
    expect(timeoutOf('lightShort')).toBe(3 + allowance);
    expect(timeoutOf('lightCountdown')).toBe(120 + allowance);
    // A job with the default timeout of 15 minutes is capped at Lambda's 15 minutes.
    expect(timeoutOf('lightFlaky')).toBe(900);
  });
});

describe('a rate schedule', () => {
  it('gets its start from the shipped bundle, which answers CloudFormation at the response URL', async () => {
    const fixture = path.join(import.meta.dirname, 'fixtures/rate-schedule/src/app.ts');
    const { mn: rate, template } = synthApp(fixture, { prefix: 'rate' });
    const [startId, start] = oneResource(template, SCHEDULE_START_RESOURCE_TYPE, () => true);
    const [, dispatcher] = oneResource(template, 'AWS::Lambda::Function', (p) => p.FunctionName === rate.names.lambdaFunction(DISPATCHER_DEFINITION));
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const event = {
        RequestType: 'Create',
        ResponseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`,
        StackId: 'stack',
        RequestId: 'request',
        LogicalResourceId: startId,
        ResourceType: SCHEDULE_START_RESOURCE_TYPE,
        ResourceProperties: start,
      };
      const [file, exported] = LAMBDA_HANDLER.split('.') as [string, string];
      const bundle = pathToFileURL(path.join(rate.bundleDir, `${file}.mjs`)).href;
      const script =
        `const m = await import(${JSON.stringify(bundle)}); await m[${JSON.stringify(exported)}](${JSON.stringify(event)}, { ` +
        `functionName: ${JSON.stringify(dispatcher.FunctionName)}, awsRequestId: 'r', getRemainingTimeInMillis: () => 60000 });`;
      const env = {
        ...process.env,
        ...Object.fromEntries(
          Object.entries(dispatcher.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : 'rate-payloads']),
        ),
        AWS_REGION: 'eu-west-2',
      };
      const before = Date.now();
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(stderr).not.toMatch(/Error/);
      expect(code).toBe(0);
      const answer = JSON.parse(bodies[0]!);
      expect(answer).toMatchObject({ Status: 'SUCCESS', LogicalResourceId: startId });
      const startDate = Date.parse(answer.Data.StartDate);
      expect(startDate).toBeGreaterThan(before);
      expect((startDate - Date.parse('2024-01-01T06:00:00Z')) % (36 * 3_600_000)).toBe(0);
    } finally {
      server.close();
    }
  });
});
