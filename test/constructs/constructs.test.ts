/**
 * The constructs per concept on their own, and MultinodeApp's props, overrides and grants.
 */
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AppSchedule,
  AppService,
  BatchCompute,
  BatchJob,
  DictTable,
  LAMBDA_RUNTIME,
  MultinodeApp,
  PayloadBucket,
  StateTable,
  SynthError,
} from '../../constructs/index.js';
import { DICT_SCHEMA } from '../../runtime/dicts/schema.js';
import { SCHEDULE_START_RESOURCE_TYPE } from '../../runtime/schedules/start-date-event.js';
import { RUNS_INDEX, STATE_SCHEMA } from '../../runtime/state/schema.js';
import { RUN_RETENTION_DAYS } from '../../runtime/functions/run-store.js';
import { JOB_RETENTION_DAYS } from '../../runtime/jobs/job-store.js';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, exampleEntry, nagFindings, oneResource, policyStatements, resourcesOf, synthApp, testBundleRoot } from './helpers.js';

function newStack(): { app: App; stack: Stack } {
  const app = new App({ builtinCloudFormationValidation: false });
  return { app, stack: new Stack(app, 'Standalone') };
}

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

describe('the nag harness', () => {
  it('reports findings that are not acknowledged (so "no findings" means something)', () => {
    const { app, stack } = newStack();
    new s3.Bucket(stack, 'Plain');
    Template.fromStack(stack);
    expect(nagFindings(app, stack)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S1 at Standalone\/Plain/), expect.stringMatching(/^AwsSolutions-S10/)]),
    );
  });
});

describe('AppFunction', () => {
  it('runs on the newest Node.js runtime this aws-cdk-lib offers, named explicitly', () => {
    const versions = Object.entries(lambda.Runtime)
      .filter(([key, value]) => /^NODEJS_\d+_X$/.test(key) && value instanceof lambda.Runtime)
      .map(([, value]) => (value as lambda.Runtime).name);
    const newest = versions.sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]))[0];
    expect(LAMBDA_RUNTIME.name).toBe(newest);
    expect(LAMBDA_RUNTIME.isVariable).toBe(false);
  });
});

describe('DictTable and StateTable', () => {
  it("create tables with the runtime's key schema, on demand, with TTL and point-in-time recovery, kept on delete", () => {
    const { app, stack } = newStack();
    new DictTable(stack, 'Cache', { tableName: 'shop-dict-cache' });
    new StateTable(stack, 'State', { tableName: 'shop-state', removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    const [dictId, dict] = oneResource(template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'shop-dict-cache');
    expect(dict.KeySchema).toEqual([{ AttributeName: DICT_SCHEMA.key, KeyType: 'HASH' }]);
    expect(dict.TimeToLiveSpecification).toEqual({ AttributeName: DICT_SCHEMA.ttl, Enabled: true });
    expect(dict.BillingMode).toBe('PAY_PER_REQUEST');
    expect(dict.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(dict.SSESpecification).toEqual({ SSEEnabled: true });
    expect(template.toJSON().Resources[dictId].DeletionPolicy).toBe('Retain');
    const [stateId, state] = oneResource(template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'shop-state');
    expect(state.KeySchema).toEqual([
      { AttributeName: STATE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: STATE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    expect(template.toJSON().Resources[stateId].DeletionPolicy).toBe('Delete');
    // One sparse index of runs by time, projecting only what a list row shows.
    expect(state.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: RUNS_INDEX.name,
        KeySchema: [
          { AttributeName: RUNS_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: RUNS_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...RUNS_INDEX.projected] },
      },
    ]);
    expect(state.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: RUNS_INDEX.partitionKey, AttributeType: 'S' },
        { AttributeName: RUNS_INDEX.sortKey, AttributeType: 'S' },
      ]),
    );
    expect(nagFindings(app, stack)).toEqual([]);
  });
});

describe('PayloadBucket', () => {
  it('keeps payloads by default a day longer than the state of runs and jobs that refers to them', () => {
    const { stack } = newStack();
    new PayloadBucket(stack, 'Payloads');
    const [, bucket] = oneResource(Template.fromStack(stack), 'AWS::S3::Bucket', () => true);
    expect(bucket.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(Math.max(RUN_RETENTION_DAYS, JOB_RETENTION_DAYS) + 1);
  });

  it('is private, TLS only, encrypted and emptied by a lifecycle rule', () => {
    const { app, stack } = newStack();
    new PayloadBucket(stack, 'Payloads', { expiration: Duration.days(2) });
    const template = Template.fromStack(stack);
    const [, bucket] = oneResource(template, 'AWS::S3::Bucket', () => true);
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 2,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      Status: 'Enabled',
    });
    const [, policy] = oneResource(template, 'AWS::S3::BucketPolicy', () => true);
    expect(policy.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(nagFindings(app, stack)).toEqual([]);
  });

  it('logs access to the bucket it is given, without an acknowledgment', () => {
    const { app, stack } = newStack();
    const logsBucket = s3.Bucket.fromBucketName(stack, 'Logs', 'my-access-logs');
    const payloads = new PayloadBucket(stack, 'Payloads', { serverAccessLogsBucket: logsBucket });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: 'my-access-logs', LogFilePrefix: 'multinode-payloads/' },
    });
    expect(JSON.stringify(payloads.bucket.node.metadata)).not.toContain('AwsSolutions-S1');
    expect(nagFindings(app, stack)).toEqual([]);
  });
});

