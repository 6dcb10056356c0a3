/**
 * `multinode run`: calls a function or fires a schedule in the local cloud and prints JSON; exit 1 with the
 * remote error; goes to a running `multinode dev` of the same app when there is one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempApp } from '../helpers/temp-app.js';
import { runCli, startCli } from '../helpers/cli.js';

const repo = path.resolve(import.meta.dirname, '../..');
const countryEntry = path.join(repo, 'examples/country-report/src/app.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-run-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const stateDir = path.join(scratch, 'country');

describe('multinode run', () => {
  it('calls a function and prints its result as JSON', async () => {
    const result = await runCli(['run', countryEntry, 'buildReport', '--args', '["UK"]', '--state-dir', stateDir], repo);
    expect(result.stderr).not.toMatch(/multinode:/);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { country: string; months: number; inflation: { latest: number } };
    expect(report).toMatchObject({ country: 'UK', months: 20, inflation: { latest: 6.7 } });
  });

  it('fires a schedule once and reports the run', async () => {
    const result = await runCli(['run', countryEntry, 'dailyReports', '--state-dir', stateDir], repo);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ multinode: 'schedule', name: 'dailyReports', outcome: 'SUCCEEDED', attempt: 1 });
    expect(result.stderr).toMatch(/\[dailyReports\] dailyReports: stored 5 country reports/);
  });

  it('fires a Batch-placed schedule and waits for its container to finish the run', async () => {
    const app = tempApp(
      {
        'app.ts': `import * as mn from 'multinode';
export const nightly = mn.schedule({ cron: '0 2 * * *', compute: 'batch' }, async (run) => {
  console.log('nightly ran for ' + run.scheduledTime.toISOString());
});
export const broken = mn.schedule({ cron: '0 3 * * *', compute: 'batch' }, async () => { throw new RangeError('disk full'); });
`,
      },
      'run-heavy-schedule',
    );
    try {
      const ok = await runCli(['run', app.entry, 'nightly', '--state-dir', path.join(scratch, 'heavy')], app.dir);
      expect(ok.stderr).not.toMatch(/multinode:/);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ multinode: 'schedule', name: 'nightly', outcome: 'SUCCEEDED', attempts: 1 });
      expect(ok.stderr).toMatch(/nightly ran for /);
      const failed = await runCli(['run', app.entry, 'broken', '--state-dir', path.join(scratch, 'heavy')], app.dir);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/multinode: broken failed: RangeError: disk full/);
      expect(failed.stdout).toBe('');
    } finally {
      app.cleanup();
    }
  });

  it('exits 1 with the remote error when the function fails', async () => {
    const result = await runCli(['run', countryEntry, 'buildReport', '--args', '"Atlantis"', '--state-dir', stateDir], repo);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/multinode: buildReport failed: Error: no indicators for country "Atlantis"; known: UK, France/);
    expect(result.stdout).toBe('');
  });

  it('names what it can run when the name is unknown or not runnable', async () => {
    const unknown = await runCli(['run', countryEntry, 'buildReprot', '--state-dir', stateDir], repo);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/the app has no definition named "buildReprot". It can run: buildReport \(function\), dailyReports \(schedule\)/);
    const dict = await runCli(['run', countryEntry, 'daily_country_reports', '--state-dir', stateDir], repo);
    expect(dict.code).toBe(1);
    expect(dict.stderr).toMatch(/"daily_country_reports" is a dict, which run cannot call/);
  });

  it('answers bad arguments with usage errors', async () => {
    const args = await runCli(['run', countryEntry, 'buildReport', '--args', '[oops'], repo);
    expect(args.code).toBe(2);
    expect(args.stderr).toMatch(/--args must be JSON/);
    const missing = await runCli(['run', countryEntry], repo);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing <name> \(the function, job or scheduled task to run\)/);
  });

  it('goes to a running multinode dev of the same app', async () => {
    const app = tempApp(
      {
        'app.ts': `import * as mn from 'multinode';
export const greet = mn.fn(async (name: string) => { console.log('greeting ' + name); return { hello: name, pid: process.pid }; });
`,
      },
      'run-into-dev',
    );
    const devState = path.join(scratch, 'into-dev');
    const dev = startCli(['dev', app.entry, '--port', '0', '--state-dir', devState], app.dir);
    try {
      await dev.waitFor(/Press Ctrl-C to stop/);
      const result = await runCli(['run', app.entry, 'greet', '--args', '["Ada"]', '--state-dir', devState], app.dir);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ hello: 'Ada' });
      await dev.waitFor(/\[greet\] greeting Ada/);
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });
});
