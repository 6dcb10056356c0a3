/**
 * Secrets and config settings in the synthesized stack: one Secrets Manager secret per declared secret, named from
 * the prefix, without a value; `secretsmanager:GetSecretValue` on exactly the secrets each role's definition declares
 * (a role of its own for each Lambda-placed definition with secrets, an execution role of its own for each Batch job
 * definition with container secrets); existing secrets given by prop; config values in the environment; bad props
 * failing the synth; cdk-nag clean; and no value anywhere in the cloud assembly, even with a `.env` beside the app.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it } from 'vitest';
import { MultinodeApp, SynthError } from '../../constructs/index.js';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, nagFindings, resourcesOf, synthApp, testBundleRoot } from './helpers.js';

const sentinel = `sentinel-${randomUUID()}`;
const made = tempApp(
  {
    'app.ts': `import * as mn from 'multinode';
export const apiKey = mn.secret('API_KEY');
export const otherKey = mn.secret('OTHER_KEY');
export const unused = mn.secret('UNUSED_KEY');
export const model = mn.config('MODEL', { default: 'small' });
export const region = mn.config('REGION');
export const plain = mn.fn(async () => 1);
export const light = mn.fn({ secrets: [apiKey] }, async () => apiKey.value());
export const other = mn.fn({ secrets: [otherKey] }, async () => otherKey.value());
export const both = mn.job({ secrets: [apiKey, otherKey] }, async function* () { yield 1; });
export const heavy = mn.fn({ cpu: 8, secrets: [apiKey] }, async () => apiKey.value());
export const heavyPlain = mn.fn({ cpu: 8 }, async () => 1);
export const api = mn.service({ secrets: [apiKey] }, async () => new Response(await apiKey.value()));
`,
    '.env': `API_KEY=${sentinel}\nOTHER_KEY=${sentinel}-other\nREGION=${sentinel}-region\n`,
  },
  'secrets-app',
);
afterAll(made.cleanup);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

/** The statements of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function roleStatements(template: Template, roleId: string): Statement[] {
  const [, role] = resourcesOf(template, 'AWS::IAM::Role').find(([id]) => id === roleId)!;
  const inline = (role.Policies ?? []).flatMap((p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement);
  const attached = resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray(p.Roles).some((r: { Ref?: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** The secrets (logical ids) a role may read, from its GetSecretValue statements; other secretsmanager actions listed as such. */
function secretsReadBy(template: Template, roleId: string): string[] {
  return roleStatements(template, roleId)
    .filter((s) => asArray(s.Action).some((a) => a.startsWith('secretsmanager:')))
    .flatMap((s) => {
      expect(asArray(s.Action)).toEqual(['secretsmanager:GetSecretValue']);
      return asArray(s.Resource as unknown[]).map((r) => (r as { Ref?: string }).Ref ?? JSON.stringify(r));
    })
    .sort();
}

function functionNamed(template: Template, name: string): Record<string, any> {
  return resourcesOf(template, 'AWS::Lambda::Function').find(([, p]) => p.FunctionName === name)![1];
}

