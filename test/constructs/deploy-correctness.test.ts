/**
 * Templates that synthesize but would deploy wrong: names CloudFormation needs unique, networks without a route
 * out, containers sized below their instance, permissions wider or narrower than the runtime needs, trust
 * policies, and attributes that make drift.
 */
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { AppSchedule, MultinodeApp, SynthError } from '../../constructs/index.js';
import { resourceNames } from '../../lib/naming.js';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, exampleEntry, nagFindings, oneResource, resourcesOf, testBundleRoot } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function app(name: string, source: string): string {
  const made = tempApp({ 'app.ts': `import * as mn from 'multinode';\n${source}\n` }, name);
  cleanups.push(made.cleanup);
  return made.entry;
}

function synthError(run: () => unknown): SynthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SynthError);
    return error as SynthError;
  }
  throw new Error('expected a SynthError');
}

function newStack(id: string): Stack {
  return new Stack(new App({ builtinCloudFormationValidation: false }), id);
}

const SCHEDULE_NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

describe('two apps in one stack, each with its own prefix', () => {
  it("name their schedules apart, so CloudFormation's validation (which deploy.md recommends) passes", () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'Two');
    new MultinodeApp(stack, 'Reports', { entry: exampleEntry('tweet-summaries'), prefix: 'reports', bundleRoot: testBundleRoot() });
    new MultinodeApp(stack, 'Reports2', { entry: exampleEntry('tweet-summaries'), prefix: 'reports2', bundleRoot: testBundleRoot() });
    const template = app.synth().getStackByName('Two').template as { Resources: Record<string, { Type: string; Properties: { Name: string } }> };
    const names = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
      .map((r) => r.Properties.Name);
    expect(names.sort()).toEqual(['reports-extractSummaries-0', 'reports2-extractSummaries-0']);
  });

  it('keep schedule names valid and apart when prefix and definition are at their longest', () => {
    const names = resourceNames('p'.repeat(32));
    const first = names.schedule('x'.repeat(64), 0);
    const second = names.schedule('x'.repeat(64), 1);
    const other = resourceNames(`${'p'.repeat(31)}q`).schedule('x'.repeat(64), 0);
    for (const name of [first, second, other]) expect(name).toMatch(SCHEDULE_NAME);
    expect(new Set([first, second, other]).size).toBe(3);
  });
});

describe('schedule names of one app', () => {
  it('start with the prefix', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'One');
    new MultinodeApp(stack, 'App', { entry: exampleEntry('daily-16cpu'), prefix: 'daily', bundleRoot: testBundleRoot() });
    const schedules = resourcesOf(Template.fromStack(stack), 'AWS::Scheduler::Schedule');
    expect(schedules.map(([, p]) => p.Name).sort()).toEqual(['daily-dailyAt23-0', 'daily-weekdaysAt23-0']);
  });
});

