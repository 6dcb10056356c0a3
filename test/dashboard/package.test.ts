/**
 * The dashboard from the package as users install it: `npm pack`, then `npm install` of the tarball in a new folder
 * (from npm's cache when it can), and `multinode dev` of a small app run by the installed CLI serves the page, its
 * script (bundled at start from the compiled files in the package: it ships no TypeScript sources and nothing is
 * fetched from elsewhere) and its style, and the API with the token.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the packed package', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-packed-'));
  let child: ChildProcess | undefined;

  beforeAll(() => {
    // `npm test` builds dist/ first; a checkout without it is built here.
    if (!existsSync(path.join(repo, 'dist/runtime/dashboard/ui/main.js'))) execFileSync(npm, ['run', 'build'], { cwd: repo, stdio: 'ignore' });
    const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' })) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/runtime/dashboard/ui/main.js');
    expect(files.filter((f) => f.startsWith('runtime/'))).toEqual([]);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'packed-consumer', private: true, type: 'module' }));
    execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', `./${packed[0]!.filename}`], {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    writeFileSync(path.join(dir, 'app.ts'), "import * as mn from 'multinode';\nexport const notes = mn.dict<string>('notes');\n");
  }, 240_000);

  afterAll(() => {
    child?.kill('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  });

  it('multinode dev from the installed package serves the dashboard and its files', async () => {
    const installed = path.join(dir, 'node_modules/multinode');
    expect(readdirSync(path.join(installed, 'dist/runtime/dashboard/ui'))).toContain('main.js');
    expect(existsSync(path.join(installed, 'runtime'))).toBe(false);
    child = spawn(process.execPath, [path.join(installed, 'dist/bin/multinode.js'), 'dev', 'app.ts', '--port', '0', '--no-schedules'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard URL after 90 s:\n${out}`)), 90_000);
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child!.on('exit', (code) => reject(new Error(`multinode dev exited (${code}):\n${out}`)));
    });
    const { origin, searchParams } = new URL(url);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/assets/app.js"');
    const script = await fetch(`${origin}/assets/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const code = await script.text();
    expect(code.length).toBeGreaterThan(5000);
    expect(code).toContain('x-multinode-token');
    expect(code).not.toMatch(/\bimport\s*\(?["']/);
    const style = await fetch(`${origin}/assets/app.css`);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await style.text()).toContain('.status-failed');
    const app = await fetch(`${origin}/api/app`, { headers: { 'x-multinode-token': searchParams.get('token')! } });
    expect(await app.json()).toMatchObject({ app: 'packed-consumer', mode: 'local', dicts: ['notes'] });
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    child = undefined;
  });
});
