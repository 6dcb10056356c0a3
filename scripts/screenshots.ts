/**
 * `npm run screenshots`: the dashboard's pictures in docs/images/, made from the examples rather than by hand. It
 * starts job-progress and tweet-summaries in local clouds (in memory), makes some activity through their own services
 * and the dashboard (render jobs, one cancelled; a manual run of the daily task), opens each dashboard in Debian's
 * Chromium and saves a PNG of each page.
 */
import path from 'node:path';
import { type Dashboard, startDashboard } from '../runtime/dashboard/index.js';
import { LocalCloud } from '../runtime/local/cloud.js';
import { launchChromium } from '../test/dashboard/chromium.js';
import { until } from '../test/helpers/poll.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const repo = path.resolve(import.meta.dirname, '..');
const images = path.join(repo, 'docs/images');
const example = (name: string) => path.join(repo, 'examples', name, 'src/app.ts');

/** The fields of the API's answers this script reads. */
interface Answer {
  id: string;
  status: string;
  progress?: { percent?: number };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function get(dashboard: Dashboard, pathname: string): Promise<Answer> {
  const response = await fetch(`${dashboard.origin}${pathname}`, { headers: { 'x-multinode-token': dashboard.token } });
  return response.json();
}

const jobs = await LocalCloud.start({ entry: example('job-progress'), log: () => {} });
const tweets = await LocalCloud.start({
  entry: example('tweet-summaries'),
  log: () => {},
  envFile: path.join(repo, 'examples/tweet-summaries/.env.example'),
});
const jobsDashboard = await startDashboard({ target: () => jobs.connection(), mode: 'local', where: 'examples/job-progress/.multinode' });
const tweetsDashboard = await startDashboard({ target: () => tweets.connection(), mode: 'local', where: 'examples/tweet-summaries/.multinode' });
const browser = await launchChromium();
try {
  // job-progress: jobs started through its own service; one finishes, one is cancelled, one keeps rendering.
  const api = jobs.serviceUrl('api');
  const done = (await post(`${api}/jobs`, { frames: 40, pauseMs: 5 })).id;
  const cancelled = (await post(`${api}/jobs`, { frames: 2000, pauseMs: 50 })).id;
  const running = (await post(`${api}/jobs`, { frames: 3000, pauseMs: 40 })).id;
  await until(
    () => get(jobsDashboard, `/api/runs/${cancelled}`),
    (run) => (run.progress?.percent ?? 0) >= 2,
    'the second job to make progress',
  );
  await post(`${jobsDashboard.origin}/api/runs/${cancelled}/cancel`, {}, { 'x-multinode-token': jobsDashboard.token });
  await until(
    () => get(jobsDashboard, `/api/runs/${done}`),
    (run) => run.status === 'SUCCEEDED',
    'the first job to finish',
  );
  await until(
    () => get(jobsDashboard, `/api/runs/${cancelled}`),
    (run) => run.status === 'CANCELLED',
    'the second job to be cancelled',
  );
  await until(
    () => get(jobsDashboard, `/api/runs/${running}`),
    (run) => (run.progress?.percent ?? 0) >= 12,
    'the third job to be well under way',
  );

  // tweet-summaries: its daily task run now from the dashboard.
  const manual = await post(`${tweetsDashboard.origin}/api/schedules/extractSummaries/trigger`, {}, { 'x-multinode-token': tweetsDashboard.token });
  await until(
    () => get(tweetsDashboard, `/api/runs/${encodeURIComponent(manual.id)}`),
    (run) => run.status === 'SUCCEEDED',
    'the manual run of extractSummaries',
  );

  const shoot = async (
    dashboard: Dashboard,
    hash: string,
    file: string,
    ready: (page: Awaited<ReturnType<typeof browser.newPage>>) => Promise<unknown>,
    fullPage = false,
  ) => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1200, height: 760 });
    await page.goto(`${dashboard.url}${hash}`);
    await ready(page);
    await page.screenshot({ path: path.join(images, file), fullPage });
    if (page.errors.length > 0) throw new Error(`${file}: the page reported errors: ${page.errors.join('; ')}`);
    await page.close();
    console.log(`wrote docs/images/${file}`);
  };

  await shoot(jobsDashboard, '', 'dashboard-overview.png', (page) => page.getByRole('table', { name: /Functions, jobs and scheduled tasks/ }).waitFor());
  await shoot(jobsDashboard, '#/runs?kind=job', 'dashboard-runs.png', (page) => page.locator(`tr[data-run="${running}"] progress`).waitFor());
  await shoot(jobsDashboard, `#/runs/${running}`, 'dashboard-job.png', (page) => page.getByRole('progressbar').waitFor(), true);
  await shoot(tweetsDashboard, '#/schedules', 'dashboard-schedules.png', (page) => page.locator(`tr[data-run="${manual.id}"]`).waitFor());
  await shoot(tweetsDashboard, '#/dicts/tweet_summaries', 'dashboard-dict.png', async (page) => {
    await page.getByRole('button', { name: 'Edit climate' }).click();
    await until(
      () => page.getByLabel('Value (JSON)').inputValue(),
      (text) => text.includes('climate'),
      'the value in the editor',
    );
  });
  await shoot(tweetsDashboard, '#/logs?minutes=60', 'dashboard-logs.png', (page) =>
    page.locator('.log .line', { hasText: 'summarised' }).first().waitFor({ timeout: 30_000 }),
  );
} finally {
  await browser.close();
  await jobsDashboard.close();
  await tweetsDashboard.close();
  await jobs.stop();
  await tweets.stop();
}