describe('BatchCompute and BatchJob', () => {
  it("uses a given VPC's private subnets without public IPs, and adds a GPU environment with its own queue", () => {
    const { app, stack } = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      restrictDefaultSecurityGroup: false,
      flowLogs: { all: {} },
    });
    const compute = new BatchCompute(stack, 'Batch', {
      vpc,
      gpuInstanceClasses: [ec2.InstanceClass.G5],
      maxvCpus: 64,
      jobQueueName: 'q',
      gpuJobQueueName: 'gq',
    });
    expect(compute.assignPublicIp).toBe(false);
    const jobRole = new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const executionRole = new iam.Role(stack, 'ExecRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const logGroup = new logs.LogGroup(stack, 'JobLogs', { retention: logs.RetentionDays.ONE_WEEK });
    new BatchJob(stack, 'Train', {
      definition: 'train',
      cpu: 8,
      memory: Size.gibibytes(32),
      gpu: 2,
      timeout: Duration.hours(2),
      command: ['node', '-e', 'process.exit(0)'],
      environment: { A: 'b' },
      jobRole,
      executionRole,
      logGroup,
      assignPublicIp: compute.assignPublicIp,
    });
    const template = Template.fromStack(stack);
    const environments = resourcesOf(template, 'AWS::Batch::ComputeEnvironment').map(([, p]) => p.ComputeResources);
    expect(environments.map((e) => e.Type).sort()).toEqual(['EC2', 'FARGATE']);
    const ec2Environment = environments.find((e) => e.Type === 'EC2')!;
    expect(ec2Environment.InstanceTypes).toEqual(['g5']);
    expect(ec2Environment.Ec2Configuration).toEqual([{ ImageType: 'ECS_AL2023_NVIDIA' }]);
    expect(ec2Environment.MinvCpus).toBe(0);
    expect(
      resourcesOf(template, 'AWS::Batch::JobQueue')
        .map(([, p]) => p.JobQueueName)
        .sort(),
    ).toEqual(['gq', 'q']);
    const [, job] = oneResource(template, 'AWS::Batch::JobDefinition', () => true);
    expect(job.PlatformCapabilities).toEqual(['EC2']);
    expect(job.ContainerProperties.ResourceRequirements).toEqual(
      expect.arrayContaining([
        { Type: 'GPU', Value: '2' },
        { Type: 'VCPU', Value: '8' },
        { Type: 'MEMORY', Value: '32768' },
      ]),
    );
    expect(job.Timeout).toEqual({ AttemptDurationSeconds: 7200 });
    // The GPU hosts' role carries the ECS agent's actions inline (no AWS managed policy), acknowledged.
    const instanceRoles = resourcesOf(template, 'AWS::IAM::Role').filter(([, p]) => JSON.stringify(p.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'));
    expect(instanceRoles).toHaveLength(1);
    expect(instanceRoles[0]![1].ManagedPolicyArns).toBeUndefined();
    const agent = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, p]) => p.PolicyDocument.Statement);
    expect(agent).toContainEqual(
      expect.objectContaining({
        Action: 'ecs:TagResource',
        Condition: { StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'RegisterContainerInstance'] } },
      }),
    );
    expect(nagFindings(app, stack)).toEqual([]);
  });

  it('refuses a Fargate size Fargate does not have, fractional EC2 vCPUs and GPU counts no instance has, naming the definition and path', () => {
    const { stack } = newStack();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const base = { command: ['x'], jobRole: role, executionRole: role, logGroup: new logs.LogGroup(stack, 'L'), timeout: Duration.minutes(1) };
    const attempt = (id: string, size: { cpu: number; memory: Size; gpu?: number }) => () => new BatchJob(stack, id, { ...base, definition: id, ...size });
    expect(attempt('odd', { cpu: 16, memory: Size.gibibytes(20) })).toThrow(
      /^Standalone\/odd: definition "odd": Fargate cannot run 16 vCPU with 20 GiB; valid pairs: .*16 vCPU: 32 GiB\.\.120 GiB/,
    );
    expect(attempt('half', { cpu: 0.5, memory: Size.gibibytes(1), gpu: 1 })).toThrow(
      /^Standalone\/half: definition "half": EC2 jobs take a whole number of vCPUs/,
    );
    expect(attempt('many', { cpu: 4, memory: Size.gibibytes(1), gpu: 9 })).toThrow(/definition "many": a job can use 1 to 8 GPUs .*got 9/);
    expect(attempt('fraction', { cpu: 4, memory: Size.kibibytes(1536), gpu: 1 })).toThrow(
      /definition "fraction": EC2 jobs take a whole number of MiB of memory, got 1\.5 MiB/,
    );
    expect(() => new BatchCompute(stack, 'None', { maxvCpus: 0 })).toThrow(/^Standalone\/None: batch\.maxvCpus must be a whole number of at least 1, got 0/);
    expect(() => new BatchCompute(stack, 'Half', { maxvCpus: 2.5 })).toThrow(SynthError);
    // The default Fargate quota of 6 vCPUs can be matched; each job definition checks its own size against it.
    expect(() => new BatchCompute(stack, 'Quota', { maxvCpus: 6 })).not.toThrow();
  });
});

