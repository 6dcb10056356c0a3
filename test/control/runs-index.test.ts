/**
 * The state table's index `runsByTime` in the local DynamoDB (dynalite, real SDK clients): created with its INCLUDE
 * projection by the local cloud (as by the constructs), filled by the runtime's stores on their creating writes and
 * kept current by their status changes, without heartbeats, progress or payloads; added to a state table of an
 * earlier version (a persisted state directory) with its items kept; shards spread records evenly.
 */
import { DescribeTableCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunItem, RunStore } from '../../runtime/functions/run-store.js';
import { type JobItem, JobStore } from '../../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING } from '../../runtime/jobs/tuning.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { createTables } from '../../runtime/local/tables.js';
import { type ClaimItem, ScheduleClaims } from '../../runtime/schedules/claims.js';
import { documentClient } from '../../runtime/core/clients.js';
import { newRunId } from '../../runtime/state/ids.js';
import { indexPartition, RUN_INDEX_SHARDS, shardOf } from '../../runtime/state/run-index.js';
import { RUNS_INDEX, STATE_TABLE_SCHEMA } from '../../runtime/state/schema.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { dynamoClient } from '../conformance/dynamo-support.js';
import { inlinePayloads } from './support.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let state: StateTable;
const payloads = inlinePayloads();

/** The index rows of the record with this id (its one shard, exact key). */
async function indexRows(id: string): Promise<Array<Record<string, unknown>>> {
  const { items } = await state.queryOnce<Record<string, unknown>>({
    index: RUNS_INDEX.name,
    partition: [RUNS_INDEX.partitionKey, indexPartition(shardOf(id))],
  });
  return items.filter((item) => String(item[RUNS_INDEX.sortKey]).endsWith(`#${id}`));
}

beforeAll(async () => {
  dynamo = await startDynamo();
  client = dynamoClient(dynamo.endpoint);
  await createTables(client, [['state-a', STATE_TABLE_SCHEMA]]);
  state = new StateTable(documentClient(client), 'state-a');
});
afterAll(async () => {
  payloads.close();
  client?.destroy();
  await dynamo?.close();
});

