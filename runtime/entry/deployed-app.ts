/**
 * Finding a deployed app from its stack's name alone, with no source code: the stack's outputs (DescribeStacks)
 * hold what exists only once it is deployed, its template's Metadata (GetTemplate) the app's manifest; the shape is
 * runtime/core/stack-description.ts. `multinode --stack <name>` starts here.
 *
 *   const { config, manifest, services } = await findDeployedApp({ stackName: 'Shop' });
 *   const connection = connectTo({ config, manifest });
 *
 * The CloudFormation client is imported when this is called, never when the module loads, so no Lambda or Batch
 * container pays for it. Credentials, region and endpoint come from the SDK's own chain (AWS_PROFILE, AWS_REGION,
 * AWS_ENDPOINT_URL_CLOUDFORMATION, ...), and the configuration returned names no endpoint, so the runtime's
 * clients find theirs the same way.
 */
import type { CloudFormationClient, Output, Stack } from '@aws-sdk/client-cloudformation';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { Manifest } from '../../lib/manifest.js';
import { PREFIX_PATTERN } from '../../lib/naming.js';
import { awsErrorName } from '../core/aws-errors.js';
import { checkConfig, type RuntimeConfig } from '../core/config.js';
import { cloudFormationSdk } from '../core/sdk-modules.js';
import {
  type AppMetadata,
  appEntries,
  type ConnectionOutput,
  DeployedAppError,
  metadataKey,
  parseAppMetadata,
  parseConnectionOutput,
} from '../core/stack-description.js';

export { DeployedAppError } from '../core/stack-description.js';
export type { DeployedAppProblem } from '../core/stack-description.js';

export interface FindDeployedAppOptions {
  /** The CloudFormation stack's name (as `cdk deploy` prints it) or its ARN. */
  readonly stackName: string;
  /** The app's prefix, needed when the stack holds several multinode apps. Default: the stack's only app. */
  readonly app?: string;
  /** The stack's region. Default: the SDK's (AWS_REGION, or the region of the AWS profile). */
  readonly region?: string;
}

export interface DeployedService {
  readonly name: string;
  readonly url: string;
}

export interface DeployedApp {
  /** Where the app's resources are; no endpoints or credentials (the SDK's own chain finds them). */
  readonly config: RuntimeConfig;
  readonly manifest: Manifest;
  /** Each service's URL, in manifest order. */
  readonly services: readonly DeployedService[];
  /** The stack as CloudFormation describes it. */
  readonly stack: { readonly name: string; readonly id: string; readonly status: string };
}

/** The stack name CloudFormation accepts, or a stack ARN. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const STACK_ARN = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]*\/[A-Za-z0-9-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Statuses of a stack whose first deploy has not finished: it has no outputs yet. */
const BEING_CREATED = new Set(['CREATE_IN_PROGRESS', 'REVIEW_IN_PROGRESS']);
/** Statuses of a stack whose app is not (or no longer) there, with what happened. */
const GONE: Readonly<Record<string, string>> = {
  CREATE_FAILED: 'its creation failed',
  ROLLBACK_IN_PROGRESS: 'its creation failed and is being rolled back',
  ROLLBACK_FAILED: 'its creation failed and so did the rollback',
  ROLLBACK_COMPLETE: 'its creation failed and was rolled back',
  DELETE_IN_PROGRESS: 'it is being deleted',
  DELETE_FAILED: 'its deletion failed part way',
  DELETE_COMPLETE: 'it was deleted',
};

/** The app a stack describes: its configuration, manifest and service URLs. Throws DeployedAppError. */
export async function findDeployedApp(options: FindDeployedAppOptions): Promise<DeployedApp> {
  checkOptions(options);
  const { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } = await cloudFormationSdk();
  const client = new CloudFormationClient(options.region ? { region: options.region } : {});
  const { stackName } = options;
  try {
    // Both at once: the description's errors (a missing stack, a stack being created) come first.
    const [described, template] = await Promise.allSettled([
      client.send(new DescribeStacksCommand({ StackName: stackName })),
      client.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Processed' })),
    ]);
    if (described.status === 'rejected') throw await explain(client, described.reason, 'cloudformation:DescribeStacks', stackName);
    const stack = described.value.Stacks?.[0];
    if (!stack) throw await notFound(client, stackName);
    checkStatus(stack, stackName);
    if (template.status === 'rejected') throw await explain(client, template.reason, 'cloudformation:GetTemplate', stackName);
    const [prefix, metadata] = chooseApp(stackName, template.value.TemplateBody, options.app);
    return describe(stack, stackName, prefix, metadata);
  } finally {
    client.destroy();
  }
}

