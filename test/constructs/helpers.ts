import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MultinodeApp, type MultinodeAppProps } from '../../constructs/index.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES = ['country-report', 'daily-16cpu', 'tweet-summaries'] as const;

export function exampleDir(name: string): string {
  return path.join(REPO, 'examples', name);
}

export function exampleEntry(name: string): string {
  return path.join(exampleDir(name), 'src', 'app.ts');
}

/** The context of an example's cdk.json: feature flags included, so tests see what `cdk synth` sees. */
export function exampleContext(name: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(path.join(exampleDir(name), 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
}

/** One bundle folder per test process (bundles are cached per process and folder). */
let bundleRoot: string | undefined;
export function testBundleRoot(): string {
  if (!bundleRoot) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'multinode-cdk-test-'));
    bundleRoot = root;
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return bundleRoot;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly mn: MultinodeApp;
  readonly template: Template;
}

/** A stack holding one MultinodeApp, synthesized without the (slow) built-in CloudFormation validation. */
export function synthApp(
  entry: string,
  props: Partial<MultinodeAppProps> = {},
  options: { context?: Record<string, unknown>; stackName?: string } = {},
): Synthesized {
  const app = new App({ builtinCloudFormationValidation: false, ...(options.context ? { context: options.context } : {}) });
  const stack = new Stack(app, options.stackName ?? 'TestStack');
  const mn = new MultinodeApp(stack, 'App', { entry, bundleRoot: testBundleRoot(), ...props });
  return { app, stack, mn, template: Template.fromStack(stack) };
}

/** cdk-nag AwsSolutions findings that are not acknowledged, as "rule at path" lines. */
export function nagFindings(app: App, scope: Stack): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`));
}

/** Every resource of a type, as [logicalId, properties]. */
export function resourcesOf(template: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => [id, (resource as { Properties: Record<string, any> }).Properties ?? {}]);
}

/** The properties of the one resource of `type` whose properties include `match`. */
export function oneResource(template: Template, type: string, match: (props: Record<string, any>) => boolean): [string, Record<string, any>] {
  const found = resourcesOf(template, type).filter(([, props]) => match(props));
  if (found.length !== 1) throw new Error(`expected one ${type} matching, found ${found.length}`);
  return found[0]!;
}

/** Every IAM policy document of the template (inline role policies, AWS::IAM::Policy and managed policies). */
export function policyStatements(template: Template): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const documents: any[] = [
    ...resourcesOf(template, 'AWS::IAM::Policy').map(([, p]) => p.PolicyDocument),
    ...resourcesOf(template, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.PolicyDocument),
    ...resourcesOf(template, 'AWS::IAM::Role').flatMap(([, p]) => (p.Policies ?? []).map((x: any) => x.PolicyDocument)),
  ];
  return documents.flatMap((d) => d.Statement);
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