describe('the index in the local DynamoDB', () => {
  it('is created with its keys and INCLUDE projection', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'state-a' }));
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
    const index = Table!.GlobalSecondaryIndexes![0]!;
    expect(index.IndexName).toBe('runsByTime');
    expect(index.KeySchema).toEqual([
      { AttributeName: 'tpk', KeyType: 'HASH' },
      { AttributeName: 'tsk', KeyType: 'RANGE' },
    ]);
    expect(index.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: [...RUNS_INDEX.projected] });
  });

  it('holds a started run from its creation, follows its status, and never holds its payloads or heartbeats', async () => {
    const runs = new RunStore('report', state, payloads, () => NOW);
    const id = newRunId(NOW);
    await runs.create(id, ['UK'], 60);
    expect(await indexRows(id)).toEqual([
      {
        pk: 'run#report',
        sk: id,
        tpk: indexPartition(shardOf(id)),
        tsk: `2030-01-01T00:00:00.000Z#${id}`,
        status: 'PENDING',
        attempts: 0,
        createdAt: NOW,
        deadline: NOW + 60_000,
      },
    ]);
    await runs.claim(id, 'owner');
    await runs.heartbeat(id, 'owner');
    await runs.finish(id, 'owner', { status: 'SUCCEEDED', result: 'done' });
    const [row] = await indexRows(id);
    expect(row).toMatchObject({ status: 'SUCCEEDED', attempts: 1, startedAt: NOW, finishedAt: NOW });
    for (const hidden of ['args', 'result', 'heartbeatAt', 'owner', 'staleAfterMs', 'ttl']) expect(row).not.toHaveProperty(hidden);
  });

  it('holds jobs (not their input or progress) and scheduled runs (with their trigger)', async () => {
    const jobs = new JobStore('render', state, payloads, () => NOW);
    const id = newRunId(NOW);
    await jobs.create(id, { frames: 3 }, { timeoutSeconds: 60, maxAttempts: 1, placement: 'lambda', tuning: DEFAULT_JOB_TUNING });
    const claimed = await jobs.claim(await jobs.read(id), 'runner', 1);
    await jobs.writeProgress(id, 'runner', { frame: 1 });
    expect(claimed).toBeDefined();
    const [row] = await indexRows(id);
    expect(row).toMatchObject({ pk: 'job#render', jobStatus: 'RUNNING', attempts: 1 });
    for (const hidden of ['inputData', 'progress', 'seq', 'heartbeatAt', 'runner', 'tuning']) expect(row).not.toHaveProperty(hidden);

    const claims = new ScheduleClaims(state, () => NOW);
    await claims.claim('daily', '2030-01-01T00:00:00Z', 60_000, 'manual');
    expect(await indexRows('daily@2030-01-01T00:00:00Z')).toEqual([
      expect.objectContaining({ pk: 'sched#daily', tsk: '2030-01-01T00:00:00.000Z#daily@2030-01-01T00:00:00Z', status: 'RUNNING', trigger: 'manual' }),
    ]);
    expect(await claims.recordPaused('daily', '2030-01-01T01:00:00Z')).toBe('absent');
    expect(await claims.recordPaused('daily', '2030-01-01T01:00:00Z')).toBeUndefined();
    expect(await indexRows('daily@2030-01-01T01:00:00Z')).toEqual([expect.objectContaining({ status: 'PAUSED', attempts: 0, trigger: 'scheduled' })]);
  });

  it('projects only attributes the run records have (checked by the type checker)', () => {
    const projected: ReadonlyArray<keyof RunItem | keyof JobItem | keyof ClaimItem> = RUNS_INDEX.projected;
    expect(projected).toContain('status');
  });

  it('spreads ids over every shard', () => {
    const counts = new Array(RUN_INDEX_SHARDS).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(newRunId(NOW + i))]++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    // Stable: the same id, the same shard, in every process.
    expect(shardOf('0123456789abcdefghjkmnpqrs')).toBe(shardOf('0123456789abcdefghjkmnpqrs'.slice()));
  });
});

describe('a state table of an earlier version', () => {
  it('gains the index when the local cloud opens it, with its items kept and the new ones indexed', async () => {
    const legacy = { ...STATE_TABLE_SCHEMA, globalSecondaryIndexes: [] };
    await createTables(client, [['state-old', legacy]]);
    const oldId = newRunId(NOW - 60_000);
    await client.send(
      new PutItemCommand({
        TableName: 'state-old',
        Item: { pk: { S: 'run#report' }, sk: { S: oldId }, status: { S: 'SUCCEEDED' }, attempts: { N: '1' }, createdAt: { N: String(NOW - 60_000) } },
      }),
    );
    await client.send(new PutItemCommand({ TableName: 'state-old', Item: { pk: { S: 'lock#guard' }, sk: { S: 'lease' }, token: { S: 't' } } }));
    await createTables(client, [['state-old', STATE_TABLE_SCHEMA]]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'state-old' }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['runsByTime']);
    const old = new StateTable(documentClient(client), 'state-old');
    expect(await old.get('run#report', oldId)).toMatchObject({ status: 'SUCCEEDED', createdAt: NOW - 60_000 });
    expect(await old.get('lock#guard', 'lease')).toMatchObject({ token: 't' });
    const id = newRunId(NOW);
    await new RunStore('report', old, payloads, () => NOW).create(id, [], 60);
    const shards = await Promise.all(
      Array.from({ length: RUN_INDEX_SHARDS }, (_, shard) =>
        old.queryOnce({ index: RUNS_INDEX.name, partition: [RUNS_INDEX.partitionKey, indexPartition(shard)] }),
      ),
    );
    expect(shards.flatMap((s) => s.items).map((item) => (item as { sk: string }).sk)).toEqual([id]);
  });
});