function checkOptions(options: FindDeployedAppOptions): void {
  const { stackName, app, region } = options;
  if (typeof stackName !== 'string' || !(STACK_NAME.test(stackName) || STACK_ARN.test(stackName))) {
    throw new InvalidArgumentError(
      `findDeployedApp: stackName ${JSON.stringify(stackName)} is not a CloudFormation stack name (a letter, then letters, digits and "-", ` +
        'at most 128 characters) or stack ARN.',
    );
  }
  if (app !== undefined && (typeof app !== 'string' || !PREFIX_PATTERN.test(app))) {
    throw new InvalidArgumentError(`findDeployedApp: app ${JSON.stringify(app)} is not an app prefix (a letter, then letters, digits and "-", at most 32).`);
  }
  if (region !== undefined && (typeof region !== 'string' || !REGION.test(region))) {
    throw new InvalidArgumentError(`findDeployedApp: region ${JSON.stringify(region)} is not an AWS region name such as "eu-west-1".`);
  }
}

/** A stack still being created, or whose app is gone, has nothing to find. */
function checkStatus(stack: Stack, stackName: string): void {
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (BEING_CREATED.has(status)) {
    throw new DeployedAppError(
      'stack-not-ready',
      `Stack ${stackName} is still being created (${status}); its outputs exist once it reaches CREATE_COMPLETE. ` +
        'Wait for the deploy to finish, then try again.',
    );
  }
  const gone = GONE[status];
  if (gone) {
    const deleting = status.startsWith('DELETE');
    throw new DeployedAppError(
      'stack-failed',
      `Stack ${stackName} is ${status}: ${gone}, so the app is not deployed. ` +
        (deleting
          ? 'Deploy it again once the deletion is over (cdk deploy).'
          : `See why in its events (aws cloudformation describe-stack-events --stack-name ${stackName}), fix the cause, delete the stack and deploy again.`),
    );
  }
}

/** The app's prefix and metadata entry, from the template's Metadata section. */
function chooseApp(stackName: string, templateBody: string | undefined, wanted: string | undefined): [string, AppMetadata] {
  let template: unknown;
  try {
    template = JSON.parse(templateBody ?? '');
  } catch {
    throw new DeployedAppError('not-multinode', `Stack ${stackName} is not a multinode app: its template is not JSON (a multinode stack's template is).`);
  }
  const entries = appEntries((template as { Metadata?: unknown } | null)?.Metadata);
  const prefixes = [...entries.keys()];
  if (prefixes.length === 0) {
    throw new DeployedAppError(
      'not-multinode',
      `Stack ${stackName} is not a multinode app: its template's Metadata has no "${metadataKey('<prefix>')}" entry. Name the stack that ` +
        'holds the MultinodeApp, or deploy it with this multinode version (older ones did not describe the app in the stack).',
    );
  }
  if (wanted !== undefined) {
    if (!entries.has(wanted)) {
      throw new DeployedAppError(
        'app-not-found',
        `Stack ${stackName} holds no multinode app with prefix "${wanted}"; its apps' prefixes: ${prefixes.join(', ')}.`,
      );
    }
    return [wanted, parseAppMetadata(entries.get(wanted), where(stackName, wanted))];
  }
  if (prefixes.length > 1) {
    throw new DeployedAppError(
      'several-apps',
      `Stack ${stackName} holds ${prefixes.length} multinode apps (prefixes ${prefixes.join(', ')}); choose one with --app <prefix>.`,
    );
  }
  return [prefixes[0]!, parseAppMetadata(entries.get(prefixes[0]!), where(stackName, prefixes[0]!))];
}

