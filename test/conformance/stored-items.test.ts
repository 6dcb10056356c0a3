/**
 * The item layout stays what a deployed app already stored. Items written the way the runtime wrote them before the
 * document client (hand-built AttributeValue maps, put here with the low-level client) read and update through
 * today's code, and today's code writes the same attribute names with the same types: runs, jobs, schedule claims,
 * concurrency slots and queue entries, locks, and dict entries. New runs, jobs and claims also carry the keys of the
 * runsByTime index (`tpk`, `tsk`), and new claims their `trigger`, `startedAt` and `placement`: attributes added, none
 * changed.
 */
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockUnavailableError } from '../../lib/errors.js';
import { Payloads } from '../../runtime/core/payloads.js';
import { DictClient } from '../../runtime/dicts/dict-client.js';
import { storeValue } from '../../runtime/dicts/items.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { JobStore } from '../../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING } from '../../runtime/jobs/tuning.js';
import { LockClient } from '../../runtime/locks/lock-client.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import { ConcurrencyGate, type Ticket, queueKey, slotKey } from '../../runtime/state/concurrency.js';
import { newRunId } from '../../runtime/state/ids.js';
import { indexPartition, shardOf } from '../../runtime/state/run-index.js';
import { partitionKey } from '../../runtime/state/schema.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { startDynamoFixture, TEST_CREDENTIALS, type DynamoFixture } from './dynamo-support.js';

type Raw = Record<string, AttributeValue>;

const NOW = Date.parse('2030-01-01T00:00:00Z');
const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number | string): AttributeValue => ({ N: String(value) });
const anyS = { S: expect.any(String) };
const anyN = { N: expect.stringMatching(/^\d+$/) };

let fx: DynamoFixture;
let tableName: string;
let state: StateTable;
/** Inline values only: nothing here reaches S3. */
const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: TEST_CREDENTIALS });
const payloads = new Payloads(s3, 'unused');

beforeAll(async () => {
  fx = await startDynamoFixture();
  tableName = await fx.stateTable('stored');
  state = new StateTable(fx.documents, tableName);
});
afterAll(async () => {
  s3.destroy();
  await fx?.close();
});

/** Writes an item with the low-level client, as the hand-built code did. */
async function putRaw(table: string, item: Raw): Promise<void> {
  await fx.client.send(new PutItemCommand({ TableName: table, Item: item }));
}

