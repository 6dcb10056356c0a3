/**
 * Every example's template, and the template of an app that uses every feature (every kind of definition and
 * placement, and every MultinodeApp prop that adds resources), match CloudFormation's resource schemas: a wrong
 * property name, a missing required property, a wrong type or enum value, or a Ref or Fn::GetAtt to nothing fails
 * here. The checker itself is shown to catch each of those in a deliberately wrong template.
 */
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { MultinodeApp } from '../../constructs/index.js';
import { type CfnTemplate, schemaProblems } from './cfn-schema.js';
import { exampleContext, exampleEntry, nagFindings, REPO, synthApp } from './helpers.js';

const ALL_EXAMPLES = ['country-report', 'daily-16cpu', 'job-progress', 'tweet-summaries'] as const;
const EVERY_FEATURE = path.join(REPO, 'test', 'constructs', 'fixtures', 'every-feature', 'src', 'app.ts');

describe('the schema checker', () => {
  const wrong: CfnTemplate = {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 'two weeks', NoSuchProperty: true } },
      Schedule: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: 'rate(1 day)',
          FlexibleTimeWindow: { Mode: 'SOMETIMES' },
          State: 'ON',
          Target: { Arn: { 'Fn::GetAtt': ['Queue', 'Url'] }, RoleArn: { Ref: 'MissingRole' }, RetryPolicy: { MaximumRetryAttempts: '1.5x' } },
        },
        DependsOn: ['Nowhere'],
      },
      Function: {
        Type: 'AWS::Lambda::Function',
        Properties: { Code: { ZipFile: 'x' }, Role: { 'Fn::GetAtt': ['Ghost', 'Arn'] }, MemorySize: [128], Timeout: 2.5 },
      },
      Group: { Type: 'AWS::Scheduler::ScheduleGroups', Properties: {} },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a template literal
      Start: { Type: 'Custom::Start', Properties: { Expression: { 'Fn::Sub': '${Queue.Arn} ${Nothing}' } } },
    },
    Outputs: { Url: { Value: { Ref: 'Nobody' } } },
  };

  it('finds every kind of mistake in a deliberately wrong template', () => {
    const expected = [
      'Resources.Queue.Properties.MessageRetentionPeriod: "two weeks" is not of type integer',
      /^Resources\.Queue\.Properties\.NoSuchProperty: no such property; allowed: .*MessageRetentionPeriod/,
      'Resources.Schedule.DependsOn: names "Nowhere", which is not a resource of the template',
      'Resources.Schedule.Properties.FlexibleTimeWindow.Mode: "SOMETIMES" is not one of the allowed values OFF, FLEXIBLE',
      'Resources.Schedule.Properties.State: "ON" is not one of the allowed values ENABLED, DISABLED',
      /^Resources\.Schedule\.Properties\.Target\.Arn: AWS::SQS::Queue has no attribute "Url" for Fn::GetAtt; it has: Arn, QueueName, QueueUrl$/,
      'Resources.Schedule.Properties.Target.RoleArn: Ref names "MissingRole", which is no resource, parameter or pseudo parameter of the template',
      'Resources.Schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts: "1.5x" is not of type number',
      'Resources.Function.Properties.Role: Fn::GetAtt names "Ghost", which is not a resource of the template',
      'Resources.Function.Properties.MemorySize: [128] is not of type integer',
      'Resources.Function.Properties.Timeout: 2.5 is not of type integer',
      'Resources.Group.Type: "AWS::Scheduler::ScheduleGroups" is not a CloudFormation resource type',
      'Resources.Start.Properties: a custom resource needs a ServiceToken',
      'Resources.Start.Properties.Expression: Ref names "Nothing", which is no resource, parameter or pseudo parameter of the template',
      'Outputs.Url.Value: Ref names "Nobody", which is no resource, parameter or pseudo parameter of the template',
    ];
    const problems = schemaProblems(wrong);
    for (const problem of expected) expect(problems).toContainEqual(typeof problem === 'string' ? problem : expect.stringMatching(problem));
    expect(problems).toHaveLength(expected.length);
  });

  it('reports a missing required property, in a resource and in a nested type', () => {
    const problems = schemaProblems({
      Resources: {
        Schedule: { Type: 'AWS::Scheduler::Schedule', Properties: { FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'arn' } } },
      },
    });
    expect(problems).toEqual([
      'Resources.Schedule.Properties: the required property ScheduleExpression is missing',
      'Resources.Schedule.Properties.Target: the required property RoleArn is missing',
    ]);
  });

  it('accepts what CloudFormation accepts: numbers as strings, intrinsics for any type, union members, maps and tags', () => {
    expect(
      schemaProblems({
        Parameters: { Size: { Type: 'Number' } },
        Resources: {
          Queue: {
            Type: 'AWS::SQS::Queue',
            Properties: {
              MessageRetentionPeriod: '1209600',
              DelaySeconds: { Ref: 'Size' },
              Tags: [{ Key: 'team', Value: 'data' }],
              RedrivePolicy: { deadLetterTargetArn: 'arn' },
            },
          },
          Role: {
            Type: 'AWS::IAM::Role',
            Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'x' }, Action: 'sts:AssumeRole' }] } },
          },
        },
        Outputs: { Arn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      }),
    ).toEqual([]);
  });
});

