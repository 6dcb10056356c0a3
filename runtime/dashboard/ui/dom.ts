/**
 * Building the page's DOM. Elements are made with `h(tag, attributes, ...children)`; text always goes in as text
 * nodes (never as HTML), so a run's error message or a dict value cannot inject markup.
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (name === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value);
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `container` shows. */
export function show(container: Element, ...children: Child[]): void {
  container.replaceChildren();
  append(container, children);
}

/** `2024-01-01 23:00:05` in the browser's time zone (the title holds the exact ISO time). */
export function time(iso: string | undefined | null): HTMLElement | string {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const text = `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, text);
}

/** `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 4 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** A duration still growing (a running run): ticks every second from `startedAt`. */
export function liveDuration(startedAt: string): HTMLElement {
  const element = h('span', { 'data-since': startedAt }, duration(Date.now() - Date.parse(startedAt)));
  return element;
}

/** Updates every growing duration on the page (called once a second). */
export function tickDurations(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-since]')) {
    element.textContent = duration(Date.now() - Date.parse(element.dataset.since!));
  }
}

const KNOWN_STATUSES = new Set(['PENDING', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'PAUSED', 'SKIPPED']);

/** A status badge; a status this page does not know (from a newer multinode) shows as it is, in a neutral colour. */
export function statusBadge(status: string): HTMLElement {
  const known = KNOWN_STATUSES.has(status);
  return h('span', { class: `status ${known ? `status-${status.toLowerCase()}` : 'status-other'}` }, status);
}

/** A value in the codec's JSON form, pretty-printed. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

/** `#/runs/<id>` with the id encoded (ids of scheduled runs hold `@` and `:`). */
export function runHref(id: string): string {
  return `#/runs/${encodeURIComponent(id)}`;
}

/** `01hqz8m…2ab` for long ids; scheduled runs' `task@time` stay whole. */
export function shortId(id: string): string {
  return id.length === 26 && !id.includes('@') ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
