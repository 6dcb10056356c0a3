/**
 * The dashboard's JSON API over a running local cloud of the test app, as the page uses it: the app, the overview,
 * scheduled tasks (in words, their zone, the next five fire times, last runs, run now, pause and resume), runs and
 * jobs page by page with live job progress, one run with its error and stack, cancel and retry, dicts (browse by
 * prefix, read, set and delete values of any codec type), logs (a page and a stream), ETags, and clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { app, type DashFixture, startDashApp } from './support.js';

let f: DashFixture;
beforeAll(async () => {
  f = await startDashApp();
}, 120_000);
afterAll(async () => {
  await f?.stop();
});

/** Polls a run's page until its status is one of `statuses`. */
async function runUntil(id: string, statuses: string[], timeoutMs = 30_000): Promise<any> {
  const answer = await until(
    () => f.call(`/api/runs/${encodeURIComponent(id)}`),
    (a) => a.status === 200 && statuses.includes(a.body.status),
    `${id} to be ${statuses.join(' or ')}`,
    { timeoutMs, intervalMs: 50 },
  );
  return answer.body;
}

describe('the app and the overview', () => {
  it('describes the app: definitions without their manifests, dicts, services, how often to poll', async () => {
    const { body } = await f.call('/api/app');
    expect(body).toMatchObject({ app: 'dash-app', mode: 'local', pollMs: 300, dicts: ['notes'], services: [{ name: 'api', url: f.t.url('api') }] });
    const count = body.definitions.find((d: any) => d.name === 'count');
    expect(count).toMatchObject({ kind: 'job', placement: 'lambda', resources: expect.stringMatching(/^Lambda/) });
    expect(count.manifest).toBeUndefined();
  });

  it('the overview counts runs; the newest runs and the failures are pages of the runs listing', async () => {
    const id = await app.fails.start('overview failure');
    await runUntil(id, ['FAILED']);
    const { status, body } = await until(
      () => f.call('/api/status'),
      (a) => a.body.runsByDefinition?.fails.failed >= 1,
      'the failure in the counts',
    );
    expect(status).toBe(200);
    expect(body.runs.failed).toBeGreaterThanOrEqual(1);
    expect(body.schedules.map((s: any) => s.name).sort()).toEqual(['hourly', 'morning']);
    expect(body.schedules[0].expressions).toBeUndefined();
    const failures = await until(
      () => f.call('/api/runs?status=FAILED,TIMED_OUT&limit=5'),
      (a) => a.body.items.some((r: any) => r.id === id),
      'the failure in the listing',
    );
    expect(failures.body.items.every((r: any) => r.status === 'FAILED' || r.status === 'TIMED_OUT')).toBe(true);
  });
});

