/**
 * The app's access policy allows exactly the AWS calls the runtime makes: read from the runtime's sources (every
 * `...Command` it imports from an AWS SDK client or DynamoDB's document client, statically, when called, or through
 * the loaders of runtime/core/sdk-modules.ts, outside the local cloud and the build tooling), so a call added to the
 * runtime without its permission, or a permission no call needs, fails here. Code that people run to operate the app
 * (finding it from its stack, the control plane, the log reader) runs with an operator's credentials and is held to the operator grants instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, REPO, resourcesOf, synthApp } from './helpers.js';

/** IAM action of an SDK command where it is not `<service>:<CommandName>`. */
const ACTION_OF: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  // The document client's commands send the DynamoDB operation of the same item API.
  'dynamodb:Get': 'dynamodb:GetItem',
  'dynamodb:Put': 'dynamodb:PutItem',
  'dynamodb:Update': 'dynamodb:UpdateItem',
  'dynamodb:Delete': 'dynamodb:DeleteItem',
  'dynamodb:BatchGet': 'dynamodb:BatchGetItem',
  'dynamodb:BatchWrite': 'dynamodb:BatchWriteItem',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
};

/** IAM prefix of an SDK client package where it is not the package's service name. */
const IAM_PREFIX_OF: Record<string, string> = { 'cloudwatch-logs': 'logs' };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return ['local', 'build'].includes(name) ? [] : sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** Sources run by the people who operate the app, not by the app: their calls need grantRead or grantOperate. */
const OPERATOR_SOURCES = ['runtime/entry/deployed-app.ts', 'runtime/control/', 'runtime/logs/'];

function isOperatorSource(file: string): boolean {
  const relative = path.relative(REPO, file).split(path.sep).join('/');
  return OPERATOR_SOURCES.some((source) => relative === source || relative.startsWith(source));
}

/**
 * The SDK client package each loader of runtime/core/sdk-modules.ts imports, by the loader's name. Not Secrets
 * Manager's: each definition's role may read its own secrets, not the app's access policy (secrets.test.ts).
 */
const LOADED_PACKAGE: Record<string, string> = {
  lambdaSdk: 'lambda',
  s3Sdk: 's3',
  batchSdk: 'batch',
  cloudFormationSdk: 'cloudformation',
  schedulerSdk: 'scheduler',
};

/**
 * The names a source takes from SDK client packages, with each package's name (`lambda`, `s3`...): imported
 * (statically or with `await import`), or destructured from a loader of runtime/core/sdk-modules.ts
 * (`const [{ SubmitJobCommand }, client] = await Promise.all([batchSdk(), ...])`, `batchSdk().then(({ ... }) =>`).
 */
function importedNames(text: string): Array<[names: string, pkg: string]> {
  const found: Array<[string, string]> = [];
  const imports = /(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*|const\s*\{([^}]*)\}\s*=\s*await\s+import\()'@aws-sdk\/(?:client|lib)-([a-z0-9-]+)'/g;
  for (const match of text.matchAll(imports)) found.push([match[1] ?? match[2]!, match[3]!]);
  for (const match of text.matchAll(/\{([^{}]*)\}[^;{}]*?\b(\w+Sdk)\(\)/g)) if (LOADED_PACKAGE[match[2]!]) found.push([match[1]!, LOADED_PACKAGE[match[2]!]!]);
  for (const match of text.matchAll(/\b(\w+Sdk)\(\)\.then\(\(\{([^}]*)\}\)/g))
    if (LOADED_PACKAGE[match[1]!]) found.push([match[2]!, LOADED_PACKAGE[match[1]!]!]);
  return found;
}

/** `service:Action` for every SDK command the chosen runtime sources import (statically, when called, or through a loader). */
function runtimeActions(chosen: (file: string) => boolean = (file) => !isOperatorSource(file)): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(path.join(REPO, 'runtime')).filter(chosen)) {
    for (const [names, pkg] of importedNames(readFileSync(file, 'utf8'))) {
      for (const name of names.split(',').map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!,
      )) {
        if (!/^[A-Z]\w*Command$/.test(name)) continue;
        const action = `${IAM_PREFIX_OF[pkg] ?? pkg}:${name.replace(/Command$/, '')}`;
        actions.add(ACTION_OF[action] ?? action);
      }
    }
  }
  return actions;
}

describe('the access policy of an app using every kind of compute', () => {
  const made = tempApp(
    {
      'app.ts': `import * as mn from 'multinode';
export const notes = mn.dict<string>('notes');
export const light = mn.fn(async (x: number) => x);
export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);
export const work = mn.job(async function* () { yield 1; });
`,
    },
    'all-compute',
  );
  afterAll(made.cleanup);
  const { template } = synthApp(made.entry, { prefix: 'all' });
  const [, policy] = resourcesOf(template, 'AWS::IAM::ManagedPolicy')[0]!;
  const allowed = new Set<string>(policy.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => asArray(s.Action)));
  const used = runtimeActions();

  it("finds the runtime's calls (the scan works)", () => {
    expect(used).toContain('dynamodb:PutItem');
    expect(used).toContain('lambda:InvokeFunction');
    expect(used).toContain('batch:SubmitJob');
  });

  it('allows every call the runtime makes', () => {
    expect([...used].filter((action) => !allowed.has(action))).toEqual([]);
  });

  it('allows nothing else: every action it allows is a call the runtime makes', () => {
    expect([...allowed].filter((action) => !used.has(action))).toEqual([]);
  });

  it('allows no Batch call that no deployed code makes (ListJobs, CancelJob: cancelling uses TerminateJob)', () => {
    expect(used).toContain('batch:TerminateJob');
    expect([...allowed].filter((action) => action === 'batch:ListJobs' || action === 'batch:CancelJob')).toEqual([]);
  });
});

describe('the operator grants of the same app', () => {
  const made = tempApp(
    {
      'app.ts': `import * as mn from 'multinode';
export const notes = mn.dict<string>('notes');
export const light = mn.fn(async (x: number) => x);
export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);
export const nightly = mn.schedule({ cron: '0 2 * * *' }, async () => {});
`,
    },
    'all-compute-operated',
  );
  afterAll(made.cleanup);
  const { stack, mn } = synthApp(made.entry, { prefix: 'all' });
  const actionsOf = (grant: iam.Grant) => new Set(grant.principalStatements.flatMap((s) => s.actions));
  const read = actionsOf(mn.grantRead(new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() })));
  const operate = actionsOf(mn.grantOperate(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() })));
  const finding = runtimeActions((file) => file.endsWith(path.join('runtime', 'entry', 'deployed-app.ts')));
  const operating = runtimeActions(isOperatorSource);

  it("finds the calls of the operators' code, imported when called (the scan works)", () => {
    expect([...finding].sort()).toEqual(['cloudformation:DescribeStacks', 'cloudformation:GetTemplate']);
  });

  it('lets a reader find the app from its stack', () => {
    expect([...finding].filter((action) => !read.has(action))).toEqual([]);
  });

  it("lets an operator make every call of the operators' code", () => {
    expect([...operating].filter((action) => !operate.has(action))).toEqual([]);
  });
});
