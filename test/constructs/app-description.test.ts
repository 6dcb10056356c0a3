/**
 * The stack describes the app: a connection output per MultinodeApp (JSON of what exists only once deployed) and
 * the app's manifest in the template's Metadata under `multinode:<prefix>`. Output values are evaluated the way
 * CloudFormation resolves them, so a wrong expression or invalid JSON fails here.
 */
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { MultinodeApp } from '../../constructs/index.js';
import { connectionOutputLength } from '../../constructs/app-description.js';
import { CONNECTION_OUTPUT_LIMIT, parseAppMetadata, parseConnectionOutput } from '../../runtime/core/stack-description.js';
import { evaluate } from '../../runtime/local/cloudformation/intrinsics.js';
import { tempApp } from '../helpers/temp-app.js';
import { exampleEntry, nagFindings, synthApp, testBundleRoot } from './helpers.js';

const AWS = { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::Partition': 'aws' };
/** Pseudo parameters at their longest. */
const LONGEST_PSEUDO = { ...AWS, 'AWS::Region': 'ap-southeast-7', 'AWS::URLSuffix': 'amazonaws.com.cn' };

type Template = {
  Resources: Record<string, { Type: string; Properties?: any }>;
  Outputs: Record<string, { Value: unknown; Description: string }>;
  Metadata?: any;
};

/** The longest a reference of a resource type stands for: bucket names have up to 63 characters, HTTP API ids 10. */
const LONGEST: Record<string, number> = { 'AWS::S3::Bucket': 63, 'AWS::ApiGatewayV2::Api': 10 };

/**
 * What CloudFormation would fill in: every Ref of a resource as a value made from its logical id (at the longest
 * its type allows with `longest`), pseudo parameters as given.
 */
function valuesFor(template: Template, pseudo: Record<string, string>, longest = false) {
  const refs = Object.fromEntries(
    Object.entries(template.Resources).map(([id, resource]) => {
      const length = longest ? (LONGEST[resource.Type] ?? 64) : 10;
      return [id, id.toLowerCase().padEnd(length, 'x').slice(0, length)];
    }),
  );
  return { refs, pseudo };
}

describe('the stack of tweet-summaries', () => {
  const { app, stack, mn, template: assertions } = synthApp(exampleEntry('tweet-summaries'), { prefix: 'tweets' });
  const template = assertions.toJSON() as Template;
  const connectionKey = stack.getLogicalId(mn.connectionOutput);

  it('has the connection output, named after the construct (its id, "Multinode", a hash)', () => {
    expect(connectionKey).toMatch(/^AppMultinode[0-9A-F]{8}$/);
    expect(template.Outputs[connectionKey]!.Description).toBe('Connection of the multinode app tweet-summaries (prefix tweets), read by multinode --stack');
  });

  it("resolves to the JSON of the app, prefix, bucket, region and the service's URL", () => {
    const values = valuesFor(template, AWS);
    const bucketId = Object.keys(template.Resources).find((id) => template.Resources[id]!.Type === 'AWS::S3::Bucket')!;
    const apiId = Object.keys(template.Resources).find((id) => template.Resources[id]!.Type === 'AWS::ApiGatewayV2::Api')!;
    const text = evaluate(template.Outputs[connectionKey]!.Value, values, 'connection');
    expect(JSON.parse(text)).toEqual({
      version: 1,
      app: 'tweet-summaries',
      prefix: 'tweets',
      bucket: values.refs[bucketId],
      region: 'eu-west-1',
      services: { api: `https://${values.refs[apiId]}.execute-api.eu-west-1.amazonaws.com/` },
    });
    expect(parseConnectionOutput(text, 'the output').prefix).toBe('tweets');
    // The service's own output holds the same URL.
    const urlKey = stack.getLogicalId(mn.service('api').output);
    expect(evaluate(template.Outputs[urlKey]!.Value, values, 'url')).toBe(`https://${values.refs[apiId]}.execute-api.eu-west-1.amazonaws.com/`);
  });

  it('puts the manifest and the output keys in the Metadata section under "multinode:<prefix>"', () => {
    expect(Object.keys(template.Metadata)).toEqual(['multinode:tweets']);
    const entry = template.Metadata['multinode:tweets'];
    expect(entry).toEqual({
      version: 1,
      outputs: { connection: connectionKey, services: { api: stack.getLogicalId(mn.service('api').output) } },
      manifest: JSON.parse(JSON.stringify(mn.manifest)),
    });
    expect(parseAppMetadata(entry, 'the entry').manifest.app.name).toBe('tweet-summaries');
    for (const key of [entry.outputs.connection, ...Object.values<string>(entry.outputs.services)]) expect(Object.keys(template.Outputs)).toContain(key);
  });

  it('stays clean under cdk-nag', () => {
    expect(nagFindings(app, stack)).toEqual([]);
  });
});

describe('the description of an app', () => {
  it('names the output keys as the template has them, also after an override', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Renamed');
    const mn = new MultinodeApp(stack, 'App', { entry: exampleEntry('tweet-summaries'), prefix: 'tweets', bundleRoot: testBundleRoot() });
    mn.connectionOutput.overrideLogicalId('TweetsConnection');
    const template = stack.resolve((stack as any)._toCloudFormation()) as Template;
    expect(template.Metadata['multinode:tweets'].outputs.connection).toBe('TweetsConnection');
    expect(Object.keys(template.Outputs)).toContain('TweetsConnection');
  });

  it('gives two apps of one stack an output and a metadata entry each', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Pair');
    const first = new MultinodeApp(stack, 'First', { entry: exampleEntry('tweet-summaries'), prefix: 'first', bundleRoot: testBundleRoot() });
    const second = new MultinodeApp(stack, 'Second', { entry: exampleEntry('country-report'), prefix: 'second', bundleRoot: testBundleRoot() });
    const template = stack.resolve((stack as any)._toCloudFormation()) as Template;
    expect(Object.keys(template.Metadata).sort()).toEqual(['multinode:first', 'multinode:second']);
    expect(template.Metadata['multinode:second'].manifest.app.name).toBe(second.manifest.app.name);
    expect(template.Metadata['multinode:first'].outputs.connection).toBe(stack.getLogicalId(first.connectionOutput));
    expect(template.Metadata['multinode:second'].outputs.connection).toBe(stack.getLogicalId(second.connectionOutput));
  });

  describe('of an app with many services', () => {
    const many = tempApp(
      {
        'app.ts': [
          "import * as mn from 'multinode';",
          ...Array.from({ length: 12 }, (_, i) => `export const service${i} = mn.service({}, async () => new Response('${i}'));`),
        ].join('\n'),
      },
      'many-services-app',
    );
    afterAll(many.cleanup);
    const { stack, mn, template: assertions } = synthApp(many.entry, { prefix: 'a-rather-long-prefix-for-the-app' });
    const template = assertions.toJSON() as Template;
    const key = stack.getLogicalId(mn.connectionOutput);

    it("leaves the URLs to the services' own outputs when they would not fit, and the metadata says where", () => {
      expect(connectionOutputLength(mn.manifest.app.name, mn.prefix, Object.keys(mn.services))).toBeGreaterThan(CONNECTION_OUTPUT_LIMIT);
      const connection = JSON.parse(evaluate(template.Outputs[key]!.Value, valuesFor(template, AWS), 'connection'));
      expect(connection.services).toBeUndefined();
      const services = template.Metadata['multinode:a-rather-long-prefix-for-the-app'].outputs.services;
      expect(Object.keys(services)).toEqual(Array.from({ length: 12 }, (_, i) => `service${i}`));
      for (const [name, outputKey] of Object.entries<string>(services)) {
        expect(outputKey).toBe(stack.getLogicalId(mn.service(name).output));
      }
    });

    it('keeps the connection output within the limit with every reference at its longest', () => {
      const worst = valuesFor(template, LONGEST_PSEUDO, true);
      expect(evaluate(template.Outputs[key]!.Value, worst, 'connection').length).toBeLessThanOrEqual(CONNECTION_OUTPUT_LIMIT);
    });
  });

  it('keeps the URLs in the output while they fit, within the limit at their longest', () => {
    const { stack, mn, template: assertions } = synthApp(exampleEntry('tweet-summaries'), { prefix: 'a-rather-long-prefix-for-the-app' });
    const template = assertions.toJSON() as Template;
    const worst = valuesFor(template, LONGEST_PSEUDO, true);
    const text = evaluate(template.Outputs[stack.getLogicalId(mn.connectionOutput)]!.Value, worst, 'connection');
    expect(Object.keys(JSON.parse(text).services)).toEqual(['api']);
    expect(text.length).toBeLessThanOrEqual(connectionOutputLength(mn.manifest.app.name, mn.prefix, ['api']));
  });
});
