/**
 * The image-resize example (sharp) end to end: `multinode run` locally (a function on the local Lambda, a heavy
 * scheduled task on the local Batch, both with this machine's sharp), then the synthesized assets: the Lambda
 * asset holds sharp for linux-arm64 and no binary of this machine (linux-x64), the Batch download holds the build
 * matching its compute environment's architecture, and a later `cdk synth` needs no network.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { MultinodeAppProps } from '../../constructs/index.js';
import { runCli } from '../helpers/cli.js';
import { asArray, exampleContext, nagFindings, oneResource, policyStatements, REPO, synthApp } from '../constructs/helpers.js';
import { type CfnTemplate, schemaProblems } from '../constructs/cfn-schema.js';
import { bundleFiles, isBundleFile } from '../../runtime/build/bundle.js';
import { useTempNativeCache } from './fixtures.js';

const cache = useTempNativeCache();
const EXAMPLE = path.join(REPO, 'examples/image-resize');
const ENTRY = path.join(EXAMPLE, 'src/app.ts');
const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-image-resize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function elfMachine(file: string): string {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  return ({ 62: 'x64', 183: 'arm64' } as Record<number, string>)[header.readUInt16LE(18)] ?? 'other';
}

describe('multinode run, locally', () => {
  it("resizes in a function on the local Lambda, with the host's sharp", async () => {
    const state = path.join(work, 'state-resize');
    const result = await runCli(['run', ENTRY, 'resize', '--args', '[{"name":"hero","width":200}]', '--state-dir', state], REPO);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'hero',
      width: 200,
      height: 150,
      bytes: expect.any(Number),
      platform: `${process.platform}-${process.arch}`,
    });
  });

  it("runs the heavy nightly task on the local Batch, whose container loads the host's sharp through the archive's links", async () => {
    const state = path.join(work, 'state-nightly');
    const result = await runCli(['run', ENTRY, 'nightlyThumbnails', '--state-dir', state], REPO);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'nightlyThumbnails', outcome: 'SUCCEEDED' });
    expect(`${result.stdout}${result.stderr}`).toContain(`nightlyThumbnails: 3 thumbnails (320x240, 320x240, 320x240) on ${process.platform}-${process.arch}`);
  });
});

/** The files of a synthesized app's assets, by the object key a template names (`<hash>.zip`, `<hash>.gz`). */
function synthesized(props: Partial<MultinodeAppProps> = {}) {
  const made = synthApp(ENTRY, { prefix: 'img', ...props }, { context: exampleContext('image-resize') });
  const assembly = made.app.synth();
  const stack = assembly.getStackByName(made.stack.stackName);
  const assets = JSON.parse(readFileSync(path.join(assembly.directory, `${stack.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const byKey = new Map<string, string>();
  for (const file of Object.values(assets.files)) {
    for (const destination of Object.values(file.destinations)) byKey.set(destination.objectKey, path.join(assembly.directory, file.source.path));
  }
  const lambdaAsset = () => {
    const [, fn] = oneResource(made.template, 'AWS::Lambda::Function', (p) => p.FunctionName === 'img-resize');
    return byKey.get(fn.Code.S3Key)!;
  };
  const batchDownload = () => {
    const [, job] = oneResource(made.template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === 'img-nightlyThumbnails');
    const key = job.ContainerProperties.Environment.find((e: { Name: string }) => e.Name === 'MULTINODE_BUNDLE_KEY').Value;
    return { file: byKey.get(key)!, job };
  };
  return { ...made, lambdaAsset, batchDownload };
}

/** The archive's entries (GNU tar lists it), and its .node files unpacked, with their processors. */
function archiveContents(file: string) {
  const entries = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  const out = path.join(work, `unpacked-${path.basename(file)}`);
  mkdirSync(out, { recursive: true });
  execFileSync('tar', ['-xzf', file, '-C', out]);
  const addons = entries.filter((e) => e.endsWith('.node')).map((e) => elfMachine(path.join(out, e)));
  return { entries, addons };
}

describe('synth', () => {
  it("gives the Lambda functions sharp for linux-arm64 and none of this machine's binaries; Batch (Fargate, x86_64) gets linux-x64", () => {
    const { app, stack, template, lambdaAsset, batchDownload } = synthesized();
    const asset = lambdaAsset();
    // The bundle's files (app.mjs, its chunks, their maps) and node_modules.
    expect(readdirSync(asset).filter((name) => !isBundleFile(name))).toEqual(['node_modules']);
    expect(bundleFiles(asset)).toEqual(expect.arrayContaining(['app.mjs', 'app.mjs.map']));
    expect(bundleFiles(asset).some((name) => name.startsWith('chunk-'))).toBe(true);
    expect(existsSync(path.join(asset, 'node_modules/sharp/package.json'))).toBe(true);
    expect(readdirSync(path.join(asset, 'node_modules/@img')).sort()).toEqual(['colour', 'sharp-libvips-linux-arm64', 'sharp-linux-arm64']);
    const addons = readdirSync(asset, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.node'));
    expect(addons.length).toBeGreaterThan(0);
    expect(addons.map((f) => elfMachine(path.join(asset, f)))).toEqual(addons.map(() => 'arm64'));
    // Every function, the dispatcher too, runs the same code on arm64.
    const functions = Object.values<any>(template.findResources('AWS::Lambda::Function'));
    expect(new Set(functions.map((f) => f.Properties.Code.S3Key)).size).toBe(1);
    expect(functions.every((f) => f.Properties.Architectures[0] === 'arm64')).toBe(true);

    const { file, job } = batchDownload();
    expect(job.ContainerProperties.RuntimePlatform.CpuArchitecture).toBe('X86_64');
    expect(file.endsWith('.tar.gz')).toBe(true);
    const archive = archiveContents(file);
    expect(archive.entries.filter(isBundleFile).sort()).toEqual(bundleFiles(asset));
    expect(archive.entries).toContain('node_modules/@img/sharp-linux-x64/package.json');
    expect(archive.entries.some((e) => e.includes('sharp-linux-arm64'))).toBe(false);
    expect(archive.addons.length).toBeGreaterThan(0);
    expect(archive.addons).toEqual(archive.addons.map(() => 'x64'));
    // The job role may read the archive (the object the job definition names).
    const key = job.ContainerProperties.Environment.find((e: { Name: string }) => e.Name === 'MULTINODE_BUNDLE_KEY').Value;
    const reads = policyStatements(template).filter((s) => asArray(s.Action).includes('s3:GetObject') && JSON.stringify(s.Resource).includes(key));
    expect(reads).toHaveLength(1);
    expect(nagFindings(app, stack)).toEqual([]);
    expect(schemaProblems(template.toJSON() as CfnTemplate)).toEqual([]);
  });

  it('installs for the architectures asked for: x86_64 Lambda functions, arm64 Fargate containers', () => {
    const { lambdaAsset, batchDownload } = synthesized({ lambdaArchitecture: lambda.Architecture.X86_64, batch: { architecture: ecs.CpuArchitecture.ARM64 } });
    expect(readdirSync(path.join(lambdaAsset(), 'node_modules/@img')).sort()).toEqual(['colour', 'sharp-libvips-linux-x64', 'sharp-linux-x64']);
    const { file, job } = batchDownload();
    expect(job.ContainerProperties.RuntimePlatform.CpuArchitecture).toBe('ARM64');
    const archive = archiveContents(file);
    expect(archive.entries).toContain('node_modules/@img/sharp-linux-arm64/package.json');
    expect(archive.entries.some((e) => e.includes('sharp-linux-x64'))).toBe(false);
    expect(archive.addons).toEqual(archive.addons.map(() => 'arm64'));
  });

  it('synthesizes again with `cdk synth` and no network once the modules are installed', async () => {
    // The installs of the tests above are in this file's cache, which the CDK app below uses too.
    expect(readdirSync(cache).length).toBeGreaterThan(0);
    const attempts: string[] = [];
    const proxy = http.createServer((request, response) => {
      attempts.push(`${request.method} ${request.url}`);
      response.destroy();
    });
    proxy.on('connect', (request, socket) => {
      attempts.push(`CONNECT ${request.url}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const out = path.join(work, 'cdk.out');
      const env = { ...process.env, HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl, NO_PROXY: '', no_proxy: '' };
      const { status, output } = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
        const child = spawn(path.join(REPO, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--output', out], {
          cwd: EXAMPLE,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ status: code, output: text }));
      });
      expect(output).not.toMatch(/ERROR|WARN|Validation failed/);
      expect(status).toBe(0);
      expect(attempts).toEqual([]);
      expect(existsSync(path.join(out, 'image-resize.template.json'))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
