/** The overview: counts of pending, running and failed runs, the scheduled tasks, services, newest runs, definitions. */
import { h, statusBadge, time } from '../dom.js';
import type { Status } from '../types.js';
import { hrefWith, live, type Page, type PageContext, runsTable } from '../view.js';

export function overviewPage({ app, root }: PageContext): Page {
  const body = h('div', { class: 'live' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('h1', null, `${app.app}: overview`), body);
  const section = live<Status>(
    body,
    () => '/api/status',
    (status) => {
      const definitions = app.definitions.filter((d) => d.kind !== 'service' && d.kind !== 'dict' && d.kind !== 'lock');
      return [
        h(
          'div',
          { class: 'cards' },
          count('pending', 'Pending', status.runs.pending, hrefWith('#/runs', { status: 'PENDING' })),
          count('running', 'Running', status.runs.running, hrefWith('#/runs', { status: 'RUNNING,CANCELLING' })),
          count('failed', 'Failed in the last 24 h', status.runs.failed, hrefWith('#/runs', { status: 'FAILED,TIMED_OUT' })),
        ),
        status.schedules.length > 0
          ? h(
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
                      s.lastRun
                        ? [statusBadge(s.lastRun.status), ' ', time(s.lastRun.scheduledTime ?? s.lastRun.createdAt)]
                        : h('span', { class: 'muted' }, 'none yet'),
                    ),
                  ),
                ),
              ),
            )
          : '',
        status.services.length > 0 ? h('h2', null, 'Services') : '',
        status.services.length > 0
          ? h(
              'ul',
              null,
              status.services.map((s) => h('li', null, `${s.name}: `, h('a', { href: s.url, rel: 'noreferrer' }, s.url))),
            )
          : '',
        h('h2', null, 'Newest runs'),
        runsTable('The 10 newest runs of the app', status.recent, { empty: 'Nothing has run yet.' }),
        h('p', null, h('a', { href: '#/runs' }, 'All runs and jobs →')),
        status.failures.length > 0 ? [h('h2', null, 'Latest failures'), runsTable('The latest failed or timed-out runs', status.failures)] : '',
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
      ];
    },
  );
  return section;
}

function count(kind: string, label: string, n: number, href: string): HTMLElement {
  return h('a', { class: `count ${kind}`, href }, h('span', { class: 'n' }, String(n)), label);
}
