/**
 * The log reader end to end through the local cloud: what a function call, a started run, a job on Lambda and on
 * Batch and a scheduled run write reaches the local CloudWatch Logs (as Lambda and awslogs deliver it), and the
 * runtime's reader reads it back: a run's lines by its id, a definition's lines (Lambda's START/END/REPORT and plain
 * console lines as text), pages with a cursor, filters, following a running job's lines as they come, and the errors
 * of bad queries, missing log groups and missing permissions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import { createContext } from '../../runtime/core/context.js';
import { createLogReader, LogAccessDeniedError, type LogReader, LogReadError } from '../../runtime/logs/reader.js';
import type { LogEntry, RecordEntry, TextEntry } from '../../runtime/logs/entries.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { until } from '../helpers/poll.js';
import { tempApp } from '../helpers/temp-app.js';

const APP = `import * as mn from 'multinode';
import { log } from 'multinode';

export const signals = mn.dict<boolean>('signals');

export const greet = mn.fn(async (name: string) => {
  log.info('greeting', { name });
  console.log('plain line for ' + name);
  return 'hi ' + name;
});

export const started = mn.fn({ maxRetries: 1 }, async (n: number) => {
  log.info('started run', { n });
  if (n === 13) throw new RangeError('unlucky ' + n);
  return n;
});

export const work = mn.job(async function* (input: { n: number }, ctx) {
  ctx.log.info('working', { n: input.n });
  yield { done: 1 };
  ctx.log.warn('done working', { n: input.n });
});

export const heavy = mn.job({ compute: 'batch' }, async function* (input: { n: number }, ctx) {
  ctx.log.info('on batch', { n: input.n });
  console.log('plain batch line ' + input.n);
});

export const ticking = mn.job({ timeout: '2m' }, async function* (input: { key: string }, ctx) {
  for (let i = 1; !(await signals.get(input.key)); i++) {
    ctx.log.info('tick', { i });
    await new Promise((resolve) => setTimeout(resolve, 100));
    yield { ticks: i };
  }
  ctx.log.info('stopped');
});

export const nightly = mn.schedule({ cron: '0 0 * * *' }, async (run) => {
  run.log.info('scheduled', { at: run.scheduledTime.toISOString() });
});
`;

const app = tempApp({ 'app.ts': APP }, 'reader-app');
afterAll(() => app.cleanup());

let t: TestCloud;
let module: Record<string, any>;
let reader: LogReader;

beforeAll(async () => {
  module = await import(app.entry);
  t = await startTestCloud(app.entry, { module });
  reader = createLogReader(t.context);
}, 120_000);
afterAll(async () => {
  reader?.destroy();
  await t?.stop();
});

const records = (entries: LogEntry[]) => entries.filter((e): e is RecordEntry => e.type === 'record');
const texts = (entries: LogEntry[]) => entries.filter((e): e is TextEntry => e.type === 'text');
const messages = (entries: LogEntry[]) => records(entries).map((e) => e.message);

/** Every entry of a query, page after page. */
async function readAll(query: Parameters<LogReader['read']>[0]): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.read({ ...query, ...(cursor ? { cursor } : {}) });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return entries;
}

/** Reads until `test` holds (lines reach CloudWatch Logs shortly after they are written). */
function eventually(query: Parameters<LogReader['read']>[0], test: (entries: LogEntry[]) => boolean, what: string): Promise<LogEntry[]> {
  return until(() => readAll(query), test, what, { timeoutMs: 60_000, intervalMs: 50, show: (entries) => entries.map((e) => e.raw).join('\n') });
}

