/**
 * The job-progress example end to end in the local cloud: its service starts a job (POST /jobs), reports its
 * progress (GET /jobs/:id) and cancels it (DELETE /jobs/:id), over HTTP through the local API gateway.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as app from '../../examples/job-progress/src/app.js';
import { until } from '../helpers/poll.js';

process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 2000, pollMaxMs: 100 });
const entry = path.join(import.meta.dirname, '../../examples/job-progress/src/app.ts');

let t: TestCloud;
let base: string;
beforeAll(async () => {
  t = await startTestCloud(entry, { module: app });
  base = t.url('api');
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

interface JobView {
  id: string;
  status: string;
  progress: { frame: number; of: number; percent: number } | null;
  error: string | null;
}

async function getJob(id: string): Promise<{ status: number; body: JobView }> {
  const response = await fetch(`${base}/jobs/${id}`);
  return { status: response.status, body: (await response.json()) as JobView };
}

function untilJob(id: string, test: (job: JobView) => boolean, what: string): Promise<JobView> {
  return until(async () => (await getJob(id)).body, test, `job ${id}: ${what}`);
}

describe('examples/job-progress', () => {
  it('starts a job, reports its progress and its result', async () => {
    const started = await fetch(`${base}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ frames: 20, pauseMs: 10 }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    expect(started.headers.get('location')).toBe(`/jobs/${id}`);
    const running = await untilJob(id, (j) => (j.progress?.frame ?? 0) >= 1, 'progress');
    expect(running.progress!.of).toBe(20);
    const done = await untilJob(id, (j) => j.status === 'SUCCEEDED', 'the end');
    expect(done.progress).toMatchObject({ frame: 20, of: 20, percent: 100 });
    const list = (await (await fetch(`${base}/jobs`)).json()) as { jobs: JobView[] };
    expect(list.jobs.map((j) => j.id)).toContain(id);
  });

  it('cancels a running job: CANCELLING, then CANCELLED with the progress it made', async () => {
    const { id } = (await (await fetch(`${base}/jobs`, { method: 'POST', body: JSON.stringify({ frames: 10_000, pauseMs: 20 }) })).json()) as { id: string };
    await untilJob(id, (j) => (j.progress?.frame ?? 0) >= 2, 'progress');
    const cancel = await fetch(`${base}/jobs/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(202);
    expect(['CANCELLING', 'CANCELLED']).toContain(((await cancel.json()) as JobView).status);
    const cancelled = await untilJob(id, (j) => j.status === 'CANCELLED', 'CANCELLED');
    expect(cancelled.progress!.frame).toBeGreaterThanOrEqual(2);
    expect(cancelled.progress!.frame).toBeLessThan(10_000);
    expect((await fetch(`${base}/jobs/${id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('answers 404 for unknown jobs and 400 for bad requests', async () => {
    expect((await getJob('0000000000zzzzzzzzzzzzzzzz')).status).toBe(404);
    expect((await getJob('nonsense')).status).toBe(404);
    expect((await fetch(`${base}/jobs/0000000000zzzzzzzzzzzzzzzz`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}/jobs`, { method: 'POST', body: '{"frames": 0}' })).status).toBe(400);
    expect((await fetch(`${base}/jobs`, { method: 'POST', body: 'not json' })).status).toBe(400);
  });
});
