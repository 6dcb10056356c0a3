/**
 * The overview: counts of pending, running and failed runs, the newest runs and the latest failures, the scheduled
 * tasks, services and definitions. Each part shows as soon as its answer comes: the newest runs are one page of the
 * index, the counts read every run of the last 24 hours.
 */
import { h, statusBadge, time } from '../dom.js';
import type { Page as RunsPage, RunRow, Status } from '../types.js';
import { hrefWith, live, type Page, type PageContext, runsTable } from '../view.js';

export function overviewPage({ app, root }: PageContext): Page {
  const placeholder = (text: string) => h('p', { class: 'loading' }, text);
  const counts = h('div', { class: 'live counts' }, placeholder('Counting runs…'));
  const recent = h('div', { class: 'live recent' }, placeholder('Loading the newest runs…'));
  const failures = h('div', { class: 'live failures' });
  const tasks = h('div', { class: 'live tasks' });
  root.append(
    h('h1', null, `${app.app}: overview`),
    counts,
    h('h2', null, 'Newest runs'),
    recent,
    h('p', null, h('a', { href: '#/runs' }, 'All runs and jobs →')),
    failures,
    tasks,
    ...(app.services.length > 0
      ? [
          h('h2', null, 'Services'),
          h(
            'ul',
            null,
            app.services.map((s) => h('li', null, `${s.name}: `, h('a', { href: s.url, rel: 'noreferrer' }, s.url))),
          ),
        ]
      : []),
  );
  const sections = [
    live<RunsPage<RunRow>>(
      recent,
      () => '/api/runs?limit=10',
      (page) => runsTable('The 10 newest runs of the app', page.items, { empty: 'Nothing has run yet.' }),
    ),
    live<RunsPage<RunRow>>(
      failures,
      () => '/api/runs?status=FAILED,TIMED_OUT&limit=5',
      (page) => (page.items.length > 0 ? [h('h2', null, 'Latest failures'), runsTable('The latest failed or timed-out runs', page.items)] : ''),
    ),
    live<Status>(
      counts,
      () => '/api/status',
      (status) => {
        // The tables of the same answer go to their own place, below the runs.
        tasks.replaceChildren(scheduleTable(status), definitionsTable(app, status));
        return h(
          'div',
          { class: 'cards' },
          count('pending', 'Pending', status.runs.pending, hrefWith('#/runs', { status: 'PENDING' })),
          count('running', 'Running', status.runs.running, hrefWith('#/runs', { status: 'RUNNING,CANCELLING' })),
          count('failed', 'Failed in the last 24 h', status.runs.failed, hrefWith('#/runs', { status: 'FAILED,TIMED_OUT' })),
        );
      },
    ),
  ];
  const [newest, ...rest] = sections;
  return {
    async refresh() {
      // The newest runs first: one page of the index, which the slower reads would otherwise hold up locally.
      await newest!.refresh();
      await Promise.all(rest.map((section) => section.refresh()));
    },
  };
}

function count(kind: string, label: string, n: number, href: string): HTMLElement {
  return h('a', { class: `count ${kind}`, href }, h('span', { class: 'n' }, String(n)), label);
}

function scheduleTable(status: Status): HTMLElement | string {
  if (status.schedules.length === 0) return '';
  return h(
    'table',
    null,
    h('caption', null, h('a', { href: '#/schedules' }, 'Scheduled tasks')),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Task', 'When', 'Next run', 'Last run'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      status.schedules.map((s) =>
        h(
          'tr',
          null,
          h('td', null, s.name, s.paused ? [' ', statusBadge('PAUSED')] : ''),
          h('td', null, s.description),
          h('td', null, s.paused ? h('span', { class: 'muted' }, 'paused') : s.nextFireTime ? time(s.nextFireTime) : 'never'),
          h(
            'td',
            null,
            s.lastRun ? [statusBadge(s.lastRun.status), ' ', time(s.lastRun.scheduledTime ?? s.lastRun.createdAt)] : h('span', { class: 'muted' }, 'none yet'),
          ),
        ),
      ),
    ),
  );
}

function definitionsTable(app: PageContext['app'], status: Status): HTMLElement {
  const definitions = app.definitions.filter((d) => d.kind === 'function' || d.kind === 'job' || d.kind === 'schedule');
  return h(
    'div',
    null,
    h('h2', null, 'Definitions'),
    h(
      'table',
      null,
      h('caption', null, 'Functions, jobs and scheduled tasks, with their runs now'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Name', 'Kind', 'Runs on', 'Pending', 'Running', 'Failed (24 h)'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        definitions.map((d) => {
          const counts = status.runsByDefinition[d.name] ?? { pending: 0, running: 0, failed: 0 };
          return h(
            'tr',
            null,
            h('td', null, h('a', { href: hrefWith('#/runs', { name: d.name }) }, d.name)),
            h('td', null, d.kind),
            h('td', null, d.resources ?? d.placement ?? ''),
            h('td', { class: 'num' }, String(counts.pending)),
            h('td', { class: 'num' }, String(counts.running)),
            h('td', { class: 'num' }, String(counts.failed)),
          );
        }),
      ),
    ),
  );
}
