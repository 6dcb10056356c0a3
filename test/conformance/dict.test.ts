/**
 * Dict conformance: every operation of the dict API through the real DynamoDB SDK client against the local
 * DynamoDB (dynalite), including TTL, compare-and-set races, concurrent increments, batch operations with
 * partial (Unprocessed*) answers, oversize values and key rules.
 */
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError, InvalidArgumentError, InvalidKeyError, KeyNotFoundError, NotANumberError, ValueTooLargeError } from '../../lib/errors.js';
import { documentClient } from '../../runtime/core/clients.js';
import { DictClient } from '../../runtime/dicts/dict-client.js';
import { dynamoClient, startDynamoFixture, startPartialBatchProxy, type DynamoFixture } from './dynamo-support.js';

let fx: DynamoFixture;
beforeAll(async () => {
  fx = await startDynamoFixture();
});
afterAll(async () => {
  await fx.close();
});

/** A clock tests move by hand. */
function manualClock(start = Date.parse('2030-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('get / set / require / has / delete', () => {
  it('round-trips every codec value kind', async () => {
    const d = await fx.dict('values');
    const values: Record<string, unknown> = {
      string: 'héllo ✓',
      int: 42,
      float: 0.1,
      negative: -7.5,
      zero: 0,
      negZero: -0,
      big: 1e21,
      nan: NaN,
      inf: -Infinity,
      bool: false,
      nil: null,
      undef: undefined,
      date: new Date('2023-09-08T23:00:00Z'),
      bigint: 12345678901234567890n,
      bytes: new Uint8Array([0, 1, 255]),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x'])],
      ]),
      nested: { list: [1, { $t: 'not a tag' }], deep: { a: [new Date(0)] } },
    };
    for (const [key, value] of Object.entries(values)) await d.set(key, value);
    for (const [key, value] of Object.entries(values)) {
      const got = await d.get(key);
      if (Number.isNaN(value)) expect(Number.isNaN(got)).toBe(true);
      else expect(got).toEqual(value);
    }
    expect(Object.is(await d.get('negZero'), -0)).toBe(true);
  });

  it('get of a missing key is undefined; require and getOrThrow throw KeyNotFoundError', async () => {
    const d = await fx.dict('missing');
    expect(await d.get('nope')).toBeUndefined();
    await expect(d.require('nope')).rejects.toThrow(KeyNotFoundError);
    await expect(d.getOrThrow('nope')).rejects.toThrow(/dict "missing" has no entry for key "nope"/);
    await d.set('yes', 'v');
    expect(await d.require('yes')).toBe('v');
    expect(await d.getOrThrow('yes')).toBe('v');
  });

  it('has and delete report whether the key existed', async () => {
    const d = await fx.dict('hasdel');
    expect(await d.has('k')).toBe(false);
    await d.set('k', { a: 1 });
    expect(await d.has('k')).toBe(true);
    expect(await d.delete('k')).toBe(true);
    expect(await d.delete('k')).toBe(false);
    expect(await d.has('k')).toBe(false);
  });

  it('set overwrites, and setIfAbsent only writes absent keys', async () => {
    const d = await fx.dict('absent');
    expect(await d.setIfAbsent('k', 1)).toBe(true);
    expect(await d.setIfAbsent('k', 2)).toBe(false);
    expect(await d.get('k')).toBe(1);
    await d.set('k', 'three');
    expect(await d.get('k')).toBe('three');
  });
});

