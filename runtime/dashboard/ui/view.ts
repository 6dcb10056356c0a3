/** What every page is made of: its context, live sections that poll, and the shared table of runs. */
import { ApiError, get } from './api.js';
import { type Child, duration, h, liveDuration, runHref, show, shortId, statusBadge, time } from './dom.js';
import type { AppInfo, RunRow } from './types.js';

export interface Route {
  /** `#/runs/abc?x=1` -> ['runs', 'abc'] */
  readonly path: readonly string[];
  readonly params: URLSearchParams;
}

export interface PageContext {
  readonly app: AppInfo;
  readonly route: Route;
  readonly root: HTMLElement;
  /** Says something in the page's live region (read out by screen readers). */
  notice(text: string, kind?: 'ok' | 'error'): void;
  /** Refreshes every live section now (after an action). */
  refresh(): void;
}

export interface Page {
  /** Re-reads what the page shows (called at every poll). */
  refresh(): Promise<void>;
  dispose?(): void;
}

/** A part of a page that shows the answer of `path()` and redraws only when it changed. */
export function live<T>(container: HTMLElement, path: () => string, render: (data: T) => Child): { refresh(): Promise<void> } {
  let shown = false;
  let waiting: { data: T } | undefined;
  return {
    async refresh() {
      try {
        const { data, changed } = await get<T>(path());
        if (changed || !shown || waiting) {
          // Someone is typing in this part: redraw once they leave it.
          if (typing(container)) waiting = { data };
          else {
            show(container, render(data));
            waiting = undefined;
          }
        }
        shown = true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) throw error;
        show(container, errorNotice(error));
        shown = false;
      }
    },
  };
}

function typing(container: HTMLElement): boolean {
  const active = document.activeElement;
  return (
    !!active &&
    container.contains(active) &&
    (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement || active instanceof HTMLSelectElement)
  );
}

export function errorNotice(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'notice error', role: 'alert' }, message);
}

/** The duration of a run: fixed once it ended, growing while it runs. */
export function runDuration(run: RunRow): Child {
  if (run.durationMs !== undefined) return duration(run.durationMs);
  if (run.startedAt && !run.endedAt) return liveDuration(run.startedAt);
  return '';
}

export function progressCell(run: RunRow): Child {
  if (run.progressBar) {
    return h(
      'span',
      { class: 'bar' },
      h('progress', { max: 100, value: run.progressBar.percent, 'aria-label': `progress of ${run.name} ${run.id}` }, `${run.progressBar.percent}%`),
      h('span', { class: 'bar-label' }, run.progressBar.label),
    );
  }
  if (run.progress !== undefined) return h('code', { class: 'value-preview' }, JSON.stringify(run.progress));
  return '';
}

type Column = 'run' | 'definition' | 'kind' | 'status' | 'progress' | 'attempts' | 'created' | 'duration' | 'error';
const ALL_COLUMNS: readonly Column[] = ['run', 'definition', 'kind', 'status', 'progress', 'attempts', 'created', 'duration', 'error'];
const TITLES: Record<Column, string> = {
  run: 'Run',
  definition: 'Definition',
  kind: 'Kind',
  status: 'Status',
  progress: 'Progress',
  attempts: 'Attempts',
  created: 'Created',
  duration: 'Duration',
  error: 'Error',
};

function cell(run: RunRow, column: Column): HTMLElement {
  switch (column) {
    case 'run':
      return h('td', null, h('a', { href: runHref(run.id), class: 'mono' }, shortId(run.id)));
    case 'definition':
      return h('td', null, run.name);
    case 'kind':
      return h('td', null, run.kind, run.trigger === 'manual' ? h('span', { class: 'muted' }, ' (manual)') : '');
    case 'status':
      return h('td', null, statusBadge(run.status));
    case 'progress':
      return h('td', null, progressCell(run));
    case 'attempts':
      return h('td', { class: 'num' }, String(run.attempts));
    case 'created':
      return h('td', null, time(run.scheduledTime ?? run.createdAt));
    case 'duration':
      return h('td', { class: 'num' }, runDuration(run));
    case 'error':
      return h('td', null, run.error ? `${run.error.type}: ${truncate(run.error.message, 120)}` : '');
  }
}

/** A table of runs: each links to its page; active jobs show their progress. A scheduled task's own runs need fewer columns. */
export function runsTable(caption: string, runs: readonly RunRow[], options: { empty?: string; scheduled?: boolean } = {}): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'muted' }, options.empty ?? 'No runs.');
  const columns = options.scheduled ? (['run', 'status', 'kind', 'duration', 'error'] as const) : ALL_COLUMNS;
  return h(
    'table',
    { class: 'runs' },
    h('caption', null, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((column) => h('th', { scope: 'col' }, options.scheduled && column === 'kind' ? 'Trigger' : TITLES[column])),
      ),
    ),
    h(
      'tbody',
      null,
      runs.map((run) =>
        h(
          'tr',
          { 'data-run': run.id },
          columns.map((column) =>
            options.scheduled && column === 'run'
              ? h('td', null, h('a', { href: runHref(run.id) }, time(run.scheduledTime ?? run.createdAt)))
              : options.scheduled && column === 'kind'
                ? h('td', null, run.trigger ?? 'scheduled')
                : cell(run, column),
          ),
        ),
      ),
    ),
  );
}

export function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** `#/runs?name=x&status=FAILED` */
export function hrefWith(base: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}
