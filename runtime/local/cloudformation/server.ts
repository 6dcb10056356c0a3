/**
 * A local CloudFormation endpoint for tests of code that finds a deployed app from its stack: the awsQuery protocol
 * the SDK's CloudFormationClient speaks (`POST /`, a form-encoded `Action=...&Version=2010-05-15&...`, XML answers),
 * for DescribeStacks and GetTemplate, over stacks a test puts in with their template and output values. Nothing is
 * deployed: a stack is what CloudFormation would show of one.
 *
 *   const cfn = await startLocalCloudFormation();
 *   cfn.putStack({ stackName: 'Shop', template, outputs: { ShopMultinode1A2B3C4D: '{"version":1,...}' } });
 *   process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cfn.endpoint;
 *
 * Stacks live in a region (the request's, from its signature's credential scope), as in AWS. Errors are
 * CloudFormation's: `ValidationError` (400) for a missing stack or a bad parameter, `InvalidAction` for an action
 * it does not answer, `MissingAuthenticationToken` (403) for an unsigned request, and `AccessDenied` (403) for the
 * actions a test denies with `deny`.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { LocalCloudError } from '../errors.js';
import { readBody, startLocalServer } from '../http-server.js';
import { element, errorDocument, members, responseDocument, text } from './xml.js';

export const LOCAL_CLOUDFORMATION_ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
/** awsQuery requests are small; CreateStack's inline template, the largest, is at most 51,200 bytes. */
const BODY_LIMIT = 1024 * 1024;

/** The parts of a template the endpoint reads. */
export interface CloudFormationTemplate {
  readonly Description?: string;
  readonly Metadata?: Readonly<Record<string, unknown>>;
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
}

export type LocalStackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_FAILED'
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_FAILED'
  | 'ROLLBACK_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_FAILED'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_FAILED'
  | 'UPDATE_ROLLBACK_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'REVIEW_IN_PROGRESS';

/** A stack as a test puts it in. */
export interface LocalStack {
  readonly stackName: string;
  /** The template (an object is kept as CDK writes it: JSON indented by one space). */
  readonly template: CloudFormationTemplate | string;
  /**
   * The value of each output of the template, by output key, as CloudFormation resolves them at deploy
   * (see `evaluate` and `localCloudOutputs`). Every output the template declares needs one once the stack is
   * deployed; none are shown while the stack is in an `_IN_PROGRESS` status.
   */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Default CREATE_COMPLETE. */
  readonly status?: LocalStackStatus;
  /** Default the endpoint's region. */
  readonly region?: string;
}

export interface LocalCloudFormationOptions {
  /** Port on 127.0.0.1; default an ephemeral one. */
  readonly port?: number;
  /** Region of stacks put in without one. Default us-east-1. */
  readonly region?: string;
}

export interface LocalCloudFormation {
  /** For `new CloudFormationClient({ endpoint })` or `AWS_ENDPOINT_URL_CLOUDFORMATION`. */
  readonly endpoint: string;
  readonly region: string;
  /** Puts a stack in (replacing one of the same name and region); returns its id (an ARN). */
  putStack(stack: LocalStack): string;
  /** Takes a stack out, as if deleted; false when there was none. */
  removeStack(stackName: string, region?: string): boolean;
  /** Answers AccessDenied to these actions (`cloudformation:GetTemplate`) from now on; `[]` allows all again. */
  deny(actions: readonly string[]): void;
  /** The requests answered so far: action and region. */
  readonly requests: ReadonlyArray<{ readonly action: string; readonly region: string }>;
  close(): Promise<void>;
}

interface StoredStack {
  readonly name: string;
  readonly id: string;
  readonly region: string;
  readonly status: LocalStackStatus;
  readonly templateBody: string;
  readonly description: string | undefined;
  readonly outputs: ReadonlyArray<{ key: string; value: string; description: string | undefined }>;
  readonly created: Date;
}

