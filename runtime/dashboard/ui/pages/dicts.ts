/** Dicts: the app's dicts, one dict's entries a page at a time by key prefix, and an editor for one entry's JSON value. */
import { get, post } from '../api.js';
import { h, json } from '../dom.js';
import type { Page as EntriesPage } from '../types.js';
import { hrefWith, live, type Page, type PageContext, truncate } from '../view.js';

const PAGE_SIZE = 50;
const previous: string[] = [];

export function dictsPage(context: PageContext): Page {
  const { app, route, root } = context;
  const name = route.path[1] ? decodeURIComponent(route.path[1]) : undefined;
  if (!name) {
    root.append(
      h('h1', null, 'Dicts'),
      app.dicts.length === 0
        ? h('p', { class: 'muted' }, 'The app has no dicts.')
        : h(
            'ul',
            null,
            app.dicts.map((d) => h('li', null, h('a', { href: `#/dicts/${encodeURIComponent(d)}` }, d))),
          ),
    );
    return { refresh: async () => undefined };
  }
  return dictPage(context, name);
}

function dictPage({ route, root, notice, refresh }: PageContext, name: string): Page {
  const prefix = route.params.get('prefix') ?? '';
  const cursor = route.params.get('cursor') ?? '';
  if (!cursor) previous.length = 0;
  const base = `#/dicts/${encodeURIComponent(name)}`;
  const go = (changes: Record<string, string>) => {
    location.hash = hrefWith(base, { prefix, cursor, ...changes });
  };
  const api = `/api/dicts/${encodeURIComponent(name)}`;

  const prefixInput = h('input', { id: 'dict-prefix', name: 'prefix', type: 'text', value: prefix });
  const search = h(
    'form',
    { class: 'filters', 'aria-label': 'Browse by key prefix' },
    h('label', { for: 'dict-prefix' }, 'Keys starting with', prefixInput),
    h('button', { type: 'submit' }, 'Browse'),
  );
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    go({ prefix: prefixInput.value, cursor: '' });
  });

  const keyInput = h('input', { id: 'entry-key', name: 'key', type: 'text', size: 40, required: true });
  const valueInput = h('textarea', { id: 'entry-value', name: 'value', spellcheck: 'false', 'aria-describedby': 'entry-help' });
  const editorState = h(
    'p',
    { class: 'muted', id: 'entry-help' },
    'A JSON value. Dates, Maps and other values JSON cannot hold show as {"$t": type, "v": ...}; keep that form to keep their type.',
  );
  const save = h('button', { type: 'submit' }, 'Save');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const load = async (key: string) => {
    const { data } = await get<{ key: string; found: boolean; value?: unknown }>(`${api}/entry?key=${encodeURIComponent(key)}`);
    keyInput.value = key;
    valueInput.value = data.found ? json(data.value) : '';
    editorState.textContent = data.found ? `Editing "${key}".` : `"${key}" has no value: saving creates it.`;
    valueInput.focus();
    valueInput.setSelectionRange(0, 0);
    valueInput.scrollTop = 0;
  };
  const editor = h(
    'form',
    { class: 'card editor', 'aria-label': 'Edit an entry' },
    h('h2', null, 'Edit an entry'),
    h('label', { for: 'entry-key' }, 'Key', keyInput),
    h('label', { for: 'entry-value' }, 'Value (JSON)', valueInput),
    editorState,
    h('div', { class: 'actions' }, save, remove),
  );
  editor.addEventListener('submit', async (event) => {
    event.preventDefault();
    let value: unknown;
    try {
      value = JSON.parse(valueInput.value);
    } catch (error) {
      notice(`The value is not JSON: ${(error as Error).message}`, 'error');
      return;
    }
    try {
      await post(`${api}/entry`, { key: keyInput.value, value });
      notice(`Saved "${keyInput.value}".`, 'ok');
      refresh();
    } catch (error) {
      notice((error as Error).message, 'error');
    }
  });
  remove.addEventListener('click', async () => {
    try {
      const answer = await post<{ deleted: boolean }>(`${api}/delete`, { key: keyInput.value });
      notice(answer.deleted ? `Deleted "${keyInput.value}".` : `"${keyInput.value}" had no value.`, 'ok');
      valueInput.value = '';
      refresh();
    } catch (error) {
      notice((error as Error).message, 'error');
    }
  });

  const body = h('div', { class: 'live' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('h1', null, 'Dict ', h('span', { class: 'mono' }, name)), search, body, editor);
  return live<EntriesPage<{ key: string; value: unknown }>>(
    body,
    () => hrefWith(`${api}/entries`, { prefix, cursor, limit: String(PAGE_SIZE) }),
    (page) => [
      page.items.length === 0
        ? h('p', { class: 'muted' }, prefix ? `No keys start with "${prefix}".` : 'The dict is empty.')
        : h(
            'table',
            null,
            h('caption', null, `Entries${prefix ? ` starting with "${prefix}"` : ''} (in the table's order)`),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Key', 'Value', ''].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              null,
              page.items.map((entry) =>
                h(
                  'tr',
                  { 'data-key': entry.key },
                  h('td', { class: 'key mono' }, entry.key),
                  h('td', null, h('code', { class: 'value-preview' }, truncate(JSON.stringify(entry.value), 300))),
                  h(
                    'td',
                    null,
                    h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${entry.key}`, onclick: () => void load(entry.key) }, 'Edit'),
                  ),
                ),
              ),
            ),
          ),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pages of entries' },
        cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => go({ cursor: previous.pop() ?? '' }) }, '← Previous') : '',
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
              'Next →',
            )
          : '',
      ),
    ],
  );
}
