/**
 * A service that runs long work as a job: `POST /jobs` starts one, `GET /jobs/:id` reports its progress (the job's
 * latest `yield`), `DELETE /jobs/:id` cancels it, `GET /jobs` lists the latest ones. The job stops between frames
 * once it is cancelled (`ctx.signal`), and keeps the progress it made.
 */
import { Hono } from 'hono';
import * as mn from 'multinode';
import { renderFrame } from './render.js';

export interface RenderInput {
  /** Frames to render, 1 to 10,000. */
  frames: number;
  /** Pause after each frame (ms), to watch progress move; default 0. */
  pauseMs?: number;
}

export interface RenderProgress {
  frame: number;
  of: number;
  percent: number;
  checksum: number;
}

export const render = mn.job({ timeout: '15m' }, async function* (input: RenderInput, ctx): AsyncGenerator<RenderProgress> {
  let checksum = 0;
  for (let frame = 1; frame <= input.frames; frame++) {
    if (ctx.signal.aborted) return;
    checksum = (checksum + renderFrame(frame, 200)) % 1_000_003;
    if (input.pauseMs) await new Promise((resolve) => setTimeout(resolve, input.pauseMs));
    yield { frame, of: input.frames, percent: Math.floor((100 * frame) / input.frames), checksum };
  }
});

const app = new Hono();

app.post('/jobs', async (c) => {
  const body = (await c.req.json().catch(() => undefined)) as Partial<RenderInput> | undefined;
  const frames = body?.frames;
  const pauseMs = body?.pauseMs ?? 0;
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1 || frames > 10_000) {
    return c.json({ error: 'send {"frames": n} with n a whole number from 1 to 10000 (and optionally "pauseMs")' }, 400);
  }
  if (typeof pauseMs !== 'number' || pauseMs < 0 || pauseMs > 10_000) return c.json({ error: '"pauseMs" must be a number from 0 to 10000' }, 400);
  const id = await render.start({ frames, pauseMs });
  c.header('Location', `/jobs/${id}`);
  return c.json({ id, status: 'PENDING' }, 202);
});

app.get('/jobs', async (c) => {
  const page = await render.list({ limit: 20 });
  return c.json({ jobs: page.items.map(describe) });
});

app.get('/jobs/:id', async (c) => {
  try {
    return c.json(describe(await render.get(c.req.param('id'))));
  } catch (error) {
    if (error instanceof mn.JobNotFoundError) return c.json({ error: error.message }, 404);
    throw error;
  }
});

app.delete('/jobs/:id', async (c) => {
  const id = c.req.param('id');
  try {
    await render.cancel(id);
    return c.json(describe(await render.get(id)), 202);
  } catch (error) {
    if (error instanceof mn.JobNotFoundError) return c.json({ error: error.message }, 404);
    if (error instanceof mn.RunFinishedError) return c.json({ error: error.message }, 409);
    throw error;
  }
});

function describe(info: mn.RunInfo<RenderProgress>) {
  return {
    id: info.id,
    status: info.status,
    progress: info.result ?? null,
    error: info.error ? `${info.error.type}: ${info.error.message}` : null,
    createdAt: info.createdAt,
    startedAt: info.startedAt ?? null,
    finishedAt: info.finishedAt ?? null,
  };
}

export const api = mn.service({}, app.fetch);
