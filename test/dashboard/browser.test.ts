/**
 * The dashboard in a real headless Chromium, over a running local cloud of the test app: each page loads, a
 * triggered scheduled run appears without a reload, a job's progress bar advances and the job is cancelled from its
 * page, a dict value is edited, log lines stream in, and a wrong or missing token is a clear error on the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { type Browser, chromiumMissing, launchChromium } from './chromium.js';
import { app, type DashFixture, startDashApp } from './support.js';

const missing = chromiumMissing();

describe.skipIf(missing)('the dashboard in Chromium', () => {
  let f: DashFixture;
  let browser: Browser;
  beforeAll(async () => {
    [f, browser] = await Promise.all([startDashApp(), launchChromium()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await f?.stop();
  });

  it('opens the overview from the printed URL, keeps the token out of the address bar, and reports how long the first page took', async () => {
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(f.dashboard.url);
    await page.getByRole('heading', { name: 'dash-app: overview' }).waitFor();
    await page.getByRole('table', { name: /Functions, jobs and scheduled tasks/ }).waitFor();
    const firstPageMs = Date.now() - started;
    console.log(`dashboard: first page (overview with its data) in ${firstPageMs} ms`);
    expect(page.url()).toBe(`${f.dashboard.origin}/`);
    expect(await page.getByRole('link', { name: 'Scheduled tasks' }).first().isVisible()).toBe(true);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('shows each page: scheduled tasks, runs and jobs, dicts, logs', async () => {
    const page = await browser.newPage();
    await page.goto(f.dashboard.url);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Scheduled tasks' }).click();
    const morning = page.locator('section[data-task="morning"]');
    await morning.getByText('at 09:30, on Monday to Friday').waitFor();
    expect(await morning.getByText('Europe/London').count()).toBeGreaterThan(0);
    expect(await morning.locator('ol.times li').count()).toBe(5);
    expect(await morning.locator('ol.times li').first().textContent()).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:30 (GMT|BST)/);
    await nav.getByRole('link', { name: 'Runs and jobs' }).click();
    await page.getByRole('heading', { name: 'Runs and jobs' }).waitFor();
    await page.getByLabel('Status').waitFor();
    await nav.getByRole('link', { name: 'Dicts' }).click();
    await page.getByRole('link', { name: 'notes' }).click();
    await page.getByRole('heading', { name: 'Dict notes' }).waitFor();
    await nav.getByRole('link', { name: 'Logs' }).click();
    await page.getByLabel('Filter pattern (CloudWatch Logs)').waitFor();
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a scheduled run triggered with "Run now" appears, then succeeds, without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${f.dashboard.url}#/schedules`);
    const morning = page.locator('section[data-task="morning"]');
    await morning.getByRole('button', { name: 'Run now' }).click();
    const notice = page.getByRole('status');
    await notice.getByText(/morning: a manual run was sent \(morning@/).waitFor();
    const id = /\((morning@[^)]+)\)/.exec((await notice.textContent())!)![1]!;
    const row = morning.locator(`tr[data-run="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.locator('.status', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(2).textContent()).toBe('manual');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it("a job's progress bar advances, and Cancel stops the job", async () => {
    const id = await app.count.start({ steps: 400, stepMs: 100 });
    const page = await browser.newPage();
    await page.goto(`${f.dashboard.url}#/runs?kind=job`);
    const bar = page.locator(`tr[data-run="${id}"] progress`);
    await bar.waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-run="${id}"] a`).click();
    const progress = page.getByRole('progressbar', { name: `progress of count ${id}` });
    await progress.waitFor();
    const first = Number(await progress.getAttribute('value'));
    const advanced = await until(
      async () => Number(await progress.getAttribute('value')),
      (value) => value > first,
      'the progress bar to advance',
    );
    expect(advanced).toBeGreaterThan(first);
    expect(await page.locator('.bar-label').textContent()).toMatch(/% \(\d+ of 400\)$/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.actions .status', { hasText: 'CANCELLED' }).waitFor({ timeout: 30_000 });
    const stoppedAt = Number(await progress.getAttribute('value'));
    expect(stoppedAt).toBeLessThan(100);
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a running scheduled run has Cancel, which sends the cancel', async () => {
    const id = 'morning@2030-01-02T09:30:00Z';
    const page = await browser.newPage();
    const cancels: string[] = [];
    await page.route(`**/api/runs/${encodeURIComponent(id)}`, (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          id,
          name: 'morning',
          kind: 'schedule',
          status: 'RUNNING',
          attempts: 1,
          trigger: 'scheduled',
          createdAt: '2030-01-02T09:30:00.000Z',
        }),
      }),
    );
    await page.route(`**/api/runs/${encodeURIComponent(id)}/cancel`, (route) => {
      cancels.push(route.request().method());
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ id, status: 'CANCELLING' }) });
    });
    await page.goto(`${f.dashboard.url}#/runs/${encodeURIComponent(id)}`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('status').getByText('Cancel sent: the run is CANCELLING.').waitFor();
    expect(cancels).toEqual(['POST']);
    await page.close();
  });

  it('a failed run shows its error with the stack; its logs stream in', async () => {
    const id = await app.fails.start('browser quota');
    const page = await browser.newPage();
    await page.goto(`${f.dashboard.url}#/runs/${id}`);
    await page.locator('.actions .status', { hasText: 'FAILED' }).waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Error' }).waitFor();
    expect(await page.locator('pre.stack').textContent()).toMatch(/browser quota\n\s+at .*app\.ts:\d+/);
    await page.close();

    const counted = await app.count.start({ steps: 3, stepMs: 10 });
    const logs = await browser.newPage();
    await logs.goto(`${f.dashboard.url}#/logs?definition=count&minutes=5`);
    await logs
      .locator('.log .line', { hasText: 'counted' })
      .filter({ hasText: counted.slice(-4) })
      .first()
      .waitFor({ timeout: 30_000 });
    expect(logs.errors).toEqual([]);
    await logs.close();
  });

  it('edits a dict value as JSON, and refuses text that is not JSON', async () => {
    await app.notes.set('greeting', { text: 'hello', count: 1 });
    const page = await browser.newPage();
    await page.goto(`${f.dashboard.url}#/dicts/notes`);
    await page.getByRole('button', { name: 'Edit greeting' }).click();
    const value = page.getByLabel('Value (JSON)');
    await until(
      () => value.inputValue(),
      (text) => text.includes('hello'),
      'the value in the editor',
    );
    await value.fill('{"text": "hello again", "count": 2, "when": {"$t": "Date", "v": "2025-01-01T00:00:00.000Z"}}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved "greeting".').waitFor();
    expect(await app.notes.get('greeting')).toEqual({ text: 'hello again', count: 2, when: new Date('2025-01-01T00:00:00.000Z') });
    await page.locator('tr[data-key="greeting"]', { hasText: 'hello again' }).waitFor();
    await value.fill('{not json');
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .getByText(/The value is not JSON/)
      .waitFor();
    expect(await app.notes.get('greeting')).toMatchObject({ count: 2 });
    await page.close();
  });

  it('shows a status it does not know (from a newer version) as it is, and SKIPPED as a fire time that did not run', async () => {
    const page = await browser.newPage();
    await page.route('**/api/runs?*', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          items: [
            { id: 'morning@2030-01-01T09:30:00Z', name: 'morning', kind: 'schedule', status: 'DEFERRED', attempts: 0, createdAt: '2030-01-01T09:30:00.000Z' },
            { id: 'morning@2030-01-01T08:30:00Z', name: 'morning', kind: 'schedule', status: 'SKIPPED', attempts: 0, createdAt: '2030-01-01T08:30:00.000Z' },
          ],
        }),
      }),
    );
    await page.goto(`${f.dashboard.url}#/runs`);
    const badge = page.locator('tr[data-run="morning@2030-01-01T09:30:00Z"] .status');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('DEFERRED');
    expect(await badge.getAttribute('class')).toBe('status status-other');
    const skipped = page.locator('tr[data-run="morning@2030-01-01T08:30:00Z"] .status');
    expect(await skipped.textContent()).toBe('SKIPPED');
    expect(await skipped.getAttribute('class')).toBe('status status-skipped');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a wrong token, or none, is a clear error on the page', async () => {
    const wrong = await browser.newPage();
    await wrong.goto(`${f.dashboard.origin}/?token=not-the-token`);
    await wrong.getByRole('heading', { name: 'Token refused' }).waitFor();
    expect(await wrong.getByRole('alert').textContent()).toMatch(/is not this dashboard's token\. Open the URL multinode printed at start/);
    await wrong.close();
    const none = await browser.newPage();
    await none.goto(`${f.dashboard.origin}/`);
    await none.getByRole('heading', { name: 'No token' }).waitFor();
    expect(await none.getByRole('alert').textContent()).toMatch(/open the URL multinode printed at start/);
    await none.close();
  });
});
