/**
 * `--json` of the commands that build the app: dev prints one JSON object per line (ready, log, triggered, stopping),
 * token and cdk a JSON object; and `multinode dev` alone finds the package's only app, refusing a second dev of it.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';
import { runCli } from '../helpers/cli.js';

const app = tempApp(
  {
    'src/app.ts': `import * as mn from 'multinode';
export const tick = mn.schedule({ cron: '0 0 * * *' }, async (run) => { run.log.info('ticked'); });
export const members = mn.service({ auth: { jwt: { issuer: 'https://auth.example.com/', audience: ['members-api'] } } }, async () => new Response('hi'));
`,
  },
  'json-app',
);
afterAll(app.cleanup);

/** The JSON objects of a --json output, one per line. */
function events(text: string): Array<Record<string, any>> {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('--json', () => {
  it('dev: one JSON object per line, ready first with the services and schedules, then the lines; dev alone finds the app next time', async () => {
    const dev = startCli(['dev', 'src/app.ts', '--port', '0', '--no-schedules', '--trigger', 'tick', '--json'], app.dir);
    try {
      await dev.waitFor(/"event":"log","source":"tick".*ticked/);
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
    const printed = events(dev.stdout());
    expect(printed[0]).toEqual({ event: 'building', entry: path.join(app.dir, 'src/app.ts') });
    expect(printed[1]).toMatchObject({
      event: 'ready',
      app: 'json-app',
      stateDir: path.join(app.dir, '.multinode', 'src-app.ts'),
      services: [{ name: 'members', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) }],
      schedules: [{ name: 'tick', nextFireTime: null }],
      functions: [],
      jobs: [],
    });
    expect(printed.find((e) => e.event === 'triggered')).toMatchObject({ name: 'tick', scheduledTime: expect.any(String) });
    expect(printed.at(-1)).toEqual({ event: 'stopping' });

    // The package's only app, from its state directory: no entry needed now.
    const again = startCli(['dev', '--port', '0', '--no-schedules'], path.join(app.dir, 'src'));
    try {
      await again.waitFor(/Press Ctrl-C to stop/);
      const second = await runCli(['dev', '--port', '0'], app.dir);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^multinode: multinode dev is already running for src\/app\.ts \(from .*\)\. Use that one, or stop it first/);
    } finally {
      again.stop();
    }
    expect(await again.exit).toBe(0);
  });

  it('token and cdk: a JSON object', async () => {
    const token = await runCli(['token', 'members', '--json', '--expires', '5m'], app.dir);
    expect(token.code).toBe(0);
    const printed = JSON.parse(token.stdout);
    expect(printed).toMatchObject({ service: 'members', token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
    expect(Date.parse(printed.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);

    const cdk = await runCli(['cdk', '--json', '--output', 'out'], app.dir);
    expect(cdk.stderr).toBe('');
    expect(cdk.code).toBe(0);
    expect(JSON.parse(cdk.stdout)).toEqual({ stack: 'json-app', directory: path.join(app.dir, 'out') });
  }, 120_000);
});
