/**
 * Physical names of an app's AWS resources, derived from one prefix. The CDK constructs create resources with
 * these names and the runtime finds them by the same rule, so a Lambda's environment needs only the prefix (not
 * one variable per dict or function): an app of 100 definitions and 50 dicts stays far under Lambda's 4 KB.
 * The local cloud uses the same names against its local endpoints.
 *
 * Names that could exceed a service's limit are shortened deterministically: cut, then "-" and 8 hex digits of a
 * hash of the full name, so two long names never collide by truncation alone.
 */
import { createHash } from 'node:crypto';

/** Resource prefixes: a letter, then letters, digits and "-"; at most 32 characters so that derived names stay readable. */
export const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

export const NAME_LIMITS = {
  dynamodbTable: 255,
  lambdaFunction: 64,
  batchJobDefinition: 128,
  batchJobQueue: 128,
  scheduleGroup: 64,
  schedule: 64,
} as const;

/** `name` if it fits in `max` characters, else a cut of it plus "-" and a hash, exactly `max` long. */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  return `${name.slice(0, max - 9)}-${shortHash(name)}`;
}

/** 8 hex characters that tell names apart. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

export interface ResourceNames {
  readonly prefix: string;
  /** The app's state table: invocations, jobs, schedule de-duplication, locks. */
  readonly stateTable: string;
  readonly jobQueue: string;
  readonly gpuJobQueue: string;
  readonly scheduleGroup: string;
  dictTable(dict: string): string;
  lambdaFunction(definition: string): string;
  batchJobDefinition(definition: string): string;
  /**
   * The `index`-th EventBridge schedule compiled for a scheduled task (a task may need several). It carries the
   * prefix although it lives in the app's group: CloudFormation identifies a schedule by its name alone, so two
   * apps in one stack would otherwise clash.
   */
  schedule(definition: string, index: number): string;
  /** The CloudWatch Logs group of the app's Batch containers; each definition's streams start with `<definition>/`. */
  readonly batchLogGroup: string;
  /**
   * The Secrets Manager secret of secret `name` (`<prefix>/<name>`). A "/" rather than "-" before the name, because
   * Secrets Manager adds "-" and six characters to a secret's ARN, and a name ending in "-" and six characters
   * confuses lookups by partial ARN.
   */
  secret(name: string): string;
}

/** Lambda's own log group name for a function (the constructs create it under this name). */
export function lambdaLogGroup(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * The awslogs stream prefix of a definition's Batch containers. Their streams are named
 * `<prefix>/<container name>/<ECS task id>`, and Batch names a job's container `default`.
 */
export function batchLogStreamPrefix(definition: string): string {
  return definition;
}

export function resourceNames(prefix: string): ResourceNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`The resource prefix "${prefix}" is not valid: use a letter, then letters, digits and "-", at most 32 characters.`);
  }
  return {
    prefix,
    stateTable: `${prefix}-state`,
    jobQueue: fitName(`${prefix}-queue`, NAME_LIMITS.batchJobQueue),
    gpuJobQueue: fitName(`${prefix}-gpu-queue`, NAME_LIMITS.batchJobQueue),
    scheduleGroup: fitName(prefix, NAME_LIMITS.scheduleGroup),
    dictTable: (dict) => fitName(`${prefix}-dict-${dict}`, NAME_LIMITS.dynamodbTable),
    lambdaFunction: (definition) => fitName(`${prefix}-${definition}`, NAME_LIMITS.lambdaFunction),
    batchJobDefinition: (definition) => fitName(`${prefix}-${definition}`, NAME_LIMITS.batchJobDefinition),
    schedule: (definition, index) => fitName(`${prefix}-${definition}-${index}`, NAME_LIMITS.schedule),
    batchLogGroup: `/aws/batch/${prefix}`,
    secret: (name) => `${prefix}/${name}`,
  };
}

/** A valid prefix made from any stack or app name (letters, digits, "-"; cut and hashed when long). */
export function prefixFrom(name: string): string {
  const cleaned =
    name
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/^[^A-Za-z]+/, '')
      .replace(/-+$/, '') || 'mn';
  return fitName(cleaned, 32);
}