describe("a function's lines", () => {
  it("are there once the call returns: Lambda's START, the function's lines, END and REPORT, in one stream of the function's group", async () => {
    expect(await module.greet.call('Ada')).toBe('hi Ada');
    const entries = await readAll({ definition: 'greet' });
    const greeting = records(entries).find((e) => e.message === 'greeting' && e.fields.name === 'Ada');
    expect(greeting).toMatchObject({
      level: 'INFO',
      definition: 'greet',
      kind: 'function',
      attempt: 1,
      group: `/aws/lambda/${t.cloud.names.lambdaFunction('greet')}`,
    });
    const requestId = greeting!.requestId!;
    const invocation = entries.filter((e) => e.requestId === requestId || e.raw.includes(requestId) || e.raw === 'plain line for Ada');
    expect(invocation.map((e) => (e.type === 'record' ? e.message : e.raw.split(' ')[0]))).toEqual(['START', 'greeting', 'plain', 'END', 'REPORT']);
    expect(new Set(invocation.map((e) => e.stream)).size).toBe(1);
    expect(greeting!.stream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const [start, , plain, end, report] = invocation as TextEntry[];
    expect(start).toMatchObject({ type: 'text', text: `START RequestId: ${requestId} Version: $LATEST`, requestId, definition: 'greet' });
    expect(plain).toMatchObject({ type: 'text', text: 'plain line for Ada', definition: 'greet' });
    expect(end).toMatchObject({ text: `END RequestId: ${requestId}` });
    const greetDefinition = t.cloud.manifest.definitions.find((d) => d.name === 'greet')!;
    const memory = greetDefinition.compute?.type === 'lambda' ? greetDefinition.compute.memoryMB : undefined;
    expect(report!.text).toMatch(
      new RegExp(
        `^REPORT RequestId: ${requestId}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: ${memory} MB\\tMax Memory Used: \\d+ MB`,
      ),
    );
    // Ascending time.
    expect(invocation.map((e) => e.time)).toEqual([...invocation.map((e) => e.time)].sort((a, b) => a - b));
  });

  it("an environment's first invocation reports its init duration; a failed one the runtime's Invoke Error line", async () => {
    const report = texts(await readAll({ definition: 'greet', filter: 'REPORT' }));
    expect(report.some((e) => /\tInit Duration: \d+\.\d{2} ms$/.test(e.text))).toBe(true);
    await expect(module.started.call(13)).rejects.toThrow(/unlucky 13/);
    // As the Node.js runtime writes it with the Text log format: a console line, read as a record.
    const invokeError = records(await readAll({ definition: 'started', filter: '"Invoke Error"' })).at(-1)!;
    expect(invokeError.raw).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tERROR\tInvoke Error \t\{"errorType":"RangeError","errorMessage":"unlucky 13","stack":\[/,
    );
    expect(invokeError).toMatchObject({
      level: 'ERROR',
      definition: 'started',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      record: { format: 'lambda-text' },
    });
  });
});

describe("a run's lines, by its id", () => {
  it('a started run: its own lines only, with or without its definition; its retry with the error', async () => {
    const [seven, thirteen] = [await module.started.start(7), await module.started.start(13)];
    await module.started.awaitResult(seven);
    await expect(module.started.awaitResult(thirteen)).rejects.toThrow(/unlucky 13/);
    const lines = await eventually({ runId: thirteen }, (e) => messages(e).filter((m) => m === 'started run').length === 2, 'both attempts of run 13');
    expect(records(lines).every((e) => e.runId === thirteen && e.definition === 'started')).toBe(true);
    expect(records(lines).map((e) => [e.message, e.attempt])).toEqual([
      ['started run', 1],
      ['attempt 1 failed; retrying', 1],
      ['started run', 2],
    ]);
    expect(records(lines)[1]!.error).toMatchObject({
      type: 'RangeError',
      message: 'unlucky 13',
      stackTrace: expect.arrayContaining([expect.stringMatching(/RangeError/)]),
    });
    expect(records(lines).map((e) => e.fields.n)).toEqual([13, undefined, 13]);
    const withDefinition = await readAll({ definition: 'started', runId: thirteen });
    expect(withDefinition.map((e) => e.id)).toEqual(lines.map((e) => e.id));
    const seven7 = await eventually({ definition: 'started', runId: seven }, (e) => messages(e).includes('started run'), 'run 7');
    expect(records(seven7).map((e) => [e.runId, e.fields.n])).toEqual([[seven, 7]]);
  });

  it('a filter narrows a run: a JSON pattern joins the run condition, a text pattern is checked against the run here', async () => {
    const id = await module.started.start(13);
    await expect(module.started.awaitResult(id)).rejects.toThrow();
    await eventually({ runId: id }, (e) => messages(e).filter((m) => m === 'started run').length === 2, 'both attempts');
    expect(messages(await readAll({ runId: id, filter: '{ $.level = "WARN" }' }))).toEqual(['attempt 1 failed; retrying']);
    expect(messages(await readAll({ runId: id, filter: '{ $.attempt = 2 }' }))).toEqual(['started run']);
    expect(messages(await readAll({ runId: id, filter: 'unlucky' }))).toEqual(['attempt 1 failed; retrying']);
    // Other runs' lines match the text too; they are not this run's.
    expect(records(await readAll({ definition: 'started', filter: 'unlucky' })).some((e) => e.runId !== id)).toBe(true);
  });

  it('a job on Lambda: its lines before and after a yield', async () => {
    const id = await module.work.start({ n: 5 });
    await module.work.awaitResult(id);
    const lines = await eventually({ runId: id }, (e) => messages(e).includes('done working'), 'the job to log after its yield');
    expect(records(lines).map((e) => [e.message, e.kind, e.runId, e.attempt])).toEqual([
      ['working', 'job', id, 1],
      ['done working', 'job', id, 1],
    ]);
  });

  it("a job on Batch: the container's lines in the app's Batch group, stream <definition>/default/<task id>", async () => {
    const id = await module.heavy.start({ n: 2 });
    await module.heavy.awaitResult(id, { timeout: '60s' });
    const lines = await eventually({ runId: id }, (e) => messages(e).includes('on batch'), 'the container to log');
    const onBatch = records(lines).find((e) => e.message === 'on batch')!;
    expect(onBatch).toMatchObject({ group: t.cloud.names.batchLogGroup, definition: 'heavy', kind: 'job', runId: id, fields: { n: 2 } });
    expect(onBatch.stream).toMatch(/^heavy\/default\/[0-9a-f]{32}$/);
    expect(messages(lines)).toContain(`job started on Batch job ${onBatch.requestId}`);
    // The definition's lines include the container's plain output, named by its stream.
    const plain = texts(await eventually({ definition: 'heavy' }, (e) => texts(e).some((x) => x.text === 'plain batch line 2'), 'the plain line'));
    expect(plain.find((e) => e.text === 'plain batch line 2')).toMatchObject({ definition: 'heavy', stream: onBatch.stream });
  }, 90_000);

  it('a scheduled run: as <task>@<scheduled time>, or its scheduled time with the definition', async () => {
    await t.fire('nightly', new Date('2024-01-01T00:00:00Z'));
    await t.fire('nightly', new Date('2024-01-02T00:00:00Z'));
    const lines = await readAll({ runId: 'nightly@2024-01-01T00:00:00Z' });
    expect(records(lines).map((e) => [e.message, e.kind, e.runId, e.fields.at])).toEqual([
      ['scheduled', 'schedule', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z'],
    ]);
    const same = await readAll({ definition: 'nightly', runId: '2024-01-01T00:00:00.000Z' });
    expect(same.map((e) => e.id)).toEqual(lines.map((e) => e.id));
  });
});

describe('pages, the app and following', () => {
  it('pages of any size give every line once, in time order, however many share a millisecond', async () => {
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => module.greet.call(name)));
    const all = (await reader.read({ definition: 'greet', limit: 10_000 })).entries;
    expect(all.length).toBeGreaterThan(30);
    for (const limit of [1, 3, 7]) {
      const paged = await readAll({ definition: 'greet', limit });
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    }
    expect(all.map((e) => e.time)).toEqual([...all.map((e) => e.time)].sort((a, b) => a - b));
    const since = all[5]!.time;
    expect((await readAll({ definition: 'greet', since, until: since })).every((e) => e.time === since)).toBe(true);
    expect(await readAll({ definition: 'greet', since: new Date(Date.now() + 3600_000) })).toEqual([]);
  });

  it("the app's lines: every definition's, each named", async () => {
    const entries = await readAll({ filter: '{ $.level = "INFO" }' });
    const definitions = new Set(records(entries).map((e) => e.definition));
    for (const name of ['greet', 'started', 'work', 'heavy', 'nightly']) expect(definitions).toContain(name);
    const plain = texts(await readAll({ filter: '"plain batch line"' }));
    expect(plain[0]).toMatchObject({ definition: 'heavy' });
  });

  it("follows a running job's lines as they come, each once, until aborted", async () => {
    const key = `stop-${Date.now()}`;
    const id = await module.ticking.start({ key });
    const controller = new AbortController();
    const deadline = AbortSignal.timeout(60_000);
    const seen: RecordEntry[] = [];
    let stopped = false;
    for await (const entry of reader.follow({ runId: id, pollMs: 50, signal: AbortSignal.any([controller.signal, deadline]) })) {
      if (entry.type !== 'record') continue;
      seen.push(entry);
      // Ticks arrive while the job runs; after the third, the test lets it finish.
      if (entry.message === 'tick' && entry.fields.i === 3 && !stopped) {
        stopped = true;
        await module.signals.set(key, true);
      }
      if (entry.message === 'stopped') controller.abort();
    }
    expect(deadline.aborted).toBe(false);
    const ticks = seen.filter((e) => e.message === 'tick').map((e) => e.fields.i as number);
    expect(ticks.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(seen.at(-1)).toMatchObject({ message: 'stopped', runId: id });
    await module.ticking.awaitResult(id);
  }, 90_000);
});

describe('bad queries and missing access', () => {
  it.each([
    [{ definition: 'nope' }, /the app "reader-app" has no definition "nope"\. Definitions with logs: greet, started/],
    [{ definition: 'signals' }, /"signals" is a dict, which runs no code and has no logs/],
    [{ limit: 0 }, /limit 0 is not valid: give a whole number from 1 to 10000/],
    [{ limit: 10_001 }, /limit 10001 is not valid/],
    [{ since: 'yesterday' }, /since "yesterday" is not a time/],
    [{ since: 2000, until: 1000 }, /until \(1970-01-01T00:00:01\.000Z\) is before since/],
    [{ runId: 'a"b' }, /runId "a\\"b" is not a run id/],
    [{ runId: 'nightly@2024-01-01T00:00:00Z', definition: 'greet' }, /is a run of nightly, but definition is greet/],
    [{ cursor: 'garbage' }, /cursor is not valid/],
  ])('%j', async (query, message) => {
    const reading = reader.read(query as Parameters<LogReader['read']>[0]);
    await expect(reading).rejects.toThrow(InvalidArgumentError);
    await expect(reading).rejects.toThrow(message);
  });

  it('follow refuses a negative poll interval or lag', async () => {
    await expect(reader.follow({ pollMs: -1 }).next()).rejects.toThrow(/pollMs -1 is not valid/);
    await expect(reader.follow({ lagMs: Number.NaN }).next()).rejects.toThrow(/lagMs NaN is not valid/);
  });

  it("refuses another query's cursor", async () => {
    const page = await reader.read({ definition: 'greet', limit: 1 });
    expect(page.cursor).toBeDefined();
    await expect(reader.read({ definition: 'started', limit: 1, cursor: page.cursor! })).rejects.toThrow(/cursor belongs to another query/);
  });

  it('log groups that do not exist yet read as empty', async () => {
    const elsewhere = createContext({ ...t.cloud.config, prefix: 'not-deployed' }, t.cloud.manifest);
    const empty = createLogReader(elsewhere);
    try {
      expect(await empty.read({ definition: 'greet' })).toEqual({ entries: [] });
      expect(await empty.read({})).toEqual({ entries: [] });
    } finally {
      empty.destroy();
      elsewhere.clients.destroy();
    }
  });

  it('a pattern CloudWatch Logs refuses is a LogReadError naming the group and the pattern', async () => {
    const reading = reader.read({ definition: 'greet', filter: '%gr[e]+t%' });
    await expect(reading).rejects.toThrow(LogReadError);
    await expect(reading).rejects.toThrow(
      new RegExp(`refused the query of /aws/lambda/${t.cloud.names.lambdaFunction('greet')} with the filter pattern %gr\\[e\\]\\+t%`),
    );
  });

  it('missing permissions name the action and the log group', async () => {
    // A CloudWatch Logs that denies every request, as AWS answers a role without logs:FilterLogEvents.
    const server = http.createServer((req, res) => {
      req.resume();
      const body = JSON.stringify({
        __type: 'AccessDeniedException',
        message: 'User: arn:aws:sts::1:assumed-role/ops is not authorized to perform: logs:FilterLogEvents',
      });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new CloudWatchLogsClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    try {
      const reading = createLogReader(t.context, client).read({ definition: 'greet' });
      await expect(reading).rejects.toThrow(LogAccessDeniedError);
      await expect(reading).rejects.toThrow(
        new RegExp(`needs logs:FilterLogEvents on the log group /aws/lambda/${t.cloud.names.lambdaFunction('greet')}, which these credentials may not do`),
      );
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