describe('TTL', () => {
  it('hides an expired entry from every read, before DynamoDB deletes it', async () => {
    const clock = manualClock();
    const d = await fx.dict('ttl', { clock: clock.now });
    await d.set('short', 'gone soon', { ttl: '10s' });
    await d.set('long', 'stays', { ttl: { hours: 1 } });
    await d.set('forever', 'stays');
    await d.setMany([['batch', 'gone soon too']], { ttl: '10s' });
    expect(await d.get('short')).toBe('gone soon');
    clock.advance(11_000);
    expect(await d.get('short')).toBeUndefined();
    expect(await d.has('short')).toBe(false);
    await expect(d.require('short')).rejects.toThrow(KeyNotFoundError);
    expect(await d.getMany(['short', 'long', 'batch', 'forever'])).toEqual([undefined, 'stays', undefined, 'stays']);
    const keys: string[] = [];
    for await (const key of d.keys()) keys.push(key);
    expect(keys.sort()).toEqual(['forever', 'long']);
    const entries: Array<[string, unknown]> = [];
    for await (const entry of d.entries()) entries.push(entry);
    expect(entries.sort()).toEqual([
      ['forever', 'stays'],
      ['long', 'stays'],
    ]);
    // The item is still stored (dynalite, like DynamoDB for days, has not deleted it), yet it counts as absent:
    expect(await d.delete('short')).toBe(false);
  });

  it('writes treat an expired entry as absent', async () => {
    const clock = manualClock();
    const d = await fx.dict('ttlwrites', { clock: clock.now });
    await d.set('a', 'old', { ttl: '1s' });
    await d.set('n', 5, { ttl: '1s' });
    clock.advance(2000);
    expect(await d.setIfAbsent('a', 'new')).toBe(true);
    expect(await d.get('a')).toBe('new');
    expect(await d.increment('n', 3)).toBe(3);
    await d.set('c', 'old', { ttl: '1s' });
    clock.advance(2000);
    expect(await d.update('c', { expected: 'old', value: 'x' })).toBe(false);
    expect(await d.update('c', { expected: undefined, value: 'y' })).toBe(true);
    expect(await d.get('c')).toBe('y');
  });

  it('rejects a ttl that is not a positive duration', async () => {
    const d = await fx.dict('badttl');
    await expect(d.set('k', 1, { ttl: '0s' })).rejects.toThrow(InvalidArgumentError);
    await expect(d.set('k', 1, { ttl: 5 as never })).rejects.toThrow(/ttl 5 is not valid; expected a duration/);
  });
});

