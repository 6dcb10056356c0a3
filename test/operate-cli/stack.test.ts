/**
 * The operating commands with `--stack`: the app found from its CloudFormation stack (the local CloudFormation
 * endpoint, seeded with the app's synthesized template and the outputs it has over a running local cloud, which stands
 * in for the deployed app), reached with the caller's credentials and the SDK's endpoint variables only, as in AWS.
 * Every command works there; a stack that is not there or not a multinode app, missing credentials, denied access and
 * flags that cannot be are each a clear error.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, environmentFor } from '../../runtime/core/config.js';
import { connectTo, type Connection } from '../../runtime/entry/connect.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { type LocalCloudFormation, localCloudOutputs, startLocalCloudFormation } from '../../runtime/local/cloudformation/index.js';
import { synthApp } from '../constructs/helpers.js';
import { until } from '../helpers/poll.js';
import { type OpsApp, opsApp, runReaches } from './support.js';

/** The SDK variables the test sets, restored afterwards. */
const SDK_VARIABLES = [
  'AWS_ENDPOINT_URL_CLOUDFORMATION',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_BATCH',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SCHEDULER',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
] as const;

const sentinel = `sentinel-${randomUUID()}`;
const saved = Object.fromEntries(SDK_VARIABLES.map((name) => [name, process.env[name]]));
const awsDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-aws-config-'));
let app: OpsApp;
let cloud: LocalCloud;
let cfn: LocalCloudFormation;
let connection: Connection;
/** A folder with no app in it: the stack alone says which app. */
let elsewhere: string;
const printed: string[] = [];

async function cli(argv: string[], options: { stdin?: string } = {}) {
  const result = await app.cli(argv, { cwd: elsewhere, ...options });
  printed.push(result.stdout, result.stderr);
  return result;
}

async function json<T = any>(argv: string[]): Promise<T> {
  return app.json<T>(argv, { cwd: elsewhere });
}

beforeAll(async () => {
  app = opsApp();
  elsewhere = mkdtempSync(path.join(os.tmpdir(), 'multinode-elsewhere-'));
  writeFileSync(path.join(awsDir, 'config'), '');
  cloud = await LocalCloud.start({ entry: app.entry, log: () => {} });
  // A profile of its own (the SDK reads the file once per process): used only when --profile names it.
  const { accessKeyId, secretAccessKey } = cloud.config.credentials!;
  writeFileSync(path.join(awsDir, 'credentials'), `[ops]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`);
  cfn = await startLocalCloudFormation({ region: cloud.config.region });
  // The stack of the same app, with the local cloud's prefix, as `cdk deploy` would have made it.
  const template = synthApp(app.entry, { prefix: cloud.config.prefix }, { stackName: 'Ops' }).template.toJSON();
  cfn.putStack({ stackName: 'Ops', template, outputs: localCloudOutputs(template, cloud.connection(), 'Ops') });
  const plain = new Stack(new App(), 'Plain');
  new s3.Bucket(plain, 'Bucket');
  cfn.putStack({ stackName: 'Plain', template: plain.resolve((plain as any)._toCloudFormation()), outputs: {} });
  for (const name of SDK_VARIABLES) delete process.env[name];
  // Only the SDK's own variables point at the "deployed" app: its endpoints and credentials, no MULTINODE_*.
  const sdk = Object.fromEntries(Object.entries(environmentFor(cloud.config)).filter(([name]) => !Object.values(ENV).includes(name as never)));
  Object.assign(process.env, sdk, {
    AWS_CONFIG_FILE: path.join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
    AWS_REGION: cloud.config.region,
  });
  connection = connectTo(cloud.connection(), { install: false });
}, 180_000);

