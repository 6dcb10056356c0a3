/**
 * The real bootstrap command, run by the local Batch endpoint as a container would run it: credentials from the
 * container credentials endpoint, a signed GET of the bundle from S3 (s3rver, and a stand-in that checks every
 * signature with the SDK's signer), import, then the bundle's `batch` export decides the exit code.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { RegisterJobDefinitionCommand, SubmitJobCommand, type BatchClient } from '@aws-sdk/client-batch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchDefinitionEnvironment, BATCH_CONTAINER_IMAGE, batchStateChangePattern } from '../../runtime/batch/bootstrap.js';
import { BOOTSTRAP_SCRIPT, batchContainerCommand } from '../../runtime/build/batch-command.js';
import type { LocalBatch } from '../../runtime/local/batch/index.js';
import { parseLogLine } from '../../runtime/core/logger.js';
import { NODE_TOO_OLD_EXIT_CODE } from '../../runtime/batch/bootstrap.js';
import { tarGzip, type TarEntry } from '../../runtime/build/tar.js';
import { type EventRecorder, QUEUE, Sha256, startBatch } from './helpers.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

const ROLE = 'arn:aws:iam::000000000000:role/job-role';
/** A stand-in bundle: what the real app bundle's `batch` export does, reduced to recording that it ran. */
const BUNDLE = `
import { writeFileSync } from 'node:fs';
export async function batch() {
  writeFileSync(process.env.OUT + '/' + process.env.AWS_BATCH_JOB_ID + '.json', JSON.stringify({
    definition: process.env.MULTINODE_DEFINITION, run: process.env.MULTINODE_RUN, moduleUrl: import.meta.url,
  }));
  return Number(process.env.EXIT ?? 0);
}
`;

let s3: S3rverInstance;
let s3Endpoint: string;
let out: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mn-s3-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const address = await s3.run();
  s3Endpoint = `http://127.0.0.1:${address.port}`;
  out = mkdtempSync(path.join(os.tmpdir(), 'mn-bootstrap-'));
  const client = new S3Client({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: 'assets' }));
  await client.send(new PutObjectCommand({ Bucket: 'assets', Key: 'bundles/app.mjs', Body: BUNDLE }));
  await client.send(new PutObjectCommand({ Bucket: 'assets', Key: 'not-an-app.mjs', Body: 'export const nothing = 1;' }));
  await client.send(new PutObjectCommand({ Bucket: 'assets', Key: 'bundles/native.tar.gz', Body: nativeArchive() }));
  client.destroy();
});

afterAll(async () => {
  await s3?.close();
});

/**
 * An app with a native module, as the constructs ship it to Batch: a gzipped tar of the bundle (importing a
 * package), its source map, and node_modules holding the package (with a long path, written with a pax header), and
 * as the local cloud ships it: a package linked to a folder of this machine.
 */
function nativeArchive(): Buffer {
  // Longer than ustar's 100 bytes for a link target: written with a pax header.
  const host = path.join(mkdtempSync(path.join(os.tmpdir(), 'mn-host-module-')), 'l'.repeat(100));
  mkdirSync(host);
  writeFileSync(path.join(host, 'package.json'), JSON.stringify({ name: 'linked-module', main: 'index.js' }));
  writeFileSync(path.join(host, 'index.js'), "module.exports = 'linked from the host';");
  // A file name longer than ustar's 100 bytes: written with a pax header.
  const deep = `node_modules/fake-native/data/${'n'.repeat(110)}.json`;
  const text = (value: string) => new TextEncoder().encode(value);
  const entries: TarEntry[] = [
    {
      type: 'file',
      path: 'app.mjs',
      data: text(`
import fake from 'fake-native';
import linked from 'linked-module';
import { writeFileSync } from 'node:fs';
export async function batch() {
  writeFileSync(process.env.OUT + '/' + process.env.AWS_BATCH_JOB_ID + '.json', JSON.stringify({
    fake, linked, moduleUrl: import.meta.url, sourceMaps: process.sourceMapsEnabled,
  }));
  return 0;
}
`),
    },
    { type: 'file', path: 'app.mjs.map', data: text('{"version":3,"sources":[],"names":[],"mappings":""}') },
    { type: 'directory', path: 'node_modules/fake-native' },
    { type: 'file', path: 'node_modules/fake-native/package.json', data: text('{"name":"fake-native","main":"index.js"}') },
    {
      type: 'file',
      path: 'node_modules/fake-native/index.js',
      data: text(`module.exports = require('./${deep.slice('node_modules/fake-native/'.length)}').word;`),
    },
    { type: 'file', path: deep, data: text('{"word":"unpacked"}') },
    { type: 'symlink', path: 'node_modules/linked-module', target: host },
  ];
  return tarGzip(entries);
}

