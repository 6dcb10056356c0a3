/**
 * The state table's two ways to send its frequent requests write and read the same items: through the document
 * client (a document client made elsewhere), and through a client that caches its middleware with the items
 * marshalled by the same rules (the runtime's own clients, runtime/core/item-requests.ts). Each writes, the other
 * reads, over values that test the rules: empty strings, nested maps and lists, numbers beyond the safe integers
 * (NumberValue), undefined attributes; conditions, returned attributes, and query paging.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../runtime/core/clients.js';
import { registerCachedClient } from '../../runtime/core/item-requests.js';
import { DictClient } from '../../runtime/dicts/dict-client.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { startDynamoFixture, TEST_CREDENTIALS, type DynamoFixture } from './dynamo-support.js';

let fx: DynamoFixture;
let cachedClient: DynamoDBClient;
let plain: StateTable;
let cached: StateTable;
beforeAll(async () => {
  fx = await startDynamoFixture();
  const table = await fx.stateTable('item-requests');
  // A document client of its own: the fixture's has a cached client registered.
  plain = new StateTable(documentClient(fx.client), table);
  const documents = documentClient(new DynamoDBClient({ region: 'us-east-1', endpoint: fx.dynamo.endpoint, credentials: TEST_CREDENTIALS }));
  cachedClient = new DynamoDBClient({ region: 'us-east-1', endpoint: fx.dynamo.endpoint, credentials: TEST_CREDENTIALS, cacheMiddleware: true });
  registerCachedClient(documents, cachedClient);
  cached = new StateTable(documents, table);
});
afterAll(async () => {
  cachedClient?.destroy();
  await fx?.close();
});

const ITEM = {
  text: '',
  unicode: 'é\u2028😀',
  count: 0,
  fraction: -1.5,
  safe: Number.MAX_SAFE_INTEGER,
  big: NumberValue.from('123456789012345678901234567890'),
  flag: false,
  nothing: null,
  nested: { list: [1, 'two', { three: true }], empty: {} },
  left: undefined,
};

describe('dicts through either', () => {
  it('a value of every kind set through one reads the same through the other; increment and compare-and-set mix', async () => {
    const table = await fx.dictTable('either');
    const viaCached = new DictClient<unknown>({ documents: fx.documents, name: 'either', table });
    const viaPlain = new DictClient<unknown>({ documents: documentClient(fx.client), name: 'either', table });
    const values: Record<string, unknown> = {
      s: '',
      n: -0.5,
      big: 1e21,
      exact: 2 ** 53 - 1,
      list: [1, 'x', null],
      map: { a: { b: [true] } },
      date: new Date(0),
    };
    for (const [key, value] of Object.entries(values)) {
      await viaCached.set(`c-${key}`, value);
      await viaPlain.set(`p-${key}`, value);
      expect(await viaPlain.get(`c-${key}`)).toEqual(value);
      expect(await viaCached.get(`p-${key}`)).toEqual(value);
    }
    expect(await viaCached.increment('count', 5)).toBe(5);
    expect(await viaPlain.increment('count', 2)).toBe(7);
    expect(await viaCached.update('count', { expected: 7, value: 'seven' })).toBe(true);
    expect(await viaPlain.update('count', { expected: 7, value: 'eight' })).toBe(false);
    expect(await viaPlain.get('count')).toBe('seven');
    expect(await viaCached.delete('count')).toBe(true);
    expect(await viaPlain.has('count')).toBe(false);
  });
});

describe('the cached client and the document client', () => {
  for (const [writer, reader] of [
    ['cached', 'plain'],
    ['plain', 'cached'],
  ] as const) {
    it(`an item put through the ${writer} one reads the same through the ${reader} one`, async () => {
      const tables = { cached: () => cached, plain: () => plain };
      const sk = `item-${writer}`;
      expect(await tables[writer]().put('items', sk, ITEM)).toBe(true);
      const read = await tables[reader]().get<Record<string, unknown>>('items', sk);
      const { left: _left, ...stored } = ITEM;
      expect(read).toEqual({ ...stored, big: expect.any(NumberValue), pk: 'items', sk });
      expect(String(read!.big)).toBe('123456789012345678901234567890');
      expect('left' in read!).toBe(false);
    });
  }

  it('conditions and returned attributes: put-if-absent, conditional update and delete, on both', async () => {
    for (const [name, table] of [
      ['cached', cached],
      ['plain', plain],
    ] as const) {
      const sk = `conditional-${name}`;
      expect(await table.putIfAbsent('items', sk, { n: 1 })).toBe(true);
      expect(await table.putIfAbsent('items', sk, { n: 2 })).toBe(false);
      expect(await table.update<{ n: number; who: string }>('items', sk, { set: { who: name }, condition: '#n = :one', values: { ':one': 1 } })).toEqual({
        pk: 'items',
        sk,
        n: 1,
        who: name,
      });
      expect(await table.update('items', sk, { set: { who: 'nobody' }, condition: '#n = :two', values: { ':two': 2 } })).toBeUndefined();
      expect(await table.delete('items', sk, { expression: '#n = :two', values: { ':two': 2 } })).toBeUndefined();
      expect(await table.delete('items', sk, { expression: '#n = :one', values: { ':one': 1 } })).toMatchObject({ n: 1, who: name });
      expect(await table.get('items', sk)).toBeUndefined();
    }
  });

  it('refuses a number beyond the safe integers the same way on both', async () => {
    const unsafe = { n: 2 ** 60 };
    const errors = await Promise.all(
      [cached.put('items', 'unsafe', unsafe), plain.put('items', 'unsafe', unsafe)].map((p) => p.catch((error: Error) => error.message)),
    );
    expect(errors[0]).toMatch(/safe/i);
    expect(errors[1]).toBe(errors[0]);
  });

  it('pages a query the same way on both, with the cursor of either', async () => {
    for (let i = 0; i < 7; i++) await plain.put('paged', `k-${i}`, { i });
    for (const table of [cached, plain]) {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await table.query<{ i: number }>('paged', { limit: 3, descending: true, ...(after ? { after } : {}) });
        seen.push(...page.items.map((item) => item.sk));
        after = page.lastSortKey;
      } while (after);
      expect(seen).toEqual(['k-6', 'k-5', 'k-4', 'k-3', 'k-2', 'k-1', 'k-0']);
      const once = await table.queryOnce<{ i: number }>({
        partition: ['pk', 'paged'],
        filter: { expression: '#i > :three', values: { ':three': 3 } },
        limit: 5,
      });
      expect(once.items.map((item) => item.i)).toEqual([4]);
      expect(once.lastKey).toEqual({ pk: 'paged', sk: 'k-4' });
    }
  });
});