function jobDefinitionNamed(template: Template, name: string): Record<string, any> {
  return resourcesOf(template, 'AWS::Batch::JobDefinition').find(([, p]) => p.JobDefinitionName === name)![1];
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

describe('the secrets of an app', () => {
  const { app, stack, mn, template } = synthApp(made.entry, { prefix: 'sec', config: { REGION: 'eu-west-1' } });
  const secretIds = Object.fromEntries(resourcesOf(template, 'AWS::SecretsManager::Secret').map(([id, p]) => [p.Name, id]));
  const roleOf = (fn: string) => (functionNamed(template, `sec-${fn}`).Role['Fn::GetAtt'] as string[])[0]!;

  it('creates one secret per declared secret, named from the prefix, with no value and kept with the data', () => {
    expect(Object.keys(secretIds).sort()).toEqual(['sec/API_KEY', 'sec/OTHER_KEY', 'sec/UNUSED_KEY']);
    for (const [, properties] of resourcesOf(template, 'AWS::SecretsManager::Secret')) {
      expect(properties.SecretString).toBeUndefined();
      expect(properties.GenerateSecretString).toBeUndefined();
    }
    for (const resource of Object.values(template.findResources('AWS::SecretsManager::Secret'))) {
      expect((resource as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    }
    expect(mn.secret('API_KEY')).toBe(mn.secrets.API_KEY);
    expect(synthError(() => mn.secret('API_KY')).message).toMatch(
      /no secret "API_KY"; did you mean "API_KEY"\? its secrets are: API_KEY, OTHER_KEY, UNUSED_KEY\.$/,
    );
  });

  it('gives each Lambda-placed definition with secrets a role allowed GetSecretValue on exactly its secrets', () => {
    const shared = roleOf('plain');
    expect(secretsReadBy(template, shared)).toEqual([]);
    expect(roleOf('light')).not.toBe(shared);
    expect(secretsReadBy(template, roleOf('light'))).toEqual([secretIds['sec/API_KEY']]);
    expect(secretsReadBy(template, roleOf('other'))).toEqual([secretIds['sec/OTHER_KEY']]);
    expect(secretsReadBy(template, roleOf('both'))).toEqual([secretIds['sec/API_KEY'], secretIds['sec/OTHER_KEY']].sort());
    expect(secretsReadBy(template, roleOf('api'))).toEqual([secretIds['sec/API_KEY']]);
    // Every role still has the app's access and its logs.
    for (const fn of ['light', 'other', 'both', 'api']) {
      const [, role] = resourcesOf(template, 'AWS::IAM::Role').find(([id]) => id === roleOf(fn))!;
      expect(role.ManagedPolicyArns).toEqual(resourcesOf(template, 'AWS::IAM::Role').find(([id]) => id === shared)![1].ManagedPolicyArns);
      expect(roleStatements(template, roleOf(fn)).some((s) => asArray(s.Action).includes('logs:PutLogEvents'))).toBe(true);
    }
  });

  it('gives a Batch job definition with secrets container secrets and an execution role allowed exactly those', () => {
    const heavy = jobDefinitionNamed(template, 'sec-heavy');
    expect(heavy.ContainerProperties.Secrets).toEqual([{ Name: 'MULTINODE_SECRET_API_KEY', ValueFrom: { Ref: secretIds['sec/API_KEY'] } }]);
    const executionRole = (heavy.ContainerProperties.ExecutionRoleArn['Fn::GetAtt'] as string[])[0]!;
    expect(secretsReadBy(template, executionRole)).toEqual([secretIds['sec/API_KEY']]);
    // It still writes the container's logs, as the shared execution role does.
    expect(roleStatements(template, executionRole).some((s) => asArray(s.Action).includes('logs:PutLogEvents'))).toBe(true);
    const plainJob = jobDefinitionNamed(template, 'sec-heavyPlain');
    expect(plainJob.ContainerProperties.Secrets).toBeUndefined();
    const sharedExecution = (plainJob.ContainerProperties.ExecutionRoleArn['Fn::GetAtt'] as string[])[0]!;
    expect(sharedExecution).not.toBe(executionRole);
    expect(secretsReadBy(template, sharedExecution)).toEqual([]);
    const jobRole = (heavy.ContainerProperties.JobRoleArn['Fn::GetAtt'] as string[])[0]!;
    expect(secretsReadBy(template, jobRole)).toEqual([]);
  });

  it('grants no secret anywhere else: only GetSecretValue, only to those roles', () => {
    const [, policy] = resourcesOf(template, 'AWS::IAM::ManagedPolicy')[0]!;
    expect(JSON.stringify(policy)).not.toContain('secretsmanager');
    const granted = resourcesOf(template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p).includes('secretsmanager'));
    for (const [, p] of granted) {
      for (const statement of p.PolicyDocument.Statement as Statement[]) {
        if (JSON.stringify(statement).includes('secretsmanager')) expect(asArray(statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
      }
    }
    expect(granted).toHaveLength(5); // light, other, both, api, heavy's execution role
  });

  it('puts config values in the environment, and no secret value or id for created secrets', () => {
    for (const name of ['plain', 'light', 'api']) {
      const env = functionNamed(template, `sec-${name}`).Environment.Variables;
      expect(env.MULTINODE_CONFIG_REGION).toBe('eu-west-1');
      expect(env.MULTINODE_CONFIG_MODEL).toBeUndefined();
      expect(Object.keys(env).filter((k) => k.startsWith('MULTINODE_SECRET'))).toEqual([]);
    }
    const heavyEnv = jobDefinitionNamed(template, 'sec-heavy').ContainerProperties.Environment as Array<{ Name: string; Value: unknown }>;
    expect(heavyEnv).toContainEqual({ Name: 'MULTINODE_CONFIG_REGION', Value: 'eu-west-1' });
    const dispatcher = functionNamed(template, 'sec-multinode-dispatcher').Environment.Variables;
    expect(dispatcher.MULTINODE_CONFIG_REGION).toBeUndefined();
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(app, stack)).toEqual([]);
  });
});

describe('existing secrets and config values from the context', () => {
  it('uses a secret given by name: none created, its id in the environment, the policy matching its ARN suffix', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false, context: { 'multinode:config': { REGION: 'us-east-2' } } }), 'Existing');
    const given = secretsmanager.Secret.fromSecretNameV2(stack, 'Given', 'team/other-key');
    const mn = new MultinodeApp(stack, 'App', { entry: made.entry, prefix: 'ex', bundleRoot: testBundleRoot(), secrets: { OTHER_KEY: given } });
    const template = Template.fromStack(stack);
    expect(
      resourcesOf(template, 'AWS::SecretsManager::Secret')
        .map(([, p]) => p.Name)
        .sort(),
    ).toEqual(['ex/API_KEY', 'ex/UNUSED_KEY']);
    expect(mn.secret('OTHER_KEY')).toBe(given);
    const env = functionNamed(template, 'ex-other').Environment.Variables;
    expect(env.MULTINODE_SECRET_ID_OTHER_KEY).toBe('team/other-key');
    expect(env.MULTINODE_CONFIG_REGION).toBe('us-east-2');
    const role = (functionNamed(template, 'ex-other').Role['Fn::GetAtt'] as string[])[0]!;
    const resources = JSON.stringify(roleStatements(template, role).filter((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue')));
    expect(resources).toContain(':secret:team/other-key-??????');
  });

  it('decrypts a given secret with its customer key, through Secrets Manager only', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Keyed');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/api-key-AbCdEf';
    const given = secretsmanager.Secret.fromSecretAttributes(stack, 'Given', { secretCompleteArn: arn, encryptionKey: key });
    new MultinodeApp(stack, 'App', { entry: made.entry, prefix: 'keyed', bundleRoot: testBundleRoot(), secrets: { API_KEY: given }, config: { REGION: 'x' } });
    const template = Template.fromStack(stack);
    expect(functionNamed(template, 'keyed-light').Environment.Variables.MULTINODE_SECRET_ID_API_KEY).toBe(arn);
    const role = (functionNamed(template, 'keyed-light').Role['Fn::GetAtt'] as string[])[0]!;
    const statements = roleStatements(template, role);
    expect(statements.find((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'))!.Resource).toBe(arn);
    const decrypt = statements.find((s) => asArray(s.Action).includes('kms:Decrypt'))!;
    expect(decrypt.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
    });
    expect(jobDefinitionNamed(template, 'keyed-heavy').ContainerProperties.Secrets).toEqual([{ Name: 'MULTINODE_SECRET_API_KEY', ValueFrom: arn }]);
  });
});

describe('bad props', () => {
  const attempt = (props: Record<string, unknown>, context?: Record<string, unknown>) => () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false, ...(context ? { context } : {}) }), 'Bad');
    new MultinodeApp(stack, 'App', { entry: made.entry, prefix: 'bad', bundleRoot: testBundleRoot(), ...props });
  };

  it('a secret the app does not declare', () => {
    const stack = new Stack(new App(), 'S');
    const given = secretsmanager.Secret.fromSecretNameV2(stack, 'G', 'x');
    expect(synthError(attempt({ secrets: { API_KY: given }, config: { REGION: 'x' } })).message).toBe(
      'Bad/App/Secrets: secrets names "API_KY", which the app does not declare (did you mean "API_KEY"?); its secrets are: API_KEY, OTHER_KEY, UNUSED_KEY.',
    );
  });

  it('a config setting the app does not declare, a value that is not a string, a setting without a value', () => {
    expect(synthError(attempt({ config: { REGION: 'x', MODELL: 'y' } })).message).toBe(
      'Bad/App: the config prop sets "MODELL", which the app does not declare as a config setting (did you mean "MODEL"?); ' +
        'its config settings are: MODEL, REGION.',
    );
    expect(synthError(attempt({ config: { REGION: 3 } })).message).toMatch(/the config prop sets "REGION" to 3; config values are strings\./);
    expect(synthError(attempt({})).message).toBe(
      'Bad/App: config "REGION" has no value and no default: give it a value in the config prop ({ config: { REGION: \'...\' } }) or in ' +
        'cdk.json\'s context ("multinode:config": { "REGION": "..." }), or a default in the code.',
    );
    expect(synthError(attempt({}, { 'multinode:config': ['REGION'] })).message).toMatch(/the context "multinode:config" must be an object of config values/);
    expect(synthError(attempt({}, { 'multinode:config': { REGOIN: 'x' } })).message).toMatch(
      /the context "multinode:config" sets "REGOIN".*did you mean "REGION"/,
    );
  });
});

describe('the cloud assembly', () => {
  it('holds no value, though the app has a .env with them beside it', () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'multinode-secrets-assembly-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Assembly');
      new MultinodeApp(stack, 'App', { entry: made.entry, prefix: 'asm', config: { REGION: 'eu-west-1' } });
      app.synth();
      const files = filesUnder(outdir);
      expect(files.some((f) => f.endsWith('app.mjs'))).toBe(true);
      for (const file of files) expect(readFileSync(file).includes(sentinel), file).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}