describe('AppSchedule', () => {
  it('makes one schedule per expression, with its start, and by default its own role and dead-letter queue', () => {
    const { app, stack } = newStack();
    const target = new lambda.Function(stack, 'Target', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const schedule = new AppSchedule(stack, 'Every36h', {
      definition: 'every36h',
      expressions: [
        { expression: 'rate(36 hours)', timezone: 'UTC', startDate: '2030-01-01T00:00:00.000Z' },
        { expression: 'cron(0 12 ? * MON *)', timezone: 'Asia/Kathmandu' },
      ],
      input: '{"multinode":"schedule","name":"every36h","scheduledTime":"<aws.scheduler.scheduled-time>"}',
      target,
      retryAttempts: 2,
      maxEventAge: Duration.minutes(10),
      enabled: false,
    });
    expect(schedule.schedules).toHaveLength(2);
    const template = Template.fromStack(stack);
    const schedules = resourcesOf(template, 'AWS::Scheduler::Schedule').map(([, p]) => p);
    expect(schedules.map((s) => [s.ScheduleExpression, s.ScheduleExpressionTimezone, s.StartDate, s.State])).toEqual([
      ['rate(36 hours)', 'UTC', '2030-01-01T00:00:00.000Z', 'DISABLED'],
      ['cron(0 12 ? * MON *)', 'Asia/Kathmandu', undefined, 'DISABLED'],
    ]);
    expect(schedules[0]!.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 });
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, p]) => p.PolicyDocument.Statement);
    expect(statements.map((s: any) => s.Action).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    const role = oneResource(template, 'AWS::IAM::Role', (p) => JSON.stringify(p.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'))[1];
    expect(role.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(nagFindings(app, stack).filter((f) => !f.includes('/Target/'))).toEqual([]);
  });

  it('refuses a task without expressions and a start that is not a date', () => {
    const { stack } = newStack();
    const target = lambda.Function.fromFunctionName(stack, 'T', 'fn');
    expect(() => new AppSchedule(stack, 'None', { definition: 'none', expressions: [], input: '{}', target })).toThrow(
      /definition "none": the scheduled task has no compiled schedule expressions/,
    );
    expect(
      () =>
        new AppSchedule(stack, 'Bad', {
          definition: 'bad',
          expressions: [{ expression: 'rate(1 day)', timezone: 'UTC', startDate: 'soon' }],
          input: '{}',
          target,
        }),
    ).toThrow(/definition "bad": schedule expression 0 has an invalid start date "soon"/);
  });
});

describe('AppService', () => {
  const target = (stack: Stack) =>
    new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });

  it('puts IAM auth on the route, and lets a grantee call it', () => {
    const { app, stack } = newStack();
    const service = new AppService(stack, 'Api', { definition: 'api', handler: target(stack), auth: 'iam', timeout: Duration.seconds(10) });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    service.grantInvoke(caller);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { TimeoutInMillis: 10000 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'execute-api:Invoke' })]) },
    });
    // Every stage, method and path: the `$default` route serves them all (a grant on the route covers "/" alone).
    const invoke = resourcesOf(template, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.PolicyDocument.Statement)
      .find((st: any) => st.Action === 'execute-api:Invoke');
    expect(JSON.stringify(invoke.Resource)).toMatch(/"\/\*\/\*\/\*"\]\]\}$/);
    expect(nagFindings(app, stack).filter((f) => !f.includes('/Handler/') && !f.includes('/Caller/'))).toEqual([]);
  });

  it('puts a JWT authorizer with the issuer and audience on the route', () => {
    const { stack } = newStack();
    new AppService(stack, 'Api', {
      definition: 'api',
      handler: target(stack),
      auth: { jwt: { issuer: 'https://issuer.example', audience: ['app'] } },
      throttle: { rateLimit: 5, burstLimit: 10 },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example', Audience: ['app'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it('refuses a timeout HTTP APIs cannot wait for, naming the path and definition', () => {
    const { stack } = newStack();
    const handler = target(stack);
    expect(() => new AppService(stack, 'Api', { definition: 'slow', handler, timeout: Duration.seconds(30) })).toThrow(
      /^Standalone\/Api: definition "slow": a service timeout is whole seconds from 1 to 29 .*got 30 seconds/,
    );
    expect(() => new AppService(stack, 'Half', { definition: 'half', handler, timeout: Duration.millis(1500) })).toThrow(
      /definition "half": a service timeout is whole seconds .*got 1 second 500 millis/,
    );
  });
});