/** A request CloudFormation refuses. */
class QueryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startLocalCloudFormation(options: LocalCloudFormationOptions = {}): Promise<LocalCloudFormation> {
  const defaultRegion = options.region ?? DEFAULT_REGION;
  const stacks = new Map<string, StoredStack>();
  const key = (region: string, name: string) => `${region}/${name}`;
  let denied = new Set<string>();
  const requests: Array<{ action: string; region: string }> = [];

  const find = (region: string, nameOrId: string): StoredStack | undefined =>
    stacks.get(key(region, nameOrId)) ?? [...stacks.values()].find((s) => s.region === region && s.id === nameOrId);
  const required = (region: string, params: URLSearchParams): StoredStack => {
    const name = params.get('StackName');
    if (!name) throw new QueryError(400, 'ValidationError', 'StackName must be specified');
    const stack = find(region, name);
    if (!stack) throw new QueryError(400, 'ValidationError', `Stack with id ${name} does not exist`);
    return stack;
  };

  const actions: Record<string, (region: string, params: URLSearchParams) => string> = {
    DescribeStacks(region, params) {
      const chosen = params.get('StackName') ? [required(region, params)] : [...stacks.values()].filter((s) => s.region === region);
      return members('Stacks', chosen.map(renderStack));
    },
    GetTemplate(region, params) {
      const stage = params.get('TemplateStage') ?? 'Processed';
      if (stage !== 'Original' && stage !== 'Processed') {
        throw new QueryError(
          400,
          'ValidationError',
          `1 validation error detected: Value '${stage}' at 'templateStage' failed to satisfy constraint: ` +
            'Member must satisfy enum value set: [Original, Processed]',
        );
      }
      const stack = required(region, params);
      return `${text('TemplateBody', stack.templateBody)}${members('StagesAvailable', ['Original', 'Processed'])}`;
    },
  };

  const server = await startLocalServer(
    (request, response) => {
      void readBody(request, { limit: BODY_LIMIT, over: 'drain' }).then(
        (body) => answer(request, response, body.bytes.toString('utf8'), body.overLimit),
        () => request.destroy(),
      );
    },
    { port: options.port ?? 0, name: 'the local CloudFormation endpoint' },
  );

