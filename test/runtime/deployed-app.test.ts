/**
 * findDeployedApp against the local CloudFormation endpoint, reached only through the SDK's standard variables
 * (AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_REGION, credentials): a stack synthesized from a real MultinodeApp, with
 * outputs holding a running local cloud's values, gives a configuration the runtime uses as it is; and each way of
 * not finding an app is a DeployedAppError saying what to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { connectTo } from '../../runtime/entry/connect.js';
import { DeployedAppError, findDeployedApp } from '../../runtime/entry/deployed-app.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { type LocalCloudFormation, evaluate, localCloudOutputs, startLocalCloudFormation } from '../../runtime/local/cloudformation/index.js';
import { tempApp } from '../helpers/temp-app.js';
import { exampleEntry, synthApp } from '../constructs/helpers.js';

type Template = { Resources: Record<string, { Type: string; Properties?: any }>; Outputs: Record<string, { Value: unknown }>; Metadata?: any };

/** The SDK variables a test sets, restored afterwards. */
const SDK_VARIABLES = [
  'AWS_ENDPOINT_URL_CLOUDFORMATION',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_LAMBDA',
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

async function problemOf(promise: Promise<unknown>): Promise<DeployedAppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeployedAppError);
  return error as DeployedAppError;
}

describe('findDeployedApp', () => {
  const saved = Object.fromEntries(SDK_VARIABLES.map((name) => [name, process.env[name]]));
  // No AWS config of this machine takes part: empty config files, no instance metadata.
  const awsDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-aws-config-'));
  let cloud: LocalCloud;
  let cfn: LocalCloudFormation;
  let template: Template;

  beforeAll(async () => {
    writeFileSync(path.join(awsDir, 'config'), '');
    writeFileSync(path.join(awsDir, 'credentials'), '');
    cloud = await LocalCloud.start({ entry: exampleEntry('tweet-summaries'), log: () => {} });
    cfn = await startLocalCloudFormation({ region: cloud.config.region });
    // The stack of the same app, with the local cloud's prefix, as `cdk deploy` would have made it.
    template = synthApp(exampleEntry('tweet-summaries'), { prefix: cloud.config.prefix }, { stackName: 'Tweets' }).template.toJSON() as Template;
    cfn.putStack({ stackName: 'Tweets', template, outputs: localCloudOutputs(template, cloud.connection(), 'Tweets') });
    for (const name of SDK_VARIABLES) delete process.env[name];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: path.join(awsDir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
      AWS_REGION: cloud.config.region,
      AWS_ACCESS_KEY_ID: cloud.config.credentials!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: cloud.config.credentials!.secretAccessKey,
    });
  });

  afterAll(async () => {
    for (const name of SDK_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await cfn?.close();
    await cloud?.stop();
    rmSync(awsDir, { recursive: true, force: true });
  });

  it("finds the app's configuration, manifest and service URLs from the stack's name alone", async () => {
    const found = await findDeployedApp({ stackName: 'Tweets' });
    expect(found.config).toEqual({ app: 'tweet-summaries', prefix: cloud.config.prefix, bucket: cloud.config.bucket, region: cloud.config.region });
    expect(found.manifest).toEqual(cloud.manifest);
    expect(found.services).toEqual([{ name: 'api', url: `${cloud.serviceUrl('api')}/` }]);
    expect(found.stack).toMatchObject({ name: 'Tweets', status: 'CREATE_COMPLETE', id: expect.stringMatching(/:stack\/Tweets\//) });
    expect(
      cfn.requests
        .slice(-2)
        .map((r) => r.action)
        .sort(),
    ).toEqual(['DescribeStacks', 'GetTemplate']);
  });

  it('gives a configuration the runtime uses as it is, its endpoints from the SDK variables only', async () => {
    const found = await findDeployedApp({ stackName: 'Tweets', app: cloud.config.prefix });
    expect(found.config.endpoints).toBeUndefined();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = cloud.config.endpoints!.dynamodb;
    process.env.AWS_ENDPOINT_URL_S3 = cloud.config.endpoints!.s3;
    process.env.AWS_ENDPOINT_URL_LAMBDA = cloud.config.endpoints!.lambda;
    const connection = connectTo(found, { install: false });
    try {
      const summaries = connection.port.dict('tweet_summaries');
      await summaries.set('climate', 'warming');
      const answer = await fetch(new URL('summaries/climate', found.services[0]!.url));
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain('warming');
    } finally {
      connection.close();
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      delete process.env.AWS_ENDPOINT_URL_S3;
      delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    }
  });

  it('says in which region (and account, when known) a stack does not exist', async () => {
    const error = await problemOf(findDeployedApp({ stackName: 'Twets' }));
    expect(error.problem).toBe('stack-not-found');
    expect(error.message).toMatch(
      /^No stack named Twets in region us-east-1\. Check the name .* and the region \(--region, AWS_REGION or your AWS profile\)\.$/,
    );
    const elsewhere = await problemOf(findDeployedApp({ stackName: 'Tweets', region: 'eu-west-1' }));
    expect(elsewhere.message).toMatch(/^No stack named Tweets in region eu-west-1\./);
  });

  it('refuses a stack that is not a multinode app', async () => {
    const stack = new Stack(new App(), 'Plain');
    new s3.Bucket(stack, 'Bucket');
    const plain = stack.resolve((stack as any)._toCloudFormation()) as Template;
    cfn.putStack({ stackName: 'Plain', template: plain, outputs: {} });
    const error = await problemOf(findDeployedApp({ stackName: 'Plain' }));
    expect(error.problem).toBe('not-multinode');
    expect(error.message).toMatch(/^Stack Plain is not a multinode app: its template's Metadata has no "multinode:<prefix>" entry\./);
  });

  describe('a stack of two apps', () => {
    const pair = new Stack(new App({ builtinCloudFormationValidation: false }), 'Pair');
    let two: Template;
    beforeAll(async () => {
      const { MultinodeApp } = await import('../../constructs/index.js');
      const { testBundleRoot } = await import('../constructs/helpers.js');
      new MultinodeApp(pair, 'Tweets', { entry: exampleEntry('tweet-summaries'), prefix: 'tweets', bundleRoot: testBundleRoot() });
      new MultinodeApp(pair, 'Reports', { entry: exampleEntry('country-report'), prefix: 'reports', bundleRoot: testBundleRoot() });
      two = pair.resolve((pair as any)._toCloudFormation()) as Template;
      cfn.putStack({ stackName: 'Pair', template: two, outputs: evaluatedOutputs(two) });
    });

    it('asks which one, listing their prefixes', async () => {
      const error = await problemOf(findDeployedApp({ stackName: 'Pair' }));
      expect(error.problem).toBe('several-apps');
      expect(error.message).toBe('Stack Pair holds 2 multinode apps (prefixes tweets, reports); choose one with --app <prefix>.');
    });

    it('finds the one asked for, and names the prefixes when there is none of that prefix', async () => {
      const found = await findDeployedApp({ stackName: 'Pair', app: 'reports' });
      expect(found.config.prefix).toBe('reports');
      expect(found.manifest.app.name).toBe('country-report');
      const error = await problemOf(findDeployedApp({ stackName: 'Pair', app: 'tweet' }));
      expect(error.problem).toBe('app-not-found');
      expect(error.message).toBe('Stack Pair holds no multinode app with prefix "tweet"; its apps\' prefixes: tweets, reports.');
    });
  });

  it('finds service URLs in their own outputs when they did not fit in the connection output', async () => {
    const many = tempApp(
      {
        'app.ts': [
          "import * as mn from 'multinode';",
          ...Array.from({ length: 12 }, (_, i) => `export const service${i} = mn.service({}, async () => new Response('${i}'));`),
        ].join('\n'),
      },
      'many-services',
    );
    try {
      const manyTemplate = synthApp(many.entry, { prefix: 'many' }, { stackName: 'Many' }).template.toJSON() as Template;
      const outputs = evaluatedOutputs(manyTemplate);
      cfn.putStack({ stackName: 'Many', template: manyTemplate, outputs });
      const found = await findDeployedApp({ stackName: 'Many' });
      expect(found.services).toHaveLength(12);
      const urls = manyTemplate.Metadata['multinode:many'].outputs.services as Record<string, string>;
      expect(found.services).toEqual(Object.entries(urls).map(([name, key]) => ({ name, url: outputs[key] })));
      expect(new Set(found.services.map((s) => s.url)).size).toBe(12);
    } finally {
      many.cleanup();
    }
  });

  it('tells a stack still being created from one whose creation failed', async () => {
    cfn.putStack({ stackName: 'Busy', template, status: 'CREATE_IN_PROGRESS' });
    const busy = await problemOf(findDeployedApp({ stackName: 'Busy' }));
    expect(busy.problem).toBe('stack-not-ready');
    expect(busy.message).toMatch(/^Stack Busy is still being created \(CREATE_IN_PROGRESS\); its outputs exist once it reaches CREATE_COMPLETE\./);
    cfn.putStack({ stackName: 'Failed', template, status: 'ROLLBACK_COMPLETE' });
    const failed = await problemOf(findDeployedApp({ stackName: 'Failed' }));
    expect(failed.problem).toBe('stack-failed');
    expect(failed.message).toMatch(/^Stack Failed is ROLLBACK_COMPLETE: its creation failed and was rolled back, so the app is not deployed\. /);
    expect(failed.message).toMatch(/See why in its events \(aws cloudformation describe-stack-events --stack-name Failed\)/);
    cfn.putStack({ stackName: 'Updating', template, status: 'UPDATE_IN_PROGRESS' });
    const updating = await problemOf(findDeployedApp({ stackName: 'Updating' }));
    expect(updating.problem).toBe('stack-not-ready');
    expect(updating.message).toMatch(/^Stack Updating is being updated \(UPDATE_IN_PROGRESS\)/);
  });

  it('names the action it was denied and how to get it', async () => {
    for (const action of ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate']) {
      cfn.deny([action]);
      try {
        const error = await problemOf(findDeployedApp({ stackName: 'Tweets' }));
        expect(error.problem).toBe('access-denied');
        expect(error.message).toMatch(new RegExp(`^Not allowed to call ${action} on stack Tweets \\(.*\\)\\. .*MultinodeApp\\.grantRead`));
      } finally {
        cfn.deny([]);
      }
    }
  });

  it('says how to give credentials when there are none', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const error = await problemOf(findDeployedApp({ stackName: 'Tweets' }));
      expect(error.problem).toBe('no-credentials');
      expect(error.message).toMatch(
        /^No AWS credentials found \(.*\)\. Set AWS_PROFILE to a profile of your AWS config .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
      );
    } finally {
      process.env.AWS_ACCESS_KEY_ID = cloud.config.credentials!.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = cloud.config.credentials!.secretAccessKey;
    }
  });

  it('says how to choose a region when there is none', async () => {
    delete process.env.AWS_REGION;
    try {
      const error = await problemOf(findDeployedApp({ stackName: 'Tweets' }));
      expect(error.problem).toBe('no-region');
      expect(error.message).toBe('No AWS region is set: pass --region, or set AWS_REGION (or a region in your AWS profile).');
    } finally {
      process.env.AWS_REGION = cloud.config.region;
    }
  });

  it('refuses a connection output it cannot read, naming the output', async () => {
    const key = template.Metadata[`multinode:${cloud.config.prefix}`].outputs.connection as string;
    const good = localCloudOutputs(template, cloud.connection(), 'Tweets');
    cfn.putStack({ stackName: 'Garbled', template, outputs: { ...good, [key]: 'not json' } });
    const garbled = await problemOf(findDeployedApp({ stackName: 'Garbled' }));
    expect(garbled.problem).toBe('invalid-description');
    expect(garbled.message).toBe(`Stack Garbled, output ${key} (the connection of app "${cloud.config.prefix}"), is not JSON: "not json".`);
    cfn.putStack({ stackName: 'Newer', template, outputs: { ...good, [key]: JSON.stringify({ ...JSON.parse(good[key]!), version: 2 }) } });
    const newer = await problemOf(findDeployedApp({ stackName: 'Newer' }));
    expect(newer.message).toMatch(/was written by a newer multinode \(version 2; this one reads 1\): upgrade multinode\.$/);
  });

  it('refuses bad arguments before calling AWS, saying what is allowed', async () => {
    const before = cfn.requests.length;
    await expect(findDeployedApp({ stackName: '' })).rejects.toThrow(InvalidArgumentError);
    await expect(findDeployedApp({ stackName: 'my stack' })).rejects.toThrow(
      'findDeployedApp: stackName "my stack" is not a CloudFormation stack name (a letter, then letters, digits and "-", at most 128 characters) or stack ARN.',
    );
    await expect(findDeployedApp({ stackName: 'Tweets', app: 'no prefix' })).rejects.toThrow(/app "no prefix" is not an app prefix/);
    await expect(findDeployedApp({ stackName: 'Tweets', region: 'Ireland' })).rejects.toThrow(/region "Ireland" is not an AWS region name/);
    expect(cfn.requests.length).toBe(before);
  });
});

/** Every output of a template evaluated with made-up references, as CloudFormation would fill them in. */
function evaluatedOutputs(template: Template): Record<string, string> {
  const refs = Object.fromEntries(Object.keys(template.Resources).map((id) => [id, id.toLowerCase().slice(0, 20)]));
  const pseudo = { 'AWS::Region': 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::Partition': 'aws' };
  return Object.fromEntries(Object.entries(template.Outputs).map(([key, output]) => [key, evaluate(output.Value, { refs, pseudo }, key)]));
}
