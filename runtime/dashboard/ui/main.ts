/**
 * The dashboard's page: a header with the app and the pages, and the page of the address's hash (`#/runs?status=
 * FAILED`), which polls what it shows while the tab is visible. Bundled by esbuild when the dashboard starts.
 */
import { ApiError, get, initToken, whenRefused } from './api.js';
import { h, show, tickDurations } from './dom.js';
import { dictsPage } from './pages/dicts.js';
import { logsPage } from './pages/logs.js';
import { overviewPage } from './pages/overview.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { schedulesPage } from './pages/schedules.js';
import type { AppInfo } from './types.js';
import type { Page, PageContext, Route } from './view.js';

const PAGES: Array<{ path: string; title: string; make: (context: PageContext) => Page }> = [
  { path: '', title: 'Overview', make: overviewPage },
  { path: 'schedules', title: 'Scheduled tasks', make: schedulesPage },
  { path: 'runs', title: 'Runs and jobs', make: (c) => (c.route.path[1] ? runPage(c) : runsPage(c)) },
  { path: 'dicts', title: 'Dicts', make: dictsPage },
  { path: 'logs', title: 'Logs', make: logsPage },
];

const app = document.getElementById('app')!;
let stopped = false;

function fatal(title: string, message: string): void {
  stopped = true;
  current?.dispose?.();
  show(app, h('main', { class: 'fatal' }, h('h1', null, title), h('div', { class: 'notice error', role: 'alert' }, message)));
  document.title = `multinode dashboard: ${title.toLowerCase()}`;
}

function parseRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  return { path: path.split('/').filter(Boolean), params: new URLSearchParams(query) };
}

let current: Page | undefined;

async function start(): Promise<void> {
  if (!initToken()) {
    fatal('No token', 'This page needs the token of the dashboard: open the URL multinode printed at start (dashboard: http://127.0.0.1:<port>/?token=...).');
    return;
  }
  whenRefused((error) => fatal('Token refused', error.message));
  let info: AppInfo;
  try {
    info = (await get<AppInfo>('/api/app')).data;
  } catch (error) {
    if (!stopped) fatal('The dashboard is not answering', error instanceof Error ? error.message : String(error));
    return;
  }
  const notice = h('div', { class: 'notice-area', role: 'status', 'aria-live': 'polite' });
  const main = h('main', { id: 'main' });
  const links = PAGES.map((page) => h('a', { href: `#/${page.path}`, 'data-page': page.path }, page.title));
  const mode = info.mode === 'local' ? `multinode dev${info.where ? ` (${info.where})` : ''}` : `deployed${info.where ? `: stack ${info.where}` : ''}`;
  show(
    app,
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, info.app),
      h('span', { class: 'mode' }, mode),
      h(
        'nav',
        { class: 'main', 'aria-label': 'Pages' },
        h(
          'ul',
          null,
          links.map((link) => h('li', null, link)),
        ),
      ),
    ),
    h('div', { class: 'wrap' }, notice),
    main,
  );

  const context = (route: Route): PageContext => ({
    app: info,
    route,
    root: main,
    notice(text, kind = 'ok') {
      show(notice, h('div', { class: `notice ${kind}` }, text));
    },
    refresh() {
      void poll();
    },
  });

  const render = () => {
    if (stopped) return;
    current?.dispose?.();
    main.replaceChildren();
    notice.replaceChildren();
    const route = parseRoute();
    const page = PAGES.find((p) => p.path === (route.path[0] ?? '')) ?? PAGES[0]!;
    for (const link of links) {
      if (link.dataset.page === page.path) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${page.title}: ${info.app} (multinode)`;
    current = page.make(context(route));
    void poll();
  };

  let polling = false;
  const poll = async () => {
    if (stopped || polling || !current) return;
    polling = true;
    try {
      await current.refresh();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) console.error(error);
    } finally {
      polling = false;
    }
  };

  window.addEventListener('hashchange', render);
  setInterval(() => {
    if (document.visibilityState === 'visible') void poll();
  }, info.pollMs);
  setInterval(tickDurations, 1000);
  render();
}

void start();