  function answer(request: http.IncomingMessage, response: http.ServerResponse, body: string, overLimit: boolean): void {
    const requestId = randomUUID();
    try {
      if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/') {
        throw new QueryError(404, 'UnknownOperation', `The local CloudFormation endpoint answers POST /, not ${request.method} ${request.url}.`);
      }
      if (overLimit) throw new QueryError(413, 'RequestEntityTooLarge', `The request is over ${BODY_LIMIT} bytes.`);
      const region = signedRegion(request.headers.authorization);
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      requests.push({ action, region });
      const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!handler) {
        throw new QueryError(
          400,
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this web service (the local endpoint answers ${Object.keys(actions).join(' and ')}).`,
        );
      }
      if (denied.has(`cloudformation:${action}`)) {
        const resource = params.get('StackName') ?? '*';
        throw new QueryError(
          403,
          'AccessDenied',
          `User: arn:aws:iam::${LOCAL_CLOUDFORMATION_ACCOUNT}:user/local is not authorized to perform: cloudformation:${action} on resource: ${resource} ` +
            `because no identity-based policy allows the cloudformation:${action} action`,
        );
      }
      send(response, 200, responseDocument(action, handler(region, params), requestId), requestId);
    } catch (error) {
      if (!(error instanceof QueryError)) {
        send(response, 500, errorDocument('Receiver', 'InternalFailure', (error as Error).message, requestId), requestId);
        return;
      }
      send(response, error.status, errorDocument('Sender', error.code, error.message, requestId), requestId);
    }
  }

  return {
    endpoint: server.url,
    region: defaultRegion,
    requests,
    putStack(stack) {
      const region = stack.region ?? defaultRegion;
      const stored = storeStack(stack, region, find(region, stack.stackName)?.id);
      stacks.set(key(region, stored.name), stored);
      return stored.id;
    },
    removeStack(stackName, region = defaultRegion) {
      return stacks.delete(key(region, stackName));
    },
    deny(list) {
      denied = new Set(list);
    },
    close: () => server.close(),
  };
}

/** Checks a stack a test puts in, as CloudFormation would have made it. */
function storeStack(stack: LocalStack, region: string, existingId: string | undefined): StoredStack {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stack.stackName)) {
    throw new LocalCloudError(`putStack: "${stack.stackName}" is not a stack name (a letter, then letters, digits and "-", at most 128 characters).`);
  }
  const template: CloudFormationTemplate = typeof stack.template === 'string' ? parseTemplate(stack.template, stack.stackName) : stack.template;
  const templateBody = typeof stack.template === 'string' ? stack.template : JSON.stringify(stack.template, undefined, 1);
  const status = stack.status ?? 'CREATE_COMPLETE';
  const declared = template.Outputs ?? {};
  const given = stack.outputs ?? {};
  for (const outputKey of Object.keys(given)) {
    if (!Object.hasOwn(declared, outputKey)) {
      throw new LocalCloudError(
        `putStack ${stack.stackName}: output ${outputKey} is not declared in the template (its outputs: ${Object.keys(declared).join(', ') || 'none'}).`,
      );
    }
  }
  const deployed = /_COMPLETE$|_FAILED$/.test(status) && !['ROLLBACK_COMPLETE', 'CREATE_FAILED', 'ROLLBACK_FAILED'].includes(status);
  if (deployed) {
    const missing = Object.keys(declared).filter((outputKey) => !Object.hasOwn(given, outputKey));
    if (missing.length > 0)
      throw new LocalCloudError(`putStack ${stack.stackName}: a ${status} stack has a value for every output; missing: ${missing.join(', ')}.`);
  }
  return {
    name: stack.stackName,
    id: existingId ?? `arn:aws:cloudformation:${region}:${LOCAL_CLOUDFORMATION_ACCOUNT}:stack/${stack.stackName}/${randomUUID()}`,
    region,
    status,
    templateBody,
    description: template.Description,
    outputs: Object.entries(given).map(([outputKey, value]) => ({ key: outputKey, value, description: declared[outputKey]?.Description })),
    created: new Date(),
  };
}

function parseTemplate(body: string, stackName: string): CloudFormationTemplate {
  try {
    return JSON.parse(body) as CloudFormationTemplate;
  } catch {
    throw new LocalCloudError(`putStack ${stackName}: the template is not JSON (the local endpoint reads JSON templates only).`);
  }
}

function renderStack(stack: StoredStack): string {
  // CloudFormation shows no outputs while a stack operation is in progress.
  const outputs = stack.status.endsWith('_IN_PROGRESS') ? [] : stack.outputs;
  return [
    text('StackId', stack.id),
    text('StackName', stack.name),
    text('Description', stack.description),
    text('CreationTime', stack.created.toISOString()),
    text('StackStatus', stack.status),
    text('DisableRollback', false),
    element('NotificationARNs', ''),
    members(
      'Outputs',
      outputs.map((o) => `${text('OutputKey', o.key)}${text('OutputValue', o.value)}${text('Description', o.description)}`),
    ),
    element('Tags', ''),
    text('EnableTerminationProtection', false),
    element('DriftInformation', text('StackDriftStatus', 'NOT_CHECKED')),
  ].join('');
}

/** The region of a SigV4-signed request (`Credential=<key>/<date>/<region>/cloudformation/aws4_request`). */
function signedRegion(authorization: string | undefined): string {
  const region = authorization ? /Credential=[^/]+\/\d{8}\/([^/]+)\/cloudformation\//.exec(authorization)?.[1] : undefined;
  if (!region) throw new QueryError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  return region;
}

function send(response: http.ServerResponse, status: number, body: string, requestId: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': requestId });
  response.end(body);
}
