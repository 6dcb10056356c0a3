/**
 * MultinodeApp's lookups by definition name (which fail with the names that exist, where a record gives
 * `undefined`), its grants (each one `iam.Grant`), and AppFunction's `Size` and `Duration` props.
 */
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { AppFunction, MultinodeApp, SynthError } from '../../constructs/index.js';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, exampleEntry, resourcesOf, testBundleRoot } from './helpers.js';

const made = tempApp(
  {
    'app.ts': `import * as mn from 'multinode';
export const summaries = mn.dict<string>('summaries');
export const counters = mn.dict<number>('counters');
export const light = mn.fn(async (x: number) => x);
export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);
export const nightly = mn.schedule({ cron: '0 2 * * *' }, async () => {});
export const api = mn.service({ auth: 'iam' }, async () => new Response('ok'));
`,
  },
  'lookup-app',
);
afterAll(made.cleanup);

function newApp(): { stack: Stack; mn: MultinodeApp } {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Lookups');
  return { stack, mn: new MultinodeApp(stack, 'App', { entry: made.entry, prefix: 'look', bundleRoot: testBundleRoot() }) };
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

describe('lookups by definition name', () => {
  const { mn } = newApp();

  it('find what the records hold', () => {
    expect(mn.dict('summaries')).toBe(mn.dicts.summaries);
    expect(mn.function('light')).toBe(mn.functions.light);
    expect(mn.function('nightly')).toBe(mn.functions.nightly);
    expect(mn.jobDefinition('heavy')).toBe(mn.jobDefinitions.heavy);
    expect(mn.schedule('nightly')).toBe(mn.schedules.nightly);
    expect(mn.service('api')).toBe(mn.services.api);
  });

  it('fail on a typo where the record gives undefined, suggesting the name and listing the known ones', () => {
    expect(mn.dicts.summries).toBeUndefined();
    const error = synthError(() => mn.dict('summries'));
    expect(error.constructPath).toBe('Lookups/App');
    expect(error.message).toBe('Lookups/App: the app has no dict "summries"; did you mean "summaries"? its dicts are: summaries, counters.');
    expect(synthError(() => mn.schedule('nightyl')).message).toMatch(
      /no scheduled task "nightyl"; did you mean "nightly"\? its scheduled tasks are: nightly\.$/,
    );
    expect(synthError(() => mn.service('apx')).message).toMatch(/no service "apx"; did you mean "api"\? its services are: api\.$/);
  });

  it('list the names without a suggestion when nothing is close', () => {
    expect(synthError(() => mn.function('somethingElse')).message).toMatch(
      /no Lambda function "somethingElse"; its Lambda functions are: light, nightly, api\.$/,
    );
    expect(synthError(() => mn.jobDefinition('somethingElse')).message).toMatch(/no job definition "somethingElse"; its job definitions are: heavy\.$/);
  });

  it('say where a definition runs when it is looked up on the other compute', () => {
    expect(synthError(() => mn.function('heavy')).message).toMatch(
      /no Lambda function "heavy"; definition "heavy" runs on AWS Batch \(see jobDefinition\("heavy"\)\); its Lambda functions are: /,
    );
    expect(synthError(() => mn.jobDefinition('light')).message).toMatch(
      /no job definition "light"; definition "light" runs on Lambda \(see function\("light"\)\); its job definitions are: heavy\.$/,
    );
  });

  it('say "(none)" when the app has none of the kind', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'NoBatch');
    const tweets = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), bundleRoot: testBundleRoot() });
    expect(synthError(() => tweets.jobDefinition('x')).message).toMatch(/its job definitions are: \(none\)\.$/);
  });

  it('do not mistake inherited object keys for definitions', () => {
    expect(synthError(() => mn.dict('constructor')).message).toMatch(/no dict "constructor"/);
    expect(synthError(() => mn.function('toString')).message).toMatch(/no Lambda function "toString"/);
  });
});

