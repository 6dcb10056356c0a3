/** Logs: the app's lines as they come (a stream from the server), by definition and CloudWatch Logs filter pattern. */
import { follow } from '../api.js';
import { h, runHref, shortId } from '../dom.js';
import type { LogLine } from '../types.js';
import { errorNotice, hrefWith, type Page, type PageContext } from '../view.js';

/** Lines kept on the page; older ones are dropped as new ones come. */
const KEEP = 1000;
const WINDOWS: Array<[string, string]> = [
  ['5', 'the last 5 minutes'],
  ['15', 'the last 15 minutes'],
  ['60', 'the last hour'],
  ['1440', 'the last 24 hours'],
];

export function logsPage({ app, route, root }: PageContext): Page {
  const params = route.params;
  const definition = params.get('definition') ?? '';
  const filter = params.get('filter') ?? '';
  const minutes = params.get('minutes') ?? '15';
  const definitionSelect = h(
    'select',
    { id: 'logs-definition', name: 'definition' },
    h('option', { value: '' }, 'every definition'),
    app.definitions
      .filter((d) => d.kind === 'function' || d.kind === 'job' || d.kind === 'schedule' || d.kind === 'service')
      .map((d) => h('option', { value: d.name, selected: d.name === definition }, `${d.name} (${d.kind})`)),
  );
  const filterInput = h('input', {
    id: 'logs-filter',
    name: 'filter',
    type: 'text',
    value: filter,
    size: 36,
    placeholder: 'ERROR, "timed out", { $.level = "WARN" }',
  });
  const windowSelect = h(
    'select',
    { id: 'logs-window', name: 'minutes' },
    WINDOWS.map(([v, text]) => h('option', { value: v, selected: v === minutes }, text)),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Which log lines' },
    h('label', { for: 'logs-definition' }, 'Definition', definitionSelect),
    h('label', { for: 'logs-filter' }, 'Filter pattern (CloudWatch Logs)', filterInput),
    h('label', { for: 'logs-window' }, 'From', windowSelect),
    h('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hrefWith('#/logs', { definition: definitionSelect.value, filter: filterInput.value.trim(), minutes: windowSelect.value });
  });
  const since = new Date(Date.now() - Number(minutes) * 60_000).toISOString();
  const panel = logPanel({ definition, filter, since }, 'Lines, oldest first; new lines appear as they are written');
  root.append(h('h1', null, 'Logs'), form, panel.element);
  return { refresh: async () => undefined, dispose: () => panel.stop() };
}

/** A live log view of `query`; `stop()` ends its stream. */
export function logPanel(query: Record<string, string>, title: string): { element: HTMLElement; stop(): void } {
  const controller = new AbortController();
  const lines = h('div', { class: 'log', role: 'log', 'aria-live': 'off', 'aria-label': title, tabindex: 0 });
  const state = h('p', { class: 'muted log-state' }, 'Waiting for lines…');
  const pause = h('button', { type: 'button', class: 'secondary' }, 'Pause');
  let paused = false;
  let count = 0;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
  });
  const clear = h('button', { type: 'button', class: 'secondary', onclick: () => lines.replaceChildren() }, 'Clear');
  const element = h('section', { class: 'logs', 'aria-label': title }, h('h2', null, title), h('div', { class: 'actions' }, pause, clear, state), lines);
  void follow(
    hrefWith('/api/logs/stream', query),
    (entry) => {
      count++;
      state.textContent = `${count} line${count === 1 ? '' : 's'} so far${paused ? ' (paused: new lines are not shown)' : ''}`;
      if (paused) return;
      const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 8;
      lines.append(renderLine(entry as LogLine));
      while (lines.childElementCount > KEEP) lines.firstElementChild!.remove();
      if (atBottom) lines.scrollTop = lines.scrollHeight;
    },
    (error) => {
      state.replaceChildren(errorNotice(error));
    },
    controller.signal,
  );
  return { element, stop: () => controller.abort() };
}

function renderLine(line: LogLine): HTMLElement {
  const at = new Date(line.time);
  const clock = `${at.toTimeString().slice(0, 8)}.${String(at.getMilliseconds()).padStart(3, '0')}`;
  const where = [line.definition ?? '', line.attempt !== undefined ? `#${line.attempt}` : ''].filter(Boolean).join(' ');
  return h(
    'div',
    { class: 'line' },
    h('span', { class: 'time', title: at.toISOString() }, clock),
    ' ',
    h('span', { class: 'def' }, `[${where}]`),
    ' ',
    line.runId ? [h('a', { href: runHref(line.runId) }, shortId(line.runId)), ' '] : '',
    line.level ? [h('span', { class: `lvl-${line.level}` }, line.level), ' '] : '',
    line.text ?? line.message ?? '',
    line.fields ? ` ${JSON.stringify(line.fields)}` : '',
    line.error ? [` ${line.error.type}: ${line.error.message}`, line.error.stack ? h('span', { class: 'stack' }, line.error.stack) : ''] : '',
  );
}
