/**
 * Wrong input fails the synth with a SynthError that names what is wrong (the entry, the definition) and what is
 * allowed: an entry that does not load, an impossible resource request, names that clash, a stack over
 * CloudFormation's limits, and bad props and overrides.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { MultinodeApp, SynthError } from '../../constructs/index.js';
import { tempApp } from '../helpers/temp-app.js';
import { exampleEntry, synthApp, testBundleRoot } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function app(source: string, name = 'bad-app'): string {
  const made = tempApp({ 'app.ts': source }, name);
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
  throw new Error('expected a SynthError, but the synth succeeded');
}

describe('an entry that does not load', () => {
  it('names a missing entry', () => {
    const error = synthError(() => synthApp('/nonexistent/src/app.ts'));
    expect(error.constructPath).toBe('TestStack/App');
    expect(error.message).toContain('/nonexistent/src/app.ts');
    expect(error.message).toMatch(/does not exist/);
  });

  it('names the entry and repeats what it threw while loading', () => {
    const entry = app(`import * as mn from 'multinode';\nexport const f = mn.fn(async () => 1);\nthrow new Error('no config file found');\n`);
    const error = synthError(() => synthApp(entry));
    expect(error.message).toContain(entry);
    expect(error.message).toContain('no config file found');
  });

  it('shows where the entry fails to build', () => {
    const entry = app(`import * as mn from 'multinode';\nexport const f = mn.fn(async () => {;\n`);
    const error = synthError(() => synthApp(entry));
    expect(error.message).toMatch(/does not build/);
    expect(error.message).toMatch(/app\.ts:\d+:\d+/);
  });

  it('passes on invalid definitions with their option and what is allowed', () => {
    const entry = app(`import * as mn from 'multinode';\nexport const f = mn.fn({ cpu: 64 }, async () => 1);\n`);
    const error = synthError(() => synthApp(entry));
    expect(error.message).toContain('"cpu"');
    expect(error.message).toContain('64');
  });
});

describe('an impossible resource request', () => {
  it('refuses a 16-vCPU task when the compute environments may run only 8 vCPUs', () => {
    const error = synthError(() => synthApp(exampleEntry('daily-16cpu'), { batch: { maxvCpus: 8 } }));
    expect(error.definition).toBe('dailyAt23');
    expect(error.constructPath).toBe('TestStack/App/Batch');
    expect(error.message).toMatch(/^TestStack\/App\/Batch: definition "dailyAt23": asks for 16 vCPUs, but batch\.maxvCpus is 8/);
  });

  it("refuses an environment that would overflow what ECS allows for a container's overrides, and takes one that fits", () => {
    const error = synthError(() => synthApp(exampleEntry('daily-16cpu'), { overrides: { dailyAt23: { environment: { NOTES: 'x'.repeat(2500) } } } }));
    expect(error.definition).toBe('dailyAt23');
    expect(error.constructPath).toBe('TestStack/App/Batch/Job-dailyAt23');
    expect(error.message).toMatch(/definition "dailyAt23": its container command and environment come to about \d+ characters .* over the 8192 ECS allows/);
    expect(() => synthApp(exampleEntry('daily-16cpu'), { overrides: { dailyAt23: { environment: { NOTES: 'x'.repeat(200) } } } })).not.toThrow();
  });

  it('refuses a RUNNABLE timeout outside what Batch allows', () => {
    const error = synthError(() => synthApp(exampleEntry('daily-16cpu'), { batch: { runnableTimeout: Duration.minutes(5) } }));
    expect(error.message).toMatch(/^TestStack\/App\/Batch\/Compute: batch\.runnableTimeout must be from 10 minutes to 24 hours.*got 5 minutes/);
  });

  it('refuses a schedule retry policy outside what EventBridge Scheduler allows', () => {
    const attempts = synthError(() => synthApp(exampleEntry('tweet-summaries'), { scheduleRetry: { retryAttempts: 200 } }));
    expect(attempts.message).toMatch(
      /^TestStack\/App\/Schedule-extractSummaries: definition "extractSummaries": scheduleRetry\.retryAttempts must be a whole number from 0 to 185.*got 200/,
    );
    const age = synthError(() => synthApp(exampleEntry('tweet-summaries'), { scheduleRetry: { maxEventAge: Duration.days(2) } }));
    expect(age.message).toMatch(/scheduleRetry\.maxEventAge must be whole seconds from 1 minute to 24 hours, got 2 days/);
  });

  it('refuses a payload expiration S3 cannot express', () => {
    const error = synthError(() => synthApp(exampleEntry('tweet-summaries'), { payloadExpiration: Duration.hours(36) }));
    expect(error.message).toMatch(/^TestStack\/App\/Payloads: the payload expiration must be a whole number of days, at least 1 .*got 1 day 12 hours/);
  });

  it('refuses reserved concurrency on a definition that runs on Batch', () => {
    const error = synthError(() => synthApp(exampleEntry('daily-16cpu'), { overrides: { dailyAt23: { reservedConcurrentExecutions: 5 } } }));
    expect(error.message).toMatch(/^TestStack\/App: definition "dailyAt23": reservedConcurrentExecutions applies to Lambda-placed definitions only/);
  });
});

describe('names and limits', () => {
  it("refuses a definition whose Lambda name is the dispatcher's", () => {
    const entry = app(`import * as mn from 'multinode';\nexport const f = mn.fn({ name: 'multinode-dispatcher' }, async () => 1);\n`);
    const error = synthError(() => synthApp(entry));
    expect(error.definition).toBe('multinode-dispatcher');
    expect(error.message).toMatch(/dispatcher/);
  });

  it("refuses an app whose stack would exceed CloudFormation's 500 resources, saying how to split it", () => {
    const lines = Array.from({ length: 180 }, (_, i) => `export const f${i} = mn.fn(async (x: number) => x + ${i});`);
    const entry = app(`import * as mn from 'multinode';\n${lines.join('\n')}\n`, 'huge-app');
    const error = synthError(() => synthApp(entry));
    expect(error.message).toMatch(/would hold \d+ resources .* 180 definitions.*limit of 500/);
    expect(error.message).toMatch(/Split the app/);
  });

  it("refuses an app whose job definitions would push the template over CloudFormation's 1 MB", () => {
    const lines = Array.from({ length: 170 }, (_, i) => `export const heavy${i} = mn.fn({ cpu: 8 }, async (x: number) => x + ${i});`);
    const entry = app(`import * as mn from 'multinode';\n${lines.join('\n')}\n`, 'heavy-app');
    const error = synthError(() => synthApp(entry));
    expect(error.message).toMatch(/the app's 170 Batch job definitions take \d+ KB of template and its manifest \(in the template's Metadata\) \d+ KB/);
    expect(error.message).toMatch(/close to CloudFormation's 1 MB limit/);
  });

  it('refuses a prefix that is not a valid resource prefix', () => {
    const error = synthError(() => synthApp(exampleEntry('tweet-summaries'), { prefix: '9lives' }));
    expect(error.message).toMatch(/^TestStack\/App: the prefix "9lives" is not valid/);
  });

  it('refuses two apps with one prefix in one stack', () => {
    const cdkApp = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(cdkApp, 'Two');
    new MultinodeApp(stack, 'First', { entry: exampleEntry('tweet-summaries'), bundleRoot: testBundleRoot() });
    const error = synthError(() => new MultinodeApp(stack, 'Second', { entry: exampleEntry('country-report'), bundleRoot: testBundleRoot() }));
    expect(error.message).toMatch(/two multinode apps in stack Two use the prefix "Two"/);
  });
});

describe('overrides', () => {
  const entry = exampleEntry('tweet-summaries');

  it('names an unknown definition and lists the known ones', () => {
    const error = synthError(() => synthApp(entry, { overrides: { apii: { throttle: { rateLimit: 1, burstLimit: 1 } } } }));
    expect(error.message).toMatch(/^TestStack\/App: overrides name "apii", which the app does not define; its definitions are: .*api/);
  });

  it('refuses a setting that does not apply to the kind', () => {
    const error = synthError(() => synthApp(entry, { overrides: { extractSummaries: { throttle: { rateLimit: 1, burstLimit: 1 } } } }));
    expect(error.message).toMatch(
      /definition "extractSummaries": the override "throttle" does not apply: a schedule takes "environment", "reservedConcurrentExecutions", "enabled"/,
    );
  });

  it('refuses environment variables the runtime or Lambda own', () => {
    const error = synthError(() => synthApp(entry, { overrides: { api: { environment: { MULTINODE_PREFIX: 'x' } } } }));
    expect(error.message).toMatch(/"MULTINODE_PREFIX" is reserved/);
    const bad = synthError(() => synthApp(entry, { overrides: { api: { environment: { '1X': 'x' } } } }));
    expect(bad.message).toMatch(/"1X" is not valid/);
  });

  it('refuses a throttle without positive limits', () => {
    const error = synthError(() => synthApp(entry, { overrides: { api: { throttle: { rateLimit: 0, burstLimit: 10 } } } }));
    expect(error.message).toMatch(/definition "api": throttle needs a rateLimit above 0/);
  });

  it("refuses an environment over Lambda's 4 KB", () => {
    const error = synthError(() => synthApp(entry, { overrides: { api: { environment: { BIG: 'x'.repeat(4100) } } } }));
    expect(error.constructPath).toBe('TestStack/App/Function-api/Function');
    expect(error.message).toMatch(/^TestStack\/App\/Function-api\/Function: the environment of the Lambda function takes \d+ bytes, over Lambda's 4096/);
  });
});
