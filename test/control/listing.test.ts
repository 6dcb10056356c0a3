/**
 * Listing runs through the control plane, against the local DynamoDB (dynalite) with the real SDK clients: 3,000
 * records written by the runtime's own stores (started runs, jobs, scheduled runs' claims), read by definition (the table's
 * partition), by kind (partitions merged) and across the app (the runsByTime index's shards merged), newest first,
 * in pages with cursors, filtered by status and time; records stored before the index existed; wrong input.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { ControlPlane } from '../../runtime/control/control-plane.js';
import { UnknownDefinitionError, UnknownRunError } from '../../runtime/control/errors.js';
import type { RunSummary, RunsQuery } from '../../runtime/control/types.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { newRunId } from '../../runtime/state/ids.js';
import { shardOf } from '../../runtime/state/run-index.js';
import { inParallel, Seeder, startDynamoControl, type DynamoControl } from './support.js';

const T0 = Date.parse('2030-06-01T12:00:00Z');
const SECOND = 1000;

let fx: DynamoControl;
let plane: ControlPlane;
let seeder: Seeder;
/** Every record seeded: id, definition, time (creation, or scheduled time). */
const seeded: Array<{ id: string; name: string; time: number; status: string }> = [];

/** Every page of `query`, following cursors; checks each page's size. */
async function allPages(query: RunsQuery): Promise<{ rows: RunSummary[]; pages: RunSummary[][] }> {
  const pages: RunSummary[][] = [];
  let cursor: string | undefined;
  do {
    const page = await plane.runs({ ...query, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 50);
    if (page.cursor) expect(page.items.length).toBe(query.limit ?? 50);
    pages.push([...page.items]);
    cursor = page.cursor;
  } while (cursor);
  return { rows: pages.flat(), pages };
}

/** The expected order: newest first by time, then by id. */
function newestFirst(records: typeof seeded): string[] {
  return [...records].sort((a, b) => b.time - a.time || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0)).map((r) => r.id);
}

beforeAll(async () => {
  fx = await startDynamoControl(T0);
  plane = fx.plane;
  seeder = new Seeder(fx.state);
  // 1,800 started runs of echo, one every 4 s over the last 2 hours; every 7th failed, every 5th succeeded.
  const echo = await inParallel(1800, 20, async (i) => {
    const at = T0 - 2 * 3_600_000 + i * 4 * SECOND;
    const id = await seeder.run('echo', at);
    const status = i % 7 === 0 ? 'FAILED' : i % 5 === 0 ? 'SUCCEEDED' : 'PENDING';
    if (status !== 'PENDING') await seeder.endRun('echo', id, at, status);
    return { id, name: 'echo', time: at, status };
  });
  // 700 jobs, every 10 s.
  const jobs = await inParallel(700, 20, async (i) => {
    const at = T0 - 2 * 3_600_000 + i * 10 * SECOND + 7;
    return { id: await seeder.job('lightCount', at), name: 'lightCount', time: at, status: 'PENDING' };
  });
  // 500 scheduled runs of hourly on whole minutes over the last 17 hours (claims by scheduled time), every third failed.
  const claims = await inParallel(500, 20, async (i) => {
    const at = T0 - 17 * 3_600_000 + i * 120 * SECOND;
    const outcome = i % 3 === 0 ? 'FAILED' : 'SUCCEEDED';
    return { id: await seeder.scheduled('hourly', at, outcome), name: 'hourly', time: at, status: outcome };
  });
  seeded.push(...echo, ...jobs, ...claims);
}, 120_000);

afterAll(async () => {
  seeder?.close();
  await fx?.close();
});

describe('by definition (the table)', () => {
  it('lists one function newest first, page by page, each run once', async () => {
    const { rows } = await allPages({ name: 'echo', limit: 37 });
    expect(rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.name === 'echo')));
    expect(rows.every((r) => r.kind === 'function' && r.name === 'echo')).toBe(true);
    const failed = rows.find((r) => r.status === 'FAILED')!;
    expect(failed.error).toMatchObject({ type: 'RangeError', stack: expect.stringContaining('at here') });
    expect(failed.endedAt!.getTime() - failed.startedAt!.getTime()).toBe(10);
    expect(failed.durationMs).toBe(10);
  });

  it('lists a scheduled task by scheduled time, with its trigger and ids of the @ form', async () => {
    const { rows } = await allPages({ name: 'hourly', limit: 25 });
    expect(rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.name === 'hourly')));
    expect(rows[0]).toMatchObject({ kind: 'schedule', trigger: 'scheduled', scheduledTime: expect.any(Date) });
    expect(rows[0]!.id).toBe(`hourly@${rows[0]!.scheduledTime!.toISOString().slice(0, 19)}Z`);
  });

  it('filters by status and time with the same rows the whole listing has', async () => {
    const since = T0 - 3_600_000;
    const until = T0 - 1_800_000;
    const { rows } = await allPages({ name: 'echo', status: 'FAILED', since: new Date(since), until: new Date(until).toISOString(), limit: 3 });
    const expected = seeded.filter((r) => r.name === 'echo' && r.status === 'FAILED' && r.time >= since && r.time <= until);
    expect(expected.length).toBeGreaterThan(3);
    expect(rows.map((r) => r.id)).toEqual(newestFirst(expected));
  });
});

