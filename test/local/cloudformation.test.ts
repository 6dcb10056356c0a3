/**
 * The local CloudFormation endpoint, driven by the real SDK client: DescribeStacks and GetTemplate over stacks put
 * in from a real synth, CloudFormation's errors (unknown stack, bad stage, unknown action, unsigned request, denied
 * action), regions kept apart, and the evaluation of output expressions.
 */
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudFormation, evaluate, startLocalCloudFormation } from '../../runtime/local/cloudformation/index.js';
import { LocalCloudError } from '../../runtime/local/errors.js';
import { exampleEntry, synthApp } from '../constructs/helpers.js';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
// Node 20 support of the SDK ending in 2027 is no news for this test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('the local CloudFormation endpoint', () => {
  const { template: assertions } = synthApp(exampleEntry('tweet-summaries'), { prefix: 'tweets' }, { stackName: 'Tweets' });
  const template = assertions.toJSON() as { Outputs: Record<string, { Value: unknown; Description: string }>; Metadata: Record<string, unknown> };
  const outputKeys = Object.keys(template.Outputs);
  const outputs = Object.fromEntries(outputKeys.map((key, i) => [key, `value-${i}`]));
  let cfn: LocalCloudFormation;
  let client: CloudFormationClient;
  const clientIn = (region: string) => new CloudFormationClient({ region, endpoint: cfn.endpoint, credentials: CREDENTIALS });

  beforeAll(async () => {
    cfn = await startLocalCloudFormation();
    client = clientIn('us-east-1');
  });
  afterAll(async () => {
    client.destroy();
    await cfn.close();
  });

  it('describes a stack it was given: id, status, and each output with its description', async () => {
    const id = cfn.putStack({ stackName: 'Tweets', template, outputs });
    expect(id).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/Tweets\/[0-9a-f-]{36}$/);
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: 'Tweets' }));
    expect(Stacks).toHaveLength(1);
    const stack = Stacks![0]!;
    expect(stack).toMatchObject({ StackName: 'Tweets', StackId: id, StackStatus: 'CREATE_COMPLETE' });
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(stack.Outputs).toEqual(outputKeys.map((key) => ({ OutputKey: key, OutputValue: outputs[key], Description: template.Outputs[key]!.Description })));
    // By id as well as by name.
    expect((await client.send(new DescribeStacksCommand({ StackName: id }))).Stacks![0]!.StackName).toBe('Tweets');
  });

  it('gives the template back as JSON, with its Metadata, in either stage', async () => {
    cfn.putStack({ stackName: 'Tweets', template, outputs });
    for (const stage of ['Original', 'Processed', undefined] as const) {
      const answer = await client.send(new GetTemplateCommand({ StackName: 'Tweets', ...(stage ? { TemplateStage: stage } : {}) }));
      expect(JSON.parse(answer.TemplateBody!)).toEqual(template);
      expect(answer.StagesAvailable).toEqual(['Original', 'Processed']);
    }
  });

  it("answers an unknown stack with CloudFormation's ValidationError", async () => {
    const error = await client.send(new DescribeStacksCommand({ StackName: 'Nope' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationError', message: 'Stack with id Nope does not exist', $fault: 'client' });
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    await expect(client.send(new GetTemplateCommand({ StackName: 'Nope' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id Nope does not exist',
    });
  });

  it('refuses a template stage that is not Original or Processed', async () => {
    cfn.putStack({ stackName: 'Tweets', template, outputs });
    await expect(client.send(new GetTemplateCommand({ StackName: 'Tweets', TemplateStage: 'Draft' as never }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/Value 'Draft' at 'templateStage' failed to satisfy constraint/),
    });
  });

  it('keeps regions apart, as AWS does', async () => {
    cfn.putStack({ stackName: 'Tweets', template, outputs });
    cfn.putStack({ stackName: 'Elsewhere', template, outputs, region: 'eu-west-1' });
    const ireland = clientIn('eu-west-1');
    try {
      await expect(ireland.send(new DescribeStacksCommand({ StackName: 'Tweets' }))).rejects.toMatchObject({ name: 'ValidationError' });
      expect((await ireland.send(new DescribeStacksCommand({ StackName: 'Elsewhere' }))).Stacks![0]!.StackId).toMatch(/:eu-west-1:/);
      const all = await client.send(new DescribeStacksCommand({}));
      expect(all.Stacks!.map((s) => s.StackName)).not.toContain('Elsewhere');
    } finally {
      ireland.destroy();
    }
  });

  it('shows no outputs while a stack operation is in progress', async () => {
    cfn.putStack({ stackName: 'Busy', template, status: 'CREATE_IN_PROGRESS' });
    const stack = (await client.send(new DescribeStacksCommand({ StackName: 'Busy' }))).Stacks![0]!;
    expect(stack.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(stack.Outputs ?? []).toEqual([]);
  });

  it('denies the actions a test denies, with AccessDenied (403)', async () => {
    cfn.putStack({ stackName: 'Tweets', template, outputs });
    cfn.deny(['cloudformation:GetTemplate']);
    try {
      const error = await client.send(new GetTemplateCommand({ StackName: 'Tweets' })).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AccessDenied', message: expect.stringMatching(/is not authorized to perform: cloudformation:GetTemplate/) });
      expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
      expect((await client.send(new DescribeStacksCommand({ StackName: 'Tweets' }))).Stacks).toHaveLength(1);
    } finally {
      cfn.deny([]);
    }
  });

  it('refuses an unsigned request and an action it does not answer, in XML', async () => {
    const unsigned = await fetch(cfn.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeStacks&Version=2010-05-15',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toMatch(/<Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/);
    const unknown = await fetch(cfn.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=CreateStack&Version=2010-05-15&StackName=X',
    });
    expect(unknown.status).toBe(400);
    const body = await unknown.text();
    expect(body).toMatch(/<Code>InvalidAction<\/Code>/);
    expect(body).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  });

  it('refuses a stack whose outputs are not those of its template', () => {
    expect(() => cfn.putStack({ stackName: 'Bad', template, outputs: { ...outputs, Extra: 'x' } })).toThrow(LocalCloudError);
    expect(() => cfn.putStack({ stackName: 'Bad', template, outputs: { ...outputs, Extra: 'x' } })).toThrow(/output Extra is not declared/);
    expect(() => cfn.putStack({ stackName: 'Bad', template, outputs: {} })).toThrow(/a CREATE_COMPLETE stack has a value for every output; missing: /);
    expect(() => cfn.putStack({ stackName: 'not a name', template, outputs })).toThrow(/is not a stack name/);
  });
});

describe('evaluating template values', () => {
  const values = {
    refs: { Bucket: 'my-bucket', Api: 'abc123' },
    attributes: { 'Table.Arn': 'arn:aws:dynamodb:eu-west-1:1:table/t' },
    pseudo: { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com' },
  };

  it('evaluates Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split', () => {
    expect(evaluate({ 'Fn::Join': ['', ['https://', { Ref: 'Api' }, '.execute-api.', { Ref: 'AWS::Region' }, '/']] }, values, 'x')).toBe(
      'https://abc123.execute-api.eu-west-1/',
    );
    expect(evaluate({ 'Fn::GetAtt': ['Table', 'Arn'] }, values, 'x')).toBe('arn:aws:dynamodb:eu-west-1:1:table/t');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a template literal
    expect(evaluate({ 'Fn::Sub': '${Bucket}/${Table.Arn}@${AWS::Region}' }, values, 'x')).toBe('my-bucket/arn:aws:dynamodb:eu-west-1:1:table/t@eu-west-1');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a template literal
    expect(evaluate({ 'Fn::Sub': ['${X}-${Bucket}', { X: { Ref: 'Api' } }] }, values, 'x')).toBe('abc123-my-bucket');
    expect(evaluate({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] }, values, 'x')).toBe('b');
  });

  it('names the reference it has no value for, and the function it does not evaluate', () => {
    expect(() => evaluate({ Ref: 'Missing' }, values, 'Outputs.Url.Value')).toThrow('Outputs.Url.Value: no value given for Ref Missing.');
    expect(() => evaluate({ 'Fn::ImportValue': 'x' }, values, 'Outputs.Url.Value')).toThrow(/does not evaluate Fn::ImportValue/);
  });
});
