/**
 * Templates that synthesize but would deploy wrong: names CloudFormation needs unique, networks without a route
 * out, containers sized below their instance, permissions wider or narrower than the runtime needs, trust
 * policies, and attributes that make drift.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../lib/naming.js';
import { MultinodeApp } from '../../constructs/index.js';
import { exampleEntry, resourcesOf, testBundleRoot } from './helpers.js';

const SCHEDULE_NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

describe('two apps in one stack, each with its own prefix', () => {
  it("name their schedules apart, so CloudFormation's validation (which deploy.md recommends) passes", () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'Two');
    new MultinodeApp(stack, 'Reports', { entry: exampleEntry('tweet-summaries'), prefix: 'reports', bundleRoot: testBundleRoot() });
    new MultinodeApp(stack, 'Reports2', { entry: exampleEntry('tweet-summaries'), prefix: 'reports2', bundleRoot: testBundleRoot() });
    const template = app.synth().getStackByName('Two').template as { Resources: Record<string, { Type: string; Properties: { Name: string } }> };
    const names = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
      .map((r) => r.Properties.Name);
    expect(names.sort()).toEqual(['reports-extractSummaries-0', 'reports2-extractSummaries-0']);
  });

  it('keep schedule names valid and apart when prefix and definition are at their longest', () => {
    const names = resourceNames('p'.repeat(32));
    const first = names.schedule('x'.repeat(64), 0);
    const second = names.schedule('x'.repeat(64), 1);
    const other = resourceNames(`${'p'.repeat(31)}q`).schedule('x'.repeat(64), 0);
    for (const name of [first, second, other]) expect(name).toMatch(SCHEDULE_NAME);
    expect(new Set([first, second, other]).size).toBe(3);
  });
});

describe('schedule names of one app', () => {
  it('start with the prefix', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'One');
    new MultinodeApp(stack, 'App', { entry: exampleEntry('daily-16cpu'), prefix: 'daily', bundleRoot: testBundleRoot() });
    const schedules = resourcesOf(Template.fromStack(stack), 'AWS::Scheduler::Schedule');
    expect(schedules.map(([, p]) => p.Name).sort()).toEqual(['daily-dailyAt23-0', 'daily-weekdaysAt23-0']);
  });
});
