import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceNames } from '../../lib/naming.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { createControlPlane } from '../../runtime/control/control-plane.js';
import type { RuntimeConfig } from '../../runtime/core/config.js';
import { type Dashboard, startDashboard } from '../../runtime/dashboard/index.js';
import { type LocalDynamo, startDynamo } from '../../runtime/local/dynamodb.js';
import { appTables, createTables } from '../../runtime/local/tables.js';
import { seedRuns } from '../helpers/seed-runs.js';
import { type Browser, chromiumMissing, launchChromium } from './chromium.js';
import { DASH_APP } from './support.js';

const RUNS = 10_000;
const missing = chromiumMissing();

describe.skipIf(missing)(`the dashboard with ${RUNS} runs`, () => {
  let dynamo: LocalDynamo;
  let dashboard: Dashboard;
  let browser: Browser;
  beforeAll(async () => {
    const { manifest } = await loadManifest(DASH_APP);
    dynamo = await startDynamo();
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const config: RuntimeConfig = {
      app: manifest.app.name,
      prefix: 'perf',
      bucket: 'unused-bucket',
      region: 'us-east-1',
      endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9', logs: 'http://127.0.0.1:9' },
      credentials,
    };
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
    await createTables(client, appTables(manifest, resourceNames(config.prefix)));
    client.destroy();
    const plane = createControlPlane({ config, manifest, services: [] });
    const started = Date.now();
    await seedRuns(plane.context.state, { count: RUNS, now: Date.now(), hours: 20, functions: ['echo', 'fails'], job: 'count', task: 'morning' });
    plane.close();
    console.log(`stored ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    [dashboard, browser] = await Promise.all([startDashboard({ target: { config, manifest, services: [] }, mode: 'local' }), launchChromium()]);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await dynamo?.close();
  });

  it('shows the newest 50 runs, then the next 50, and the overview (times reported)', async () => {
    const page = await browser.newPage();
    // A first visit warms the browser itself (its first navigation); the times below are of a page opened after it.
    await page.goto(`${dashboard.url}#/runs`);
    await page.locator('table.runs tbody tr').first().waitFor();
    await page.close();

    const runs = await browser.newPage();
    let started = Date.now();
    await runs.goto(`${dashboard.url}#/runs`);
    await runs.locator('table.runs tbody tr').nth(49).waitFor();
    const firstPage = Date.now() - started;
    const firstIds = await runs.locator('table.runs tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));
    expect(firstIds).toHaveLength(50);
    started = Date.now();
    await runs.getByRole('button', { name: 'Older →' }).click();
    await runs.getByRole('table', { name: 'Older runs' }).locator('tbody tr').nth(49).waitFor();
    const nextPage = Date.now() - started;
    const nextIds = await runs.locator('table.runs tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));
    expect(nextIds).toHaveLength(50);
    expect(nextIds.filter((id) => firstIds.includes(id))).toEqual([]);

    await runs.close();
    const overview = await browser.newPage();
    started = Date.now();
    await overview.goto(dashboard.url);
    await overview.getByRole('table', { name: 'The 10 newest runs of the app' }).waitFor();
    const newestMs = Date.now() - started;
    await overview.getByRole('table', { name: /Functions, jobs and scheduled tasks/ }).waitFor();
    const overviewMs = Date.now() - started;
    // The seed leaves the newest started runs running, except those it ended.
    const running = Array.from({ length: 20 }, (_, k) => RUNS - 20 + k).filter((i) => i % 10 < 6 && i % 100 !== 1 && i % 10 !== 2).length;
    expect(await overview.locator('.count.running .n').textContent()).toBe(String(running));
    const status = await overview.evaluate(() =>
      Math.round(performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/status'))?.duration ?? 0),
    );
    console.log(
      `dashboard with ${RUNS} runs in Chromium: runs page (50 rows) ${firstPage} ms, next page ${nextPage} ms, ` +
        `overview: newest runs ${newestMs} ms, with its 24 h counts ${overviewMs} ms (/api/status ${status} ms)`,
    );
    expect([...runs.errors, ...overview.errors]).toEqual([]);
  });
});
