/**
 * CloudFormation and Lambda limits a large app can reach, checked before CloudFormation would refuse the stack,
 * with a message that says which definitions cost what.
 */
import { CfnOutput, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { environmentBytes, LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../runtime/core/config.js';
import { metadataBytes } from './app-description.js';
import { SynthError } from './errors.js';

export const STACK_LIMITS = { resources: 500, outputs: 200, templateBytes: 1_000_000 } as const;
/** Room left in the template for everything besides the job definitions' commands and the manifest. */
const COMMANDS_BUDGET = 0.8 * STACK_LIMITS.templateBytes;
/** The longest value a token stands for in an app's environment: an S3 bucket name. */
const TOKEN_VALUE = 'x'.repeat(63);

/** Checks the stack the app is in, once the app's resources exist. */
export function checkStackLimits(app: IConstruct & { prefix: string; manifest: { definitions: readonly { name: string }[] } }): void {
  const stack = Stack.of(app);
  const all = stack.node.findAll();
  const resources = all.filter((c) => c instanceof CfnResource && Stack.of(c) === stack).length;
  if (resources > STACK_LIMITS.resources) {
    const mine = app.node.findAll().filter((c) => c instanceof CfnResource).length;
    throw new SynthError(
      `stack ${stack.stackName} would hold ${resources} resources (${mine} of them for the app's ${app.manifest.definitions.length} definitions), ` +
        `over CloudFormation's limit of ${STACK_LIMITS.resources}. Split the app across stacks (a MultinodeApp per stack, each with its own prefix).`,
      app,
    );
  }
  const outputs = all.filter((c) => c instanceof CfnOutput && Stack.of(c) === stack).length;
  if (outputs > STACK_LIMITS.outputs) {
    throw new SynthError(
      `stack ${stack.stackName} would have ${outputs} outputs (one per service), over CloudFormation's limit of ${STACK_LIMITS.outputs}.`,
      app,
    );
  }
  // Each job definition carries the bootstrap script (about 5 KB): the largest part of a big app's template. The
  // manifest in the template's Metadata comes next (about 1 KB per definition).
  const jobDefinitions = app.node.findAll().filter((c): c is batch.CfnJobDefinition => c instanceof batch.CfnJobDefinition);
  const commandBytes = jobDefinitions.reduce((sum, job) => sum + JSON.stringify(stack.resolve(job.containerProperties) ?? {}).length, 0);
  const manifestBytes = metadataBytes(stack, app.prefix);
  if (commandBytes + manifestBytes > COMMANDS_BUDGET) {
    throw new SynthError(
      `the app's ${jobDefinitions.length} Batch job definitions take ${Math.round(commandBytes / 1000)} KB of template and its manifest (in the ` +
        `template's Metadata) ${Math.round(manifestBytes / 1000)} KB, close to CloudFormation's ${STACK_LIMITS.templateBytes / 1_000_000} MB limit. ` +
        'Split the app across stacks (a MultinodeApp per stack, each with its own prefix).',
      app,
    );
  }
  for (const fn of app.node.findAll().filter((c): c is lambda.Function => c instanceof lambda.Function)) {
    const size = environmentSize(stack, fn);
    if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      throw new SynthError(
        `the environment of the Lambda function takes ${size} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; pass less through ` +
          'overrides.environment and the config settings.',
        fn,
      );
    }
  }
}

/** Bytes of a function's environment as Lambda counts them (names and values), references at their longest. */
export function environmentSize(stack: Stack, fn: lambda.Function): number {
  const resolved = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).environment) as { variables?: Record<string, unknown> } | undefined;
  const longest = Object.entries(resolved?.variables ?? {}).map(([key, value]) => [
    key,
    typeof value === 'string' && !Token.isUnresolved(value) ? value : TOKEN_VALUE,
  ]);
  return environmentBytes(Object.fromEntries(longest));
}
