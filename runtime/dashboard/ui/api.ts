/**
 * Talking to the dashboard's server. The token comes once in the page's URL (`/?token=...`); the page keeps it in
 * sessionStorage (this tab only, gone when it closes), removes it from the address bar, and sends it in the
 * `x-multinode-token` header with every call. Reads remember each answer's ETag and send it back (If-None-Match), so
 * an unchanged answer comes back as a 304 and the page does not redraw.
 */
const TOKEN_KEY = 'multinode-dashboard-token';
const TOKEN_HEADER = 'x-multinode-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = null;

/** Takes the token from the URL (and hides it), or from this tab's storage; null when there is none. */
export function initToken(): string | null {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
  token = given ?? sessionStorage.getItem(TOKEN_KEY);
  return token;
}

/** Called when the server refuses the token: every page stops and says so. */
let onRefused: (error: ApiError) => void = () => undefined;
export function whenRefused(handler: (error: ApiError) => void): void {
  onRefused = handler;
}

const cache = new Map<string, { etag: string; data: unknown }>();

/** GET `path`: `changed` is false when the server answered 304 (same as the last answer). */
export async function get<T>(path: string): Promise<{ data: T; changed: boolean }> {
  const cached = cache.get(path);
  const response = await fetch(path, { headers: headers(cached ? { 'If-None-Match': cached.etag } : {}), cache: 'no-store' });
  if (response.status === 304 && cached) return { data: cached.data as T, changed: false };
  const data = await answer<T>(response);
  const etag = response.headers.get('ETag');
  if (etag) cache.set(path, { etag, data });
  return { data, changed: true };
}

/** POST an action with a JSON body. */
export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  return answer<T>(response);
}

/**
 * Follows a log stream (Server-Sent Events read through fetch, which can send the token header): calls `line` for
 * each line, `failure` for an error the server reports; reconnects after a dropped connection until `signal` aborts.
 */
export async function follow(path: string, line: (entry: unknown) => void, failure: (error: ApiError) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal, cache: 'no-store' });
      if (!response.ok || !response.body) {
        await answer(response);
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event?.type === 'line') line(JSON.parse(event.data));
          if (event?.type === 'failure') {
            const error = JSON.parse(event.data) as { type: string; message: string };
            failure(new ApiError(400, error.type, error.message));
            return;
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError) {
        failure(error);
        return;
      }
    }
    // The stream ended (the server restarted, the connection dropped): follow again shortly.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function parseEvent(text: string): { type: string; data: string } | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return data.length > 0 ? { type, data: data.join('\n') } : undefined;
}

function headers(extra: Record<string, string>): Record<string, string> {
  return { ...extra, [TOKEN_HEADER]: token ?? '' };
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(response.status, 'BadAnswer', `The dashboard answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const error = (body as { error?: { type?: string; message?: string } } | undefined)?.error;
    const refused = new ApiError(response.status, error?.type ?? 'Error', error?.message ?? `The dashboard answered ${response.status}.`);
    if (response.status === 401) onRefused(refused);
    throw refused;
  }
  return body as T;
}
