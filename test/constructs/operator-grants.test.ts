/**
 * MultinodeApp's grants for the people who run the app: `grantRead` looks, `grantOperate` also acts. The exact
 * statements of each, what a principal holding them may and may not do (evaluated the way IAM does), the Deny that
 * keeps services out of a pattern, and cdk-nag staying clean.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { MultinodeApp } from '../../constructs/index.js';
import { tempApp } from '../helpers/temp-app.js';
import { nagFindings, resourcesOf, testBundleRoot } from './helpers.js';
import { allows, concreteValues, renderStatements, type Statement } from './iam-eval.js';

const ENV = { account: '123456789012', region: 'eu-west-1' } as const;
const ARN = (service: string, resource: string) => `arn:aws:${service}:${ENV.region}:${ENV.account}:${resource}`;

const made = tempApp(
  {
    'app.ts': `import * as mn from 'multinode';
export const summaries = mn.dict<string>('summaries');
export const counters = mn.dict<number>('counters');
export const light = mn.fn(async (x: number) => x);
export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);
export const work = mn.job(async function* () { yield 1; });
export const nightly = mn.schedule({ cron: '0 2 * * *' }, async () => {});
export const api = mn.service({ auth: 'iam' }, async () => new Response('ok'));
`,
  },
  'operator-app',
);
afterAll(made.cleanup);

interface Granted {
  readonly app: App;
  readonly stack: Stack;
  readonly mn: MultinodeApp;
  readonly read: iam.Grant;
  readonly operate: iam.Grant;
  /** The statements of each principal's policy, with every reference rendered to a string. */
  readonly policies: { reader: ReturnType<typeof renderStatements>; operator: ReturnType<typeof renderStatements> };
}

function granted(entry: string, prefix: string, stackName = 'Ops'): Granted {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, stackName, { env: ENV });
  const mn = new MultinodeApp(stack, 'App', { entry, prefix, bundleRoot: testBundleRoot() });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  const read = mn.grantRead(reader);
  const operate = mn.grantOperate(operator);
  const template = Template.fromStack(stack);
  const concrete = concreteValues(template.toJSON() as any, ENV);
  const policyOf = (role: string): Statement[] =>
    resourcesOf(template, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith(`${role}DefaultPolicy`))
      .flatMap(([, p]) => p.PolicyDocument.Statement);
  return {
    app,
    stack,
    mn,
    read,
    operate,
    policies: { reader: renderStatements(policyOf('Reader'), concrete), operator: renderStatements(policyOf('Operator'), concrete) },
  };
}

