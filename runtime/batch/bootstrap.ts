/**
 * How a Batch container runs the app without a Docker build: the job definition uses the public Node.js image and
 * the command `node -e BOOTSTRAP`. The bootstrap (plain JavaScript, no dependencies: the image has no AWS SDK)
 *  1. reads the task role's credentials from the container credentials endpoint
 *     (`http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI`),
 *  2. GETs the app bundle from S3 with a SigV4-signed request (node:crypto + global fetch),
 *  3. writes it to a temporary file, imports it, and runs its `batch` export, which runs the definition named in
 *     the job's environment and resolves to the exit code.
 * When the job definition names the bundle's source map too (MULTINODE_BUNDLE_MAP_KEY), the bootstrap fetches it
 * (best effort) beside the bundle and turns source maps on, so stack traces name the app's sources as in Lambda.
 * A failure before the runtime runs is one JSON log line on stdout, in the runtime's format (core/logger.ts).
 * The same bundle runs in Lambda and locally; the local Batch endpoint runs this very command as a child process.
 *
 * This module also holds what the CDK constructs must wire for Batch: image, command, environment, IAM actions and
 * the EventBridge pattern of Batch job state changes.
 */
import { SIGV4_SOURCE } from './sigv4-source.js';

/** The Docker Official Node image via ECR Public (no Docker Hub rate limit); its entrypoint just execs the command. */
export const BATCH_CONTAINER_IMAGE = 'public.ecr.aws/docker/library/node:22-slim';

/** The bundle export the bootstrap calls: `batch(): Promise<number>` (the process exit code). */
export const BATCH_ENTRY_EXPORT = 'batch';

/** Environment variables of a Batch container, by role. */
export const BATCH_ENV = {
  /** S3 bucket of the app bundle (the CDK asset bucket). Set in the job definition. */
  bundleBucket: 'MULTINODE_BUNDLE_BUCKET',
  /** S3 key of the app bundle file (`app.mjs` uploaded as a single-file asset). Set in the job definition. */
  bundleKey: 'MULTINODE_BUNDLE_KEY',
  /** S3 key of the bundle's source map (`app.mjs.map`), optional: stack traces then name the sources. Set in the job definition. */
  bundleMapKey: 'MULTINODE_BUNDLE_MAP_KEY',
  /** The definition (function, job or scheduled task) this job definition runs. Set in the job definition. */
  definition: 'MULTINODE_DEFINITION',
  /** The run (state-table id) a submitted job works on. Set per job in `containerOverrides.environment`. */
  run: 'MULTINODE_RUN',
  /** Our attempt number of that run (Batch's own retries are not used). Set per job in the overrides. */
  attempt: 'MULTINODE_ATTEMPT',
  /** Region for S3 and the app's clients; set it in the job definition (the bootstrap also reads AWS_DEFAULT_REGION). */
  region: 'AWS_REGION',
} as const;

/** What the job definition's environment must hold besides the app's runtime variables (runtime/config.ts). */
export function batchDefinitionEnvironment(input: {
  bundleBucket: string;
  bundleKey: string;
  bundleMapKey?: string;
  definition: string;
  region: string;
}): Record<string, string> {
  return {
    [BATCH_ENV.bundleBucket]: input.bundleBucket,
    [BATCH_ENV.bundleKey]: input.bundleKey,
    ...(input.bundleMapKey ? { [BATCH_ENV.bundleMapKey]: input.bundleMapKey } : {}),
    [BATCH_ENV.definition]: input.definition,
    [BATCH_ENV.region]: input.region,
  };
}

/**
 * The EventBridge rule pattern that delivers Batch job state changes for the app's queues to the app handler, so a
 * container that dies ends its run as FAILED with the reason (Batch sends no event for the initial submission).
 */
export function batchStateChangePattern(jobQueueArns: readonly string[]): {
  source: string[];
  'detail-type': string[];
  detail: { jobQueue: string[]; status: string[] };
} {
  return {
    source: ['aws.batch'],
    'detail-type': ['Batch Job State Change'],
    detail: { jobQueue: [...jobQueueArns], status: ['SUCCEEDED', 'FAILED'] },
  };
}