describe('by kind (partitions merged)', () => {
  it('lists every job', async () => {
    const { rows } = await allPages({ kind: 'job', limit: 40 });
    expect(rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.name === 'lightCount')));
  });

  it('lists every scheduled run that failed', async () => {
    const { rows } = await allPages({ kind: 'schedule', status: ['FAILED'] });
    expect(rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.name === 'hourly' && r.status === 'FAILED')));
    expect(rows[0]!.error).toEqual({ type: 'SyntaxError', message: 'broken' });
  });
});

describe('across the app (the index)', () => {
  it('lists every run of every kind newest first, with page boundaries inside shards', async () => {
    const { rows, pages } = await allPages({ limit: 23 });
    expect(rows.map((r) => r.id)).toEqual(newestFirst(seeded));
    // A page ending on a row of one shard and the next starting on the same shard: the cursor resumed inside it.
    const shardOfRow = (row: RunSummary) => shardOf(row.id);
    const inside = pages.slice(1).filter((page, i) => page[0] && shardOfRow(page[0]) === shardOfRow(pages[i]!.at(-1)!));
    expect(inside.length).toBeGreaterThan(0);
  });

  it('filters by status across kinds, and by a time window', async () => {
    const failed = await allPages({ status: 'FAILED', limit: 11 });
    expect(failed.rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.status === 'FAILED')));
    const since = T0 - 90 * 60 * SECOND;
    const until = T0 - 30 * 60 * SECOND;
    const window = await allPages({ since, until, limit: 50 });
    expect(window.rows.map((r) => r.id)).toEqual(newestFirst(seeded.filter((r) => r.time >= since && r.time <= until)));
    // Active runs are looked for over the longest timeout of the app's definitions (15 min) plus an hour: a run's
    // timeout counts from its creation. (These records were given a day to finish, which no definition here allows.)
    const waiting = await allPages({ status: ['PENDING', 'RUNNING'], limit: 100 });
    const activeSince = T0 - (15 * 60 + 3600) * SECOND;
    const pending = seeded.filter((r) => r.status === 'PENDING');
    expect(waiting.rows.map((r) => r.id)).toEqual(newestFirst(pending.filter((r) => r.time >= activeSince)));
    expect(pending.some((r) => r.time < activeSince)).toBe(true);
    const oneJob = await allPages({ name: 'lightCount', status: 'PENDING', limit: 100 });
    expect(oneJob.rows.map((r) => r.id)).toEqual(newestFirst(pending.filter((r) => r.name === 'lightCount' && r.time >= T0 - (120 + 3600) * SECOND)));
  });

  it('shows a run still RUNNING past its deadline as TIMED_OUT, settled as get settles it', async () => {
    // A run claimed (RUNNING) whose executor died: 26 h old, its deadline (a day after creation) passed.
    const at = T0 - 26 * 3_600_000;
    const stale = await seeder.run('echo', at + SECOND);
    await new RunStore('echo', fx.state, seeder.payloads, () => at + SECOND).claim(stale, 'dead-executor');
    const running = await allPages({ status: 'RUNNING' });
    expect(running.rows.map((r) => r.id)).not.toContain(stale);
    const timedOut = await allPages({ status: 'TIMED_OUT' });
    expect(timedOut.rows.map((r) => r.id)).toContain(stale);
    expect((await plane.run(stale)).status).toBe('TIMED_OUT');
    const row = (await plane.runs({ name: 'echo', until: at + 2 * SECOND, limit: 5 })).items.find((r) => r.id === stale);
    expect(row?.status).toBe('TIMED_OUT');
  });
});

describe('records stored before the index', () => {
  it('lists them by definition and finds them by id, but not across the app', async () => {
    const at = T0 - 5 * 60 * SECOND + 3;
    const id = newRunId(at);
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: fx.dynamo.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await client.send(
      new PutItemCommand({
        TableName: fx.state.tableName,
        Item: {
          pk: { S: 'run#echo' },
          sk: { S: id },
          status: { S: 'SUCCEEDED' },
          attempts: { N: '1' },
          createdAt: { N: String(at) },
          startedAt: { N: String(at + 5) },
          finishedAt: { N: String(at + 50) },
          deadline: { N: String(at + 60_000) },
          staleAfterMs: { N: '60000' },
          ttl: { N: '1900000000' },
          args: { S: '["old"]' },
          result: { S: '"kept"' },
        },
      }),
    );
    client.destroy();
    const byName = await plane.runs({ name: 'echo', since: at, until: at });
    expect(byName.items.map((r) => r.id)).toEqual([id]);
    expect(byName.items[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 1, durationMs: 45 });
    expect((await plane.runs({ kind: 'function', since: at, until: at })).items.map((r) => r.id)).toEqual([id]);
    expect((await plane.runs({ since: at, until: at })).items).toEqual([]);
    expect(await plane.run(id)).toMatchObject({ id, name: 'echo', kind: 'function', status: 'SUCCEEDED', input: ['old'], result: 'kept' });
  });
});

