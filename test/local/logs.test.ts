/**
 * Logs end to end through the local cloud: what a function's `log`, a started run, a job's `ctx.log` (on Lambda and
 * in a Batch container), a scheduled run's `run.log` and a service write reaches the cloud's log callback as the
 * runtime's JSON lines (from the workers' and containers' stdout), carrying definition, run id and attempt; and
 * `multinode dev` / `multinode run` print them readably.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogRecord, parseLogLine } from '../../runtime/core/logger.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { tempApp } from '../helpers/temp-app.js';
import { runCli, startCli } from '../helpers/cli.js';

const APP = `import * as mn from 'multinode';
import { log } from 'multinode';

export const greet = mn.fn(async (name: string) => {
  log.info('greeting', { name, detail: { letters: name.length } });
  log.child({ step: 'second' }).warn('careful');
  console.log('plain console line for ' + name);
  return 'hi ' + name;
});

export const started = mn.fn({ maxRetries: 1 }, async (n: number) => {
  log.info('started run', { n });
  return n;
});

export const work = mn.job(async function* (input: { n: number }, ctx) {
  ctx.log.info('x', { n: input.n });
  yield { done: 1 };
  log.info('after the yield');
});

export const heavy = mn.job({ compute: 'batch' }, async function* (input: { n: number }, ctx) {
  ctx.log.info('on batch', { n: input.n });
});

export const nightly = mn.schedule({ cron: '0 0 * * *' }, async (run) => {
  run.log.info('scheduled', { at: run.scheduledTime.toISOString() });
});

export const api = mn.service({}, async (request: Request) => {
  log.info('serving', { path: new URL(request.url).pathname });
  return new Response('ok');
});
`;

const app = tempApp({ 'app.ts': APP }, 'logs-app');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-logs-test-'));
afterAll(() => {
  app.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('log lines through the local cloud', () => {
  const received: Array<{ source: string; line: string }> = [];
  let t: TestCloud;
  let module: Record<string, any>;

  beforeAll(async () => {
    module = await import(app.entry);
    t = await startTestCloud(app.entry, { module, log: (source, line) => received.push({ source, line }) });
  }, 120_000);
  afterAll(() => t?.stop());

  /** The first record with `message` that `source` wrote, once it has arrived. */
  async function record(source: string, message: string): Promise<LogRecord> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const entry of received) {
        if (entry.source !== source) continue;
        const parsed = parseLogLine(entry.line);
        if (parsed?.message === message) return parsed;
      }
      if (Date.now() > deadline)
        throw new Error(`no line "${message}" from ${source}; received:\n${received.map((r) => `[${r.source}] ${r.line}`).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("a function's `log`: one JSON line with the definition, the attempt and the caller's fields as nested JSON", async () => {
    expect(await module.greet.call('Ada')).toBe('hi Ada');
    const line = await record('greet', 'greeting');
    expect(line).toMatchObject({ level: 'INFO', app: 'logs-app', definition: 'greet', kind: 'function', attempt: 1, format: 'json' });
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.fields).toEqual({ name: 'Ada', detail: { letters: 3 } });
    expect(await record('greet', 'careful')).toMatchObject({ level: 'WARN', requestId: line.requestId, fields: { step: 'second' } });
    // A console.log passes through untouched.
    expect(received).toContainEqual({ source: 'greet', line: 'plain console line for Ada' });
  });

  it('a started run: the run id and attempt', async () => {
    const id = await module.started.start(7);
    expect(await module.started.awaitResult(id)).toBe(7);
    expect(await record('started', 'started run')).toMatchObject({ definition: 'started', kind: 'function', runId: id, attempt: 1, fields: { n: 7 } });
  });

  it("a job's `ctx.log` (and `log` after a yield): the job id and attempt", async () => {
    const id = await module.work.start({ n: 1 });
    await module.work.awaitResult(id);
    const line = await record('work', 'x');
    expect(line).toMatchObject({ level: 'INFO', definition: 'work', kind: 'job', runId: id, attempt: 1, fields: { n: 1 } });
    expect(await record('work', 'after the yield')).toMatchObject({ runId: id, attempt: 1, requestId: line.requestId });
  });

  it("a job in a Batch container: the Batch job id as request id, whole lines from the container's stdout", async () => {
    const id = await module.heavy.start({ n: 2 });
    await module.heavy.awaitResult(id, { timeout: '60s' });
    const line = await record('heavy (batch)', 'on batch');
    expect(line).toMatchObject({ definition: 'heavy', kind: 'job', runId: id, attempt: 1, fields: { n: 2 } });
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await record('heavy (batch)', `job started on Batch job ${line.requestId}`)).toMatchObject({ runId: id, requestId: line.requestId });
  }, 90_000);

  it("a scheduled run's `run.log`: the scheduled time (as the event carries it) as run id, and the attempt", async () => {
    await t.fire('nightly', new Date('2024-01-01T00:00:00Z'));
    expect(await record('nightly', 'scheduled')).toMatchObject({
      definition: 'nightly',
      kind: 'schedule',
      runId: '2024-01-01T00:00:00Z',
      attempt: 1,
      fields: { at: '2024-01-01T00:00:00.000Z' },
    });
  });

  it("a service's `log`", async () => {
    expect(await (await fetch(`${t.url('api')}/hello`)).text()).toBe('ok');
    expect(await record('api', 'serving')).toMatchObject({ definition: 'api', kind: 'service', fields: { path: '/hello' } });
  });
});

describe('the CLI prints the lines readably', () => {
  it('multinode dev', async () => {
    const dev = startCli(['dev', app.entry, '--port', '0', '--no-schedules', '--trigger', 'nightly', '--state-dir', path.join(scratch, 'dev')], app.dir);
    try {
      await dev.waitFor(/\[nightly \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ #1\] INFO scheduled \{"at":"\d{4}-/);
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      await fetch(`${url}/readable`);
      await dev.waitFor(/\[api\] INFO serving \{"path":"\/readable"\}/);
      expect(dev.stdout()).not.toMatch(/"timestamp"/);
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
  }, 120_000);

  it('multinode run', async () => {
    const result = await runCli(['run', app.entry, 'greet', '--args', '["Bo"]', '--state-dir', path.join(scratch, 'run')], app.dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toBe('hi Bo');
    expect(result.stderr).toContain('[greet #1] INFO greeting {"name":"Bo","detail":{"letters":2}}\n');
    expect(result.stderr).toContain('[greet #1] WARN careful {"step":"second"}\n');
    expect(result.stderr).toContain('[greet] plain console line for Bo\n');
  }, 120_000);
});