describe('scheduled tasks', () => {
  it('says when each task runs in words, its zone, and its next five fire times on its wall clock', async () => {
    const before = Date.now();
    const { body } = await f.call('/api/schedules');
    const morning = body.schedules.find((s: any) => s.name === 'morning');
    expect(morning).toMatchObject({ words: 'at 09:30, on Monday to Friday', timezone: 'Europe/London', description: 'cron "30 9 * * 1-5" in Europe/London' });
    expect(morning.next).toHaveLength(5);
    for (const next of morning.next) {
      const time = new Date(next.time);
      expect(time.getTime()).toBeGreaterThan(before);
      expect(next.local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:30 (GMT|BST)$/);
    }
    const times = morning.next.map((n: any) => Date.parse(n.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const hourly = body.schedules.find((s: any) => s.name === 'hourly');
    expect(hourly.words).toBe('every hour (wall clock), counted from 2000-01-01 00:00');
    expect(Date.parse(hourly.next[1].time) - Date.parse(hourly.next[0].time)).toBe(3_600_000);
  });

  it('runs a task now: the manual run appears with its status and duration, and its work is done', async () => {
    const triggered = await f.call('/api/schedules/morning/trigger', { body: {} });
    expect(triggered.status).toBe(200);
    expect(triggered.body.id).toMatch(/^morning@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const run = await runUntil(triggered.body.id, ['SUCCEEDED']);
    expect(run).toMatchObject({ kind: 'schedule', trigger: 'manual', attempts: 1, durationMs: expect.any(Number) });
    const { body } = await f.call('/api/schedules');
    const morning = body.schedules.find((s: any) => s.name === 'morning');
    expect(morning.lastRuns[0]).toMatchObject({ id: triggered.body.id, status: 'SUCCEEDED', trigger: 'manual', durationMs: expect.any(Number) });
    expect((await f.call(`/api/dicts/notes/entry?key=${encodeURIComponent(`morning/${run.scheduledTime}`)}`)).body.value).toEqual({
      ran: true,
      trigger: 'morning',
    });
  });

  it('pauses with a reason and resumes', async () => {
    const paused = await f.call('/api/schedules/hourly/pause', { body: { reason: 'migrating' } });
    expect(paused.body).toMatchObject({
      name: 'hourly',
      paused: true,
      changed: true,
      pause: { reason: 'migrating', pausedBy: expect.stringMatching(/^dashboard \(/) },
    });
    let hourly = (await f.call('/api/schedules')).body.schedules.find((s: any) => s.name === 'hourly');
    expect(hourly.paused).toMatchObject({ reason: 'migrating' });
    const resumed = await f.call('/api/schedules/hourly/resume', { body: {} });
    expect(resumed.body).toMatchObject({ paused: false, changed: true });
    hourly = (await f.call('/api/schedules')).body.schedules.find((s: any) => s.name === 'hourly');
    expect(hourly.paused).toBeUndefined();
  });

  it('refuses an unknown task and a bad reason, saying what there is', async () => {
    const unknown = await f.call('/api/schedules/nightly/trigger', { body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: 'UnknownDefinitionError', message: expect.stringContaining('Its scheduled tasks: morning, hourly.') });
    const bad = await f.call('/api/schedules/hourly/pause', { body: { reason: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/"reason" must be a string/);
  });
});

describe('runs and jobs', () => {
  it('a running job shows its progress in the listing and in its page, then is cancelled', async () => {
    const id = await app.count.start({ steps: 200, stepMs: 100 });
    const first = await until(
      () => f.call(`/api/runs/${id}`),
      (a) => a.body.progressBar !== undefined,
      'progress',
    );
    expect(first.body).toMatchObject({ kind: 'job', status: 'RUNNING', progress: { done: expect.any(Number), of: 200 }, maxAttempts: 1 });
    const listed = await f.call('/api/runs?kind=job');
    const row = listed.body.items.find((r: any) => r.id === id);
    expect(row.progressBar.label).toMatch(/^\d+(\.\d)?% \(\d+ of 200\)$/);
    expect(row.durationMs).toBeUndefined();
    const later = await until(
      () => f.call(`/api/runs/${id}`),
      (a) => a.body.progress.done > first.body.progress.done,
      'progress to advance',
    );
    expect(later.body.progressBar.percent).toBeGreaterThan(first.body.progressBar.percent);
    const cancelled = await f.call(`/api/runs/${id}/cancel`, { body: {} });
    expect(cancelled.body).toMatchObject({ id, status: expect.stringMatching(/^CANCELL(ING|ED)$/) });
    const end = await runUntil(id, ['CANCELLED']);
    expect(end.progress.done).toBeLessThan(200);
    const again = await f.call(`/api/runs/${id}/cancel`, { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.type).toBe('RunFinishedError');
  });

  it('progress that is not a count shows as its value', async () => {
    const id = await app.stages.start(null);
    const done = await runUntil(id, ['SUCCEEDED']);
    expect(done.progress).toEqual({ stage: 'unpack', files: 3 });
    expect(done.progressBar).toBeUndefined();
  });

  it('a failed run shows its error with the stack, and retry starts it again as a new run', async () => {
    const id = await app.fails.start('quota of 3 reached');
    const failed = await runUntil(id, ['FAILED']);
    expect(failed.error).toMatchObject({ type: 'QuotaExceeded', message: 'quota of 3 reached' });
    expect(failed.error.stack).toMatch(/quota of 3 reached\n\s+at .*dash-app\/src\/app\.ts:\d+/);
    expect(failed.input).toEqual(['quota of 3 reached']);
    const retried = await f.call(`/api/runs/${id}/retry`, { body: {} });
    expect(retried.body).toMatchObject({ id, newId: expect.stringMatching(/^[0-9a-z]{26}$/) });
    const second = await runUntil(retried.body.newId, ['FAILED']);
    expect(second.input).toEqual(['quota of 3 reached']);
    const refused = await f.call(`/api/runs/${encodeURIComponent(second.id)}/cancel`, { body: {} });
    expect(refused.status).toBe(409);
  });

  it('values of every codec type come in the codec wire form', async () => {
    const when = new Date('2024-01-02T03:04:05.000Z');
    const id = await app.echo.start({ when, tags: new Set(['a']) });
    const done = await runUntil(id, ['SUCCEEDED']);
    expect(done.result).toEqual({ when: { $t: 'Date', v: when.toISOString() }, tags: { $t: 'Set', v: ['a'] } });
  });

  it('pages through runs newest first with a cursor, filtered by name and status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await app.echo.start(i));
    for (const id of ids) await runUntil(id, ['SUCCEEDED']);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.call(`/api/runs?name=echo&status=SUCCEEDED&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((r: any) => r.id));
      cursor = page.body.cursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    const wrong = await f.call('/api/runs?status=DONE');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/"DONE" is not a run status; allowed: PENDING, RUNNING/);
    expect((await f.call('/api/runs?limit=abc')).status).toBe(400);
    expect((await f.call('/api/runs?cursor=nonsense')).status).toBe(400);
  });

  it('an unknown run is a 404 saying how ids look', async () => {
    const answer = await f.call('/api/runs/01hqz8m3kd5t2w9xv7ypq4k2ab');
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toMatch(/No run with id "01hqz8m3kd5t2w9xv7ypq4k2ab".*Run ids are/);
  });
});

describe('dicts', () => {
  it('sets, reads, browses by prefix page by page, and deletes entries, values in the wire form', async () => {
    const date = { $t: 'Date', v: '2025-05-05T05:05:05.000Z' };
    for (let i = 0; i < 5; i++) expect((await f.call('/api/dicts/notes/entry', { body: { key: `user/${i}`, value: { n: i, at: date } } })).status).toBe(200);
    await f.call('/api/dicts/notes/entry', { body: { key: 'other', value: null } });
    // The app reads the value the dashboard wrote as the same JavaScript value (a Date).
    expect(await app.notes.get('user/3')).toEqual({ n: 3, at: new Date(date.v) });
    expect((await f.call('/api/dicts/notes/entry?key=user%2F3')).body).toEqual({ key: 'user/3', found: true, value: { n: 3, at: date } });
    expect((await f.call('/api/dicts/notes/entry?key=other')).body).toEqual({ key: 'other', found: true, value: null });
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await f.call(`/api/dicts/notes/entries?prefix=user%2F&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      keys.push(...page.body.items.map((e: any) => e.key));
      cursor = page.body.cursor;
    } while (cursor);
    expect(keys.sort()).toEqual(['user/0', 'user/1', 'user/2', 'user/3', 'user/4']);
    expect((await f.call('/api/dicts/notes/delete', { body: { key: 'user/0' } })).body).toEqual({ key: 'user/0', deleted: true });
    expect((await f.call('/api/dicts/notes/delete', { body: { key: 'user/0' } })).body).toEqual({ key: 'user/0', deleted: false });
  });

  it('refuses bad input: a missing value, a malformed tagged value, an empty key, an unknown dict', async () => {
    const missing = await f.call('/api/dicts/notes/entry', { body: { key: 'k' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/"value" is missing/);
    const malformed = await f.call('/api/dicts/notes/entry', { body: { key: 'k', value: { $t: 'Date', v: 'yesterday' } } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.type).toBe('CodecError');
    const empty = await f.call('/api/dicts/notes/entry', { body: { key: '', value: 1 } });
    expect(empty.status).toBe(400);
    const unknown = await f.call('/api/dicts/nope/entries');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/Its dicts: notes/);
    expect((await f.call('/api/dicts/notes/entry')).status).toBe(400);
  });
});

describe('live updates', () => {
  it('an unchanged answer is a 304 for the same ETag; a change gives a new one', async () => {
    const first = await f.call('/api/dicts/notes/entries?prefix=etag');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const same = await f.call('/api/dicts/notes/entries?prefix=etag', { headers: { 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(same.body).toBeUndefined();
    await f.call('/api/dicts/notes/entry', { body: { key: 'etag/1', value: 1 } });
    const changed = await f.call('/api/dicts/notes/entries?prefix=etag', { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('logs: a page of a run, and a stream that sends lines as they are written', async () => {
    const id = await app.count.start({ steps: 3, stepMs: 10 });
    await runUntil(id, ['SUCCEEDED']);
    const page = await until(
      () => f.call(`/api/logs?runId=${id}`),
      (a) => a.body.entries?.filter((e: any) => e.message === 'counted').length === 3,
      "the run's three lines",
    );
    expect(page.body.entries[0]).toMatchObject({ definition: 'count', level: 'INFO', runId: id, fields: { done: 1 } });

    const controller = new AbortController();
    const response = await fetch(`${f.dashboard.origin}/api/logs/stream?definition=count&since=${new Date(Date.now() - 1000).toISOString()}`, {
      headers: { 'x-multinode-token': f.dashboard.token },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const second = await app.count.start({ steps: 2, stepMs: 10 });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = Date.now() + 30_000;
    while (!(text.match(new RegExp(`"runId":"${second}"`, 'g'))?.length === 2) && Date.now() < deadline) text += (await reader.read()).value ?? '';
    controller.abort();
    const events = text.split('\n\n').filter((e) => e.includes('event: line'));
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.includes(second))[0]).toMatch(/^id: .+\nevent: line\ndata: \{.*"message":"counted"/);
  });

  it('a stream with a bad query ends with a failure event saying why', async () => {
    const response = await fetch(`${f.dashboard.origin}/api/logs/stream?definition=notes`, { headers: { 'x-multinode-token': f.dashboard.token } });
    const text = await response.text();
    const failure = /event: failure\ndata: (.*)\n\n/.exec(text);
    expect(JSON.parse(failure![1]!)).toEqual({
      type: 'UnknownDefinitionError',
      message: expect.stringContaining('has no function, job, scheduled task or service named "notes" ("notes" is a dict)'),
    });
  });
});