describe('wrong input', () => {
  it('refuses a cursor of another query, and strings that are not cursors', async () => {
    const page = await plane.runs({ name: 'echo', limit: 2 });
    await expect(plane.runs({ name: 'hourly', cursor: page.cursor! })).rejects.toThrow(/belongs to another listing/);
    await expect(plane.runs({ name: 'echo', status: 'FAILED', cursor: page.cursor! })).rejects.toThrow(/belongs to another listing/);
    for (const cursor of ['nope', 'eyJ2IjoyfQ', '', '{}']) {
      await expect(plane.runs({ cursor })).rejects.toThrow(InvalidArgumentError);
    }
    // The same query with another page size keeps its cursor; a later `since` than the cursor leaves nothing.
    expect((await plane.runs({ name: 'echo', limit: 5, cursor: page.cursor! })).items).toHaveLength(5);
    const across = await plane.runs({ limit: 2 });
    expect(await plane.runs({ since: T0 + 3_600_000, cursor: across.cursor! })).toEqual({ items: [] });
    expect(await plane.runs({ name: 'echo', since: T0 + 3_600_000, cursor: page.cursor! })).toEqual({ items: [] });
  });

  it('refuses limits, statuses, times, kinds and options it does not know', async () => {
    await expect(plane.runs({ limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 100, got 0/);
    await expect(plane.runs({ limit: 101 })).rejects.toThrow(/got 101/);
    await expect(plane.runs({ status: 'DONE' as never })).rejects.toThrow(/status "DONE" is not one of PENDING/);
    await expect(plane.runs({ status: [] })).rejects.toThrow(/non-empty array/);
    await expect(plane.runs({ since: 'yesterday' })).rejects.toThrow(/since must be a Date, epoch milliseconds or an ISO 8601/);
    await expect(plane.runs({ since: T0, until: T0 - 1 })).rejects.toThrow(/since \(.*\) is after until/);
    await expect(plane.runs({ kind: 'service' as never })).rejects.toThrow(/kind "service" is not one of function, job, schedule/);
    await expect(plane.runs({ name: 'echo', kind: 'job' })).rejects.toThrow(/"echo" is a function, not a job/);
    await expect(plane.runs({ nme: 'echo' } as never)).rejects.toThrow(/unknown option "nme"/);
  });

  it('names the definitions it has when one is unknown or has no runs', async () => {
    const unknown = await plane.runs({ name: 'ehco' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownDefinitionError);
    expect((unknown as Error).message).toMatch(
      /has no function, job or scheduled task named "ehco".*echo, fails, flaky, waits, lightCount, heavyCount, jobFlaky, hourly/,
    );
    await expect(plane.runs({ name: 'marks' })).rejects.toThrow(/"marks" is a dict/);
  });

  it('answers unknown ids with UnknownRunError saying how ids look', async () => {
    for (const id of [newRunId(T0), 'not-an-id', 'hourly@2030-06-01T12:00:00Z', 'nosuch@2030-06-01T12:00:00Z', 'hourly@2030-06-01T12:00:00.5Z']) {
      const error = await plane.run(id).catch((e: unknown) => e);
      expect(error, id).toBeInstanceOf(UnknownRunError);
      expect((error as Error).message).toContain(JSON.stringify(id));
      expect((error as Error).message).toMatch(/Run ids are a started run or job id \(26 characters/);
    }
    expect(((await plane.run('nosuch@2030-06-01T12:00:00Z').catch((e: unknown) => e)) as Error).message).toMatch(/no scheduled task named "nosuch"/);
    await expect(plane.run(42 as never)).rejects.toThrow(InvalidArgumentError);
  });
});

describe('status', () => {
  it('counts waiting and failed runs over the app and per definition', async () => {
    const status = await plane.status();
    const since = T0 - 24 * 3_600_000;
    const failed = seeded.filter((r) => r.status === 'FAILED' && r.time >= since);
    const pending = seeded.filter((r) => r.status === 'PENDING');
    expect(status.runs).toEqual({ pending: pending.length, running: 0, failed: failed.length });
    expect(status.runsByDefinition.echo).toEqual({
      pending: pending.filter((r) => r.name === 'echo').length,
      running: 0,
      failed: failed.filter((r) => r.name === 'echo').length,
    });
    expect(status.runsByDefinition.heavyCount).toEqual({ pending: 0, running: 0, failed: 0 });
    const hourly = status.schedules.find((s) => s.name === 'hourly')!;
    expect(hourly.nextFireTime).toEqual(new Date('2030-06-01T13:00:00Z'));
    expect(hourly.lastRun?.id).toBe(newestFirst(seeded.filter((r) => r.name === 'hourly'))[0]);
    expect(hourly.paused).toBeUndefined();
  });
});
