/**
 * Locks over DynamoDB conditional writes, against the local DynamoDB (dynalite) with the real SDK client:
 * exclusion under contention, expiry after a real crash of the holder (SIGKILL), heartbeat renewal, loss detection,
 * withLock, and wrong input.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, LockLostError, LockUnavailableError } from '../../lib/errors.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { createTables } from '../../runtime/local/tables.js';
import { LockClient, type LockClientOptions } from '../../runtime/locks/lock-client.js';
import { documentClient } from '../../runtime/core/clients.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { STATE_TABLE_SCHEMA } from '../../runtime/state/schema.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TABLE = 'locks-test-state';
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let state: StateTable;

beforeAll(async () => {
  dynamo = await startDynamo();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTables(client, [[TABLE, STATE_TABLE_SCHEMA]]);
  state = new StateTable(documentClient(client), TABLE);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

let names = 0;
const lockFor = (options: Partial<LockClientOptions> = {}) => new LockClient({ state, name: `lock-${++names}`, pollMs: 20, ...options });

describe('locks', () => {
  it('lets one holder in; others are refused until it releases', async () => {
    const a = lockFor();
    const b = new LockClient({ state, name: a.name });
    const lease = await a.acquire({ ttl: '30s' });
    expect(lease.lock).toBe(a.name);
    expect(lease.expiresAt.getTime()).toBeGreaterThan(Date.now() + 25_000);
    const refused = await b.acquire({ ttl: '30s' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockUnavailableError);
    expect((refused as Error).message).toMatch(new RegExp(`lock "${a.name}" is held by another holder .*Pass \\{ wait: "30s" \\}`));
    await lease.release();
    await lease.release(); // idempotent
    const next = await b.acquire({ ttl: '30s' });
    await next.release();
  });

  it('admits exactly one holder at a time among 8 contenders, and every contender gets its turn', async () => {
    const name = lockFor().name;
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new LockClient({ state, name, pollMs: 10 }).withLock(
          async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            // Several awaits inside the critical section, so overlapping holders would show.
            for (let step = 0; step < 3; step++) await new Promise((resolve) => setImmediate(resolve));
            order.push(i);
            inside--;
          },
          { ttl: '10s', wait: '30s' },
        ),
      ),
    );
    expect(maxInside).toBe(1);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives the lock to a waiter once a crashed holder (SIGKILL) lets its lease expire, not before', async () => {
    const name = lockFor().name;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-lock.ts'), dynamo.endpoint, TABLE, name, '2s'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { expiresAt } = JSON.parse(line) as { expiresAt: number };
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The holder is dead but its lease stands until it expires.
    await expect(new LockClient({ state, name }).acquire({ ttl: '5s' })).rejects.toBeInstanceOf(LockUnavailableError);
    const lease = await new LockClient({ state, name, pollMs: 50 }).acquire({ ttl: '5s', wait: '20s' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await lease.release();
  });

  it('keeps a held lease alive with heartbeats past its ttl', async () => {
    const a = lockFor();
    const lease = await a.acquire({ ttl: '1s' });
    const first = lease.expiresAt.getTime();
    // Wait (by the lease's own schedule: ttl/3) for two renewals; the lease outlives its first expiry.
    while (Date.now() < first + 300) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lease.expiresAt.getTime()).toBeGreaterThan(first);
    expect(lease.signal.aborted).toBe(false);
    await expect(new LockClient({ state, name: a.name }).acquire({ ttl: '1s' })).rejects.toBeInstanceOf(LockUnavailableError);
    await lease.release();
  });

  it('trusts the clock only for expiry: a contender whose clock is past the expiry takes the lease, and the old holder learns it lost it', async () => {
    const a = lockFor();
    const lease = await a.acquire({ ttl: '2s' });
    const late = new LockClient({ state, name: a.name, clock: () => Date.now() + 3_000 });
    const taken = await late.acquire({ ttl: '5s' });
    const reason = await new Promise<unknown>((resolve) => lease.signal.addEventListener('abort', () => resolve(lease.signal.reason), { once: true }));
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as Error).message).toContain('another holder took it');
    // The old holder's release must not delete the new holder's lease.
    await lease.release();
    const { Item } = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `lock#${a.name}` }, sk: { S: 'lease' } }, ConsistentRead: true }),
    );
    expect(Item).toBeDefined();
    await taken.release();
  });

  it('withLock releases after the function, also when it throws, and rethrows its error', async () => {
    const a = lockFor();
    await expect(a.withLock(() => Promise.reject(new TypeError('boom')))).rejects.toThrow(TypeError);
    expect(await a.withLock(async (lease) => `held ${lease.lock}`, { ttl: '5s' })).toBe(`held ${a.name}`);
    const again = await a.acquire({ ttl: '5s' });
    await again.release();
  });

  it('stops waiting when the caller aborts', async () => {
    const a = lockFor();
    const lease = await a.acquire({ ttl: '30s' });
    const controller = new AbortController();
    const waiting = new LockClient({ state, name: a.name, pollMs: 10 }).acquire({ ttl: '5s', wait: true, signal: controller.signal });
    controller.abort(new Error('cancelled by the job'));
    await expect(waiting).rejects.toThrow('cancelled by the job');
    await lease.release();
  });

  it('refuses wrong input with what is allowed', async () => {
    expect(() => new LockClient({ state, name: 'bad name' })).toThrow(/not valid; a lock name is 1 to 64 characters/);
    const a = lockFor();
    await expect(a.acquire({ ttl: 30 as never })).rejects.toThrow(/ttl 30 is not valid \(a bare number has no unit/);
    await expect(a.acquire({ ttl: '0s' })).rejects.toThrow(/from 1 s to 1 day/);
    await expect(a.acquire({ ttl: '2d' })).rejects.toThrow(InvalidArgumentError);
    await expect(a.acquire(undefined as never)).rejects.toThrow(/needs options such as \{ ttl: "30s" \}/);
    await expect(a.acquire({ ttl: '5s', wait: 'soon' as never })).rejects.toThrow(/wait "soon" is not valid/);
    await expect(a.withLock('nope' as never)).rejects.toThrow(/needs a function/);
  });
});
