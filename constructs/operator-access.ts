/**
 * What the people who run an app (and their tools: the multinode CLI and dashboard) may do to it once deployed.
 * `read`: find the app from its stack, list and inspect its runs, jobs and schedules, read its dicts, logs and large
 * payloads. `operate`: all of that, plus act on it: cancel, retry, trigger, pause and resume, edit dicts.
 *
 * Nothing here lets app code run: the app's own permissions are app-access.ts. Function and job-definition ARNs
 * are written from their physical names, as there (a principal in the app's stack would otherwise depend on them).
 * Statement ids carry the app's prefix, so one principal can be granted on two apps of a stack.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type ExplainedStatement, submitJobWildcardReason, scoped, submitJobResources } from './app-access.js';

/** What an operator grant is about: the app's resources, by name or ARN. */
export interface OperatorAccessInput {
  /** The app's prefix. Required. */
  readonly prefix: string;
  /** Name of the stack the app is in. Required. */
  readonly stackName: string;
  /** ARN of the state table. Required. */
  readonly stateTableArn: string;
  /** Dict table ARNs. Required (may be empty). */
  readonly dictTableArns: readonly string[];
  /** The common prefix of the dict tables' physical names (for the pattern past EXACT_LIMIT). Required. */
  readonly dictTablePrefix: string;
  /** ARN of the payload bucket. Required. */
  readonly bucketArn: string;
  /** Names of the app's Lambda functions, each with its log group `/aws/lambda/<name>`. Required. */
  readonly lambdaFunctions: readonly string[];
  /**
   * Names of the Lambda functions an operator may invoke: scheduled tasks' and the dispatcher (trigger), functions'
   * and jobs' (retry). Services are not among them: they are called through their API and its auth. Required.
   */
  readonly invocableFunctions: readonly string[];
  /** Names of the services' Lambda functions, kept out of a pattern that would match them. Required. */
  readonly serviceFunctions: readonly string[];
  /**
   * The log group of the app's Batch containers, when it has any.
   *
   * @default - no Batch log group
   */
  readonly batchLogGroup?: string;
  /** Names of the Batch job definitions. Required (may be empty). */
  readonly jobDefinitions: readonly string[];
  /** Names of the job queues. Required (may be empty). */
  readonly jobQueues: readonly string[];
  /**
   * The app's schedule group, when it has scheduled tasks.
   *
   * @default - no schedules
   */
  readonly scheduleGroup?: string;
}

export type OperatorLevel = 'read' | 'operate';

/** The DynamoDB calls that read the state table and its indexes (GetItem, BatchGetItem, Query). */
export const STATE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/** Cancel, pause and resume write the state table. */
export const STATE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;
/** Reading a dict: one entry, several, a page of a listing (Scan) or of a query. */
export const DICT_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'] as const;
export const DICT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;
/** Reading the app's log events: filtered across streams, one stream, and the streams of a group. */
export const LOG_READ_ACTIONS = ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams'] as const;
export const STACK_READ_ACTIONS = ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'] as const;

/** The statements of a grant at `level`: `operate` is every statement of `read` plus its own. */
export function operatorStatements(scope: Construct, input: OperatorAccessInput, level: OperatorLevel): ExplainedStatement[] {
  const stack = Stack.of(scope);
  const sid = statementId(input.prefix);
  const read = readStatements(stack, input, sid);
  return level === 'read' ? read : [...read, ...operateStatements(stack, input, sid)];
}

