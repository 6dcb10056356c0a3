/**
 * The local cloud's AWS Batch, for apps with definitions placed on Batch. It does locally what the CDK constructs
 * do in AWS, then lets the real pieces run:
 *  - the app bundle goes to the local S3 (the asset bucket's role), re-uploaded on every rebuild;
 *  - one job queue pair and one job definition per Batch-placed definition, with the real container command
 *    (`node -e BOOTSTRAP`) and the runtime's environment; containers get credentials from the local container
 *    credentials endpoint and the local endpoints from the SDK's `AWS_ENDPOINT_URL_<SERVICE>` variables;
 *  - a definition's secrets as container `secrets` (valueFrom the local Secrets Manager ARN), read with the real
 *    Secrets Manager client when a container starts, as ECS does; its config settings in the job definition's
 *    environment, as MultinodeApp sets them;
 *  - Batch job state changes go, as EventBridge's rule sends them (an asynchronous invoke), to the app's dispatcher
 *    function in the local Lambda (`lambdaFunction(DISPATCHER_DEFINITION)`), which reconciles the state table;
 *  - containers log, as the constructs configure the awslogs driver, to the app's Batch log group with the
 *    definition as stream prefix (`<definition>/default/<ECS task id>`) in the local CloudWatch Logs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isPlaced, type Manifest, type PlacedDefinition, secretsOf } from '../../../lib/manifest.js';
import { batchLogStreamPrefix, resourceNames } from '../../../lib/naming.js';
import { batchDefinitionEnvironment, BATCH_CONTAINER_IMAGE } from '../../batch/bootstrap.js';
import { batchContainerCommand } from '../../build/batch-command.js';
import { bundleFiles, HOST_MODULES_FOLDER } from '../../build/bundle.js';
import { folderEntries, tarGzip } from '../../build/tar.js';
import { clientConfig } from '../../core/clients.js';
import { DISPATCHER_DEFINITION, ENDPOINT_ENV, ENV, type RuntimeConfig, type Service } from '../../core/config.js';
import { JOB_TUNING_ENV } from '../../jobs/tuning.js';
import { secretValueEnv } from '../../settings/environment.js';
import { secretsClientConfig } from '../../settings/secrets-client.js';
import type { LocalServiceContext, LocalServiceExtension, LocalServiceInstance } from '../extensions.js';
import type { LocalSettings } from '../settings/local-settings.js';
import type { BatchStateChangeEvent } from './engine.js';
import { type LocalBatch, startLocalBatch } from './server.js';
import type { JobDefinitionInput } from './types.js';

/** The role ARN local job definitions carry: it makes containers get (local) credentials, as a job role does. */
export const LOCAL_JOB_ROLE = 'arn:aws:iam::000000000000:role/multinode-local-job';

export interface LocalBatchService extends LocalServiceInstance {
  readonly batch: LocalBatch;
}

/** Running instances by prefix, so tools and tests of a local cloud can reach its Batch. */
const running = new Map<string, LocalBatchService>();

export function localBatchOf(prefix: string): LocalBatchService | undefined {
  return running.get(prefix);
}

export const localBatchExtension: LocalServiceExtension = {
  name: 'batch',
  async start(context) {
    if (!needsBatch(context.manifest)) return undefined;
    return startAppBatch(context);
  },
};

export function needsBatch(manifest: Manifest): boolean {
  return manifest.definitions.some((d) => d.placement === 'batch');
}

export async function startAppBatch(context: LocalServiceContext): Promise<LocalBatchService> {
  const { config } = context;
  const names = resourceNames(config.prefix);
  const s3 = new S3Client(clientConfig(config, 's3'));
  const lambda = new LambdaClient(clientConfig(config, 'lambda', { maxAttempts: 1 }));
  // What ECS does with the execution role: reads each container secret just before the container starts.
  const secretsManager = config.endpoints?.secretsmanager ? new SecretsManagerClient(secretsClientConfig(config)) : undefined;
  let manifest = context.manifest;
  let build = 0;

  /**
   * Uploads the bundle as the archive the constructs make: its files (`app.mjs`, its chunks, their source maps, so
   * stack traces in containers name the sources, as in the Lambda workers) and, with native modules, node_modules
   * linking to this machine's copies (the ones beside the local bundle): containers here use the host's modules.
   */
  const upload = async (bundle: string): Promise<BundleKeys> => {
    const dir = path.dirname(bundle);
    const modules = path.join(dir, HOST_MODULES_FOLDER);
    const files = await Promise.all(
      bundleFiles(dir).map(async (name) => {
        const data = await readFile(path.join(dir, name));
        return { type: 'file' as const, path: name, data: name.endsWith('.map') ? Buffer.from(anchoredSourceMap(data.toString('utf8'), bundle)) : data };
      }),
    );
    const key = `multinode/bundles/${++build}/app.tar.gz`;
    const body = tarGzip([...files, ...(existsSync(modules) ? folderEntries(modules, HOST_MODULES_FOLDER) : [])]);
    await s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body }));
    return { key };
  };
  const definitionsFor = (current: Manifest, keys: BundleKeys): JobDefinitionInput[] =>
    current.definitions
      .filter(isPlaced)
      .filter((d) => d.placement === 'batch')
      .map((d) => jobDefinition(d, config, names.batchJobDefinition(d.name), keys, context.settings));
  const { delivery } = context.cloudLogs;
  context.cloudLogs.createLogGroup(names.batchLogGroup);

  const notice = imagesNotUsedLocally(manifest);
  if (notice) context.log('batch', notice);
  const keys = await upload(context.bundle);
  const batch = await startLocalBatch({
    region: config.region,
    jobQueues: [names.jobQueue, names.gpuJobQueue],
    jobDefinitions: definitionsFor(manifest, keys),
    containerEnvironment: (endpoint) => containerEnvironment({ ...config, endpoints: { ...config.endpoints, batch: endpoint } }),
    onStateChange: (event) => void deliver(event),
    ...(secretsManager
      ? {
          resolveSecret: async (valueFrom: string) => {
            const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: valueFrom }));
            if (output.SecretString === undefined) throw new Error(`${valueFrom} holds no SecretString`);
            return output.SecretString;
          },
        }
      : {}),
    onOutput: (job, _stream, line) => {
      const definition = manifest.definitions.find((d) => names.batchJobDefinition(d.name) === job.jobDefinition)?.name ?? job.jobDefinition;
      context.log(`${definition} (batch)`, line);
      delivery.push(job.logGroupName, job.logStreamName, line);
    },
    // The container is done writing: its last lines go out now rather than at the next tick.
    onOutputEnd: (job) => delivery.flush(job.logGroupName, job.logStreamName),
  });
  /** EventBridge's rule: an asynchronous invoke of the dispatcher with the event. */
  async function deliver(event: BatchStateChangeEvent): Promise<void> {
    const functionName = names.lambdaFunction(DISPATCHER_DEFINITION);
    try {
      await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
    } catch (error) {
      context.log('batch', `delivering a job state change to ${functionName} failed: ${(error as Error).message}`);
    }
  }

  const service: LocalBatchService = {
    batch,
    endpoints: { batch: batch.endpoint },
    async replaceBundle(bundle, next) {
      const before = imagesNotUsedLocally(manifest);
      const after = imagesNotUsedLocally(next);
      if (after && after !== before) context.log('batch', after);
      manifest = next;
      const nextKeys = await upload(bundle);
      for (const definition of definitionsFor(next, nextKeys)) batch.engine.registerDefinition(definition);
    },
    async close() {
      running.delete(config.prefix);
      await batch.close();
      s3.destroy();
      lambda.destroy();
      secretsManager?.destroy();
    },
  };
  running.set(config.prefix, service);
  return service;
}

