/**
 * `multinode dev` end to end, in-process: the README's first command (tweet-summaries with its schedule
 * triggered, then a request to the printed URL), data surviving a restart, rebuild on change, clean stop, and
 * clear errors for bad input (unknown trigger, corrupt or foreign state directory, bad flags).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempApp } from '../helpers/temp-app.js';
import { runCli, startCli } from '../helpers/cli.js';

const repo = path.resolve(import.meta.dirname, '../..');
const tweetEntry = path.join(repo, 'examples/tweet-summaries/src/app.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-dev-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('multinode dev', () => {
  it('runs tweet-summaries: triggers the schedule, serves the summaries, keeps the data across restarts', async () => {
    const stateDir = path.join(scratch, 'tweets');
    const envFile = path.join(repo, 'examples/tweet-summaries/.env.example');
    const dev = startCli(['dev', tweetEntry, '--port', '0', '--env-file', envFile, '--trigger', 'extractSummaries', '--state-dir', stateDir], repo);
    try {
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      await dev.waitFor(/schedule extractSummaries: next at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
      await dev.waitFor(/\[extractSummaries\] summarised 4 subjects from 18 tweets/);
      const summary = (await (await fetch(`${url}/summaries/climate`)).json()) as { subject: string; sources: number; summary: string };
      expect(summary).toMatchObject({ subject: 'climate', sources: 5 });
      expect(summary.summary).toMatch(/record/i);
      expect(((await (await fetch(`${url}/summaries`)).json()) as { subjects: string[] }).subjects.sort()).toEqual(['ai', 'climate', 'football', 'markets']);
      const missing = await fetch(`${url}/summaries/gardening`);
      expect(missing.status).toBe(404);
      await dev.waitFor(/\[api\] GET \/summaries\/gardening 404/);
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
    expect(dev.stdout()).toMatch(/stopping/);

    // Started again without a trigger, the dict still has the summaries.
    const again = startCli(['dev', tweetEntry, '--port', '0', '--no-schedules', '--state-dir', stateDir], repo);
    try {
      const [, url] = await again.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      expect(again.stdout()).toMatch(/schedule extractSummaries: not firing/);
      const response = await fetch(`${url}/summaries/football`);
      expect(response.status).toBe(200);
    } finally {
      again.stop();
    }
    expect(await again.exit).toBe(0);
  });

  it('rebuilds when a source file changes and keeps serving on a broken edit', async () => {
    const source = (greeting: string) =>
      `import * as mn from 'multinode';\nexport const api = mn.service({}, () => new Response(${JSON.stringify(greeting)}));\n`;
    const app = tempApp({ 'app.ts': source('hello v1') }, 'rebuild-app');
    const dev = startCli(['dev', app.entry, '--port', '0', '--state-dir', path.join(scratch, 'rebuild')], app.dir);
    try {
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      expect(await (await fetch(url!)).text()).toBe('hello v1');
      writeFileSync(app.entry, source('hello v2'));
      await dev.waitFor(/rebuilt; new invocations run the new code/);
      expect(await (await fetch(url!)).text()).toBe('hello v2');
      writeFileSync(app.entry, 'export const broken = ;\n');
      await dev.waitFor(/the rebuild failed; still running the previous build/);
      expect(await (await fetch(url!)).text()).toBe('hello v2');
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });

  it('refuses an unknown --trigger, naming the schedules', async () => {
    const result = await runCli(['dev', tweetEntry, '--port', '0', '--trigger', 'nightly', '--state-dir', path.join(scratch, 'unknown-trigger')], repo);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--trigger nightly: the app has no schedule named "nightly"; its schedules: extractSummaries/);
  });

  it('refuses a corrupt state directory with a clear error, and a foreign one', async () => {
    const corrupt = path.join(scratch, 'corrupt');
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(path.join(corrupt, 'state.json'), '{ not json');
    const result = await runCli(['dev', tweetEntry, '--port', '0', '--state-dir', corrupt], repo);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/The state directory .*corrupt: state\.json is not valid JSON/);

    const broken = path.join(scratch, 'broken-db');
    mkdirSync(path.join(broken, 'dynamodb'), { recursive: true });
    writeFileSync(path.join(broken, 'state.json'), JSON.stringify({ multinode: 1, app: 'tweet-summaries' }));
    writeFileSync(path.join(broken, 'dynamodb', 'CURRENT'), 'MANIFEST-999999\n');
    const db = await runCli(['dev', tweetEntry, '--port', '0', '--state-dir', broken], repo);
    expect(db.code).toBe(1);
    expect(db.stderr).toMatch(/The state directory .*dynamodb cannot be opened: .*It may be corrupt/);

    const foreign = path.join(scratch, 'foreign');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const other = await runCli(['dev', tweetEntry, '--port', '0', '--state-dir', foreign], repo);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/is not a multinode state directory .* refusing to write into it/);
  });

  it('answers wrong flags with usage errors', async () => {
    expect((await runCli(['dev'], repo)).stderr).toMatch(/missing <entry>/);
    const port = await runCli(['dev', tweetEntry, '--port', 'eighty'], repo);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port must be a port number/);
    const entry = await runCli(['dev', 'nowhere/app.ts'], repo);
    expect(entry.code).toBe(1);
    expect(entry.stderr).toMatch(/does not exist/);
  });
});

describe('multinode dev as a process', () => {
  it('stops cleanly on Ctrl-C (SIGINT): exit code 0, the port closed', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'bin/multinode.ts'), 'dev', tweetEntry, '--port', '0', '--no-schedules', '--state-dir', path.join(scratch, 'sigint')],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /service api: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`dev exited early (${code}): ${out}`)));
    });
    expect((await fetch(`${url}/summaries`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopping/);
    await expect(fetch(`${url}/summaries`)).rejects.toThrow();
  });
});