describe('compare-and-set (update)', () => {
  it('writes only when the current value equals expected, with object keys in any order', async () => {
    const d = await fx.dict('cas');
    await d.set('k', { a: 1, b: [1, 2] });
    expect(await d.update('k', { expected: { a: 2, b: [1, 2] }, value: { a: 9, b: [] } })).toBe(false);
    expect(await d.update('k', { expected: { b: [1, 2], a: 1 }, value: { a: 2, b: [] } })).toBe(true);
    expect(await d.get('k')).toEqual({ a: 2, b: [] });
    await d.set('n', 10);
    expect(await d.update('n', { expected: 11, value: 12 })).toBe(false);
    expect(await d.update('n', { expected: 10, value: 12 })).toBe(true);
    expect(await d.update('absent', { expected: 1, value: 2 })).toBe(false);
    expect(await d.update('absent', { expected: undefined, value: 2 })).toBe(true);
    expect(await d.update('absent', { expected: undefined, value: 3 })).toBe(false);
  });

  it('has exactly one winner among concurrent updates from the same value', async () => {
    const d = await fx.dict('casrace');
    await d.set('counter', { version: 0 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => d.update('counter', { expected: { version: 0 }, value: { version: 1, by: i } })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await d.get('counter')).toEqual({ version: 1, by: winner });
  });

  it('rejects a change that is not { expected, value }', async () => {
    const d = await fx.dict('casbad');
    await expect(d.update('k', { value: 1 } as never)).rejects.toThrow(/change must be \{ expected, value \}/);
  });
});

describe('increment', () => {
  it('100 concurrent increments add up to 100', async () => {
    const d = await fx.dict('inc');
    const results = await Promise.all(Array.from({ length: 100 }, () => d.increment('hits')));
    expect(await d.get('hits')).toBe(100);
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('adds any amount, starting from 0, and keeps the entry a number', async () => {
    const d = await fx.dict('inc2');
    expect(await d.increment('x', 2.5)).toBe(2.5);
    expect(await d.increment('x', -1)).toBe(1.5);
    await d.set('big', 1e21);
    expect(await d.increment('big', 1)).toBe(1e21 + 1);
  });

  it('refuses to increment a value that is not a number, and a bad amount', async () => {
    const d = await fx.dict('inc3');
    await d.set('s', 'text');
    await expect(d.increment('s')).rejects.toThrow(NotANumberError);
    await expect(d.increment('s')).rejects.toThrow(/holds a string, not a number/);
    await expect(d.increment('n', NaN)).rejects.toThrow(InvalidArgumentError);
  });
});

describe('numbers', () => {
  /** Numbers at the edges, and how each must be stored: a DynamoDB number only when it holds the JS number exactly. */
  const NUMBERS: ReadonlyArray<readonly [key: string, value: number, stored: 'n' | 'v']> = [
    ['int', 42, 'n'],
    ['negative', -7, 'n'],
    ['max-safe', Number.MAX_SAFE_INTEGER, 'n'],
    ['above-safe', 2 ** 53 + 2, 'n'],
    ['2^60', 2 ** 60, 'n'],
    ['-1e20', -1e20, 'n'],
    ['float', 0.1, 'n'],
    ['third', 1 / 3, 'n'],
    ['negative-float', -123.456, 'n'],
    ['1e21', 1e21, 'v'],
    ['tiny', 1.5e-7, 'v'],
    ['min-value', Number.MIN_VALUE, 'v'],
    ['max-value', Number.MAX_VALUE, 'v'],
    ['-0', -0, 'v'],
    ['nan', NaN, 'v'],
    ['-infinity', -Infinity, 'v'],
  ];

  async function raw(table: string, key: string): Promise<Record<string, AttributeValue> | undefined> {
    return (await fx.client.send(new GetItemCommand({ TableName: table, Key: { k: { S: key } }, ConsistentRead: true }))).Item;
  }

  async function expectStored(table: string) {
    for (const [key, value, stored] of NUMBERS) {
      const item = await raw(table, key);
      if (stored === 'n') expect(item, key).toEqual({ k: { S: key }, n: { N: String(value) } });
      else expect(Object.keys(item ?? {}).sort(), key).toEqual(['h', 'k', 'v']);
    }
  }

  it('stores each as a DynamoDB number only when exact, and reads every one back as the same number', async () => {
    const table = await fx.dictTable('numbers');
    const d = new DictClient<number>({ documents: fx.documents, name: 'numbers', table });
    for (const [key, value] of NUMBERS) await d.set(key, value);
    await expectStored(table);
    for (const [key, value] of NUMBERS) expect(Object.is(await d.get(key), value), key).toBe(true);
    const many = await d.getMany(NUMBERS.map(([key]) => key));
    for (const [i, [key, value]] of NUMBERS.entries()) expect(Object.is(many[i], value), key).toBe(true);
    const listed = new Map<string, number>();
    for await (const [key, value] of d.entries()) listed.set(key, value);
    for (const [key, value] of NUMBERS) expect(Object.is(listed.get(key), value), key).toBe(true);
    // Compare-and-set compares the codec's form: every one equals itself (NaN and -0 included).
    for (const [key, value] of NUMBERS) expect(await d.update(key, { expected: value, value: 1 }), key).toBe(true);
  });

  it('re-sends unprocessed batch writes with the same numbers', async () => {
    const proxy = await startPartialBatchProxy(fx.dynamo.endpoint);
    const client = dynamoClient(proxy.endpoint);
    try {
      const table = await fx.dictTable('numbers-batch');
      const d = new DictClient<number>({ documents: documentClient(client), name: 'numbers-batch', table, batch: { backoff: { baseMs: 5, capMs: 40 } } });
      // The proxy answers the second half of a batch as unprocessed: the DynamoDB numbers go last, so the document
      // client hands them back translated and sends them again.
      await d.setMany(NUMBERS.map(([key, value]) => [key, value] as const).reverse());
      expect(proxy.partialAnswers).toBeGreaterThan(0);
      await expectStored(table);
      const values = await d.getMany(NUMBERS.map(([key]) => key));
      for (const [i, [key, value]] of NUMBERS.entries()) expect(Object.is(values[i], value), key).toBe(true);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('increments beyond the safe integers with one ADD, in DynamoDB exact decimal arithmetic', async () => {
    const table = await fx.dictTable('increments');
    const d = new DictClient<number>({ documents: fx.documents, name: 'increments', table });
    await d.set('big', 2 ** 53);
    expect(await d.increment('big', 2)).toBe(2 ** 53 + 2);
    expect(await raw(table, 'big')).toEqual({ k: { S: 'big' }, n: { N: '9007199254740994' } });
    expect(await d.increment('huge', 1e20)).toBe(1e20);
    expect(await d.increment('huge', 1e20)).toBe(2e20);
    expect(await raw(table, 'huge')).toEqual({ k: { S: 'huge' }, n: { N: '200000000000000000000' } });
    // A sum DynamoDB holds exactly but a JS number cannot reads as the nearest JS number.
    expect(await d.increment('huge', 0.5)).toBe(2e20);
    expect(await raw(table, 'huge')).toEqual({ k: { S: 'huge' }, n: { N: '200000000000000000000.5' } });
    expect(await d.get('huge')).toBe(2e20);
    expect(await d.increment('cents', 0.1)).toBe(0.1);
    // DynamoDB adds decimals exactly: 0.1 + 0.2 is 0.3 there, where JS would make 0.30000000000000004.
    expect(await d.increment('cents', 0.2)).toBe(0.3);
  });
});

describe('keys / entries', () => {
  it('lists every key, by prefix, across scan pages', async () => {
    const d = await fx.dict('listing');
    // 30 entries of ~100 KB: more than one 1 MB scan page.
    const bulky = 'x'.repeat(100_000);
    await d.setMany(Array.from({ length: 30 }, (_, i) => [`bulk/${String(i).padStart(2, '0')}`, bulky] as const));
    await d.setMany([
      ['a/1', 1],
      ['a/2', 2],
      ['b/1', 3],
    ]);
    const all: string[] = [];
    for await (const key of d.keys()) all.push(key);
    expect(all).toHaveLength(33);
    const prefixed: string[] = [];
    for await (const key of d.keys({ prefix: 'a/' })) prefixed.push(key);
    expect(prefixed.sort()).toEqual(['a/1', 'a/2']);
    let bulk = 0;
    for await (const [key, value] of d.entries({ prefix: 'bulk/' })) {
      expect(key.startsWith('bulk/')).toBe(true);
      expect(value).toBe(bulky);
      bulk++;
    }
    expect(bulk).toBe(30);
  });

  it('pages through a prefix that few keys match in a few requests, every matching key once', async () => {
    const client = dynamoClient(fx.dynamo.endpoint);
    let requests = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        requests++;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const d = await fx.dict<number>('sparse', { client });
    const keys = Array.from({ length: 2000 }, (_, i) => (i % 200 === 0 ? `hot/${i}` : `cold/${i}`));
    await d.setMany(keys.map((key, i) => [key, i] as const));
    requests = 0;
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await d.page({ prefix: 'hot/', limit: 3, ...(after !== undefined ? { after } : {}) });
      pages.push(page.entries.map(([key]) => key));
      after = page.last;
    } while (after !== undefined && pages.length < 20);
    expect(pages.flat().sort()).toEqual(keys.filter((key) => key.startsWith('hot/')).sort());
    expect(pages.slice(0, 3).map((page) => page.length)).toEqual([3, 3, 3]);
    // Reading 3 items a request (the page's size) would take about 670 requests; the reads double instead.
    expect(requests).toBeLessThan(80);
    client.destroy();
  });
});

describe('batch operations', () => {
  for (const size of [25, 100]) {
    it(`setMany / getMany / deleteMany over ${size} items`, async () => {
      const d = await fx.dict(`batch${size}`);
      const entries = Array.from({ length: size }, (_, i) => [`k${i}`, { i, label: `item ${i}` }] as const);
      await d.setMany(entries);
      const keys = [...entries.map(([k]) => k)].reverse();
      const values = await d.getMany([...keys, 'missing', 'k0']);
      expect(values).toEqual([...keys.map((k) => ({ i: Number(k.slice(1)), label: `item ${k.slice(1)}` })), undefined, { i: 0, label: 'item 0' }]);
      await d.deleteMany(keys.slice(0, Math.floor(size / 2)));
      const after = await d.getMany(keys);
      expect(after.filter((v) => v === undefined)).toHaveLength(Math.floor(size / 2));
    });
  }

  it('setMany of a repeated key keeps the last value, like sequential sets', async () => {
    const d = await fx.dict('batchdup');
    await d.setMany([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
    expect(await d.getMany(['a', 'b'])).toEqual([3, 2]);
  });

  it('re-sends Unprocessed items and keys until every one is done', async () => {
    const proxy = await startPartialBatchProxy(fx.dynamo.endpoint);
    const client = dynamoClient(proxy.endpoint);
    try {
      const d = await fx.dict('unprocessed', { client, batch: { backoff: { baseMs: 5, capMs: 40 } } });
      const entries = Array.from({ length: 100 }, (_, i) => [`k${i}`, i] as const);
      await d.setMany(entries);
      const writes = proxy.partialAnswers;
      expect(writes).toBeGreaterThan(4);
      const values = await d.getMany(entries.map(([k]) => k));
      expect(values).toEqual(entries.map(([, v]) => v));
      expect(proxy.partialAnswers).toBeGreaterThan(writes);
      await d.deleteMany(entries.map(([k]) => k));
      expect((await d.getMany(entries.map(([k]) => k))).every((v) => v === undefined)).toBe(true);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('rejects entries that are not pairs and arguments that are not iterable', async () => {
    const d = await fx.dict('batchbad');
    await expect(d.setMany([['a']] as never)).rejects.toThrow(/entries\[0\] must be a \[key, value\] pair/);
    await expect(d.getMany(42 as never)).rejects.toThrow(/expected an array or other iterable, got number/);
    await expect(d.getMany(['ok', 7 as never])).rejects.toThrow(/key at keys\[1\] must be a string, got number/);
  });
});

describe('limits and bad input', () => {
  it('refuses a value over the 400 KB item limit, naming the size and the limit', async () => {
    const d = await fx.dict('oversize');
    const big = 'y'.repeat(410_000);
    const error = await d.set('big', big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect((error as ValueTooLargeError).sizeBytes).toBeGreaterThan(410_000);
    expect((error as Error).message).toMatch(/is 410,0\d\d bytes; .* 400 KB item limit \(409,600 bytes\)/);
    await expect(
      d.setMany([
        ['ok', 1],
        ['big', big],
      ]),
    ).rejects.toThrow(ValueTooLargeError);
    expect(await d.get('ok')).toBeUndefined();
    // Just under the limit fits.
    await d.set('fits', 'z'.repeat(400_000));
    expect(((await d.get('fits')) as string).length).toBe(400_000);
  });

  it('checks key rules', async () => {
    const d = await fx.dict('keys');
    await expect(d.get('')).rejects.toThrow(InvalidKeyError);
    await expect(d.set(7 as never, 1)).rejects.toThrow(/the key must be a string, got number/);
    await expect(d.set('k'.repeat(2049), 1)).rejects.toThrow(/is 2049 bytes; keys are at most 2048 UTF-8 bytes/);
    await d.set('é'.repeat(1024), 1);
    expect(await d.get('é'.repeat(1024))).toBe(1);
    await expect(d.set('ab\uD83D', 1)).rejects.toThrow(/holds half of a UTF-16 surrogate pair at index 2; keys must be valid Unicode text/);
    await expect(d.get('\uDE00x')).rejects.toThrow(InvalidKeyError);
    await d.set('emoji 😀', 2);
    expect(await d.get('emoji 😀')).toBe(2);
  });

  it('refuses values the codec cannot carry, naming the path', async () => {
    const d = await fx.dict('codec');
    await expect(d.set('k', { user: { callback: () => 1 } })).rejects.toThrow(CodecError);
    await expect(d.set('k', { user: { callback: () => 1 } })).rejects.toThrow(/value\.user\.callback/);
    await expect(
      d.setMany([
        ['a', 1],
        ['b', new (class Point {})()],
      ]),
    ).rejects.toThrow(/entries\[1\]\[1\]: an instance of class Point/);
  });

  it('names the missing table when the dict was never created', async () => {
    const d = new DictClient({ documents: fx.documents, name: 'ghost', table: 'no-such-table' });
    await expect(d.get('k')).rejects.toThrow(/The table "no-such-table" of dict "ghost" does not exist/);
  });

  it('refuses a low-level DynamoDBClient in place of the document client', () => {
    expect(() => new DictClient({ documents: fx.client as never, name: 'raw', table: 't' })).toThrow(InvalidArgumentError);
    expect(() => new DictClient({ documents: fx.client as never, name: 'raw', table: 't' })).toThrow(
      /dict "raw" needs the DynamoDB document client \(documentClient\(dynamodb\) of multinode\/runtime\), got a DynamoDBClient/,
    );
  });
});