async function registerBootstrap(client: BatchClient, name: string, key: string, options: { role?: boolean; command?: string[] } = {}) {
  await client.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: name,
      type: 'container',
      containerProperties: {
        image: BATCH_CONTAINER_IMAGE,
        command: options.command ?? batchContainerCommand(),
        environment: Object.entries({
          ...batchDefinitionEnvironment({ bundleBucket: 'assets', bundleKey: key, definition: 'heavyThing', region: 'us-east-1' }),
          OUT: out,
        }).map(([n, value]) => ({ name: n, value })),
        ...(options.role === false ? {} : { jobRoleArn: ROLE }),
      },
    }),
  );
}

describe('the Batch bootstrap, run by the local Batch endpoint against s3rver', () => {
  let batch: LocalBatch;
  let client: BatchClient;
  let recorder: EventRecorder;

  beforeAll(async () => {
    ({ batch, client, recorder } = await startBatch({ containerEnvironment: { AWS_ENDPOINT_URL_S3: s3Endpoint } }));
    await registerBootstrap(client, 'app', 'bundles/app.mjs');
    await registerBootstrap(client, 'missing', 'bundles/missing.mjs');
    await registerBootstrap(client, 'not-an-app', 'not-an-app.mjs');
    await registerBootstrap(client, 'no-role', 'bundles/app.mjs', { role: false });
    await registerBootstrap(client, 'native', 'bundles/native.tar.gz');
    // An image whose node is 18: Node's reported version, changed before the bootstrap runs.
    const preload = path.join(mkdtempSync(path.join(os.tmpdir(), 'mn-old-node-')), 'old-node.cjs');
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.20.4' } }); " +
        "Object.defineProperty(process, 'version', { value: 'v18.20.4' });",
    );
    const [node, flag, script] = batchContainerCommand();
    await registerBootstrap(client, 'old-node', 'bundles/app.mjs', { command: [node!, '-r', preload, flag!, script!] });
  });
  afterAll(async () => {
    await batch?.close();
  });

  async function run(jobDefinition: string, environment: Record<string, string> = {}) {
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'boot',
        jobQueue: QUEUE,
        jobDefinition,
        containerOverrides: { environment: Object.entries({ MULTINODE_RUN: 'run-1', ...environment }).map(([name, value]) => ({ name, value })) },
      }),
    );
    const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
    return { jobId: jobId!, detail: done.detail, logs: batch.engine.logs(jobId!) };
  }

  it('fetches the bundle with the task role, imports it and runs its batch export', async () => {
    const { jobId, detail, logs } = await run('app');
    expect(logs).toBe('');
    expect(detail.status).toBe('SUCCEEDED');
    const ran = JSON.parse(readFileSync(path.join(out, `${jobId}.json`), 'utf8')) as Record<string, string>;
    expect(ran.definition).toBe('heavyThing');
    expect(ran.run).toBe('run-1');
    expect(ran.moduleUrl).toMatch(/^file:\/\/.*\/app\.mjs$/);
  });

  it('exits with the code the batch export returns', async () => {
    const { detail } = await run('app', { EXIT: '3' });
    expect(detail.status).toBe('FAILED');
    expect(detail.container!.exitCode).toBe(3);
  });

  it('fails with the S3 error when the bundle is missing, in one JSON log line', async () => {
    const { jobId, detail, logs } = await run('missing');
    expect(detail.status).toBe('FAILED');
    expect(detail.container!.exitCode).toBe(1);
    expect(logs.trimEnd().split('\n')).toHaveLength(1);
    const line = bootstrapError(logs);
    expect(line).toMatchObject({ level: 'ERROR', requestId: jobId, message: 'multinode bootstrap failed', errorType: 'Error' });
    expect(line.errorMessage).toContain('GET s3://assets/bundles/missing.mjs failed: HTTP 404');
    expect(line.errorMessage).toContain('NoSuchKey');
    expect(line.stackTrace![0]).toContain('GET s3://assets/bundles/missing.mjs failed');
  });

  it('fails clearly when the object is not an app bundle', async () => {
    const { detail, logs } = await run('not-an-app');
    expect(detail.status).toBe('FAILED');
    expect(bootstrapError(logs).errorMessage).toContain('has no "batch" export');
  });

  it('unpacks a gzipped tar of the bundle with its node_modules (pax paths, host links) and turns on its source map', async () => {
    const { jobId, detail, logs } = await run('native');
    expect(logs).toBe('');
    expect(detail.status).toBe('SUCCEEDED');
    const ran = JSON.parse(readFileSync(path.join(out, `${jobId}.json`), 'utf8')) as Record<string, unknown>;
    expect(ran).toMatchObject({ fake: 'unpacked', linked: 'linked from the host', sourceMaps: true });
    expect(ran.moduleUrl).toMatch(/^file:\/\/.*\/app\.mjs$/);
  });

  it('refuses an image whose node is older than 20, saying so, with its own exit code', async () => {
    const { jobId, detail, logs } = await run('old-node');
    expect(detail.status).toBe('FAILED');
    expect(detail.container!.exitCode).toBe(NODE_TOO_OLD_EXIT_CODE);
    expect(existsSync(path.join(out, `${jobId}.json`))).toBe(false);
    const line = bootstrapError(logs);
    expect(line).toMatchObject({ level: 'ERROR', requestId: jobId, message: 'multinode bootstrap failed', errorType: 'NodeVersionError' });
    expect(line.errorMessage).toBe(
      'the container image has Node.js v18.20.4; multinode runs the app with Node.js 20 or newer: use an image whose node is 20 or newer',
    );
  });

  it('fails clearly without a job role (no container credentials)', async () => {
    const { detail, logs } = await run('no-role');
    expect(detail.status).toBe('FAILED');
    expect(bootstrapError(logs).errorMessage).toContain('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set');
  });
});