function imageOf(definition: PlacedDefinition): string | null {
  return definition.kind === 'service' ? null : definition.options.image;
}

/**
 * The line `multinode dev` prints for Batch definitions with an `image`: locally, containers are processes of this
 * machine's node, so the image (and what it holds: CUDA libraries, system packages) is not used.
 */
export function imagesNotUsedLocally(manifest: Manifest): string | undefined {
  const withImage = manifest.definitions.filter(isPlaced).filter((d) => d.placement === 'batch' && imageOf(d));
  if (withImage.length === 0) return undefined;
  const list = withImage.map((d) => `${d.name} (${imageOf(d)})`).join(', ');
  return `${list}: the image is not used locally; ${withImage.length === 1 ? 'it runs' : 'they run'} with this machine's node ${process.version}.`;
}

/** Where a build's bundle archive was uploaded. */
interface BundleKeys {
  readonly key: string;
}

/** A definition's job definition, as the CDK constructs create it (command, environment, secrets, resources, role). */
function jobDefinition(definition: PlacedDefinition, config: RuntimeConfig, name: string, bundle: BundleKeys, settings?: LocalSettings): JobDefinitionInput {
  const compute = definition.compute?.type === 'batch' ? definition.compute : undefined;
  const environment = {
    [ENV.app]: config.app,
    [ENV.prefix]: config.prefix,
    [ENV.bucket]: config.bucket,
    ...batchDefinitionEnvironment({
      bundleBucket: config.bucket,
      bundleKey: bundle.key,
      definition: definition.name,
      region: config.region,
    }),
    ...settings?.configEnvironment(),
  };
  const arns = new Map(settings?.secrets().map((s) => [s.name, s.arn]));
  const secrets = secretsOf(definition).map((secret) => ({ name: secretValueEnv(secret), valueFrom: arns.get(secret) ?? secret }));
  return {
    jobDefinitionName: name,
    // Recorded as deployed; a container here runs with this machine's node (imagesNotUsedLocally says so).
    image: imageOf(definition) ?? BATCH_CONTAINER_IMAGE,
    command: batchContainerCommand(),
    environment: Object.entries(environment).map(([n, value]) => ({ name: n, value })),
    resourceRequirements: compute
      ? [
          { type: 'VCPU', value: String(compute.vcpu) },
          { type: 'MEMORY', value: String(compute.memoryMiB) },
        ]
      : [],
    jobRoleArn: LOCAL_JOB_ROLE,
    ...(secrets.length > 0 ? { secrets } : {}),
    platformCapabilities: [compute?.platform === 'ec2' ? 'EC2' : 'FARGATE'],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': resourceNames(config.prefix).batchLogGroup, 'awslogs-stream-prefix': batchLogStreamPrefix(definition.name) },
    },
  };
}

/**
 * The map names the sources relative to the bundle's folder; a container runs the bundle from a temporary folder,
 * so the map gets the build folder as its `sourceRoot` and the sources keep their real paths.
 */
function anchoredSourceMap(map: string, bundle: string): string {
  const parsed = JSON.parse(map) as { sourceRoot?: string };
  return JSON.stringify({ ...parsed, sourceRoot: `${pathToFileURL(path.dirname(bundle)).href}/${parsed.sourceRoot ?? ''}` });
}

/** What the local "host" adds to every container: the local endpoints (and the job timings, when tuned). */
function containerEnvironment(config: RuntimeConfig): Record<string, string> {
  const env: Record<string, string> = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' };
  for (const [service, url] of Object.entries(config.endpoints ?? {})) if (url) env[ENDPOINT_ENV[service as Service]] = url;
  if (process.env[JOB_TUNING_ENV]) env[JOB_TUNING_ENV] = process.env[JOB_TUNING_ENV];
  return env;
}