describe('Batch in a VPC of yours', () => {
  const heavy = exampleEntry('daily-16cpu');
  const gpu = app('gpu-net', "export const train = mn.job({ image: 'registry.example.com/cuda-node:22', gpu: 'T4' }, async function* () { yield 1; });");
  const vpcOf = (stack: Stack, subnets: ec2.SubnetConfiguration[], natGateways = 0) =>
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways, subnetConfiguration: subnets, restrictDefaultSecurityGroup: false });
  const publicSubnets: ec2.SubnetConfiguration = { name: 'public', subnetType: ec2.SubnetType.PUBLIC };
  const isolatedSubnets: ec2.SubnetConfiguration = { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const privateSubnets: ec2.SubnetConfiguration = { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  const subnetRefs = (stack: Stack, subnets: ec2.ISubnet[]) => subnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));

  it('with public and isolated subnets and no NAT, runs jobs in the public subnets with a public IP', () => {
    const stack = newStack('PublicIsolated');
    const vpc = vpcOf(stack, [publicSubnets, isolatedSubnets]);
    new MultinodeApp(stack, 'App', { entry: heavy, prefix: 'daily', vpc, bundleRoot: testBundleRoot() });
    const template = Template.fromStack(stack);
    const [, environment] = oneResource(template, 'AWS::Batch::ComputeEnvironment', () => true);
    expect(environment.ComputeResources.Subnets).toEqual(subnetRefs(stack, vpc.publicSubnets));
    for (const [, job] of resourcesOf(template, 'AWS::Batch::JobDefinition')) {
      expect(job.ContainerProperties.NetworkConfiguration).toEqual({ AssignPublicIp: 'ENABLED' });
    }
  });

  it('with private subnets behind a NAT, runs jobs there without a public IP', () => {
    const stack = newStack('Private');
    const vpc = vpcOf(stack, [publicSubnets, privateSubnets, isolatedSubnets], 1);
    new MultinodeApp(stack, 'App', { entry: heavy, prefix: 'daily', vpc, bundleRoot: testBundleRoot() });
    const template = Template.fromStack(stack);
    const [, environment] = oneResource(template, 'AWS::Batch::ComputeEnvironment', () => true);
    expect(environment.ComputeResources.Subnets).toEqual(subnetRefs(stack, vpc.privateSubnets));
    for (const [, job] of resourcesOf(template, 'AWS::Batch::JobDefinition')) {
      expect(job.ContainerProperties.NetworkConfiguration).toEqual({ AssignPublicIp: 'DISABLED' });
    }
  });

  it('fails the synth when the VPC has no subnet with a route out', () => {
    const stack = newStack('Isolated');
    const vpc = vpcOf(stack, [isolatedSubnets]);
    const error = synthError(() => new MultinodeApp(stack, 'App', { entry: heavy, prefix: 'daily', vpc, bundleRoot: testBundleRoot() }));
    expect(error.constructPath).toBe('Isolated/App/Batch/Compute');
    expect(error.message).toMatch(/the VPC Isolated\/Vpc has no subnet with a route out \(only isolated subnets\)/);
    expect(error.message).toMatch(/a NAT gateway \(private subnets with egress\) or public subnets/);
  });

  it('fails the synth when the given subnets are isolated, naming them', () => {
    const stack = newStack('Chosen');
    const vpc = vpcOf(stack, [publicSubnets, isolatedSubnets]);
    const error = synthError(
      () =>
        new MultinodeApp(stack, 'App', {
          entry: heavy,
          prefix: 'daily',
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          bundleRoot: testBundleRoot(),
        }),
    );
    expect(error.message).toMatch(/vpcSubnets selects isolated subnets, which have no route out: Chosen\/Vpc\/isolatedSubnet1, Chosen\/Vpc\/isolatedSubnet2/);
  });

  it('takes public subnets it is given, with a public IP, and stays clean under cdk-nag', () => {
    const stack = newStack('GivenPublic');
    const vpc = vpcOf(stack, [publicSubnets, isolatedSubnets]);
    new ec2.FlowLog(stack, 'FlowLog', { resourceType: ec2.FlowLogResourceType.fromVpc(vpc) });
    new MultinodeApp(stack, 'App', { entry: gpu, prefix: 'gpu', vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, bundleRoot: testBundleRoot() });
    const template = Template.fromStack(stack);
    for (const [, environment] of resourcesOf(template, 'AWS::Batch::ComputeEnvironment')) {
      expect(environment.ComputeResources.Subnets).toEqual(subnetRefs(stack, vpc.publicSubnets));
    }
    expect(nagFindings(stack.node.root as App, stack)).toEqual([]);
  });

  it('fails the synth when GPU hosts would start in public subnets that give no public IP', () => {
    const stack = newStack('NoPublicIp');
    const vpc = vpcOf(stack, [{ ...publicSubnets, mapPublicIpOnLaunch: false }]);
    const error = synthError(() => new MultinodeApp(stack, 'App', { entry: gpu, prefix: 'gpu', vpc, bundleRoot: testBundleRoot() }));
    expect(error.message).toMatch(/GPU instances would start without a public IP in public subnets that do not assign one/);
    expect(error.message).toContain('(NoPublicIp/Vpc/publicSubnet1, NoPublicIp/Vpc/publicSubnet2)');
  });
});

