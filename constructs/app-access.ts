/**
 * What an app's code may do in AWS, derived from its manifest: read and write its dicts and its state table, use its
 * payload bucket, invoke its Lambda-placed functions and jobs, and submit, watch and stop its Batch jobs. Nothing
 * else, and no `*` actions. The same statements go to the app's Lambda functions, its Batch containers, and any
 * outside compute the user grants access to.
 *
 * ARNs of resources the roles do not depend on (tables, bucket) come from the resources themselves. Function and
 * job-definition ARNs are written from their physical names, because those resources depend on the roles (a
 * reference would be a cycle). Up to EXACT_LIMIT names are listed one by one; beyond that one prefix pattern
 * replaces the list so the policy stays under IAM's size limit whatever the size of the app.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag.js';

/** Most names listed one by one in a statement before a prefix pattern stands for them. */
export const EXACT_LIMIT = 10;

/**
 * The Batch calls the runtime makes (test/constructs/permissions.test.ts keeps these in step with its SDK imports):
 * SubmitJob on the job definitions and queues; TerminateJob (which stops running jobs and cancels queued ones) on
 * jobs, whose ARNs are made at submit time; DescribeJobs, which has no resource-level permissions.
 */
export const BATCH_ACTIONS = { submit: ['batch:SubmitJob'], control: ['batch:TerminateJob'], read: ['batch:DescribeJobs'] } as const;

/** The DynamoDB calls the runtime makes on the app's tables (test/constructs/permissions.test.ts keeps this in step). */
export const DYNAMODB_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** The S3 calls the runtime makes on payload objects. */
export const PAYLOAD_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;

export interface AppAccessInput {
  /** The app's prefix: the patterns that stand for long lists start with it. Required. */
  readonly prefix: string;
  /** ARN of the state table. Required. */
  readonly stateTableArn: string;
  /** Whether the state table has secondary indexes (their ARNs need their own permission). Required. */
  readonly stateTableHasIndexes: boolean;
  /** Dict table ARNs by physical name. Required (may be empty). */
  readonly dictTables: ReadonlyArray<{ name: string; arn: string }>;
  /** The common prefix of the dict tables' physical names (for the pattern). Required. */
  readonly dictTablePrefix: string;
  /** ARN of the payload bucket. Required. */
  readonly bucketArn: string;
  /**
   * Physical names of the Lambda functions app code may invoke (its functions and jobs, and the targets of scheduled
   * tasks whose runs hand the turn to the fire time waiting). Required (may be empty).
   */
  readonly invocableFunctions: readonly string[];
  /**
   * Physical names of the app's other Lambda functions (services, scheduled tasks, the dispatcher): app code must
   * not invoke them, or it could call a service past its `iam` or JWT auth.
   *
   * @default - none
   */
  readonly internalFunctions?: readonly string[];
  /** Physical names of the Batch job definitions app code may submit. Required (may be empty). */
  readonly jobDefinitions: readonly string[];
  /** Physical names of the job queues. Required (may be empty). */
  readonly jobQueues: readonly string[];
}

/** A statement plus why its wildcard resources (if any) are acceptable. */
export interface ExplainedStatement {
  /** The statement. Required. */
  readonly statement: iam.PolicyStatement;
  /**
   * Why the statement's resources with a `*` are acceptable, for the cdk-nag acknowledgment.
   *
   * @default - the statement has no wildcard resource
   */
  readonly wildcardReason?: string;
}

export function appAccessStatements(scope: Construct, input: AppAccessInput): ExplainedStatement[] {
  const stack = Stack.of(scope);
  return [
    tablesStatement(stack, input),
    payloadsStatement(input),
    ...functionsStatements(stack, input),
    ...(input.jobDefinitions.length > 0 ? batchStatements(stack, input) : []),
  ];
}

/** Its dict tables and its state table (and the state table's indexes). */
function tablesStatement(stack: Stack, input: AppAccessInput): ExplainedStatement {
  const stateTable = [input.stateTableArn, ...(input.stateTableHasIndexes ? [`${input.stateTableArn}/index/*`] : [])];
  const dictTables = scoped(
    input.dictTables.map((t) => t.arn),
    stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${input.dictTablePrefix}*` }),
  );
  return {
    statement: new iam.PolicyStatement({ sid: 'AppTables', actions: [...DYNAMODB_DATA_ACTIONS], resources: [...stateTable, ...dictTables] }),
    wildcardReason: `The app's tables: its dict tables, all named "${input.dictTablePrefix}<dict>", and the indexes of its state table.`,
  };
}

/** The objects of its payload bucket. */
function payloadsStatement(input: AppAccessInput): ExplainedStatement {
  return {
    statement: new iam.PolicyStatement({ sid: 'AppPayloads', actions: [...PAYLOAD_ACTIONS], resources: [`${input.bucketArn}/*`] }),
    wildcardReason: "Payload objects get keys made per call; the bucket is the app's own.",
  };
}

/**
 * Invoking its Lambda-placed functions and jobs, when it has some. Past EXACT_LIMIT of them the prefix pattern
 * stands for the list, and it matches the app's internal functions too: an explicit Deny keeps them out.
 */