afterAll(async () => {
  connection?.close();
  for (const name of SDK_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await cfn?.close();
  await cloud?.stop();
  app?.cleanup();
  rmSync(elsewhere, { recursive: true, force: true });
  rmSync(awsDir, { recursive: true, force: true });
});

describe('the deployed app, found from its stack', () => {
  it('status: the stack, the service URL from its outputs, schedules and counts', async () => {
    const status = await json(['status', '--stack', 'Ops']);
    expect(status.where).toEqual({ kind: 'stack', app: 'ops-app', stack: 'Ops', prefix: cloud.config.prefix, region: cloud.config.region });
    expect(status.services).toEqual([{ name: 'api', url: `${cloud.serviceUrl('api')}/` }]);
    expect(status.schedules.map((s: { name: string }) => s.name)).toEqual(['hourly', 'broken']);
    const text = await cli(['status', '--stack', 'Ops']);
    expect(text.stdout).toMatch(new RegExp(`^App ops-app: stack Ops \\(app ops-app, prefix ${cloud.config.prefix}, us-east-1\\)\\n`));
    // An entry given with --stack is not needed, and not used.
    expect((await app.json(['status', 'src/app.ts', '--stack', 'Ops'], { cwd: app.dir })).where.kind).toBe('stack');
  });

  it('runs, one run, logs, retry and cancel', async () => {
    const failed = await connection.port.function('fails').start('deployed quota');
    await runReaches(app, failed, ['FAILED'], ['--stack', 'Ops']);
    const listed = await json(['runs', '--stack', 'Ops', '--name', 'fails']);
    expect(listed.items[0]).toMatchObject({ id: failed, status: 'FAILED', error: { type: 'QuotaExceeded', message: 'deployed quota' } });
    const { newId } = await json(['retry', failed, '--stack', 'Ops']);
    expect((await runReaches(app, newId, ['FAILED'], ['--stack', 'Ops'])).input).toEqual(['deployed quota']);

    const echoed = await connection.port.function('echo').start('deployed line');
    await runReaches(app, echoed, ['SUCCEEDED'], ['--stack', 'Ops']);
    const logs = await until(
      () => cli(['logs', echoed, '--stack', 'Ops']),
      (r) => r.stdout.includes('echoing'),
      "the run's line in CloudWatch Logs",
    );
    expect(logs.stdout).toMatch(/\[echo \S+ #1\] INFO echoing \{"value":"deployed line"\}/);

    const waiting = await connection.port.function('waits').start(`gate-${randomUUID()}`);
    await runReaches(app, waiting, ['RUNNING'], ['--stack', 'Ops']);
    expect((await json(['cancel', waiting, '--stack', 'Ops'])).status).toMatch(/^CANCELL(ED|ING)$/);
    await runReaches(app, waiting, ['CANCELLED'], ['--stack', 'Ops']);
  });

  it('dict and schedules act on the deployed app', async () => {
    await json(['dict', 'marks', 'set', 'deployed', '{"ok":true}', '--stack', 'Ops']);
    expect(await connection.port.dict('marks').get('deployed')).toEqual({ ok: true });
    expect((await json(['dict', 'marks', 'get', 'deployed', '--stack', 'Ops'])).value).toEqual({ ok: true });
    expect(await json(['schedules', 'pause', 'hourly', '--stack', 'Ops', '--by', 'ops'])).toMatchObject({ paused: true, pause: { pausedBy: 'ops' } });
    expect((await json(['status', '--stack', 'Ops'])).schedules[0].paused).toMatchObject({ pausedBy: 'ops' });
    const { id } = await json(['schedules', 'trigger', 'hourly', '--stack', 'Ops']);
    expect(await runReaches(app, id, ['SUCCEEDED'], ['--stack', 'Ops'])).toMatchObject({ trigger: 'manual' });
    expect(await json(['schedules', 'resume', 'hourly', '--stack', 'Ops'])).toMatchObject({ paused: false, changed: true });
  });

  it('schedules --stack: the deployed schedules next to the code (the entry, else what was deployed); backfill', async () => {
    // No app in this folder: compared with the manifest the stack was deployed with.
    const deployed = await cli(['schedules', '--stack', 'Ops']);
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(
      /^Schedules of stack Ops \(app ops-app, .*\), group \S+, compared with the manifest it was deployed with \(no app code here/,
    );
    expect(deployed.stdout).toMatch(/\nhourly: ENABLED, in step\n/);
    // The code of the entry, changed since the deploy.
    writeFileSync(
      path.join(app.dir, 'src/changed.ts'),
      "import * as mn from 'multinode';\nexport const hourly = mn.schedule({ cron: '0 * * * *', timezone: 'Europe/Paris' }, async () => undefined);\n",
    );
    const changed = await json(['schedules', path.join(app.dir, 'src/changed.ts'), '--stack', 'Ops']);
    expect(changed).toMatchObject({ where: { kind: 'stack', stack: 'Ops' }, code: path.join(app.dir, 'src/changed.ts'), inSync: false });
    expect(changed.tasks[0].differences.map((d: { field: string }) => d.field)).toEqual(['timezone']);
    expect(changed.unknown.map((s: { name: string }) => s.name)).toEqual([cloud.names.schedule('broken', 0)]);
    const plan = await json(['schedules', 'backfill', 'hourly', '--from', '2024-02-01T00:00Z', '--to', '2024-02-01T02:00Z', '--dry-run', '--stack', 'Ops']);
    expect(plan).toEqual(['2024-02-01T00:00:00.000Z', '2024-02-01T01:00:00.000Z']);
    const ran = await json(['schedules', 'backfill', 'hourly', '--from', '2024-02-01T00:00Z', '--to', '2024-02-01T02:00Z', '--stack', 'Ops']);
    expect(ran).toMatchObject({ where: { kind: 'stack' }, fireTimes: 2, runs: [{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }] });
  });

  it('secrets: lists them in Secrets Manager, sets one from standard input (PutSecretValue), refuses to delete one', async () => {
    const before = await json(['secrets', 'list', '--stack', 'Ops']);
    expect(before.store).toBe(`the deployed app ops-app (prefix ${cloud.config.prefix}, Secrets Manager)`);
    expect(before.secrets).toEqual([{ name: 'OPS_API_KEY', hasValue: false, where: `${cloud.config.prefix}/OPS_API_KEY`, exists: true }]);
    const set = await cli(['secrets', 'set', 'OPS_API_KEY', '--stack', 'Ops'], { stdin: sentinel });
    expect(set.code).toBe(0);
    expect((await json(['secrets', 'list', '--stack', 'Ops'])).secrets[0].hasValue).toBe(true);
    // The local Secrets Manager keeps values in the app's .env file: the value arrived whole.
    expect(readFileSync(path.join(app.dir, '.env'), 'utf8')).toContain(`OPS_API_KEY=${sentinel}`);
    const refused = await cli(['secrets', 'delete', 'OPS_API_KEY', '--stack', 'Ops']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/can be replaced \(multinode secrets set OPS_API_KEY --stack \.\.\.\) but not removed/);
    const local = await cli(['secrets', 'list', '--stack', 'Ops', '--env-file', '.env']);
    expect(local.code).toBe(2);
    for (const text of printed) expect(text).not.toContain(sentinel);
  });

  it('--profile names the AWS profile whose credentials to use', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      expect((await json(['status', '--stack', 'Ops', '--profile', 'ops'])).app).toBe('ops-app');
      expect(process.env.AWS_PROFILE).toBeUndefined();
      const missing = await cli(['status', '--stack', 'Ops']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^multinode: No AWS credentials found \(.*\)\. Set AWS_PROFILE to a profile of your AWS config/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = cloud.config.credentials!.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = cloud.config.credentials!.secretAccessKey;
    }
  });
});

describe('stacks that are no app to operate', () => {
  it('a stack that does not exist, or is not a multinode app: exit 1 saying what to check', async () => {
    const missing = await cli(['runs', '--stack', 'Opss']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^multinode: No stack named Opss in region us-east-1\. Check the name \(cdk deploy prints it\) and the region/);
    const plain = await cli(['status', '--stack', 'Plain']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^multinode: Stack Plain is not a multinode app: its template's Metadata has no "multinode:<prefix>" entry\./);
    const prefix = await cli(['status', '--stack', 'Ops', '--app', 'Other']);
    expect(prefix.code).toBe(1);
    expect(prefix.stderr).toMatch(/Stack Ops holds no multinode app with prefix "Other"; its apps' prefixes: /);
  });

  it('denied access: exit 1 naming the action and the grant that gives it', async () => {
    cfn.deny(['cloudformation:GetTemplate']);
    try {
      const denied = await cli(['status', '--stack', 'Ops']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/Not allowed to call cloudformation:GetTemplate on stack Ops .*MultinodeApp\.grantRead/);
    } finally {
      cfn.deny([]);
    }
  });

  it('flags that cannot be: exit 2 naming the flag', async () => {
    const name = await cli(['status', '--stack', 'not_a_stack!']);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/^multinode: --stack "not_a_stack!" is not a CloudFormation stack name .*\nSee "multinode status --help"\./);
    const region = await cli(['runs', '--stack', 'Ops', '--region', 'moon']);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/--region "moon" is not an AWS region name such as "eu-west-1"/);
    expect((await cli(['dict', '--stack', 'Ops', '--state-dir', '.'])).code).toBe(2);
    // No running dev here: the message says how to reach either.
    const nothing = await cli(['status']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/No multinode dev is running in .*; or reach the deployed app with --stack <stack name>\./);
  });
});