describe('GPU definitions', () => {
  const gpuApp = app(
    'gpu-memory',
    [
      "export const t4 = mn.job({ image: 'registry.example.com/cuda-node:22', gpu: 'T4' }, async function* () { yield 1; });",
      "export const l40s = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: 'L40S', cpu: 8 }, async () => 1);",
      "export const four = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: { count: 4, model: 'A10G' } }, async () => 1);",
      "export const any = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: 1 }, async () => 1);",
      "export const a100 = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: 'A100' }, async () => 1);",
      "export const sized = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: 'T4', memory: '12 GiB' }, async () => 1);",
      "export const big = mn.fn({ image: 'registry.example.com/cuda-node:22', gpu: 'T4', memory: '40 GiB' }, async () => 1);",
    ].join('\n'),
  );
  const stack = newStack('GpuMemory');
  new MultinodeApp(stack, 'App', { entry: gpuApp, prefix: 'gpu', bundleRoot: testBundleRoot() });
  const template = Template.fromStack(stack);
  const memoryOf = (name: string) => {
    const [, job] = oneResource(template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === `gpu-${name}`);
    return Number(job.ContainerProperties.ResourceRequirements.find((r: { Type: string }) => r.Type === 'MEMORY').Value);
  };
  const share = (gib: number, gpus = 1, of = 1) => Math.floor((gib * 1024 * 0.95 * gpus) / of);

  it('get the memory of the smallest instance of their family that has their GPUs and vCPUs, less 5%, when memory is not set', () => {
    expect(memoryOf('t4')).toBe(share(16)); // g4dn.xlarge
    expect(memoryOf('l40s')).toBe(share(64)); // g6e.2xlarge: 8 vCPUs
    expect(memoryOf('four')).toBe(share(192, 4, 4)); // g5.12xlarge
    expect(memoryOf('any')).toBe(share(16)); // g4dn, g5 and g6 all start at 16 GiB
  });

  it("take a GPU's share of an instance with more GPUs than they ask for, so jobs can share it", () => {
    expect(memoryOf('a100')).toBe(share(1152, 1, 8)); // p4d.24xlarge has 8 GPUs
  });

  it('keep the memory they set', () => {
    expect(memoryOf('sized')).toBe(12 * 1024);
    expect(memoryOf('big')).toBe(40 * 1024);
  });
});

/** A CloudFormation value with the pseudo parameters filled in (what IAM sees once deployed). */
function deployed(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (Array.isArray(node['Fn::Join'])) return (node['Fn::Join'][1] as unknown[]).map(deployed).join(node['Fn::Join'][0]);
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };
  if (typeof node.Ref === 'string' && pseudo[node.Ref]) return pseudo[node.Ref]!;
  throw new Error(`no deployed value for ${JSON.stringify(value)}`);
}

