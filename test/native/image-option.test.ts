/**
 * The `image` option through the constructs: each form becomes the job definition's image (a public reference as
 * is, a private ECR repository with pull access for the execution role only, a Dockerfile folder as an image asset
 * built at deploy, with a synth note that says Docker is needed then); GPU definitions need one; wrong images fail
 * the synth naming the definition. Locally, the definitions run with this machine's node, and the cloud says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { SynthError } from '../../constructs/errors.js';
import { checkLambdaCodeSize, LAMBDA_UNZIPPED_LIMIT_BYTES } from '../../constructs/native-assets.js';
import { startTestCloud } from '../../runtime/local/testing.js';
import { asArray, nagFindings, oneResource, policyStatements, synthApp } from '../constructs/helpers.js';
import { tempApp } from '../helpers/temp-app.js';

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function app(source: string, files: Record<string, string> = {}) {
  const made = tempApp({ 'app.ts': `import * as mn from 'multinode';\n${source}`, ...files }, 'images-app');
  cleanups.push(made.cleanup);
  return made;
}

function synthError(run: () => unknown): SynthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SynthError);
    return error as SynthError;
  }
  throw new Error('expected the synth to fail');
}

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/tools/node:22';
const FORMS = [
  "export const pub = mn.fn({ image: 'public.ecr.aws/docker/library/node:24-slim' }, async (x: number) => x + 1);",
  `export const priv = mn.fn({ image: '${ECR}' }, async (x: number) => x);`,
  "export const built = mn.job({ image: './images/worker', cpu: 2 }, async function* () { yield 1; });",
].join('\n');
const DOCKERFILE = { 'images/worker/Dockerfile': 'FROM public.ecr.aws/docker/library/node:22-slim\nRUN apt-get update\n' };

describe('the image forms in job definitions', () => {
  const made = app(FORMS, DOCKERFILE);
  const { app: cdkApp, stack, template } = synthApp(made.entry, { prefix: 'imgs' });
  const job = (name: string) => oneResource(template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === `imgs-${name}`)[1];

  it('runs every definition with an image on Batch, even a small one', () => {
    for (const name of ['pub', 'priv', 'built']) expect(job(name).PlatformCapabilities).toEqual(['FARGATE']);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { FunctionName: 'imgs-pub' }, 0);
  });

  it('uses a public reference as it is', () => {
    expect(job('pub').ContainerProperties.Image).toBe('public.ecr.aws/docker/library/node:24-slim');
  });

  it('pulls a private ECR image with the execution role, allowed on that repository only', () => {
    const image = JSON.stringify(job('priv').ContainerProperties.Image);
    expect(image).toContain('123456789012.dkr.ecr.eu-west-1.');
    expect(image).toContain('/tools/node:22');
    const pulls = policyStatements(template).filter((s) => asArray(s.Action).includes('ecr:BatchGetImage'));
    const resources = JSON.stringify(pulls.map((s) => s.Resource));
    expect(resources).toContain(':ecr:eu-west-1:123456789012:repository/tools/node');
  });

  it("builds a Dockerfile folder as an image asset for the container's architecture, and says deploying needs Docker", () => {
    expect(JSON.stringify(job('built').ContainerProperties.Image)).toContain('container-assets');
    const assembly = cdkApp.synth();
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, `${stack.stackName}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.platform).toBe('linux/amd64');
    // The build context is staged into the cloud assembly at synth (no Docker needed until deploy).
    expect(readFileSync(path.join(assembly.directory, images[0]!.source.directory, 'Dockerfile'), 'utf8')).toContain('FROM ');
    Annotations.fromStack(stack).hasInfo(
      '*',
      Match.stringLikeRegexp('definition "built": its image is built from ./images/worker by the CDK at deploy .*needs Docker'),
    );
  });

  it('stays clean under cdk-nag (the ECR token action, which takes no resource, is acknowledged)', () => {
    expect(nagFindings(cdkApp, stack)).toEqual([]);
  });
});

describe('images that cannot work fail the synth, naming the definition', () => {
  it('a folder without a Dockerfile', () => {
    const made = app("export const built = mn.job({ image: './images/none' }, async function* () { yield 1; });", { 'images/none/README': 'no Dockerfile' });
    const error = synthError(() => synthApp(made.entry, { prefix: 'imgs' }));
    expect(error.message).toBe(
      `TestStack/App/Batch: definition "built": option "image" is "./images/none", but ${path.join(made.dir, 'images/none')} has no Dockerfile.`,
    );
  });

  it('a folder that does not exist', () => {
    const made = app("export const built = mn.job({ image: './images/missing' }, async function* () { yield 1; });");
    const error = synthError(() => synthApp(made.entry, { prefix: 'imgs' }));
    expect(error.message).toContain(`definition "built": option "image" is "./images/missing", but ${path.join(made.dir, 'images/missing')} is not a folder`);
  });

  it('a GPU definition without an image, saying what the image must hold', () => {
    const made = app("export const train = mn.job({ gpu: 'T4' }, async function* () { yield 1; });");
    const error = synthError(() => synthApp(made.entry, { prefix: 'imgs' }));
    expect(error.message).toContain('TestStack/App/Batch: definition "train": asks for a GPU, so it needs the "image" option');
    expect(error.message).toContain('the GPU hosts (the ECS GPU AMI) bring the NVIDIA driver, and the image must bring the CUDA libraries');
    expect(error.message).toContain('FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 and installs Node.js 22');
  });

  it('an image on a definition that must run on Lambda, naming the module, the definition and both platforms', () => {
    const made = app("export const thumb = mn.fn({ image: 'node:22-slim', compute: 'lambda' }, async () => 1);");
    const error = synthError(() => synthApp(made.entry, { prefix: 'imgs' }));
    expect(error.message).toMatch(/fn "thumb" at .*app\.ts:2:\d+: compute "lambda" was asked, but option "image" runs the definition on AWS Batch/);
    expect(error.message).toContain('(Lambda runs the bundle on its own Node.js runtime, not on an image)');
  });

  it('an image reference that is not valid', () => {
    const made = app("export const thumb = mn.fn({ image: 'Docker.io/Library/Node:22' }, async () => 1);");
    const error = synthError(() => synthApp(made.entry, { prefix: 'imgs' }));
    expect(error.message).toMatch(/fn "thumb" at .*app\.ts:2:\d+: option "image" is "Docker\.io\/Library\/Node:22"; allowed: an image reference/);
    expect(error.message).toContain('(repository names are lowercase ("Library"))');
  });
});

describe('locally', () => {
  it("runs definitions with an image on this machine's node, and says the image is not used", async () => {
    const made = app(FORMS, DOCKERFILE);
    writeFileSync(path.join(made.dir, '.env'), '');
    const mod = (await import(made.entry)) as { pub: { call(x: number): Promise<number> } };
    const t = await startTestCloud(made.entry, { module: mod });
    try {
      expect(t.logs.join('\n')).toContain(
        `[batch] pub (public.ecr.aws/docker/library/node:24-slim), priv (${ECR}), built (./images/worker): the image is not used locally; ` +
          `they run with this machine's node ${process.version}.`,
      );
      // A call runs in a local Batch container: a process of this machine's node, whatever the image.
      expect(await mod.pub.call(41)).toBe(42);
    } finally {
      await t.stop();
    }
  });
});

describe("Lambda's limit on code size", () => {
  it('refuses code over 250 MB unzipped, naming the functions, the modules and the platform', () => {
    const stack = new Stack(new App(), 'Sized');
    const modules = [{ name: 'onnxruntime-node', version: '1.22.0' }];
    expect(() => checkLambdaCodeSize(stack, LAMBDA_UNZIPPED_LIMIT_BYTES, modules, 'linux-arm64', ['embed'])).not.toThrow();
    expect(() => checkLambdaCodeSize(stack, LAMBDA_UNZIPPED_LIMIT_BYTES + 300_000, modules, 'linux-arm64', ['embed', 'multinode-dispatcher'])).toThrow(
      'Sized: the Lambda functions (embed, multinode-dispatcher) would hold 250.3 MB unzipped (the bundle and node_modules with onnxruntime-node@1.22.0 ' +
        'for linux-arm64), over Lambda\'s 250 MB; run the definitions that need these modules on AWS Batch (compute: "batch"), whose containers ' +
        'have no such limit.',
    );
  });
});