function functionsStatements(stack: Stack, input: AppAccessInput): ExplainedStatement[] {
  if (input.invocableFunctions.length === 0) return [];
  const functionArn = (name: string) =>
    stack.formatArn({ service: 'lambda', resource: 'function', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const resources = scoped(input.invocableFunctions.map(functionArn), functionArn(`${input.prefix}-*`));
  const statements: ExplainedStatement[] = [
    {
      statement: new iam.PolicyStatement({ sid: 'AppFunctions', actions: ['lambda:InvokeFunction'], resources }),
      wildcardReason: `The app's functions, all named "${input.prefix}-<definition>" (listed one by one up to ${EXACT_LIMIT}).`,
    },
  ];
  const internal = input.internalFunctions ?? [];
  if (resources.length < input.invocableFunctions.length && internal.length > 0) {
    statements.push({
      statement: new iam.PolicyStatement({
        sid: 'NotInternalFunctions',
        effect: iam.Effect.DENY,
        actions: ['lambda:InvokeFunction'],
        resources: internal.map(functionArn),
      }),
    });
  }
  return statements;
}

/**
 * What `batch:SubmitJob` is allowed on: the app's job definitions and queues. SubmitJob names a definition without a
 * revision (its latest), which IAM matches as ".../<name>", not ".../<name>:*": both forms are allowed.
 */
export function submitJobResources(
  stack: Stack,
  input: { readonly prefix: string; readonly jobDefinitions: readonly string[]; readonly jobQueues: readonly string[] },
): string[] {
  const batchArn = (resource: string, resourceName: string) => stack.formatArn({ service: 'batch', resource, resourceName });
  return [
    ...scoped(
      input.jobDefinitions.flatMap((name) => [batchArn('job-definition', name), batchArn('job-definition', `${name}:*`)]),
      batchArn('job-definition', `${input.prefix}-*`),
    ),
    ...input.jobQueues.map((name) => batchArn('job-queue', name)),
  ];
}

/** Why the SubmitJob resources may hold a wildcard (cdk-nag's acknowledgment). */
export function submitJobWildcardReason(prefix: string): string {
  return `The app's job definitions by name and every revision (":*") of them, all named "${prefix}-<definition>".`;
}

/** Submitting its Batch jobs, and stopping and reading them. */
function batchStatements(stack: Stack, input: AppAccessInput): ExplainedStatement[] {
  const batchArn = (resource: string, resourceName: string) => stack.formatArn({ service: 'batch', resource, resourceName });
  return [
    {
      statement: new iam.PolicyStatement({
        sid: 'AppBatchSubmit',
        actions: [...BATCH_ACTIONS.submit],
        resources: submitJobResources(stack, input),
      }),
      wildcardReason: submitJobWildcardReason(input.prefix),
    },
    {
      statement: new iam.PolicyStatement({ sid: 'AppBatchControl', actions: [...BATCH_ACTIONS.control], resources: [batchArn('job', '*')] }),
      wildcardReason: 'Batch job ids are made at submit time, so no job ARN is known at deploy time.',
    },
    {
      statement: new iam.PolicyStatement({ sid: 'AppBatchRead', actions: [...BATCH_ACTIONS.read], resources: ['*'] }),
      wildcardReason: `${BATCH_ACTIONS.read.join(' and ')} does not support resource-level permissions.`,
    },
  ];
}

/**
 * Grants the statements to `grantee` (on its principal's policy) as one Grant and, when the principal is a construct,
 * acknowledges their wildcards there. Deny statements go to the principal's policy as they are: a Grant only allows.
 */
export function grantStatements(grantee: iam.IGrantable, statements: readonly ExplainedStatement[]): iam.Grant {
  const principal = grantee.grantPrincipal;
  const grants = statements.flatMap(({ statement }) => {
    if (statement.effect === iam.Effect.DENY) {
      principal.addToPrincipalPolicy(statement.copy());
      return [];
    }
    const grant = iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
    // The grantee's policy keeps the statement ids of the app's own policy, so the two read alike.
    for (const added of grant.principalStatements) added.sid = statement.sid;
    return [grant];
  });
  if (principal instanceof Construct) acknowledgeStatements(principal, statements);
  return combineGrants(grants);
}

/** One Grant standing for several (at least one). */
export function combineGrants(grants: readonly iam.Grant[]): iam.Grant {
  const [first, ...rest] = grants;
  if (!first) throw new Error('combineGrants needs at least one grant');
  return rest.reduce((combined, grant) => combined.combine(grant), first);
}

export function acknowledgeStatements(scope: Construct, statements: readonly ExplainedStatement[]): void {
  for (const { statement, wildcardReason } of statements) {
    if (wildcardReason) acknowledgeWildcards(scope, statement.resources, wildcardReason);
  }
}

/** `arns` when there are few, else the one pattern that covers them. */
export function scoped(arns: readonly string[], pattern: string): string[] {
  return arns.length <= EXACT_LIMIT ? [...arns] : [pattern];
}