describe('the bootstrap request, checked by the SDK signer', () => {
  it('sends a GET whose SigV4 signature (with session token) the SDK reproduces from what arrived', async () => {
    const credentials = { accessKeyId: 'ASIATESTKEY', secretAccessKey: 'test/secret+key', sessionToken: 'session-token-value' };
    const checks: Array<{ path: string; ok: boolean }> = [];
    const server = http.createServer(async (request, response) => {
      const headers = request.headers as Record<string, string>;
      const amzDate = headers['x-amz-date']!;
      const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
      const [hostname, port] = headers.host!.split(':');
      const signer = new SignatureV4({ service: 's3', region: 'eu-west-2', credentials, sha256: Sha256, uriEscapePath: false });
      const expected = await signer.sign(
        {
          method: request.method!,
          protocol: 'http:',
          hostname: hostname!,
          port: Number(port),
          path: request.url!,
          query: {},
          headers: { host: headers.host!, 'x-amz-content-sha256': headers['x-amz-content-sha256']!, 'x-amz-security-token': headers['x-amz-security-token']! },
        },
        { signingDate },
      );
      const ok = expected.headers.authorization === headers.authorization;
      checks.push({ path: request.url!, ok });
      response.writeHead(ok ? 200 : 403, { 'content-type': 'text/javascript' });
      response.end(ok ? BUNDLE : '<Error><Code>SignatureDoesNotMatch</Code></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { batch, client, recorder } = await startBatch({
      region: 'eu-west-2',
      containerEnvironment: { AWS_ENDPOINT_URL_S3: endpoint },
      containerCredentials: { credentials },
    });
    try {
      await client.send(
        new RegisterJobDefinitionCommand({
          jobDefinitionName: 'signed',
          type: 'container',
          containerProperties: {
            image: BATCH_CONTAINER_IMAGE,
            command: batchContainerCommand(),
            jobRoleArn: ROLE,
            environment: Object.entries({
              ...batchDefinitionEnvironment({ bundleBucket: 'cdk-assets-eu', bundleKey: 'a b/(app).mjs', definition: 'd', region: 'eu-west-2' }),
              OUT: out,
            }).map(([name, value]) => ({ name, value })),
          },
        }),
      );
      const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'signed', jobQueue: QUEUE, jobDefinition: 'signed' }));
      const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
      expect(batch.engine.logs(jobId!)).toBe('');
      expect(done.detail.status).toBe('SUCCEEDED');
      expect(checks).toEqual([{ path: '/cdk-assets-eu/a%20b/%28app%29.mjs', ok: true }]);
      expect(existsSync(path.join(out, `${jobId}.json`))).toBe(true);
    } finally {
      await batch.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('what the constructs wire', () => {
  it('runs `node -e` with the bootstrap on the public Node image', () => {
    expect(BATCH_CONTAINER_IMAGE).toBe('public.ecr.aws/docker/library/node:22-slim');
    expect(batchContainerCommand()).toEqual(['node', '-e', BOOTSTRAP_SCRIPT]);
    // The command travels in the container overrides with the environment (8,192 characters in all): it ships minified.
    expect(JSON.stringify(BOOTSTRAP_SCRIPT).length).toBeLessThan(5500);
  });

  it('subscribes to final Batch job state changes of the given queues', () => {
    expect(batchStateChangePattern(['arn:q'])).toEqual({
      source: ['aws.batch'],
      'detail-type': ['Batch Job State Change'],
      detail: { jobQueue: ['arn:q'], status: ['SUCCEEDED', 'FAILED'] },
    });
  });
});

describe('the bootstrap download', () => {
  /** A Batch endpoint whose containers fetch from a server answering with `statuses` in turn (then the bundle). */
  async function fetchThrough(statuses: number[]) {
    const seen: number[] = [];
    const server = http.createServer((request, response) => {
      request.resume();
      const status = statuses[seen.length] ?? 200;
      seen.push(status);
      response.writeHead(status, { 'content-type': status === 200 ? 'text/javascript' : 'application/xml' });
      response.end(status === 200 ? BUNDLE : `<Error><Code>${status === 403 ? 'AccessDenied' : 'SlowDown'}</Code></Error>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { batch, client, recorder } = await startBatch({
      containerEnvironment: { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    });
    try {
      await registerBootstrap(client, 'flaky-s3', 'app.mjs');
      const { jobId } = await client.send(new SubmitJobCommand({ jobName: 'flaky', jobQueue: QUEUE, jobDefinition: 'flaky-s3' }));
      const done = await recorder.waitFor(jobId!, 'SUCCEEDED', 'FAILED');
      return { status: done.detail.status, logs: batch.engine.logs(jobId!), seen };
    } finally {
      await batch.close();
      server.closeAllConnections();
      server.close();
    }
  }

  it('tries again after S3 server errors', async () => {
    const { status, logs, seen } = await fetchThrough([503, 500]);
    expect(logs).toBe('');
    expect(status).toBe('SUCCEEDED');
    expect(seen).toEqual([503, 500, 200]);
  });

  it('gives up at once on a refusal (4xx), saying why', async () => {
    const { status, logs, seen } = await fetchThrough([403]);
    expect(status).toBe('FAILED');
    expect(seen).toEqual([403]);
    expect(bootstrapError(logs).errorMessage).toContain('GET s3://assets/app.mjs failed: HTTP 403');
  });
});

/** The bootstrap's failure: the last line the container wrote, a JSON log line. */
function bootstrapError(logs: string) {
  const record = parseLogLine(logs.trimEnd().split('\n').pop() ?? '');
  if (!record) throw new Error(`the container's last line is not a log line: ${logs}`);
  return record;
}
