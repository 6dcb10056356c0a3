/**
 * Stack traces of errors thrown by user code in the local cloud point at the sources (`app.ts:LINE`), as they do in
 * Lambda with `--enable-source-maps`: in the Lambda workers (worker threads) and in Batch containers (child processes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-source-maps-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const APP = `import * as mn from 'multinode';

export const boom = mn.fn(async (what: string) => {
  throw new Error('kaput ' + what);
});

export const heavyBoom = mn.fn({ compute: 'batch' }, async (what: string) => {
  throw new Error('heavy kaput ' + what);
});

export const api = mn.service({}, async () => {
  throw new Error('service kaput');
});
`;

describe('source-mapped stack traces in the local cloud', () => {
  it('multinode run shows app.ts lines for a function on Lambda and on Batch', async () => {
    const app = tempApp({ 'app.ts': APP }, 'source-maps-run');
    try {
      const stateDir = path.join(scratch, 'run');
      const light = await runCli(['run', app.entry, 'boom', '--args', '["x"]', '--state-dir', stateDir], app.dir);
      expect(light.code).toBe(1);
      expect(light.stderr).toMatch(/multinode: boom failed: Error: kaput x/);
      expect(light.stderr).toContain(`${app.entry}:4:`);
      expect(light.stderr).not.toMatch(/app\.mjs:\d+/);

      const heavy = await runCli(['run', app.entry, 'heavyBoom', '--args', '["y"]', '--state-dir', stateDir], app.dir);
      expect(heavy.code).toBe(1);
      expect(heavy.stderr).toMatch(/multinode: heavyBoom failed: Error: heavy kaput y/);
      expect(heavy.stderr).toContain(`${app.entry}:8:`);
      expect(heavy.stderr).not.toMatch(/app\.mjs:\d+/);
    } finally {
      app.cleanup();
    }
  });

  it("multinode dev logs a service's error with app.ts lines", async () => {
    const app = tempApp({ 'app.ts': APP }, 'source-maps-dev');
    const dev = startCli(['dev', app.entry, '--port', '0', '--no-schedules', '--state-dir', path.join(scratch, 'dev')], app.dir);
    try {
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      expect((await fetch(url!)).status).toBe(500);
      const [line] = await dev.waitFor(/\[api\].*service kaput.*/);
      expect(line).toMatch(/app\.ts:12:\d+/);
      expect(line).not.toMatch(/app\.mjs:\d+/);
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });
});
