/**
 * `npx cdk synth` at the repository root synthesizes the README's first example (examples/tweet-summaries) through
 * the real CDK CLI, offline; every example folder has a cdk.json that does the same for its app (job-progress is
 * synthesized here; cli-synth.test.ts covers the others).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdkSynth, type NetworkTrap, startNetworkTrap } from './cdk-cli.js';
import { exampleContext, exampleDir, REPO } from './helpers.js';

const outputs = mkdtempSync(path.join(os.tmpdir(), 'multinode-root-synth-'));
afterAll(() => rmSync(outputs, { recursive: true, force: true }));

let trap: NetworkTrap;
beforeAll(async () => {
  trap = await startNetworkTrap();
});
afterAll(() => trap.close());

interface CdkJson {
  readonly app: string;
  readonly notices?: boolean;
  readonly context: Record<string, unknown>;
}

const readCdkJson = (dir: string): CdkJson => JSON.parse(readFileSync(path.join(dir, 'cdk.json'), 'utf8'));

type Resource = { Type: string; Properties?: Record<string, any> };
const resources = (template: { Resources: Record<string, Resource> }, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);

describe('cdk synth at the repository root', () => {
  it("is offline and uses the tweet-summaries example's feature flags", () => {
    const config = readCdkJson(REPO);
    expect(config.notices).toBe(false);
    expect(config.context['cli-telemetry']).toBe(false);
    expect(config.app).toMatch(/\bmultinode\.ts cdk examples\/tweet-summaries\/src\/app\.ts$/);
    expect(config.context).toEqual(exampleContext('tweet-summaries'));
  });

  it('synthesizes the tweet-summaries stack: its dict, schedule, functions and HTTP API, the validation finding nothing', async () => {
    const out = path.join(outputs, 'root');
    const { status, output } = await cdkSynth(REPO, out, trap);
    expect(output).not.toMatch(/ERROR|WARN|Validation failed/);
    expect(status).toBe(0);
    expect(trap.attempts).toEqual([]);
    const template = JSON.parse(readFileSync(path.join(out, 'tweet-summaries.template.json'), 'utf8'));
    expect(template.Description).toBe('multinode app tweet-summaries');
    expect(resources(template, 'AWS::DynamoDB::Table').map((t) => t.Properties!.TableName)).toContain('tweet-summaries-dict-tweet_summaries');
    expect(
      resources(template, 'AWS::Lambda::Function')
        .filter((fn) => fn.Properties!.Handler === 'app.handler')
        .map((fn) => fn.Properties!.FunctionName)
        .sort(),
    ).toEqual(['tweet-summaries-api', 'tweet-summaries-extractSummaries']);
    expect(resources(template, 'AWS::Scheduler::Schedule').map((s) => [s.Properties!.ScheduleExpression, s.Properties!.ScheduleExpressionTimezone])).toEqual([
      ['cron(0 0 * * ? *)', 'UTC'],
    ]);
    expect(resources(template, 'AWS::ApiGatewayV2::Api').map((api) => api.Properties!.ProtocolType)).toEqual(['HTTP']);
    expect(JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
  });

  it("keeps the root's cdk.out out of git", () => {
    // git check-ignore exits 0 when the path is ignored and 1 when it is not (execFileSync throws on 1).
    expect(execFileSync('git', ['check-ignore', '--no-index', 'cdk.out/'], { cwd: REPO, encoding: 'utf8' }).trim()).toBe('cdk.out/');
  });
});

describe('the examples', () => {
  const examples = readdirSync(path.join(REPO, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it.each(examples)('%s has a cdk.json running multinode cdk on its app, offline', (example) => {
    const dir = exampleDir(example);
    expect(existsSync(path.join(dir, 'cdk.json')), `examples/${example}/cdk.json`).toBe(true);
    const config = readCdkJson(dir);
    expect(config.app).toMatch(/\bmultinode\.ts cdk src\/app\.ts$/);
    expect(existsSync(path.join(dir, 'src', 'app.ts'))).toBe(true);
    expect(config.notices).toBe(false);
    expect(config.context['cli-telemetry']).toBe(false);
    expect(config.context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  it('job-progress synthesizes offline: the job and the service, the validation finding nothing', async () => {
    const out = path.join(outputs, 'job-progress');
    const { status, output } = await cdkSynth(exampleDir('job-progress'), out, trap);
    expect(output).not.toMatch(/ERROR|WARN|Validation failed/);
    expect(status).toBe(0);
    expect(trap.attempts).toEqual([]);
    const template = JSON.parse(readFileSync(path.join(out, 'job-progress.template.json'), 'utf8'));
    expect(
      resources(template, 'AWS::Lambda::Function')
        .filter((fn) => fn.Properties!.Handler === 'app.handler')
        .map((fn) => fn.Properties!.FunctionName)
        .sort(),
    ).toEqual(['job-progress-api', 'job-progress-render']);
    expect(resources(template, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
  });
});
