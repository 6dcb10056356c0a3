/**
 * `multinode run` as a separate process, going to a `multinode dev` running in another: its output is the result and
 * the app's lines, with no AWS SDK notice about the Node.js version (the local cloud keeps that notice out too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { tempApp } from '../helpers/temp-app.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repo, 'bin/multinode.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-run-process-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('multinode run into a running multinode dev, as processes', () => {
  it('prints the result and no Node.js version notice', async () => {
    const app = tempApp(
      { 'app.ts': `import * as mn from 'multinode';\nexport const greet = mn.fn(async (name: string) => ({ hello: name }));\n` },
      'run-process',
    );
    const stateDir = path.join(scratch, 'state');
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const dev = spawn(process.execPath, ['--import', 'tsx', cli, 'dev', app.entry, '--port', '0', '--state-dir', stateDir], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    dev.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await until(
        () => out,
        (text) => text.includes('Press Ctrl-C to stop'),
        'multinode dev to start',
        { timeoutMs: 60_000, show: (text) => text },
      );
      const run = spawnSync(process.execPath, ['--import', 'tsx', cli, 'run', app.entry, 'greet', '--args', '["Ada"]', '--state-dir', stateDir], {
        cwd: repo,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ hello: 'Ada' });
      expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|will require node/);
    } finally {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGINT');
      await exited;
      app.cleanup();
    }
  });
});