async function getRaw(table: string, key: Raw): Promise<Raw | undefined> {
  return (await fx.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

const stateKey = (pk: string, sk: string): Raw => ({ pk: s(pk), sk: s(sk) });

describe('runs', () => {
  const runs = () => new RunStore('report', state, payloads, () => NOW);

  it('reads, updates and finishes a run stored by hand', async () => {
    const id = newRunId(NOW - 1000);
    await putRaw(tableName, {
      ...stateKey('run#report', id),
      status: s('RUNNING'),
      attempts: n(1),
      createdAt: n(NOW - 1000),
      startedAt: n(NOW - 900),
      deadline: n(NOW + 60_000),
      staleAfterMs: n(60_000),
      ttl: n(1_900_000_000),
      args: s('["UK"]'),
      owner: s('owner-1'),
      heartbeatAt: n(NOW - 500),
      batchJobId: s('batch-1'),
    });
    const record = await runs().get(id);
    expect(record).toEqual({
      id,
      status: 'RUNNING',
      attempts: 1,
      createdAt: NOW - 1000,
      startedAt: NOW - 900,
      deadline: NOW + 60_000,
      staleAfterMs: 60_000,
      owner: 'owner-1',
      heartbeatAt: NOW - 500,
      batchJobId: 'batch-1',
      item: expect.objectContaining({ pk: 'run#report', sk: id }),
    });
    expect(await runs().args(record)).toEqual(['UK']);
    expect(await runs().heartbeat(id, 'owner-1')).toBe('RUNNING');
    expect(await runs().nextAttempt(id, 'owner-1')).toBe(true);
    expect(await runs().finish(id, 'owner-1', { status: 'SUCCEEDED', result: { ok: true } })).toBe(true);
    const info = await runs().toInfo(await runs().get(id));
    expect(info).toMatchObject({ status: 'SUCCEEDED', result: { ok: true }, attempts: 2 });
    expect(await getRaw(tableName, stateKey('run#report', id))).toEqual({
      ...stateKey('run#report', id),
      status: s('SUCCEEDED'),
      attempts: n(2),
      createdAt: n(NOW - 1000),
      startedAt: n(NOW - 900),
      finishedAt: n(NOW),
      deadline: n(NOW + 60_000),
      staleAfterMs: n(60_000),
      ttl: n(1_900_000_000),
      args: s('["UK"]'),
      result: s('{"ok":true}'),
      heartbeatAt: n(NOW),
      batchJobId: s('batch-1'),
    });
  });

  it('reads the error of a failed run stored by hand', async () => {
    const id = newRunId(NOW - 2000);
    const error = { type: 'ValueError', message: 'bad country' };
    await putRaw(tableName, {
      ...stateKey('run#report', id),
      status: s('FAILED'),
      attempts: n(1),
      createdAt: n(NOW - 2000),
      finishedAt: n(NOW - 1500),
      deadline: n(NOW + 60_000),
      staleAfterMs: n(60_000),
      ttl: n(1_900_000_000),
      args: s('[]'),
      error: s(JSON.stringify(error)),
    });
    expect(await runs().get(id)).toMatchObject({ status: 'FAILED', finishedAt: NOW - 1500, error });
  });

  it('writes a new run with the same attributes and types', async () => {
    const id = newRunId(NOW);
    await runs().create(id, ['x', 1], 60, 30_000);
    expect(await getRaw(tableName, stateKey('run#report', id))).toEqual({
      ...stateKey('run#report', id),
      status: s('PENDING'),
      attempts: n(0),
      createdAt: n(NOW),
      deadline: n(NOW + 60_000),
      staleAfterMs: n(30_000),
      ttl: anyN,
      args: s('["x",1]'),
      tpk: s(indexPartition(shardOf(id))),
      tsk: s(`${new Date(NOW).toISOString()}#${id}`),
    });
  });
});

describe('jobs', () => {
  const jobs = () => new JobStore('process', state, payloads, () => NOW);

  it('reads, advances and finishes a job stored by hand', async () => {
    const id = newRunId(NOW - 1000);
    await putRaw(tableName, {
      ...stateKey('job#process', id),
      jobStatus: s('RUNNING'),
      attempts: n(1),
      maxAttempts: n(3),
      createdAt: n(NOW - 1000),
      startedAt: n(NOW - 900),
      deadline: n(NOW + 60_000),
      seq: n(2),
      placement: s('batch'),
      tuning: s('{"heartbeatMs":50}'),
      ttl: n(1_900_000_000),
      inputData: s('{"files":["a"]}'),
      progress: s('{"percent":50}'),
      runner: s('runner-1'),
      heartbeatAt: n(NOW - 500),
      batchJobId: s('batch-7'),
      batchAttempt: n(1),
      failure: s('{"type":"Flaky","message":"first try"}'),
    });
    const record = await jobs().read(id);
    expect(record).toEqual({
      id,
      status: 'RUNNING',
      attempts: 1,
      maxAttempts: 3,
      createdAt: NOW - 1000,
      startedAt: NOW - 900,
      deadline: NOW + 60_000,
      seq: 2,
      placement: 'batch',
      tuning: { heartbeatMs: 50 },
      runner: 'runner-1',
      heartbeatAt: NOW - 500,
      batchJobId: 'batch-7',
      batchAttempt: 1,
      error: { type: 'Flaky', message: 'first try' },
      item: expect.objectContaining({ pk: 'job#process', sk: id }),
    });
    expect(await jobs().input(record)).toEqual({ files: ['a'] });
    expect(await jobs().progress(record)).toEqual({ percent: 50 });
    expect(await jobs().writeProgress(id, 'runner-1', { percent: 75 })).toMatchObject({ seq: 3 });
    const done = await jobs().finish(id, 'runner-1', { status: 'SUCCEEDED', result: { percent: 100 } });
    expect(done).toMatchObject({ status: 'SUCCEEDED', finishedAt: NOW, seq: 3 });
    const raw = await getRaw(tableName, stateKey('job#process', id));
    expect(raw).toMatchObject({ jobStatus: s('SUCCEEDED'), seq: n(3), finishedAt: n(NOW), progress: s('{"percent":100}'), attempts: n(1) });
    expect(raw?.runner).toBeUndefined();
  });

  it('writes a new job with the same attributes and types', async () => {
    const id = newRunId(NOW);
    await jobs().create(id, { files: [] }, { timeoutSeconds: 60, maxAttempts: 2, placement: 'lambda', tuning: DEFAULT_JOB_TUNING });
    const raw = await getRaw(tableName, stateKey('job#process', id));
    expect(raw).toEqual({
      ...stateKey('job#process', id),
      jobStatus: s('PENDING'),
      attempts: n(0),
      maxAttempts: n(2),
      createdAt: n(NOW),
      deadline: n(NOW + 60_000),
      seq: n(0),
      placement: s('lambda'),
      tuning: anyS,
      ttl: anyN,
      inputData: s('{"files":[]}'),
      tpk: s(indexPartition(shardOf(id))),
      tsk: s(`${new Date(NOW).toISOString()}#${id}`),
    });
    const { heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds } = DEFAULT_JOB_TUNING;
    expect(JSON.parse(raw!.tuning!.S!)).toEqual({ heartbeatMs, staleAfterMs, graceMs, lockTtlSeconds });
  });
});

describe('schedule claims', () => {
  const claims = () => new ScheduleClaims(state, () => NOW);

  it('reads a claim stored by hand and takes it over when its lease expired', async () => {
    const time = '2029-12-31T23:00:00.000Z';
    await putRaw(tableName, {
      ...stateKey('sched#nightly', time),
      status: s('RUNNING'),
      owner: s('old-owner'),
      attempts: n(1),
      claimedAt: n(NOW - 120_000),
      leaseUntil: n(NOW - 60_000),
      runner: s('job-1'),
      ttl: n(1_900_000_000),
    });
    expect(await claims().read('nightly', time)).toEqual({ status: 'RUNNING', attempts: 1, trigger: 'scheduled' });
    const taken = await claims().claim('nightly', time, 60_000);
    expect(taken).toMatchObject({ claimed: true, claim: { attempt: 2 } });
    const raw = await getRaw(tableName, stateKey('sched#nightly', time));
    expect(raw).toMatchObject({ status: s('RUNNING'), attempts: n(2), claimedAt: n(NOW), leaseUntil: n(NOW + 60_000), owner: anyS });
    expect(raw?.runner).toBeUndefined();
  });

  it('reads the error of a failed claim stored by hand', async () => {
    const time = '2029-12-30T23:00:00.000Z';
    const error = { type: 'Boom', message: 'failed' };
    await putRaw(tableName, {
      ...stateKey('sched#nightly', time),
      status: s('FAILED'),
      owner: s('o'),
      attempts: n(1),
      claimedAt: n(NOW - 120_000),
      leaseUntil: n(NOW - 60_000),
      finishedAt: n(NOW - 90_000),
      error: s(JSON.stringify(error)),
      ttl: n(1_900_000_000),
    });
    expect(await claims().read('nightly', time)).toEqual({ status: 'FAILED', attempts: 1, trigger: 'scheduled', error });
    expect(await claims().claim('nightly', time, 60_000)).toEqual({ claimed: false, status: 'FAILED' });
  });

  it('writes a new claim with the same attributes and types', async () => {
    const time = '2030-01-01T00:00:00.000Z';
    await claims().claim('hourly', time, 30_000);
    expect(await getRaw(tableName, stateKey('sched#hourly', time))).toEqual({
      ...stateKey('sched#hourly', time),
      status: s('RUNNING'),
      owner: anyS,
      attempts: n(1),
      claimedAt: n(NOW),
      // Added by the run history: when it started, and where it runs.
      startedAt: n(NOW),
      placement: s('lambda'),
      leaseUntil: n(NOW + 30_000),
      ttl: anyN,
      trigger: s('scheduled'),
      tpk: s(indexPartition(shardOf(`hourly@${time}`))),
      tsk: s(`${time}#hourly@${time}`),
    });
  });
});

describe('concurrency slots and queue entries', () => {
  it('sees slots and queue entries stored by hand, confirms a slot, and writes new ones alike', async () => {
    const pk = partitionKey('concurrency', 'gated');
    const holder = newRunId(NOW - 3000);
    const stale = newRunId(NOW - 2000);
    const fresh = newRunId(NOW - 1000);
    await putRaw(tableName, {
      ...stateKey(pk, slotKey(3)),
      holder: s(holder),
      token: s('t-3'),
      checkAt: n(NOW + 60_000),
      checkAfterMs: n(60_000),
      since: n(NOW - 3000),
    });
    await putRaw(tableName, { ...stateKey(pk, queueKey(stale)), queuedAt: n(NOW - 2000), ttl: n(1_900_000_000) });
    const launched: Array<[string, number]> = [];
    const tickets: Array<[string, Ticket]> = [];
    const gate = new ConcurrencyGate({
      table: state,
      name: 'gated',
      limit: 2,
      clock: () => NOW,
      members: {
        // `stale` no longer waits (it ended); `fresh` does; an entry with a ticket waits as its ticket says.
        waiting: async (id, ticket) => {
          if (ticket) tickets.push([id, ticket]);
          if (id !== fresh && !ticket) return undefined;
          return { checkAfterMs: ticket?.checkAfterMs ?? 5000, launch: async (slot) => void launched.push([id, slot]) };
        },
        inspect: async () => 'keep',
      },
    });
    expect(await gate.snapshot()).toEqual({ slots: [{ slot: 3, holder, checkAt: NOW + 60_000 }], queue: [stale] });
    const held = await gate.confirm(holder, 3, 30_000);
    expect(held).toEqual({ holder, slot: 3, token: 't-3' });
    expect(await getRaw(tableName, stateKey(pk, slotKey(3)))).toMatchObject({ checkAt: n(NOW + 30_000), checkAfterMs: n(30_000) });

    await gate.enqueue(fresh);
    expect(await getRaw(tableName, stateKey(pk, queueKey(fresh)))).toEqual({ ...stateKey(pk, queueKey(fresh)), queuedAt: n(NOW), ttl: anyN });
    await gate.pump();
    expect(launched).toHaveLength(1);
    const [[id, slot]] = launched as [[string, number]];
    expect(id).toBe(fresh);
    expect(await getRaw(tableName, stateKey(pk, slotKey(slot)))).toEqual({
      ...stateKey(pk, slotKey(slot)),
      holder: s(fresh),
      token: anyS,
      checkAt: n(NOW + 5000),
      checkAfterMs: n(5000),
      since: n(NOW),
    });
    expect((await gate.snapshot()).queue).toEqual([]);

    // A place in line that carries a ticket (what its hand-off needs: no read of the id), written alike.
    const ticketed = newRunId(NOW - 500);
    await putRaw(tableName, {
      ...stateKey(pk, queueKey(ticketed)),
      queuedAt: n(NOW - 500),
      ttl: n(1_900_000_000),
      ticket: { M: { deadline: n(NOW + 90_000), checkAfterMs: n(7000) } },
    });
    const later = newRunId(NOW);
    await gate.enqueue(later, { deadline: NOW + 80_000, checkAfterMs: 6000 });
    expect(await getRaw(tableName, stateKey(pk, queueKey(later)))).toEqual({
      ...stateKey(pk, queueKey(later)),
      queuedAt: n(NOW),
      ttl: anyN,
      ticket: { M: { deadline: n(NOW + 80_000), checkAfterMs: n(6000) } },
    });
    // Every slot is taken; the holder stored by hand ends: its slot passes to the oldest waiting, the entry stored by
    // hand, with its ticket's staleness limit.
    await gate.release(held!);
    expect(tickets[0]).toEqual([ticketed, { deadline: NOW + 90_000, checkAfterMs: 7000 }]);
    const [, [handed, handedSlot]] = launched as [unknown, [string, number]];
    expect(handed).toBe(ticketed);
    expect(await getRaw(tableName, stateKey(pk, slotKey(handedSlot)))).toMatchObject({ holder: s(ticketed), checkAt: n(NOW + 7000), checkAfterMs: n(7000) });
    // Its executor confirms without a staleness limit of its own: the slot's is kept.
    expect(await gate.confirm(ticketed, handedSlot)).toMatchObject({ holder: ticketed, slot: handedSlot });
    expect(await getRaw(tableName, stateKey(pk, slotKey(handedSlot)))).toMatchObject({ checkAt: n(NOW + 7000), checkAfterMs: n(7000) });
    expect((await gate.snapshot()).queue).toEqual([later]);
  });
});

describe('locks', () => {
  it('honours a lease stored by hand until it expires, then writes its own alike', async () => {
    const key = stateKey('lock#nightly-report', 'lease');
    await putRaw(tableName, { ...key, holder: s('someone'), expiresAt: n(NOW + 10_000), ttl: n(Math.ceil((NOW + 10_000) / 1000) + 3600) });
    const locked = new LockClient({ state, name: 'nightly-report', clock: () => NOW });
    const refused = await locked.acquire({ ttl: '5s' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LockUnavailableError);
    expect((refused as Error).message).toContain(`its lease runs until ${new Date(NOW + 10_000).toISOString()}`);

    const later = NOW + 10_000;
    const lease = await new LockClient({ state, name: 'nightly-report', clock: () => later }).acquire({ ttl: '5s' });
    expect(await getRaw(tableName, key)).toEqual({ ...key, holder: anyS, expiresAt: n(later + 5000), ttl: n(Math.ceil((later + 5000) / 1000) + 3600) });
    await lease.release();
    expect(await getRaw(tableName, key)).toBeUndefined();
  });
});

describe('dict entries', () => {
  it('reads and updates entries stored by hand, and writes new ones alike', async () => {
    const table = await fx.dictTable('stored');
    const nowSeconds = Math.floor(NOW / 1000);
    const object = storeValue({ a: 1 }, 'value');
    if (!('v' in object)) throw new Error('an object is stored as JSON');
    await putRaw(table, { k: s('int'), n: n('42') });
    await putRaw(table, { k: s('big'), n: n('100000000000000000000') });
    await putRaw(table, { k: s('float'), n: n('0.1') });
    await putRaw(table, { k: s('object'), v: s(object.v), h: s(object.h) });
    await putRaw(table, { k: s('expiring'), n: n('5'), x: n(nowSeconds + 60) });
    await putRaw(table, { k: s('expired'), v: s(object.v), h: s(object.h), x: n(nowSeconds - 1) });
    const d = new DictClient<unknown>({ documents: fx.documents, name: 'stored', table, clock: () => NOW });

    expect(await d.get('int')).toBe(42);
    expect(await d.get('big')).toBe(1e20);
    expect(await d.get('float')).toBe(0.1);
    expect(await d.get('object')).toEqual({ a: 1 });
    expect(await d.get('expiring')).toBe(5);
    expect(await d.get('expired')).toBeUndefined();
    expect(await d.getMany(['int', 'big', 'object', 'expired'])).toEqual([42, 1e20, { a: 1 }, undefined]);
    const listed = new Map<string, unknown>();
    for await (const [key, value] of d.entries()) listed.set(key, value);
    expect(Object.fromEntries(listed)).toEqual({ int: 42, big: 1e20, float: 0.1, object: { a: 1 }, expiring: 5 });

    expect(await d.increment('int', 1)).toBe(43);
    expect(await d.increment('expiring', 2)).toBe(7);
    expect(await getRaw(table, { k: s('expiring') })).toEqual({ k: s('expiring'), n: n(7), x: n(nowSeconds + 60) });
    expect(await d.update('object', { expected: { a: 1 }, value: { a: 2 } })).toBe(true);
    expect(await d.update('int', { expected: 43, value: 44 })).toBe(true);
    expect(await d.delete('expired')).toBe(false);

    await d.set('new-number', 7, { ttl: '1m' });
    expect(await getRaw(table, { k: s('new-number') })).toEqual({ k: s('new-number'), n: n(7), x: n(nowSeconds + 60) });
    await d.set('new-object', { a: 1 });
    expect(await getRaw(table, { k: s('new-object') })).toEqual({ k: s('new-object'), v: s(object.v), h: s(object.h) });
  });
});
