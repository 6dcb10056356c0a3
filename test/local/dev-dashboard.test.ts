/**
 * `multinode dev` serves the dashboard: it prints `dashboard: <url>` with a token, the URL's API answers for the
 * running app (a triggered run shows), the dashboard follows a rebuild (a new definition appears), it stops with dev,
 * `--no-dashboard` serves none, and a wrong `--dashboard-port` is a usage error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { tempApp } from '../helpers/temp-app.js';

const repo = path.resolve(import.meta.dirname, '../..');
const tweetEntry = path.join(repo, 'examples/tweet-summaries/src/app.ts');
const envFile = path.join(repo, 'examples/tweet-summaries/.env.example');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-dev-dashboard-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function api(url: string, pathname: string, token: string | undefined): Promise<{ status: number; body: any }> {
  const origin = new URL(url).origin;
  const response = await fetch(`${origin}${pathname}`, { headers: token ? { 'x-multinode-token': token } : {} });
  return { status: response.status, body: await response.json() };
}

describe('multinode dev serves the dashboard', () => {
  it('prints its URL with a token; the API shows the triggered run; it stops with dev', async () => {
    const dev = startCli(
      ['dev', tweetEntry, '--port', '0', '--env-file', envFile, '--trigger', 'extractSummaries', '--state-dir', path.join(scratch, 'tweets')],
      repo,
    );
    let url: string;
    try {
      [, url] = (await dev.waitFor(/ {2}dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})\n/)) as unknown as [string, string];
      const token = new URL(url).searchParams.get('token')!;
      expect((await fetch(url)).status).toBe(200);
      expect((await api(url, '/api/app', undefined)).status).toBe(401);
      const app = await api(url, '/api/app', token);
      expect(app.body).toMatchObject({ app: 'tweet-summaries', mode: 'local', where: path.join(scratch, 'tweets'), dicts: ['tweet_summaries'] });
      const [, triggered] = (await dev.waitFor(/triggered extractSummaries \(scheduled time (\S+)\)/)) as unknown as [string, string];
      const run = await until(
        () => api(url, `/api/runs/${encodeURIComponent(`extractSummaries@${triggered}`)}`, token),
        (a) => a.status === 200 && a.body.status === 'SUCCEEDED',
        'the triggered run in the dashboard',
      );
      expect(run.body).toMatchObject({ kind: 'schedule', trigger: 'manual' });
      const entries = await api(url, '/api/dicts/tweet_summaries/entries?prefix=cl', token);
      expect(entries.body.items.map((e: any) => e.key)).toEqual(['climate']);
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
    await expect(fetch(url!)).rejects.toThrow();
  });

  it('follows a rebuild: a definition added to the app appears in the dashboard', async () => {
    const source = (extra: string) => `import * as mn from 'multinode';\nexport const api = mn.service({}, () => new Response('ok'));\n${extra}`;
    const app = tempApp({ 'app.ts': source('') }, 'rebuild-dashboard-app');
    const dev = startCli(['dev', app.entry, '--port', '0', '--state-dir', path.join(scratch, 'rebuild')], app.dir);
    try {
      const [, url] = (await dev.waitFor(/dashboard: (\S+)\n/)) as unknown as [string, string];
      const token = new URL(url).searchParams.get('token')!;
      expect((await api(url, '/api/app', token)).body.dicts).toEqual([]);
      writeFileSync(app.entry, source("export const notes = mn.dict<string>('notes');\n"));
      await dev.waitFor(/rebuilt; new invocations run the new code/);
      const after = await api(url, '/api/app', token);
      expect(after.body.dicts).toEqual(['notes']);
      expect((await api(url, '/api/dicts/notes/entries', token)).body).toEqual({ items: [] });
    } finally {
      dev.stop();
      await dev.exit;
      app.cleanup();
    }
  });

  it('--no-dashboard serves none; a wrong --dashboard-port is a usage error', async () => {
    const dev = startCli(['dev', tweetEntry, '--port', '0', '--no-schedules', '--no-dashboard', '--state-dir', path.join(scratch, 'none')], repo);
    try {
      await dev.waitFor(/service api: http/);
      expect(dev.stdout()).not.toMatch(/dashboard:/);
    } finally {
      dev.stop();
      await dev.exit;
    }
    const wrong = await runCli(['dev', tweetEntry, '--dashboard-port', 'any'], repo);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--dashboard-port must be a port number from 0 to 65535 \(0: any free port\), got "any"/);
  });
});
