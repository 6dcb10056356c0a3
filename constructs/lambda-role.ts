/**
 * A role for the app's Lambda functions: the app's access policy, and writing the functions' logs. The app's shared
 * Lambda role is one; a function that reads secrets gets one of its own, with its secrets added (app-secrets.ts).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { ResourceNames } from '../lib/naming.js';
import { acknowledgeWildcards } from './nag.js';

export interface AppLambdaRoleProps {
  /** What the role is for, shown in IAM. Required. */
  readonly description: string;
  /** The app's permissions. Required. */
  readonly accessPolicy: iam.IManagedPolicy;
  /** The app's physical names (the functions' log groups). Required. */
  readonly names: ResourceNames;
}

export function appLambdaRole(scope: Construct, id: string, props: AppLambdaRoleProps): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
    managedPolicies: [props.accessPolicy],
  });
  const logGroups = Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `/aws/lambda/${props.names.lambdaFunction('')}*:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'Logs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroups] }));
  acknowledgeWildcards(
    role,
    [logGroups],
    `The log groups of the app's functions, all named "/aws/lambda/${props.names.lambdaFunction('')}<definition>", and their streams.`,
  );
  return role;
}
