/**
 * The overlap policies driven by the local scheduler on a test clock (its deliveries, not the test's): each 15-minute
 * fire time comes while the last run is still held, and the history says what became of it. Pause under the
 * policies, on the same clock. Real deliveries to the local Lambda workers; the records read through the control plane.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, createControlPlane } from '../../runtime/control/control-plane.js';
import type { RunDetail, RunStatus } from '../../runtime/control/types.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { until } from '../helpers/poll.js';
import { TestClock } from '../helpers/test-clock.js';
import * as app from './fixtures/overlap-app/src/clock-app.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1500, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });
const entry = path.join(import.meta.dirname, 'fixtures/overlap-app/src/clock-app.ts');

const clock = new TestClock('2031-03-01T00:00:30Z');
let t: TestCloud;
let plane: ControlPlane;

beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, schedules: { clock } });
  plane = createControlPlane(t.cloud.connection());
}, 120_000);
afterAll(async () => {
  plane?.close();
  await t?.stop();
});

const at = (hhmm: string) => `2031-03-01T${hhmm}:00.000Z`;
const mark = (what: string, task: string, hhmm: string) => app.marks.get(`${what}/${task}/${at(hhmm)}`);
const openGate = (task: string, hhmm: string) => app.marks.set(`gate/${task}/${at(hhmm)}`, 1);
const started = (task: string, hhmm: string) =>
  until(
    () => mark('started', task, hhmm),
    (v) => v !== undefined,
    `${task}@${hhmm} to start`,
  );

async function record(task: string, hhmm: string, statuses: RunStatus[]): Promise<RunDetail> {
  const id = `${task}@2031-03-01T${hhmm}:00Z`;
  return (await until(
    () => plane.run(id).catch(() => undefined),
    (d) => d !== undefined && statuses.includes(d.status),
    `${id} to be ${statuses.join(' or ')}`,
    { intervalMs: 50 },
  ))!;
}

describe('fire times delivered by the scheduler on a test clock', () => {
  it('skip records SKIPPED, bufferOne keeps one waiting, cancelOther cancels the running run: one run of each at a time', async () => {
    clock.advanceTo('2031-03-01T00:15:30Z');
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) await started(task, '00:15');

    clock.advanceTo('2031-03-01T00:30:30Z');
    expect((await record('quarterSkipping', '00:30', ['SKIPPED'])).error?.message).toMatch(/quarterSkipping@2031-03-01T00:15:00Z was running/);
    expect(await record('quarterBuffering', '00:30', ['PENDING'])).toMatchObject({ trigger: 'scheduled', attempts: 0 });
    expect(await record('quarterCancelling', '00:15', ['CANCELLED'])).toMatchObject({
      error: { message: expect.stringMatching(/a newer fire time, quarterCancelling@2031-03-01T00:30:00Z, came while it ran/) },
    });
    expect(await mark('ended', 'quarterCancelling', '00:15')).toBe('aborted: RunCancelledError');
    await started('quarterCancelling', '00:30');

    clock.advanceTo('2031-03-01T00:45:30Z');
    await record('quarterSkipping', '00:45', ['SKIPPED']);
    expect((await record('quarterBuffering', '00:45', ['SKIPPED'])).error?.message).toMatch(
      /quarterBuffering@2031-03-01T00:30:00Z was already waiting for quarterBuffering@2031-03-01T00:15:00Z/,
    );
    await record('quarterCancelling', '00:30', ['CANCELLED']);
    await started('quarterCancelling', '00:45');

    // The held runs end: the one waiting under bufferOne starts then, and only then.
    expect(await mark('started', 'quarterBuffering', '00:30')).toBeUndefined();
    await openGate('quarterSkipping', '00:15');
    await openGate('quarterBuffering', '00:15');
    await openGate('quarterCancelling', '00:45');
    await record('quarterSkipping', '00:15', ['SUCCEEDED']);
    const first = await record('quarterBuffering', '00:15', ['SUCCEEDED']);
    await started('quarterBuffering', '00:30');
    await openGate('quarterBuffering', '00:30');
    const waited = await record('quarterBuffering', '00:30', ['SUCCEEDED']);
    expect(waited.startedAt!.getTime()).toBeGreaterThanOrEqual(first.endedAt!.getTime());
    await record('quarterCancelling', '00:45', ['SUCCEEDED']);
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) expect(await app.marks.get(`peak/${task}`)).toBe(1);

    // Each fire time once in the history, oldest last.
    const rows = await plane.runs({ name: 'quarterBuffering', since: at('00:00'), until: at('00:59') });
    expect(rows.items.map((r) => [r.id.slice(-9), r.status, r.trigger])).toEqual([
      ['00:45:00Z', 'SKIPPED', 'scheduled'],
      ['00:30:00Z', 'SUCCEEDED', 'scheduled'],
      ['00:15:00Z', 'SUCCEEDED', 'scheduled'],
    ]);
  }, 120_000);

  it('records PAUSED under every policy while paused, with a run held or not, and runs again after resume', async () => {
    clock.advanceTo('2031-03-01T01:00:30Z');
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) await started(task, '01:00');
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) await plane.pause(task);
    clock.advanceTo('2031-03-01T01:15:30Z');
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) {
      expect(await record(task, '01:15', ['PAUSED'])).toMatchObject({ attempts: 0, trigger: 'scheduled' });
      // The held run goes on: a paused fire time neither waits for it nor cancels it.
      expect((await plane.run(`${task}@2031-03-01T01:00:00Z`)).status).toBe('RUNNING');
      await plane.resume(task);
      await openGate(task, '01:00');
      await record(task, '01:00', ['SUCCEEDED']);
    }
    clock.advanceTo('2031-03-01T01:30:30Z');
    for (const task of ['quarterSkipping', 'quarterBuffering', 'quarterCancelling']) {
      await started(task, '01:30');
      await openGate(task, '01:30');
      await record(task, '01:30', ['SUCCEEDED']);
    }
  }, 120_000);
});