const READ_STATEMENTS = [
  {
    Sid: 'OpsReadState',
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
    Resource: [ARN('dynamodb', 'table/ops-state'), `${ARN('dynamodb', 'table/ops-state')}/index/*`],
  },
  {
    Sid: 'OpsReadDicts',
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'],
    Resource: [ARN('dynamodb', 'table/ops-dict-summaries'), ARN('dynamodb', 'table/ops-dict-counters')],
  },
  {
    Sid: 'OpsReadLogs',
    Effect: 'Allow',
    Action: ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams'],
    Resource: ['light', 'work', 'nightly', 'api', 'multinode-dispatcher']
      .map((fn) => ARN('logs', `log-group:/aws/lambda/ops-${fn}:*`))
      .concat(ARN('logs', 'log-group:/aws/batch/ops:*')),
  },
  { Sid: 'OpsListLogGroups', Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: ['*'] },
  {
    Sid: 'OpsReadStack',
    Effect: 'Allow',
    Action: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
    Resource: [ARN('cloudformation', 'stack/Ops/*')],
  },
  { Sid: 'OpsReadPayloads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [expect.stringMatching(/^arn:aws:s3:::bucket-apppayloadsbucket\w+\/\*$/)] },
  { Sid: 'OpsReadBatchJobs', Effect: 'Allow', Action: ['batch:DescribeJobs'], Resource: ['*'] },
  { Sid: 'OpsReadSchedules', Effect: 'Allow', Action: ['scheduler:GetSchedule'], Resource: [ARN('scheduler', 'schedule/ops/*')] },
  { Sid: 'OpsListSchedules', Effect: 'Allow', Action: ['scheduler:ListSchedules'], Resource: ['*'] },
];

const OPERATE_STATEMENTS = [
  {
    Sid: 'OpsWriteState',
    Effect: 'Allow',
    Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    Resource: [ARN('dynamodb', 'table/ops-state')],
  },
  {
    Sid: 'OpsWriteDicts',
    Effect: 'Allow',
    Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    Resource: [ARN('dynamodb', 'table/ops-dict-summaries'), ARN('dynamodb', 'table/ops-dict-counters')],
  },
  {
    Sid: 'OpsInvokeFunctions',
    Effect: 'Allow',
    Action: ['lambda:InvokeFunction'],
    Resource: ['light', 'work', 'nightly', 'multinode-dispatcher'].map((fn) => ARN('lambda', `function:ops-${fn}`)),
  },
  {
    Sid: 'OpsSubmitBatchJobs',
    Effect: 'Allow',
    Action: ['batch:SubmitJob'],
    Resource: [ARN('batch', 'job-definition/ops-heavy'), ARN('batch', 'job-definition/ops-heavy:*'), ARN('batch', 'job-queue/ops-queue')],
  },
  { Sid: 'OpsStopBatchJobs', Effect: 'Allow', Action: ['batch:TerminateJob'], Resource: [ARN('batch', 'job/*')] },
  { Sid: 'OpsWritePayloads', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [expect.stringMatching(/^arn:aws:s3:::bucket-apppayloadsbucket\w+\/\*$/)] },
];

describe('grantRead and grantOperate', () => {
  const { app, stack, read, operate, policies } = granted(made.entry, 'ops');
  const stateTable = ARN('dynamodb', 'table/ops-state');
  const dict = ARN('dynamodb', 'table/ops-dict-summaries');
  const payloadsArn = policies.reader.find((s) => s.Sid === 'OpsReadPayloads')!.Resource[0]!.replace(/\*$/, '');
  const functionArn = (name: string) => ARN('lambda', `function:ops-${name}`);

  it('each return one Grant, holding every statement it added', () => {
    expect(read).toBeInstanceOf(iam.Grant);
    expect(operate).toBeInstanceOf(iam.Grant);
    expect(read.success && operate.success).toBe(true);
    expect(read.principalStatements.map((s) => s.sid)).toEqual(READ_STATEMENTS.map((s) => s.Sid));
    expect(operate.principalStatements.map((s) => s.sid)).toEqual([...READ_STATEMENTS, ...OPERATE_STATEMENTS].map((s) => s.Sid));
  });

  it('grantRead gives exactly the statements that read the app', () => {
    expect(policies.reader).toEqual(READ_STATEMENTS);
  });

  it('grantOperate gives everything grantRead gives, plus exactly the statements that act on the app', () => {
    expect(policies.operator).toEqual([...READ_STATEMENTS, ...OPERATE_STATEMENTS]);
  });

  it('a reader reads the state table and its indexes, dicts, logs, the stack, payloads, Batch jobs and schedules', () => {
    const can = (action: string, resource: string) => allows(policies.reader, action, resource);
    expect(can('dynamodb:Query', stateTable)).toBe(true);
    expect(can('dynamodb:Query', `${stateTable}/index/runsByTime`)).toBe(true);
    expect(can('dynamodb:BatchGetItem', stateTable)).toBe(true);
    expect(can('dynamodb:Scan', dict)).toBe(true);
    expect(can('logs:FilterLogEvents', ARN('logs', 'log-group:/aws/lambda/ops-light:*'))).toBe(true);
    expect(can('logs:GetLogEvents', ARN('logs', 'log-group:/aws/batch/ops:log-stream:heavy/default/0123abcd'))).toBe(true);
    expect(can('cloudformation:GetTemplate', ARN('cloudformation', 'stack/Ops/5c4b0e10-1111-2222-3333-444455556666'))).toBe(true);
    expect(can('s3:GetObject', `${payloadsArn}results/abc`)).toBe(true);
    expect(can('scheduler:GetSchedule', ARN('scheduler', 'schedule/ops/ops-nightly-0'))).toBe(true);
  });

  it('a reader cannot invoke, write, submit, stop, or read beyond the app', () => {
    const can = (action: string, resource: string) => allows(policies.reader, action, resource);
    for (const fn of ['light', 'work', 'nightly', 'api', 'multinode-dispatcher']) expect(can('lambda:InvokeFunction', functionArn(fn))).toBe(false);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(can(action, stateTable)).toBe(false);
      expect(can(action, dict)).toBe(false);
    }
    expect(can('dynamodb:Scan', stateTable)).toBe(false);
    expect(can('s3:PutObject', `${payloadsArn}calls/x`)).toBe(false);
    expect(can('s3:DeleteObject', `${payloadsArn}calls/x`)).toBe(false);
    expect(can('batch:SubmitJob', ARN('batch', 'job-definition/ops-heavy'))).toBe(false);
    expect(can('batch:TerminateJob', ARN('batch', 'job/0123'))).toBe(false);
    expect(can('cloudformation:DescribeStacks', ARN('cloudformation', 'stack/OtherStack/5c4b0e10'))).toBe(false);
    expect(can('dynamodb:GetItem', ARN('dynamodb', 'table/other-state'))).toBe(false);
    expect(can('logs:FilterLogEvents', ARN('logs', 'log-group:/aws/lambda/other-fn:*'))).toBe(false);
  });

  it('an operator also writes state and dicts, triggers and retries through Lambda and Batch, stops jobs and writes payloads', () => {
    const can = (action: string, resource: string) => allows(policies.operator, action, resource);
    expect(can('dynamodb:UpdateItem', stateTable)).toBe(true);
    expect(can('dynamodb:BatchWriteItem', dict)).toBe(true);
    for (const fn of ['light', 'work', 'nightly', 'multinode-dispatcher']) expect(can('lambda:InvokeFunction', functionArn(fn))).toBe(true);
    expect(can('batch:SubmitJob', ARN('batch', 'job-definition/ops-heavy'))).toBe(true);
    expect(can('batch:SubmitJob', ARN('batch', 'job-queue/ops-queue'))).toBe(true);
    expect(can('batch:TerminateJob', ARN('batch', 'job/0123'))).toBe(true);
    expect(can('s3:PutObject', `${payloadsArn}calls/x`)).toBe(true);
  });

  it("an operator never invokes a service's function, writes the state table's indexes or deletes payloads", () => {
    const can = (action: string, resource: string) => allows(policies.operator, action, resource);
    expect(can('lambda:InvokeFunction', functionArn('api'))).toBe(false);
    expect(can('dynamodb:PutItem', `${stateTable}/index/runsByTime`)).toBe(false);
    expect(can('s3:DeleteObject', `${payloadsArn}calls/x`)).toBe(false);
    expect(can('dynamodb:DeleteTable', stateTable)).toBe(false);
  });

  it('leaves no unacknowledged cdk-nag finding on the principals', () => {
    expect(nagFindings(app, stack)).toEqual([]);
  });

  it('keeps statement ids unique when one principal gets both grants on two apps of a stack', () => {
    const twoApps = new Stack(new App({ builtinCloudFormationValidation: false }), 'Two', { env: ENV });
    const first = new MultinodeApp(twoApps, 'First', { entry: made.entry, prefix: 'ops', bundleRoot: testBundleRoot() });
    const second = new MultinodeApp(twoApps, 'Second', { entry: made.entry, prefix: 'ops-two', bundleRoot: testBundleRoot() });
    const both = new iam.Role(twoApps, 'Both', { assumedBy: new iam.AccountRootPrincipal() });
    first.grantRead(both);
    first.grantOperate(both);
    second.grantOperate(both);
    const statements = resourcesOf(Template.fromStack(twoApps), 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('BothDefaultPolicy'))
      .flatMap(([, p]) => p.PolicyDocument.Statement as Statement[]);
    const sids = statements.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    expect(sids).toContain('OpsTwoInvokeFunctions');
  });
});

