/**
 * The runtime's configuration and its environment contract. Every resource name derives from the prefix
 * (lib/naming.ts), so a Lambda function's environment carries only the few variables below, whatever the size of
 * the app: see `environmentBytes` and the test proving an app of 100 definitions and 50 dicts stays far under
 * Lambda's 4 KB.
 *
 * Endpoints are never a "mode": in AWS the SDK finds AWS's endpoints; in the local cloud, child processes and
 * worker threads get the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables, and in-process users pass
 * `endpoints` explicitly. The runtime code is the same either way.
 */
import { MultinodeError } from '../../lib/errors.js';
import { PREFIX_PATTERN } from '../../lib/naming.js';

/** Environment variables the runtime reads (the CDK constructs set them on every Lambda and Batch job). */
export const ENV = {
  /** The app's name (as in the manifest). */
  app: 'MULTINODE_APP',
  /** Prefix of every physical resource name (lib/naming.ts). */
  prefix: 'MULTINODE_PREFIX',
  /** The payload bucket: call arguments and results over Lambda's inline limits travel through it. */
  bucket: 'MULTINODE_BUCKET',
  /** The region (Lambda sets it). */
  region: 'AWS_REGION',
} as const;

/** The SDK's own per-service endpoint variables, honoured by every AWS SDK v3 client. */
export const ENDPOINT_ENV = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  s3: 'AWS_ENDPOINT_URL_S3',
  batch: 'AWS_ENDPOINT_URL_BATCH',
  logs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  scheduler: 'AWS_ENDPOINT_URL_SCHEDULER',
} as const;

export type Service = keyof typeof ENDPOINT_ENV;

/** Lambda's limit on a function's environment variables, keys and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export interface RuntimeConfig {
  readonly app: string;
  readonly prefix: string;
  readonly bucket: string;
  readonly region: string;
  /** Explicit endpoints (in-process use of a local cloud); absent services use the SDK's resolution. */
  readonly endpoints?: Partial<Record<Service, string>>;
  /** Explicit credentials (a local cloud accepts any); absent: the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** The configuration could not be read from the environment or is invalid. */
export class RuntimeConfigError extends MultinodeError {}

/** Checks a configuration; throws RuntimeConfigError naming each bad field. */
export function checkConfig(config: RuntimeConfig): RuntimeConfig {
  const problems: string[] = [];
  if (!config.app) problems.push('app is empty');
  if (!PREFIX_PATTERN.test(config.prefix)) problems.push(`prefix "${config.prefix}" is not a letter then up to 31 letters, digits or "-"`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(config.bucket)) problems.push(`bucket "${config.bucket}" is not a valid S3 bucket name`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(config.region)) problems.push(`region "${config.region}" is not an AWS region name such as "eu-west-1"`);
  for (const [service, url] of Object.entries(config.endpoints ?? {})) {
    if (url !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(url)) problems.push(`endpoint of ${service} "${url}" is not a URL such as http://127.0.0.1:4567`);
  }
  if (problems.length > 0) throw new RuntimeConfigError(`Invalid multinode runtime configuration: ${problems.join('; ')}.`);
  return config;
}

/** Reads the configuration from an environment (Lambda's, a Batch job's, a local worker's). */
export function configFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): RuntimeConfig {
  const missing = Object.values(ENV).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new RuntimeConfigError(
      `The multinode runtime needs the environment variables ${missing.join(', ')} (set by the multinode CDK constructs ` +
        'and by the local cloud). Outside the app, use connect(...) instead.',
    );
  }
  return checkConfig({ app: env[ENV.app]!, prefix: env[ENV.prefix]!, bucket: env[ENV.bucket]!, region: env[ENV.region]! });
}

/**
 * The environment that makes a process (a local Lambda worker, a child process) run against `config`: the four
 * variables, plus the SDK's endpoint and credential variables when the config has explicit ones.
 */
export function environmentFor(config: RuntimeConfig): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.app]: config.app,
    [ENV.prefix]: config.prefix,
    [ENV.bucket]: config.bucket,
    [ENV.region]: config.region,
  };
  for (const [service, url] of Object.entries(config.endpoints ?? {})) {
    if (url) env[ENDPOINT_ENV[service as Service]] = url;
  }
  if (config.credentials) {
    env.AWS_ACCESS_KEY_ID = config.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = config.credentials.secretAccessKey;
    if (config.credentials.sessionToken) env.AWS_SESSION_TOKEN = config.credentials.sessionToken;
  }
  return env;
}

/** Bytes an environment counts against Lambda's 4 KB limit (keys and values, UTF-8). */
export function environmentBytes(env: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [key, value] of Object.entries(env)) total += Buffer.byteLength(key) + Buffer.byteLength(value);
  return total;
}

/**
 * The Lambda function that serves no definition of its own: it receives the scheduled events of tasks placed on
 * Batch (claims the scheduled time, then submits the job), Batch's job state-change events, and CloudFormation's
 * requests for the deploy-time StartDate of rate schedules (handler/schedule-start-kind.ts). Named like a
 * definition's function: `resourceNames(prefix).lambdaFunction(DISPATCHER_DEFINITION)`.
 */
export const DISPATCHER_DEFINITION = 'multinode-dispatcher';
/** Its Lambda settings: it only claims, submits and records. */
export const DISPATCHER_COMPUTE = { type: 'lambda', memoryMB: 256, timeoutSeconds: 60 } as const;
