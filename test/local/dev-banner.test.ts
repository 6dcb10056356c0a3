/** `multinode dev`'s banner: every service, schedule (next time in its zone, by name or abbreviation), function and job. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-dev-banner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('multinode dev banner', () => {
  it('lists jobs too, and shows schedule times with the zone name or a real abbreviation', async () => {
    const app = tempApp(
      {
        'app.ts': `import * as mn from 'multinode';
export const report = mn.fn(async (country: string) => country);
export const crunch = mn.job(async function* (input: { n: number }) { yield input.n; });
export const reindex = mn.job({ maxRetries: 1 }, async () => 'done');
export const paris = mn.schedule({ cron: '0 23 * * *', timezone: 'Europe/Paris' }, async () => undefined);
export const tokyo = mn.schedule({ cron: '0 9 * * *', timezone: 'Asia/Tokyo' }, async () => undefined);
`,
      },
      'banner-app',
    );
    const dev = startCli(['dev', app.entry, '--port', '0', '--state-dir', path.join(scratch, 'state')], app.dir);
    try {
      await dev.waitFor(/Press Ctrl-C to stop/);
      const out = dev.stdout();
      expect(out).toMatch(/ {2}schedule paris: next at \S+ \(\w{3} \d{4}-\d\d-\d\d 23:00 (CET|CEST)\)/);
      expect(out).toMatch(/ {2}schedule tokyo: next at \S+ \(\w{3} \d{4}-\d\d-\d\d 09:00 Asia\/Tokyo\)/);
      expect(out).not.toMatch(/GMT[+-]\d/);
      expect(out).toMatch(/ {2}functions: report \(call one with: multinode run <entry> <name> --args '\[\.\.\.\]'\)/);
      expect(out).toMatch(/ {2}jobs: crunch, reindex \(start one with: multinode run <entry> <name> --args '<input>'\)/);
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });
});