describe('the templates against CloudFormation resource schemas', () => {
  it.each(ALL_EXAMPLES)('%s', (example) => {
    const { template } = synthApp(exampleEntry(example), {}, example === 'job-progress' ? {} : { context: exampleContext(example) });
    expect(schemaProblems(template.toJSON() as CfnTemplate)).toEqual([]);
  });

  it('an app using every feature, in a VPC of its own, with every prop that adds resources', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: exampleContext('daily-16cpu') });
    const stack = new Stack(app, 'EveryFeature');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false, flowLogs: { all: {} } });
    const mn = new MultinodeApp(stack, 'App', {
      entry: EVERY_FEATURE,
      prefix: 'every',
      vpc,
      alarmTopic: new sns.Topic(stack, 'Alerts', { enforceSSL: true }),
      payloadAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'AccessLogs', 'every-access-logs'),
      payloadExpiration: Duration.days(40),
      batch: {
        maxvCpus: 64,
        runnableTimeout: Duration.hours(1),
        assetBucketKey: kms.Key.fromKeyArn(stack, 'BootstrapKey', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      },
      scheduleRetry: { retryAttempts: 3, maxEventAge: Duration.minutes(30) },
      overrides: {
        api: { throttle: { rateLimit: 50, burstLimit: 100 }, corsPreflight: { allowOrigins: ['https://example.com'], allowMethods: [] } },
        nightly: { enabled: false, environment: { MODE: 'nightly' } },
        light: { reservedConcurrentExecutions: 5 },
      },
    });
    const worker = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    mn.connect(worker);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    mn.grantDictRead(reader, 'notes');
    mn.grantDictReadWrite(reader, 'counters');
    mn.grantInvoke(reader, 'light');
    mn.service('internal').service.grantInvoke(reader);
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of ['AWS::Batch::JobDefinition', 'AWS::Scheduler::Schedule', 'AWS::ApiGatewayV2::Authorizer', 'Custom::MultinodeScheduleStart']) {
      expect(types).toContain(type);
    }
    expect(schemaProblems(template)).toEqual([]);
  });

  it('the every-feature app in the VPC the construct makes (and it is clean under cdk-nag)', () => {
    const { app, stack, template } = synthApp(EVERY_FEATURE, { prefix: 'every' }, { context: exampleContext('daily-16cpu') });
    expect(schemaProblems(template.toJSON() as CfnTemplate)).toEqual([]);
    expect(nagFindings(app, stack)).toEqual([]);
  });
});