describe('operator grants of an app past ten functions', () => {
  const many = tempApp(
    {
      'app.ts': [
        "import * as mn from 'multinode';",
        ...Array.from({ length: 11 }, (_, i) => `export const f${i} = mn.fn(async (x: number) => x + ${i});`),
        "export const api = mn.service({ auth: 'iam' }, async () => new Response('ok'));",
      ].join('\n'),
    },
    'many-functions',
  );
  afterAll(many.cleanup);
  const { app, stack, policies } = granted(many.entry, 'many', 'Many');

  it('stand for the functions with one pattern, and deny the service it would match', () => {
    const invoke = policies.operator.find((s) => s.Sid === 'ManyInvokeFunctions')!;
    expect(invoke.Resource).toEqual([ARN('lambda', 'function:many-*')]);
    expect(policies.operator.find((s) => s.Sid === 'ManyNotServices')).toEqual({
      Sid: 'ManyNotServices',
      Effect: 'Deny',
      Action: ['lambda:InvokeFunction'],
      Resource: [ARN('lambda', 'function:many-api')],
    });
    expect(allows(policies.operator, 'lambda:InvokeFunction', ARN('lambda', 'function:many-f10'))).toBe(true);
    expect(allows(policies.operator, 'lambda:InvokeFunction', ARN('lambda', 'function:many-api'))).toBe(false);
    const logs = policies.reader.find((s) => s.Sid === 'ManyReadLogs')!;
    expect(logs.Resource).toEqual([ARN('logs', 'log-group:/aws/lambda/many-*:*')]);
  });

  it('give a reader no Deny to need, and stay clean under cdk-nag', () => {
    expect(policies.reader.filter((s) => s.Effect === 'Deny')).toEqual([]);
    expect(nagFindings(app, stack)).toEqual([]);
  });
});
