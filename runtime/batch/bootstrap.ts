/**
 * How a Batch container runs the app without a Docker build: the job definition uses the public Node.js image and
 * the command `node -e BOOTSTRAP`. The bootstrap (plain JavaScript, no dependencies: the image has no AWS SDK)
 *  1. reads the task role's credentials from the container credentials endpoint
 *     (`http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI`),
 *  2. GETs the app bundle from S3 with a SigV4-signed request (node:crypto + global fetch),
 *  3. writes it to a temporary folder (a gzipped tar, for an app with native modules: the bundle, its source map
 *     and `node_modules` with those modules built for the container's platform, unpacked with node:zlib and a small
 *     tar reader), imports it, and runs its `batch` export, which runs the definition named in the job's environment
 *     and resolves to the exit code.
 * Before anything, it checks that the image's `node` is 20 or newer (an image given with the `image` option may
 * have an older one), else it exits with NODE_TOO_OLD_EXIT_CODE and says so.
 * When the archive holds the source map, or the job definition names one (MULTINODE_BUNDLE_MAP_KEY, fetched best
 * effort), the bootstrap turns source maps on, so stack traces name the app's sources as in Lambda.
 * A failure before the runtime runs is one JSON log line on stdout, in the runtime's format (core/logger.ts).
 * The same bundle runs in Lambda and locally; the local Batch endpoint runs this very command as a child process.
 *
 * This module also holds what the CDK constructs must wire for Batch: image, environment and the EventBridge pattern
 * of Batch job state changes (the command, the minified bootstrap, is runtime/build/batch-command.ts).
 */
import { SIGV4_SOURCE } from './sigv4-source.js';

/** The Docker Official Node image via ECR Public (no Docker Hub rate limit); its entrypoint just execs the command. */
export const BATCH_CONTAINER_IMAGE = 'public.ecr.aws/docker/library/node:22-slim';

/** The oldest Node.js major version the runtime runs on (the bundle targets node20). */
export const MIN_NODE_MAJOR = 20;

/** The container's exit code when the image's `node` is older than MIN_NODE_MAJOR (EX_CONFIG of sysexits.h). */
export const NODE_TOO_OLD_EXIT_CODE = 78;

/** The bundle export the bootstrap calls: `batch(): Promise<number>` (the process exit code). */
export const BATCH_ENTRY_EXPORT = 'batch';

/** Environment variables of a Batch container, by role. */
export const BATCH_ENV = {
  /** S3 bucket of the app bundle (the CDK asset bucket). Set in the job definition. */
  bundleBucket: 'MULTINODE_BUNDLE_BUCKET',
  /**
   * S3 key of the app bundle: `app.mjs` uploaded as a single-file asset, or, for an app with native modules, a
   * gzipped tar of the bundle and its `node_modules` (told apart by gzip's first bytes). Set in the job definition.
   */
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

/**
 * First, in syntax every Node.js parses: an image's older `node` gets a clear message rather than a failure
 * somewhere in the runtime. The rest avoids syntax newer than Node 14 (no "?." or "??").
 */
const NODE_CHECK_SOURCE = `
if (+process.versions.node.split('.')[0] < ${MIN_NODE_MAJOR}) {
  process.stdout.write(JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR', requestId: process.env.AWS_BATCH_JOB_ID,
    message: 'multinode bootstrap failed', errorType: 'NodeVersionError', errorMessage: 'the container image has Node.js ' + process.version +
    '; multinode runs the app with Node.js ${MIN_NODE_MAJOR} or newer: use an image whose node is ${MIN_NODE_MAJOR} or newer' }) + '\\n');
  process.exit(${NODE_TOO_OLD_EXIT_CODE});
}
`;

/** A ustar reader (files, folders, symbolic links, pax paths): enough for the archives runtime/build/tar.ts writes. */
const UNTAR_SOURCE = `
function mnUntar(tar, dir) {
  let pax = {};
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
    const start = at;
    const text = (from, to) => tar.toString('utf8', start + from, start + to).split('\\0')[0];
    const size = parseInt(text(124, 136), 8) || 0;
    const type = text(156, 157);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      for (const record of body.toString('utf8').matchAll(/\\d+ (\\w+)=([^\\n]*)\\n/g)) pax[record[1]] = record[2];
      continue;
    }
    const prefix = text(345, 500);
    const name = pax.path || (prefix ? prefix + '/' : '') + text(0, 100);
    const target = pax.linkpath || text(157, 257);
    pax = {};
    const file = path.join(dir, name);
    if (file !== dir && !file.startsWith(dir + path.sep)) throw new Error('the bundle archive has an entry outside its folder: ' + name);
    if (type === '5') fs.mkdirSync(file, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (type === '2') fs.symlinkSync(target, file);
      else fs.writeFileSync(file, body, { mode: parseInt(text(100, 108), 8) & 0o777 });
    }
  }
}
`;

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
  // gzip's magic bytes: an archive of the bundle's files (and node_modules, with native modules); else a one-file bundle.
  if (bundle[0] === 0x1f && bundle[1] === 0x8b) mnUntar(zlib.gunzipSync(bundle), dir);
  else fs.writeFileSync(file, bundle);
  // The bundle names its map app.mjs.map; without one, traces point into the bundle.
  if (fs.existsSync(file + '.map')) process.setSourceMapsEnabled(true);
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
 * The bootstrap's source: a CommonJS script that uses only Node built-ins. What ships is this source minified
 * (runtime/build/batch-command.ts, which has esbuild): Batch passes the command to ECS among the container overrides,
 * which hold 8,192 characters in all with the environment (docs/aws-behaviour.md, "Batch SubmitJob limits").
 */
export const BOOTSTRAP_SOURCE = [
  "'use strict';",
  NODE_CHECK_SOURCE.trim(),
  "const crypto = require('node:crypto'), fs = require('node:fs'), os = require('node:os'), path = require('node:path'), url_ = require('node:url'), " +
    "zlib = require('node:zlib');",
  SIGV4_SOURCE.trim(),
  UNTAR_SOURCE.trim(),
  MAIN_SOURCE.trim(),
].join('\n');
