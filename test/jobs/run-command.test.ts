/**
 * `multinode run <entry> <job> --args JSON`: starts the job in the local cloud, prints its progress as it comes
 * (stderr) and its final result (stdout, JSON); exit 1 when it fails; Ctrl-C cancels it. On both placements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1000, pollMaxMs: 50 });
const repo = path.resolve(import.meta.dirname, '../..');
const entry = path.join(repo, 'test/jobs/fixtures/jobs-app/src/app.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-run-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('multinode run <job>', () => {
  for (const job of ['lightCountdown', 'heavyCountdown']) {
    it(`prints progress lines as they come and the final result (${job})`, async () => {
      const result = await runCli(['run', entry, job, '--args', '{"steps": 3, "stepMs": 30}', '--state-dir', path.join(scratch, job)], repo);
      expect(result.stderr).not.toMatch(/^multinode:/m);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ done: 3, of: 3, attempt: 1 });
      const progress = [...result.stderr.matchAll(new RegExp(`\\[${job}\\] progress (\\{.*\\})`, 'g'))].map(
        (m) => (JSON.parse(m[1]!) as { done: number }).done,
      );
      expect(progress[progress.length - 1]).toBe(3);
      expect(progress).toEqual([...progress].sort());
      expect(result.stderr).toMatch(new RegExp(`\\[${job}\\] started job [0-9a-z]{26}`));
      expect(result.stderr).toMatch(new RegExp(`\\[${job}\\] job [0-9a-z]{26} SUCCEEDED after 1 attempt`));
    });
  }

  it('says how many progress values it skipped when the job yields faster than it reads', async () => {
    const steps = 200;
    const result = await runCli(
      ['run', entry, 'lightCountdown', '--args', `{"steps": ${steps}, "stepMs": 0}`, '--state-dir', path.join(scratch, 'fast')],
      repo,
    );
    expect(result.stderr).not.toMatch(/^multinode:/m);
    expect(result.code).toBe(0);
    const lines = [...result.stderr.matchAll(/\[lightCountdown\] progress (\{.*?\})(?: \((\d+) earlier values? skipped\))?$/gm)].map((m) => ({
      done: (JSON.parse(m[1]!) as { done: number }).done,
      skipped: Number(m[2] ?? 0),
    }));
    expect(lines.length).toBeGreaterThan(0);
    // Each line says exactly how many values came between it and the line before; together they account for every yield.
    let previous = 0;
    for (const line of lines) {
      expect(line.skipped, `line for ${line.done}`).toBe(line.done - previous - 1);
      previous = line.done;
    }
    expect(previous).toBe(steps);
    expect(lines.reduce((sum, line) => sum + 1 + line.skipped, 0)).toBe(steps);
    expect(lines.some((line) => line.skipped > 0)).toBe(true);
  });

  it('exits 1 with the job error when it fails', async () => {
    const result = await runCli(['run', entry, 'lightFlaky', '--args', '{"failures": 5}', '--state-dir', path.join(scratch, 'flaky')], repo);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/job [0-9a-z]{26} FAILED after 3 attempts/);
    expect(result.stderr).toMatch(/multinode: lightFlaky failed: Error: attempt 3 failed/);
    expect(result.stdout).toBe('');
  });

  it('cancels the job on Ctrl-C', async () => {
    const cli = startCli(['run', entry, 'lightCountdown', '--args', '{"steps": 1000, "stepMs": 20}', '--state-dir', path.join(scratch, 'cancel')], repo);
    // Progress is polled, so lines may skip a step: wait for any line at 2 or more.
    const progressed = () => [...cli.stderr().matchAll(/progress \{ "done": (\d+),/g)].some((m) => Number(m[1]) >= 2);
    const deadline = Date.now() + 30_000;
    while (!progressed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(progressed()).toBe(true);
    cli.stop();
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toMatch(/job [0-9a-z]{26} CANCELLED/);
    expect(cli.stderr()).toMatch(/multinode: lightCountdown run [0-9a-z]{26} was cancelled/);
  });

  it('refuses more than one input', async () => {
    const result = await runCli(['run', entry, 'lightCountdown', '--args', '[1, 2]', '--state-dir', path.join(scratch, 'usage')], repo);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/takes one input/);
  });
});