const MAIN_SOURCE = `
async function mnRetry(what, once) {
  let last;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    try {
      return await once();
    } catch (error) {
      last = error;
      if (error.final) break;
    }
  }
  throw new Error(what + ': ' + (last && last.message));
}

async function mnContainerCredentials(env) {
  let uri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) uri = 'http://169.254.170.2' + env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (!uri) throw new Error('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set: give the job definition a job role');
  const headers = {};
  if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) headers.authorization = fs.readFileSync(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8').trim();
  else if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN) headers.authorization = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  return mnRetry('cannot read container credentials from ' + uri, async () => {
    const response = await fetch(uri, { headers, signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error('HTTP ' + response.status + ' ' + (await response.text()).slice(0, 200));
    const body = await response.json();
    return { accessKeyId: body.AccessKeyId, secretAccessKey: body.SecretAccessKey, sessionToken: body.Token };
  });
}

function mnRequire(env, name) {
  if (!env[name]) throw new Error(name + ' is not set: the job definition must set it');
  return env[name];
}

async function mnMain() {
  const env = process.env;
  const bucket = mnRequire(env, 'MULTINODE_BUNDLE_BUCKET');
  const key = mnRequire(env, 'MULTINODE_BUNDLE_KEY');
  const region = env.AWS_REGION || mnRequire(env, 'AWS_DEFAULT_REGION');
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || mnS3Endpoint(region);
  const credentials = await mnContainerCredentials(env);
  // S3 errors 5xx and dropped connections are worth another try; a 4xx (no such key, access denied) is final.
  const get = (k) => mnRetry('GET s3://' + bucket + '/' + k + ' failed', async () => {
    const url = mnS3ObjectUrl(endpoint, bucket, k);
    const response = await fetch(url, { headers: mnSignS3Get(url, region, credentials, new Date()), signal: AbortSignal.timeout(60000) });
    if (!response.ok) {
      const error = new Error('HTTP ' + response.status + ' ' + (await response.text()).slice(0, 500));
      error.final = response.status < 500;
      throw error;
    }
    return Buffer.from(await response.arrayBuffer());
  });
  const bundle = await get(key);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multinode-'));
  const file = path.join(dir, 'app.mjs');
  fs.writeFileSync(file, bundle);
  // The bundle names its map app.mjs.map; without one, traces point into the bundle.
  if (env.MULTINODE_BUNDLE_MAP_KEY) {
    const enable = (map) => {
      fs.writeFileSync(file + '.map', map);
      process.setSourceMapsEnabled(true);
    };
    await get(env.MULTINODE_BUNDLE_MAP_KEY).then(enable, () => {});
  }
  const app = await import(url_.pathToFileURL(file).href);
  if (typeof app.batch !== 'function') throw new Error('s3://' + bucket + '/' + key + ' has no "batch" export: it is not a multinode app bundle');
  return app.batch();
}

mnMain().then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (error) => {
    const e = error instanceof Error ? error : new Error(String(error));
    const line = { timestamp: new Date().toISOString(), level: 'ERROR', requestId: process.env.AWS_BATCH_JOB_ID, message: 'multinode bootstrap failed',
      errorType: e.name, errorMessage: e.message, stackTrace: String(e.stack).split('\\n') };
    process.stdout.write(JSON.stringify(line) + '\\n');
    process.exit(1);
  },
);
`;

/**
 * The bootstrap script run by `node -e` in every Batch container (CommonJS; uses only Node built-ins). Indentation,
 * comment lines and blank lines are dropped (no string in it spans lines): Batch passes the command to ECS among the container
 * overrides, which hold 8,192 characters in all with the environment (docs/aws-behaviour.md, "Batch SubmitJob limits").
 */
export const BOOTSTRAP_SCRIPT = [
  "'use strict';",
  "const crypto = require('node:crypto'), fs = require('node:fs'), os = require('node:os'), path = require('node:path'), url_ = require('node:url');",
  SIGV4_SOURCE.trim(),
  MAIN_SOURCE.trim(),
]
  .join('\n')
  .replace(/^[ \t]+/gm, '')
  .replace(/^\/\/.*\n/gm, '')
  .replace(/\n{2,}/g, '\n');

/** The job definition's command: Docker CMD for the Node image (Batch ECS jobs have no entrypoint override). */
export function batchContainerCommand(): string[] {
  return ['node', '-e', BOOTSTRAP_SCRIPT];
}