function readStatements(stack: Stack, input: OperatorAccessInput, sid: (name: string) => string): ExplainedStatement[] {
  const statements: ExplainedStatement[] = [
    {
      statement: new iam.PolicyStatement({
        sid: sid('ReadState'),
        actions: [...STATE_READ_ACTIONS],
        resources: [input.stateTableArn, `${input.stateTableArn}/index/*`],
      }),
      wildcardReason: "The indexes of the app's state table (listing runs across definitions).",
    },
  ];
  if (input.dictTableArns.length > 0) {
    statements.push({
      statement: new iam.PolicyStatement({ sid: sid('ReadDicts'), actions: [...DICT_READ_ACTIONS], resources: dictResources(stack, input) }),
      wildcardReason: `The app's dict tables, all named "${input.dictTablePrefix}<dict>" (listed one by one up to ten).`,
    });
  }
  statements.push(
    {
      statement: new iam.PolicyStatement({ sid: sid('ReadLogs'), actions: [...LOG_READ_ACTIONS], resources: logGroupResources(stack, input) }),
      wildcardReason: `The log groups of the app's functions ("/aws/lambda/${input.prefix}-<definition>")${
        input.batchLogGroup ? ` and Batch jobs ("${input.batchLogGroup}")` : ''
      } and their streams.`,
    },
    {
      statement: new iam.PolicyStatement({ sid: sid('ListLogGroups'), actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
      wildcardReason: 'logs:DescribeLogGroups lists log group names and settings, never their events; "*" works whether or not AWS checks it per group.',
    },
    {
      statement: new iam.PolicyStatement({
        sid: sid('ReadStack'),
        actions: [...STACK_READ_ACTIONS],
        resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${input.stackName}/*` })],
      }),
      wildcardReason: `The stack ${input.stackName}, whatever the id CloudFormation gave it when it was created.`,
    },
    {
      statement: new iam.PolicyStatement({ sid: sid('ReadPayloads'), actions: ['s3:GetObject'], resources: [`${input.bucketArn}/*`] }),
      wildcardReason: "Payload objects get keys made per call; the bucket is the app's own.",
    },
  );
  if (input.jobDefinitions.length > 0) {
    statements.push({
      statement: new iam.PolicyStatement({ sid: sid('ReadBatchJobs'), actions: ['batch:DescribeJobs'], resources: ['*'] }),
      wildcardReason: 'batch:DescribeJobs does not support resource-level permissions.',
    });
  }
  if (input.scheduleGroup) {
    statements.push(
      {
        statement: new iam.PolicyStatement({
          sid: sid('ReadSchedules'),
          actions: ['scheduler:GetSchedule'],
          resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${input.scheduleGroup}/*` })],
        }),
        wildcardReason: `The app's schedules, all in its own schedule group "${input.scheduleGroup}".`,
      },
      {
        statement: new iam.PolicyStatement({ sid: sid('ListSchedules'), actions: ['scheduler:ListSchedules'], resources: ['*'] }),
        wildcardReason: 'scheduler:ListSchedules does not support resource-level permissions (the group is a request parameter).',
      },
    );
  }
  return statements;
}

function operateStatements(stack: Stack, input: OperatorAccessInput, sid: (name: string) => string): ExplainedStatement[] {
  const statements: ExplainedStatement[] = [
    {
      statement: new iam.PolicyStatement({ sid: sid('WriteState'), actions: [...STATE_WRITE_ACTIONS], resources: [input.stateTableArn] }),
    },
  ];
  if (input.dictTableArns.length > 0) {
    statements.push({
      statement: new iam.PolicyStatement({ sid: sid('WriteDicts'), actions: [...DICT_WRITE_ACTIONS], resources: dictResources(stack, input) }),
      wildcardReason: `The app's dict tables, all named "${input.dictTablePrefix}<dict>" (listed one by one up to ten).`,
    });
  }
  statements.push(...invokeStatements(stack, input, sid));
  if (input.jobDefinitions.length > 0) {
    const batchArn = (resource: string, resourceName: string) => stack.formatArn({ service: 'batch', resource, resourceName });
    statements.push(
      {
        statement: new iam.PolicyStatement({
          sid: sid('SubmitBatchJobs'),
          actions: ['batch:SubmitJob'],
          resources: submitJobResources(stack, input),
        }),
        wildcardReason: submitJobWildcardReason(input.prefix),
      },
      {
        statement: new iam.PolicyStatement({ sid: sid('StopBatchJobs'), actions: ['batch:TerminateJob'], resources: [batchArn('job', '*')] }),
        wildcardReason: 'Batch job ids are made at submit time, so no job ARN is known at deploy time.',
      },
    );
  }
  statements.push({
    statement: new iam.PolicyStatement({ sid: sid('WritePayloads'), actions: ['s3:PutObject'], resources: [`${input.bucketArn}/*`] }),
    wildcardReason: "Payload objects get keys made per call; the bucket is the app's own.",
  });
  return statements;
}

/**
 * Invoking the functions a trigger or a retry runs. Past ten of them one prefix pattern stands for the list; it
 * matches the services' functions too, which an explicit Deny keeps out.
 */
function invokeStatements(stack: Stack, input: OperatorAccessInput, sid: (name: string) => string): ExplainedStatement[] {
  if (input.invocableFunctions.length === 0) return [];
  const resources = scoped(
    input.invocableFunctions.map((name) => functionArn(stack, name)),
    functionArn(stack, `${input.prefix}-*`),
  );
  const statements: ExplainedStatement[] = [
    {
      statement: new iam.PolicyStatement({ sid: sid('InvokeFunctions'), actions: ['lambda:InvokeFunction'], resources }),
      wildcardReason: `The app's functions, all named "${input.prefix}-<definition>" (listed one by one up to ten).`,
    },
  ];
  if (resources.length < input.invocableFunctions.length && input.serviceFunctions.length > 0) {
    statements.push({
      statement: new iam.PolicyStatement({
        sid: sid('NotServices'),
        effect: iam.Effect.DENY,
        actions: ['lambda:InvokeFunction'],
        resources: input.serviceFunctions.map((name) => functionArn(stack, name)),
      }),
    });
  }
  return statements;
}

function dictResources(stack: Stack, input: OperatorAccessInput): string[] {
  return scoped(input.dictTableArns, stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${input.dictTablePrefix}*` }));
}

/** Log groups as IAM wants them for reading events (`:*` covers the group and its streams). */
function logGroupResources(stack: Stack, input: OperatorAccessInput): string[] {
  const logGroup = (name: string) =>
    stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return [
    ...scoped(
      input.lambdaFunctions.map((name) => logGroup(`/aws/lambda/${name}`)),
      logGroup(`/aws/lambda/${input.prefix}-*`),
    ),
    ...(input.batchLogGroup ? [logGroup(input.batchLogGroup)] : []),
  ];
}

function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'lambda', resource: 'function', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Statement ids `<Prefix><Name>` (ids are alphanumeric: "shop-prod" gives "ShopProd"). */
function statementId(prefix: string): (name: string) => string {
  const pascal = prefix
    .split('-')
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  return (name) => `${pascal}${name}`;
}