/** IAM's answer for one action on one resource under one policy document: an explicit Deny wins, else any Allow. */
function allows(document: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> }, action: string, resource: string): boolean {
  const matches = (pattern: string, text: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(text);
  const applies = (s: { Action: string | string[]; Resource: unknown }) =>
    asArray(s.Action).some((a) => matches(a, action)) && asArray(s.Resource as unknown[]).some((r) => matches(deployed(r), resource));
  const statements = document.Statement;
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

describe("the app's permission to invoke Lambda functions", () => {
  const many = app(
    'many-functions',
    [
      ...Array.from({ length: 11 }, (_, i) => `export const fn${i} = mn.fn(async (x: number) => x + ${i});`),
      'export const work = mn.job(async function* () { yield 1; });',
      "export const api = mn.service({ auth: 'iam' }, async () => new Response('ok'));",
      "export const nightly = mn.schedule({ cron: '0 2 * * *' }, async () => {});",
      'export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);',
    ].join('\n'),
  );
  const stack = newStack('Invoke');
  const mn = new MultinodeApp(stack, 'App', { entry: many, prefix: 'many', bundleRoot: testBundleRoot() });
  const outside = new iam.Role(stack, 'Outside', { assumedBy: new iam.AccountRootPrincipal() });
  mn.grantAccess(outside);
  const template = Template.fromStack(stack);
  const [, access] = oneResource(template, 'AWS::IAM::ManagedPolicy', () => true);
  const [, outsidePolicy] = resourcesOf(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('OutsideDefaultPolicy'))!;
  const fnArn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:many-${name}`;

  it('past ten functions and jobs, still covers every function and job', () => {
    expect(JSON.stringify(access.PolicyDocument)).toContain(':function:many-*');
    for (const name of [...Array.from({ length: 11 }, (_, i) => `fn${i}`), 'work']) {
      expect(allows(access.PolicyDocument, 'lambda:InvokeFunction', fnArn(name))).toBe(true);
      expect(allows(outsidePolicy.PolicyDocument, 'lambda:InvokeFunction', fnArn(name))).toBe(true);
    }
  });

  it("never covers a service's function, a scheduled task's or the dispatcher, for app code or outside code", () => {
    for (const name of ['api', 'nightly', 'multinode-dispatcher']) {
      expect(allows(access.PolicyDocument, 'lambda:InvokeFunction', fnArn(name))).toBe(false);
      expect(allows(outsidePolicy.PolicyDocument, 'lambda:InvokeFunction', fnArn(name))).toBe(false);
    }
  });

  it('stays clean under cdk-nag', () => {
    expect(nagFindings(stack.node.root as App, stack)).toEqual([]);
  });
});

describe("EventBridge Scheduler's role", () => {
  const trustOf = (template: Template) =>
    oneResource(template, 'AWS::IAM::Role', (p) => JSON.stringify(p.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'))[1].AssumeRolePolicyDocument
      .Statement[0];

  it("trusts Scheduler acting for this account and for the app's schedule group only", () => {
    const stack = newStack('Trust');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), prefix: 'tweets', bundleRoot: testBundleRoot() });
    const trust = trustOf(Template.fromStack(stack));
    expect(trust.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(trust.Condition).toEqual({
      StringEquals: {
        'aws:SourceAccount': { Ref: 'AWS::AccountId' },
        'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(mn.scheduleGroup!.node.defaultChild as CfnResource), 'Arn'] },
      },
    });
  });

  it("of a schedule outside any group, trusts the account's default group only", () => {
    const stack = newStack('DefaultGroup');
    new AppSchedule(stack, 'Nightly', {
      definition: 'nightly',
      expressions: [{ expression: 'cron(0 2 * * ? *)', timezone: 'UTC' }],
      input: '{}',
      target: lambda.Function.fromFunctionName(stack, 'Target', 'nightly'),
    });
    const trust = trustOf(Template.fromStack(stack));
    expect(trust.Condition.StringEquals['aws:SourceArn']).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule-group/default']],
    });
  });
});

describe('an account bootstrapped with a customer KMS key', () => {
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const jobRoleStatements = (stack: Stack, mn: MultinodeApp) => {
    const roleId = stack.getLogicalId(mn.batch!.jobRole.node.defaultChild as CfnResource);
    return resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Roles).includes(roleId))
      .flatMap(([, p]) => p.PolicyDocument.Statement);
  };

  it('lets Batch jobs decrypt the bundle they read from the asset bucket, through S3 only', () => {
    const stack = newStack('Kms');
    const key = kms.Key.fromKeyArn(stack, 'BootstrapKey', keyArn);
    const mn = new MultinodeApp(stack, 'App', {
      entry: exampleEntry('daily-16cpu'),
      prefix: 'daily',
      batch: { assetBucketKey: key },
      bundleRoot: testBundleRoot(),
    });
    const decrypt = jobRoleStatements(stack, mn).filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('kms:'));
    expect(decrypt).toEqual([
      {
        Sid: 'DecryptBundle',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
    ]);
    expect(nagFindings(stack.node.root as App, stack)).toEqual([]);
  });

  it('grants no KMS action without the key', () => {
    const stack = newStack('NoKms');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('daily-16cpu'), prefix: 'daily', bundleRoot: testBundleRoot() });
    expect(JSON.stringify(jobRoleStatements(stack, mn))).not.toContain('kms:');
  });
});

describe('a service', () => {
  it('logs access to its log group by the group\'s ARN without ":*" (which drift detection reports as a change)', () => {
    const stack = newStack('Logs');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), prefix: 'tweets', bundleRoot: testBundleRoot() });
    const [, stage] = oneResource(Template.fromStack(stack), 'AWS::ApiGatewayV2::Stage', () => true);
    const logGroup = stack.getLogicalId(mn.service('api').service.accessLogs.node.defaultChild as CfnResource);
    expect(stage.AccessLogSettings.DestinationArn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logGroup }]],
    });
  });
});

describe('the payload bucket without access logs', () => {
  it("acknowledges AwsSolutions-S1 naming the prop that turns them on: MultinodeApp's payloadAccessLogsBucket", () => {
    const stack = newStack('S1');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), prefix: 'tweets', bundleRoot: testBundleRoot() });
    const reasons = mn.payloadBucket.bucket.node.metadata.map((entry) => JSON.stringify(entry.data)).filter((data) => data.includes('AwsSolutions-S1'));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('payloadAccessLogsBucket');
  });
});
