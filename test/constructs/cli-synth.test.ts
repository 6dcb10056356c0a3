/**
 * Every example synthesizes through the real `cdk` CLI, offline, with its cdk.json (the ready `multinode cdk` app),
 * and aws-cdk-lib's built-in CloudFormation validation finds nothing. A control stack that CloudFormation would
 * refuse shows that, with these settings, the validation runs and fails the synth.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { EXAMPLES, exampleContext, exampleDir, REPO } from './helpers.js';

const CDK = path.join(REPO, 'node_modules', '.bin', 'cdk');
const outputs = mkdtempSync(path.join(os.tmpdir(), 'multinode-cdk-cli-'));
afterAll(() => rmSync(outputs, { recursive: true, force: true }));

/** A proxy that refuses everything and remembers what was asked: `cdk synth` must not try the network. */
const networkAttempts: string[] = [];
const proxy = http.createServer((request, response) => {
  networkAttempts.push(`${request.method} ${request.url}`);
  response.destroy();
});
proxy.on('connect', (request, socket) => {
  networkAttempts.push(`CONNECT ${request.url}`);
  socket.destroy();
});
let proxyUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

/** `cdk synth` in `dir`, as a user runs it (never with validation switched off), with every proxy variable on our proxy. */
function cdkSynth(dir: string, out: string): Promise<{ status: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: '',
    no_proxy: '',
  };
  delete env.CDK_VALIDATION;
  delete env.CDK_OUTDIR;
  return new Promise((resolve, reject) => {
    const child = spawn(CDK, ['synth', '--quiet', '--output', out], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('cdk synth of the examples', () => {
  it.each(EXAMPLES)('%s synthesizes offline with the built-in validation finding nothing', async (example) => {
    const config = JSON.parse(readFileSync(path.join(exampleDir(example), 'cdk.json'), 'utf8'));
    expect(config.notices).toBe(false);
    expect(config.context['cli-telemetry']).toBe(false);
    expect(config.context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    const out = path.join(outputs, example);
    const { status, output } = await cdkSynth(exampleDir(example), out);
    expect(output).not.toMatch(/ERROR|WARN|Validation failed/);
    expect(status).toBe(0);
    expect(networkAttempts).toEqual([]);
    const template = JSON.parse(readFileSync(path.join(out, `${example}.template.json`), 'utf8'));
    expect(Object.values<any>(template.Resources).some((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'app.handler')).toBe(true);
    const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
    // The bundle was built in the CDK output folder, not in the app's folders (.multinode/ is `multinode dev`'s).
    expect(existsSync(path.join(out, 'multinode-bundles'))).toBe(true);
    // The bundle is one asset shared by every function.
    const codeKeys = new Set(
      Object.values<any>(template.Resources)
        .filter((r) => r.Properties?.Handler === 'app.handler')
        .map((r) => r.Properties.Code.S3Key),
    );
    expect(codeKeys.size).toBe(1);
  });

  it('synthesizes a rate schedule with its deploy-time start, the built-in validation finding nothing', async () => {
    const fixture = path.join(REPO, 'test', 'constructs', 'fixtures', 'rate-schedule');
    const out = path.join(outputs, 'rate-schedule');
    const { status, output } = await cdkSynth(fixture, out);
    expect(output).not.toMatch(/ERROR|WARN|Validation failed/);
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(path.join(out, 'rate-schedule.template.json'), 'utf8'));
    const resources = Object.entries<any>(template.Resources);
    const [startId] = resources.find(([, r]) => r.Type === 'Custom::MultinodeScheduleStart')!;
    const [, schedule] = resources.find(([, r]) => r.Type === 'AWS::Scheduler::Schedule')!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(36 hours)', StartDate: { 'Fn::GetAtt': [startId, 'StartDate'] } });
    expect(JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
  });

  it('fails the synth of a template CloudFormation would refuse, with the same validation settings (control)', async () => {
    const fixture = path.join(REPO, 'test', 'constructs', 'fixtures', 'invalid-stack');
    const control = JSON.parse(readFileSync(path.join(fixture, 'cdk.json'), 'utf8')).context;
    expect(control['@aws-cdk/core:validateAgainstDefaultRules']).toBe(exampleContext('daily-16cpu')['@aws-cdk/core:validateAgainstDefaultRules']);
    const { status, output } = await cdkSynth(fixture, path.join(outputs, 'invalid'));
    expect(status).not.toBe(0);
    expect(output).toMatch(/MessageRetentionPeriod: 'two weeks' is not of type 'integer' \(CloudFormation Validate\)/);
  });
});

describe('multinode cdk', () => {
  const run = (argv: string[]) => runCli(['cdk', ...argv], exampleDir('tweet-summaries'));

  it('writes the stack of an app, named after the app, to --output', async () => {
    const out = path.join(outputs, 'standalone');
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false'; // the CLI runs above test the validation; this one tests the command
    try {
      const { code, stderr } = await run(['src/app.ts', '--output', out, '--prefix', 'tw']);
      expect(stderr).toMatch(/Synthesized stack tweet-summaries into /);
      expect(code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = previous;
    }
    const template = JSON.parse(readFileSync(path.join(out, 'tweet-summaries.template.json'), 'utf8'));
    expect(
      Object.values<any>(template.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.FunctionName)
        .sort(),
    ).toEqual(['tw-api', 'tw-extractSummaries']);
  });

  it('explains wrong arguments (exit 2) and an entry that does not load (exit 1)', async () => {
    expect(await run([])).toMatchObject({ code: 2, stderr: expect.stringMatching(/missing <entry>/) });
    expect(await run(['a.ts', 'b.ts'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unexpected argument: b\.ts/) });
    expect(await run(['src/app.ts', '--stack-name', 'has space'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--stack-name "has space" is not a CloudFormation stack name/),
    });
    expect(await run(['src/app.ts', '--region', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--region/) });
    const missing = await run(['src/nope.ts', '--output', path.join(outputs, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/src\/nope\.ts does not exist/);
    expect(existsSync(path.join(outputs, 'nope'))).toBe(false);
  });

  it('prints its usage with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: multinode cdk \[<entry>\]/);
  });
});
