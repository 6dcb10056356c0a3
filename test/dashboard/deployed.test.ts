/**
 * `multinode dashboard --stack <name>`: the dashboard of a deployed app, found from its stack through the SDK's
 * standard variables (a local CloudFormation endpoint holding the synthesized stack of tweet-summaries, whose outputs
 * point at a running local cloud). It serves the same API (a run triggered from it runs), keeps the credentials in
 * memory only (nothing is written: the working and home folders stay empty, and no answer or output holds the
 * secret key), and says clearly what is wrong with a missing flag or a stack that does not exist.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { type LocalCloudFormation, localCloudOutputs, startLocalCloudFormation } from '../../runtime/local/cloudformation/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { exampleEntry, synthApp } from '../constructs/helpers.js';

const VARIABLES = [
  'HOME',
  'AWS_ENDPOINT_URL_CLOUDFORMATION',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
] as const;

describe('multinode dashboard --stack', () => {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  const home = mkdtempSync(path.join(os.tmpdir(), 'multinode-dashboard-home-'));
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'multinode-dashboard-cwd-'));
  const awsDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-dashboard-aws-'));
  // What must never be written anywhere nor shown: the secret key and the session token.
  const secret = `sentinel-secret-${randomBytes(12).toString('hex')}`;
  const session = `sentinel-session-${randomBytes(12).toString('hex')}`;
  let cloud: LocalCloud;
  let cfn: LocalCloudFormation;

  beforeAll(async () => {
    writeFileSync(path.join(awsDir, 'config'), '');
    writeFileSync(path.join(awsDir, 'credentials'), '');
    const entry = exampleEntry('tweet-summaries');
    cloud = await LocalCloud.start({ entry, log: () => {}, envFile: path.join(path.dirname(entry), '../.env.example') });
    cfn = await startLocalCloudFormation({ region: cloud.config.region });
    const template = synthApp(entry, { prefix: cloud.config.prefix }, { stackName: 'Tweets' }).template.toJSON() as any;
    cfn.putStack({ stackName: 'Tweets', template, outputs: localCloudOutputs(template, cloud.connection(), 'Tweets') });
    for (const name of VARIABLES) delete process.env[name];
    const endpoints = cloud.config.endpoints!;
    Object.assign(process.env, {
      HOME: home,
      AWS_CONFIG_FILE: path.join(awsDir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoints.logs,
      AWS_REGION: cloud.config.region,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEDASHBOARD',
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_SESSION_TOKEN: session,
    });
  }, 180_000);

  afterAll(async () => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await cfn?.close();
    await cloud?.stop();
    for (const dir of [home, cwd, awsDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the deployed app: its definitions, a run triggered from the page, its dicts and logs; it writes nothing', async () => {
    const dashboard = startCli(['dashboard', '--stack', 'Tweets', '--port', '0'], cwd);
    const answers: string[] = [];
    try {
      const [, url] = (await dashboard.waitFor(/ {2}dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})\n/)) as unknown as [string, string];
      const { origin, searchParams } = new URL(url);
      const call = async (pathname: string, body?: unknown) => {
        const response = await fetch(`${origin}${pathname}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'x-multinode-token': searchParams.get('token')!, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        answers.push(text);
        return { status: response.status, body: JSON.parse(text) };
      };
      expect(dashboard.stdout()).toMatch(/multinode dashboard: tweet-summaries \(prefix \S+, region us-east-1\)/);
      const app = await call('/api/app');
      expect(app.body).toMatchObject({ app: 'tweet-summaries', mode: 'deployed', where: 'Tweets', pollMs: 5000, dicts: ['tweet_summaries'] });
      expect(app.body.services).toEqual([{ name: 'api', url: `${cloud.serviceUrl('api')}/` }]);
      const schedules = await call('/api/schedules');
      expect(schedules.body.schedules[0]).toMatchObject({ name: 'extractSummaries', words: 'every day at 00:00 (wall clock), counted from 2000-01-01' });
      const triggered = await call('/api/schedules/extractSummaries/trigger', {});
      expect(triggered.status).toBe(200);
      await until(
        () => call(`/api/runs/${encodeURIComponent(triggered.body.id)}`),
        (a) => a.status === 200 && a.body.status === 'SUCCEEDED',
        'the triggered run',
      );
      expect((await call('/api/dicts/tweet_summaries/entries')).body.items.map((e: any) => e.key).sort()).toEqual(['ai', 'climate', 'football', 'markets']);
      const logs = await until(
        // A console.log line carries no run id: it is among the task's lines.
        () => call('/api/logs?definition=extractSummaries'),
        (a) => a.status === 200 && a.body.entries.some((e: any) => /summarised 4 subjects/.test(e.text ?? e.message ?? '')),
        "the run's log lines",
      );
      expect(logs.status).toBe(200);
    } finally {
      dashboard.stop();
    }
    expect(await dashboard.exit).toBe(0);
    expect(dashboard.stdout()).toMatch(/stopping/);
    // Nothing written where a tool would keep credentials or state, and the secret appears nowhere.
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(awsDir).sort()).toEqual(['config', 'credentials']);
    for (const text of [...answers, dashboard.stdout(), dashboard.stderr()]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(session);
    }
  });

  it('says what is wrong: no --stack, a stack that does not exist', async () => {
    const missing = await runCli(['dashboard'], cwd);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --stack NAME: the CloudFormation stack that holds the app\.\nSee "multinode dashboard --help"/);
    const nowhere = await runCli(['dashboard', '--stack', 'Twets'], cwd);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/No stack named Twets in region us-east-1/);
    const port = await runCli(['dashboard', '--stack', 'Tweets', '--port', '99999'], cwd);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port must be a port number from 0 to 65535/);
    // The stack flags are checked as every operating command checks them: a usage error naming the flag.
    const name = await runCli(['dashboard', '--stack', 'bad name!'], cwd);
    expect({ code: name.code, stderr: name.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/--stack "bad name!" is not a CloudFormation stack name/),
    });
    const region = await runCli(['dashboard', '--stack', 'Tweets', '--region', 'Not A Region'], cwd);
    expect({ code: region.code, stderr: region.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/--region "Not A Region" is not an AWS region name/),
    });
    const app = await runCli(['dashboard', '--stack', 'Tweets', '--app', 'x y'], cwd);
    expect({ code: app.code, stderr: app.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/--app "x y" is not an app prefix/) });
  });
});