describe('MultinodeApp props and grants', () => {
  it('takes the prefix from the stack name, and applies removal policy, architecture, source maps, log retention and the alarm topic', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Shop', { stackName: 'Shop-Prod' });
    const topic = new sns.Topic(stack, 'Alerts', { enforceSSL: true });
    const mn = new MultinodeApp(stack, 'App', {
      entry: exampleEntry('tweet-summaries'),
      bundleRoot: testBundleRoot(),
      removalPolicy: RemovalPolicy.DESTROY,
      lambdaArchitecture: lambda.Architecture.X86_64,
      sourceMaps: false,
      logRetention: logs.RetentionDays.ONE_WEEK,
      alarmTopic: topic,
      overrides: { extractSummaries: { enabled: false, environment: { FEED: 'daily' } }, api: { reservedConcurrentExecutions: 3 } },
    });
    expect(mn.prefix).toBe('Shop-Prod');
    const template = Template.fromStack(stack);
    for (const [id] of resourcesOf(template, 'AWS::DynamoDB::Table')) expect(template.toJSON().Resources[id].DeletionPolicy).toBe('Delete');
    for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(fn.Architectures).toEqual(['x86_64']);
      expect(fn.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    }
    for (const [, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) expect(group.RetentionInDays).toBe(7);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'Shop-Prod-extractSummaries-0', State: 'DISABLED' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'Shop-Prod-extractSummaries',
      Environment: { Variables: Match.objectLike({ FEED: 'daily' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'Shop-Prod-api', ReservedConcurrentExecutions: 3 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }], Threshold: 0 });
    expect(Object.keys(mn.functions).sort()).toEqual(['api', 'extractSummaries']);
    expect(Object.keys(mn.dicts)).toEqual(['tweet_summaries']);
    expect(Object.keys(mn.services)).toEqual(['api']);
    expect(mn.schedules.extractSummaries!.schedules).toHaveLength(1);
  });

  it('cuts a long stack name to a 32-character prefix that stays unique', () => {
    const stackName = 'shop-production-environment-eu-west-1-blue';
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Long', { stackName });
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), bundleRoot: testBundleRoot() });
    expect(mn.prefix).toHaveLength(32);
    expect(mn.prefix).toMatch(/^shop-production-environ-[0-9a-f]{8}$/);
    expect(mn.functions.api!.node.defaultChild).toBeDefined();
  });

  it('lets outside compute use the app: the access statements plus the connection environment', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Outside');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('country-report'), prefix: 'reports', bundleRoot: testBundleRoot() });
    const worker = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    mn.connect(worker);
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    mn.grantDictRead(reader, 'daily_country_reports');
    mn.grantInvoke(reader, 'buildReport');
    const template = Template.fromStack(stack);
    const [, worked] = oneResource(template, 'AWS::Lambda::Function', (p) => p.Handler === 'index.handler');
    expect(Object.keys(worked.Environment.Variables).sort()).toEqual(['MULTINODE_APP', 'MULTINODE_BUCKET', 'MULTINODE_PREFIX']);
    expect(worked.Environment.Variables.MULTINODE_PREFIX).toBe('reports');
    const workerPolicy = resourcesOf(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('WorkerServiceRoleDefaultPolicy'))![1];
    const actions = workerPolicy.PolicyDocument.Statement.flatMap((s: any) => asArray(s.Action));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 's3:PutObject', 'lambda:InvokeFunction']));
    const readerPolicy = resourcesOf(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ReaderDefaultPolicy'))![1];
    const readerActions = readerPolicy.PolicyDocument.Statement.flatMap((s: any) => asArray(s.Action));
    expect(readerActions).toContain('dynamodb:GetItem');
    expect(readerActions).not.toContain('dynamodb:PutItem');
    expect(readerActions).toContain('lambda:InvokeFunction');
    // The wildcards granted to the worker carry their reasons to the worker's policy.
    expect(nagFindings(app, stack).filter((f) => f.startsWith('AwsSolutions-IAM5') && f.includes('/Worker/'))).toEqual([]);
  });

  it('gives a rate schedule its start at deploy time, from a custom resource the dispatcher answers', () => {
    const made = tempApp(
      {
        'app.ts':
          `import * as mn from 'multinode';\nexport const every36h = mn.schedule({ interval: '36h', referenceTime: '2024-01-01T06:00:00Z' }, ` +
          `async () => {});\n`,
      },
      'rate-app',
    );
    cleanups.push(made.cleanup);
    const { app, stack, template, mn: rateApp } = synthApp(made.entry, { prefix: 'rate' });
    // The app has nothing on Batch: the dispatcher exists for the start date alone.
    expect(rateApp.dispatcher).toBeDefined();
    expect(rateApp.batch).toBeUndefined();
    const [, schedule] = oneResource(template, 'AWS::Scheduler::Schedule', () => true);
    expect(schedule.ScheduleExpression).toBe('rate(36 hours)');
    const [startId, start] = oneResource(template, SCHEDULE_START_RESOURCE_TYPE, () => true);
    expect(schedule.StartDate).toEqual({ 'Fn::GetAtt': [startId, 'StartDate'] });
    const dispatcherId = stack.getLogicalId(rateApp.dispatcher!.node.defaultChild as lambda.CfnFunction);
    expect(start.ServiceToken).toEqual({ 'Fn::GetAtt': [dispatcherId, 'Arn'] });
    expect(start).toMatchObject({ Definition: 'every36h', Index: '0', Expression: 'rate(36 hours)' });
    expect(Date.parse(start.RequestedAt)).not.toBeNaN();
    // A start date that never comes fails the deploy in 5 minutes, not CloudFormation's hour.
    expect(Number(start.ServiceTimeout)).toBe(300);
    expect(nagFindings(app, stack)).toEqual([]);
    // Another prefix renames the dispatcher; CloudFormation cannot change a ServiceToken, so the resource is a new one.
    const renamed = synthApp(made.entry, { prefix: 'other' });
    const [renamedId] = oneResource(renamed.template, SCHEDULE_START_RESOURCE_TYPE, () => true);
    expect(renamedId).not.toBe(startId);
  });

  it('keeps the synth-time start of a standalone schedule given no start provider', () => {
    const { stack } = newStack();
    const target = lambda.Function.fromFunctionName(stack, 'T', 'fn');
    new AppSchedule(stack, 'Every36h', {
      definition: 'every36h',
      expressions: [{ expression: 'rate(36 hours)', timezone: 'UTC', startDate: '2030-01-01T06:00:00.000Z' }],
      input: '{}',
      target,
    });
    const template = Template.fromStack(stack);
    expect(oneResource(template, 'AWS::Scheduler::Schedule', () => true)[1].StartDate).toBe('2030-01-01T06:00:00.000Z');
    template.resourceCountIs(SCHEDULE_START_RESOURCE_TYPE, 0);
  });

  it("deploys a day-filtered cron as the plain cron in its zone: the filter is the runtime's, not EventBridge's", () => {
    const { stack } = newStack();
    const target = lambda.Function.fromFunctionName(stack, 'T', 'fn');
    new AppSchedule(stack, 'EveryOtherDay', {
      definition: 'everyOtherDay',
      expressions: [{ expression: 'cron(30 2 * * ? *)', timezone: 'Europe/Berlin', filter: { everyDays: 2, referenceDay: '2024-03-29' } }],
      input: '{}',
      target,
    });
    const template = Template.fromStack(stack);
    const [, schedule] = oneResource(template, 'AWS::Scheduler::Schedule', () => true);
    expect([schedule.ScheduleExpression, schedule.ScheduleExpressionTimezone, schedule.StartDate]).toEqual(['cron(30 2 * * ? *)', 'Europe/Berlin', undefined]);
    expect(JSON.stringify(template.toJSON())).not.toContain('everyDays');
    template.resourceCountIs(SCHEDULE_START_RESOURCE_TYPE, 0);
  });

  it('runs GPU definitions on an EC2 environment with their own queue, and clean under cdk-nag', () => {
    const GPU_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/cuda-node:22';
    const made = tempApp(
      {
        'app.ts': `import * as mn from 'multinode';
export const train = mn.job({ gpu: { count: 1, model: 'T4' }, cpu: 4, memory: '16 GiB', timeout: '2h', image: '${GPU_IMAGE}' }, async function* () {
  yield 1;
});
export const embed = mn.fn({ cpu: 8, memory: '32 GiB' }, async (text: string) => text.length);
`,
      },
      'gpu-app',
    );
    cleanups.push(made.cleanup);
    const { app, stack, template, mn } = synthApp(made.entry, { prefix: 'gpu' });
    expect(Object.keys(mn.jobDefinitions).sort()).toEqual(['embed', 'train']);
    const [, train] = oneResource(template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === 'gpu-train');
    expect(train.PlatformCapabilities).toEqual(['EC2']);
    expect(train.ContainerProperties.ResourceRequirements).toContainEqual({ Type: 'GPU', Value: '1' });
    // A private ECR image: its URI from the repository's ARN, and the pull allowed to the job's execution role only.
    expect(JSON.stringify(train.ContainerProperties.Image)).toContain('.dkr.ecr.us-east-1.');
    expect(JSON.stringify(train.ContainerProperties.Image)).toContain('cuda-node:22');
    const pulls = policyStatements(template).filter((s) => asArray(s.Action).includes('ecr:BatchGetImage'));
    expect(pulls.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/cuda-node']] },
    ]);
    const [, embed] = oneResource(template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === 'gpu-embed');
    expect(embed.PlatformCapabilities).toEqual(['FARGATE']);
    expect(
      resourcesOf(template, 'AWS::Batch::JobQueue')
        .map(([, p]) => p.JobQueueName)
        .sort(),
    ).toEqual(['gpu-gpu-queue', 'gpu-queue']);
    const [, environment] = oneResource(template, 'AWS::Batch::ComputeEnvironment', (p) => p.ComputeResources.Type === 'EC2');
    expect(environment.ComputeResources.InstanceTypes).toEqual(['g4dn']);
    const [, access] = oneResource(template, 'AWS::IAM::ManagedPolicy', () => true);
    expect(JSON.stringify(access.PolicyDocument)).toContain('job-queue/gpu-gpu-queue');
    expect(nagFindings(app, stack)).toEqual([]);
  });
});