describe('grants', () => {
  it('grantAccess gives one Grant holding every statement of the app policy, with their ids', () => {
    const { stack, mn } = newApp();
    const role = new iam.Role(stack, 'Outside', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = mn.grantAccess(role);
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    const [, access] = resourcesOf(Template.fromStack(stack), 'AWS::IAM::ManagedPolicy')[0]!;
    const appSids = access.PolicyDocument.Statement.map((s: { Sid: string }) => s.Sid);
    expect(grant.principalStatements.map((s) => s.sid)).toEqual(appSids);
    const [, outside] = resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy').find(([id]) => id.startsWith('OutsideDefaultPolicy'))!;
    expect(outside.PolicyDocument.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(appSids);
  });

  it('connect returns the Grant and sets the environment', () => {
    const { stack, mn } = newApp();
    const fn = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const grant = mn.connect(fn);
    expect(grant.success).toBe(true);
    expect(grant.principalStatements.length).toBeGreaterThan(1);
  });

  it('grantDictRead, grantDictReadWrite and grantInvoke combine their grants into one', () => {
    const { stack, mn } = newApp();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const read = mn.grantDictRead(role, 'summaries', 'counters');
    expect(read).toBeInstanceOf(iam.Grant);
    const readActions = read.principalStatements.flatMap((s) => s.actions);
    expect(readActions).toContain('dynamodb:GetItem');
    expect(readActions).not.toContain('dynamodb:PutItem');
    const resources = JSON.stringify(stack.resolve(read.principalStatements.flatMap((s) => s.resources)));
    expect(resources).toContain(stack.getLogicalId(mn.dict('summaries').table.node.defaultChild as any));
    expect(resources).toContain(stack.getLogicalId(mn.dict('counters').table.node.defaultChild as any));
    const write = mn.grantDictReadWrite(role, 'counters');
    expect(write.principalStatements.flatMap((s) => s.actions)).toContain('dynamodb:PutItem');
    const invoke = mn.grantInvoke(role, 'light', 'nightly');
    expect(invoke.principalStatements.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['lambda:InvokeFunction']));
    expect(JSON.stringify(stack.resolve(invoke.principalStatements.flatMap((s) => s.resources)))).toContain(
      stack.getLogicalId(mn.function('nightly').node.defaultChild as any),
    );
    const statements = resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy').flatMap(([, p]) => p.PolicyDocument.Statement);
    expect(statements.flatMap((s: any) => asArray(s.Action))).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'lambda:InvokeFunction']),
    );
  });

  it('name unknown dicts and functions before granting anything, and want at least one name', () => {
    const { stack, mn } = newApp();
    const role = new iam.Role(stack, 'Outside', { assumedBy: new iam.AccountRootPrincipal() });
    expect(synthError(() => mn.grantDictRead(role, 'summaries', 'sumaries')).message).toMatch(/no dict "sumaries"; did you mean "summaries"\?/);
    expect(synthError(() => mn.grantInvoke(role, 'nope')).message).toMatch(/no Lambda function "nope"; its Lambda functions are: light, nightly, api/);
    expect(synthError(() => mn.grantDictReadWrite(role)).message).toBe('Lookups/App: grantDictReadWrite needs at least one dict name.');
    expect(synthError(() => mn.grantInvoke(role)).message).toBe('Lookups/App: grantInvoke needs at least one definition name.');
    expect(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy').filter(([id]) => id.startsWith('Outside'))).toEqual([]);
  });

  it("a service's grantInvoke is one Grant too", () => {
    const { stack, mn } = newApp();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = mn.service('api').service.grantInvoke(role);
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.principalStatements.flatMap((s) => s.actions)).toEqual(['execute-api:Invoke']);
  });
});

describe('AppFunction', () => {
  const base = (stack: Stack) => ({
    functionName: 'fn',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    role: new iam.Role(stack, `Role${stack.node.children.length}`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
  });

  it('takes its memory as a Size and its timeout as a Duration', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Fn');
    new AppFunction(stack, 'Fn', { ...base(stack), memory: Size.gibibytes(2), timeout: Duration.minutes(5) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'fn', MemorySize: 2048, Timeout: 300 });
  });

  it("refuses memory and timeouts outside Lambda's ranges, naming its path", () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Fn');
    expect(() => new AppFunction(stack, 'Big', { ...base(stack), memory: Size.gibibytes(11), timeout: Duration.minutes(1) })).toThrow(
      /^Fn\/Big: memory must be a whole number of MiB from 128 to 10240 .*got 11264 MiB/,
    );
    expect(() => new AppFunction(stack, 'Small', { ...base(stack), memory: Size.kibibytes(1000 * 1024 + 512), timeout: Duration.minutes(1) })).toThrow(
      /^Fn\/Small: memory must be a whole number of MiB/,
    );
    expect(() => new AppFunction(stack, 'Long', { ...base(stack), memory: Size.mebibytes(256), timeout: Duration.minutes(16) })).toThrow(
      /^Fn\/Long: timeout must be whole seconds from 1 second to 15 minutes .*got 16 minutes/,
    );
  });
});
