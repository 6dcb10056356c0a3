/**
 * A large app (100 definitions and 50 dicts) synthesizes within the limits AWS enforces at deploy time: every
 * Lambda's environment under 4 KB, IAM policies under their size limits, the stack under 500 resources, and still
 * no unacknowledged cdk-nag finding.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempApp } from '../helpers/temp-app.js';
import { nagFindings, resourcesOf, synthApp } from './helpers.js';

/** The longest value a CloudFormation reference can stand for here: an S3 bucket name (63) or an ARN (~200). */
const LONGEST = { bucketName: 63, arn: 200 } as const;
const WORST_PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws-us-gov',
  'AWS::Region': 'ap-southeast-3',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com.cn',
};

/** A CloudFormation value rendered at its longest: pseudo parameters at their longest, other references as long ARNs. */
function worstCase(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (Array.isArray(node['Fn::Join'])) return (node['Fn::Join'][1] as unknown[]).map(worstCase).join(node['Fn::Join'][0]);
  if (typeof node.Ref === 'string') return WORST_PSEUDO[node.Ref] ?? 'x'.repeat(LONGEST.arn);
  if (node['Fn::GetAtt']) return 'x'.repeat(LONGEST.arn);
  if (node['Fn::Sub']) return String(node['Fn::Sub']).replace(/\$\{[^}]+\}/g, 'x'.repeat(20));
  throw new Error(`unexpected CloudFormation value ${JSON.stringify(value)}`);
}

/** IAM counts a policy's JSON without whitespace. */
function policyChars(document: any): number {
  const rendered = JSON.parse(JSON.stringify(document), (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && (v.Ref || v['Fn::GetAtt'] || v['Fn::Join'] || v['Fn::Sub']) ? worstCase(v) : v,
  );
  return JSON.stringify(rendered).length;
}

function bigApp(): string {
  const lines = ["import * as mn from 'multinode';"];
  for (let i = 0; i < 50; i++) lines.push(`export const dict${i} = mn.dict<number>('dictionary_number_${i}');`);
  for (let i = 0; i < 55; i++) lines.push(`export const compute${i} = mn.fn({ memory: '${128 * ((i % 8) + 1)} MiB' }, async (x: number) => x * ${i});`);
  for (let i = 0; i < 10; i++) lines.push(`export const job${i} = mn.job({ cpu: 2 }, async function* (n: number) { yield n + ${i}; });`);
  for (let i = 0; i < 10; i++)
    lines.push(`export const task${i} = mn.schedule({ cron: '${i} 6 * * 1-5', timezone: 'Europe/Paris' }, async () => { await dict0.set('t', ${i}); });`);
  for (let i = 0; i < 10; i++) lines.push(`export const api${i} = mn.service({}, async () => new Response('${i}'));`);
  for (let i = 0; i < 15; i++) lines.push(`export const heavy${i} = mn.fn({ cpu: 8, memory: '16 GiB' }, async (x: number) => x + ${i});`);
  return lines.join('\n');
}

describe('an app of 100 definitions and 50 dicts', () => {
  const made = tempApp({ 'app.ts': bigApp() }, 'big-app');
  afterAll(made.cleanup);
  const { app, stack, template, mn } = synthApp(made.entry, { prefix: 'big-app-with-a-long-prefix' });

  it('declares what the test says', () => {
    const kinds = mn.manifest.definitions.map((d) => d.kind);
    expect(kinds.filter((k) => k === 'dict')).toHaveLength(50);
    expect(kinds.filter((k) => k !== 'dict')).toHaveLength(100);
    expect(mn.manifest.definitions.filter((d) => d.placement === 'batch')).toHaveLength(15);
  });

  it('keeps every Lambda environment under 4 KB, counting references at their longest', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    expect(functions.length).toBe(86); // 55 functions, 10 jobs, 10 tasks, 10 services, 1 dispatcher
    const sizes = functions.map(([, fn]) =>
      Object.entries(fn.Environment.Variables as Record<string, unknown>).reduce(
        (bytes, [key, value]) => bytes + Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : LONGEST.bucketName),
        0,
      ),
    );
    expect(Math.max(...sizes)).toBeLessThan(4096);
    // Independent of the app's size: the biggest app's environment is as small as the smallest's.
    expect(Math.max(...sizes)).toBeLessThan(300);
  });

  it('keeps IAM policies under their size limits (managed 6,144 characters, inline 10,240 per role)', () => {
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::ManagedPolicy')) expect(policyChars(policy.PolicyDocument)).toBeLessThan(6144);
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) expect(policyChars(policy.PolicyDocument)).toBeLessThan(10240);
    // Beyond ten names, one prefix pattern stands for the list.
    const [, access] = resourcesOf(template, 'AWS::IAM::ManagedPolicy')[0]!;
    expect(JSON.stringify(access.PolicyDocument)).toContain(':function:big-app-with-a-long-prefix-*');
    expect(JSON.stringify(access.PolicyDocument)).toContain(':table/big-app-with-a-long-prefix-dict-*');
  });

  it('stays under 500 resources and clean under cdk-nag', () => {
    expect(Object.keys(template.toJSON().Resources).length).toBeLessThan(500);
    expect(nagFindings(app, stack)).toEqual([]);
  });
});