function describe(stack: Stack, stackName: string, prefix: string, metadata: AppMetadata): DeployedApp {
  const outputs = new Map((stack.Outputs ?? []).map((o: Output) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const output = (key: string, what: string): string => {
    const value = outputs.get(key);
    if (value !== undefined) return value;
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (status.endsWith('_IN_PROGRESS')) {
      throw new DeployedAppError(
        'stack-not-ready',
        `Stack ${stackName} is being updated (${status}) and shows no outputs meanwhile; try again when it is done.`,
      );
    }
    throw new DeployedAppError(
      'invalid-description',
      `Stack ${stackName} describes app "${prefix}" in its Metadata but has no output ${key} (${what}); deploy it again (cdk deploy).`,
    );
  };
  const connectionWhere = `Stack ${stackName}, output ${metadata.outputs.connection} (the connection of app "${prefix}"),`;
  const connection: ConnectionOutput = parseConnectionOutput(output(metadata.outputs.connection, 'the connection of the app'), connectionWhere);
  if (connection.prefix !== prefix || connection.app !== metadata.manifest.app.name) {
    throw new DeployedAppError(
      'invalid-description',
      `${connectionWhere} names app "${connection.app}" with prefix "${connection.prefix}", but the Metadata entry is app "${metadata.manifest.app.name}" ` +
        `with prefix "${prefix}"; deploy the stack again (cdk deploy).`,
    );
  }
  const services = Object.entries(metadata.outputs.services).map(([name, key]) => ({
    name,
    url: connection.services?.[name] ?? output(key, `the URL of service "${name}"`),
  }));
  let config: RuntimeConfig;
  try {
    config = checkConfig({ app: connection.app, prefix: connection.prefix, bucket: connection.bucket, region: connection.region });
  } catch (error) {
    throw new DeployedAppError('invalid-description', `${connectionWhere} ${(error as Error).message}`, { cause: error });
  }
  return {
    config,
    manifest: metadata.manifest,
    services,
    stack: { name: stack.StackName ?? stackName, id: stack.StackId ?? '', status: stack.StackStatus ?? 'UNKNOWN' },
  };
}

function where(stackName: string, prefix: string): string {
  return `Stack ${stackName}, Metadata entry "${metadataKey(prefix)}",`;
}

/** An SDK error as a DeployedAppError saying what to do, when it is one a user can act on; else the error itself. */
async function explain(client: CloudFormationClient, error: unknown, action: string, stackName: string): Promise<unknown> {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new DeployedAppError(
      'no-credentials',
      `No AWS credentials found (${message}). Set AWS_PROFILE to a profile of your AWS config (run aws sso login first if it uses IAM Identity ` +
        'Center), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials).',
      { cause: error },
    );
  }
  if (name && ['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch'].includes(name)) {
    return new DeployedAppError(
      'no-credentials',
      `AWS refused the credentials (${name}: ${message}). Refresh them (aws sso login, or new keys) or choose other ones with AWS_PROFILE.`,
      { cause: error },
    );
  }
  if (/Region is missing/i.test(message)) {
    return new DeployedAppError('no-region', 'No AWS region is set: pass --region, or set AWS_REGION (or a region in your AWS profile).', { cause: error });
  }
  if (
    name === 'AccessDenied' ||
    name === 'AccessDeniedException' ||
    (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 403
  ) {
    return new DeployedAppError(
      'access-denied',
      `Not allowed to call ${action} on stack ${stackName} (${message}). Reading a deployed app needs cloudformation:DescribeStacks and ` +
        'cloudformation:GetTemplate on its stack: MultinodeApp.grantRead (or grantOperate) in the stack gives them, with the rest of read access.',
      { cause: error },
    );
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) return notFound(client, stackName, error);
  return error;
}

async function notFound(client: CloudFormationClient, stackName: string, cause?: unknown): Promise<DeployedAppError> {
  const region = await client.config.region().catch(() => undefined);
  const account = await client.config
    .credentials()
    .then((c) => c.accountId)
    .catch(() => undefined);
  const place = [region ? `region ${region}` : undefined, account ? `account ${account}` : undefined].filter(Boolean).join(', ');
  const profile = process.env.AWS_PROFILE ? ` (AWS_PROFILE=${process.env.AWS_PROFILE})` : '';
  return new DeployedAppError(
    'stack-not-found',
    `No stack named ${stackName} in ${place || 'the region and account of your credentials'}${profile}. Check the name (cdk deploy prints it) and ` +
      'the region (--region, AWS_REGION or your AWS profile).',
    cause === undefined ? undefined : { cause },
  );
}
