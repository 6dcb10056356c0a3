/** Runs and jobs, newest first, a page at a time, filtered by definition, kind and status. */
import { h } from '../dom.js';
import type { Page as RunsPage, RunRow } from '../types.js';
import { hrefWith, live, type Page, type PageContext, runsTable } from '../view.js';

const STATUSES = ['PENDING', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'PAUSED'];
const PAGE_SIZE = 50;

/** Cursors of the pages before the one shown, so "Newer" can go back (a cursor only leads to older runs). */
const previous: string[] = [];

export function runsPage({ app, route, root }: PageContext): Page {
  const params = route.params;
  const filters = { name: params.get('name') ?? '', kind: params.get('kind') ?? '', status: params.get('status') ?? '' };
  const cursor = params.get('cursor') ?? '';
  if (!cursor) previous.length = 0;
  const go = (changes: Record<string, string>) => {
    location.hash = hrefWith('#/runs', { ...filters, ...changes });
  };
  const runnable = app.definitions.filter((d) => d.kind === 'function' || d.kind === 'job' || d.kind === 'schedule');
  const select = (id: string, label: string, value: string, options: Array<[string, string]>, key: keyof typeof filters) => {
    const element = h(
      'select',
      { id, name: key },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    );
    element.addEventListener('change', () => go({ [key]: element.value }));
    return h('label', { for: id }, label, element);
  };
  const statusOptions: Array<[string, string]> = [['', 'any'], ...STATUSES.map((s): [string, string] => [s, s])];
  if (filters.status && !statusOptions.some(([v]) => v === filters.status)) statusOptions.push([filters.status, filters.status.replaceAll(',', ' or ')]);
  root.append(
    h('h1', null, 'Runs and jobs'),
    h(
      'form',
      { class: 'filters', 'aria-label': 'Filter the runs' },
      select('filter-name', 'Definition', filters.name, [['', 'all'], ...runnable.map((d): [string, string] => [d.name, `${d.name} (${d.kind})`])], 'name'),
      select(
        'filter-kind',
        'Kind',
        filters.kind,
        [
          ['', 'all'],
          ['function', 'functions'],
          ['job', 'jobs'],
          ['schedule', 'scheduled tasks'],
        ],
        'kind',
      ),
      select('filter-status', 'Status', filters.status, statusOptions, 'status'),
    ),
  );
  const body = h('div', { class: 'live' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(body);
  const path = () => hrefWith('/api/runs', { ...filters, cursor, limit: String(PAGE_SIZE) });
  return live<RunsPage<RunRow>>(body, path, (page) => [
    runsTable(cursor ? 'Older runs' : 'The newest runs', page.items, { empty: cursor ? 'No older runs.' : 'No runs match.' }),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of runs' },
      cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => go({ cursor: previous.pop() ?? '' }) }, '← Newer') : '',
      cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => go({ cursor: '' }) }, 'Newest') : '',
      page.cursor
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                previous.push(cursor);
                go({ cursor: page.cursor! });
              },
            },
            'Older →',
          )
        : '',
      h('span', { class: 'muted' }, `${page.items.length} runs on this page`),
    ),
  ]);
}
