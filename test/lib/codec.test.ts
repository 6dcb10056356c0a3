import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, encodedSize, fromWire, toWire } from '../../lib/codec.js';
import { CodecError } from '../../lib/errors.js';

const roundTrip = (value: unknown) => decode(encode(value));

describe('codec round trips', () => {
  it.each([
    ['null', null],
    ['booleans', [true, false]],
    ['numbers', [0, 1, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e-300]],
    ['strings', ['', 'hello', 'ünïcödé 🚀', '$t']],
    ['nested plain objects', { a: { b: { c: [1, 2, { d: 'e' }] } } }],
    ['undefined at top level', undefined],
    ['undefined in arrays and objects', { a: undefined, b: [undefined, 1] }],
    ['NaN, infinities and -0', [NaN, Infinity, -Infinity, -0]],
    ['dates', { when: new Date('2023-09-08T23:00:00.000Z') }],
    ['bigints', [0n, -12345678901234567890n, 2n ** 100n]],
    ['bytes', new Uint8Array([0, 1, 254, 255])],
    [
      'maps with any keys',
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
        [null, undefined],
        [{ k: 1 }, new Date(0)],
      ]),
    ],
    ['sets', new Set([1, 'a', 2n])],
    ['objects with a $t key', { $t: 'Date', v: 'not a date' }],
    ['objects with a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "x": 1}')],
    [
      'shared (non-cyclic) references',
      (() => {
        const shared = { s: 1 };
        return [shared, shared, { shared }];
      })(),
    ],
  ])('%s', (_, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  it('keeps -0 and undefined keys exactly', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Object.keys(roundTrip({ a: undefined }) as object)).toEqual(['a']);
  });

  it('decodes Buffers as Uint8Array with the same bytes', () => {
    const decoded = roundTrip(Buffer.from('hello')) as Uint8Array;
    expect(decoded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(decoded).toString()).toBe('hello');
    const view = new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2);
    expect([...(roundTrip(view) as Uint8Array)]).toEqual([8, 7]);
  });

  it('never lets a __proto__ key change a prototype', () => {
    const decoded = decode('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(decoded)).toEqual(['__proto__']);
  });

  it('round-trips arbitrary values (property)', () => {
    const leaf = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.double(),
      fc.string(),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
      fc.uint8Array({ maxLength: 16 }),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.oneof(fc.string(), fc.constant('$t'), fc.constant('__proto__')), tie('value'), { maxKeys: 4 }),
      map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
      set: fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v);
        expect(fromWire(JSON.parse(JSON.stringify(toWire(v))))).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe('codec refusals name the path', () => {
  class Report {
    constructor(readonly total = 1) {}
  }
  const cyclic: Record<string, unknown> = { name: 'root' };
  cyclic.self = { back: cyclic };

  it.each([
    [
      'a function deep inside',
      [1, { items: [0, 1, 2, { fn: function callback() {} }] }],
      'args[1].items[3].fn',
      'a function (callback) is not a serializable value',
    ],
    ['an arrow function', { user: { callback: () => 1 } }, 'args.user.callback', 'a function'],
    ['a symbol', { s: Symbol('x') }, 'args.s', 'a symbol (Symbol(x)) is not a serializable value'],
    ['a class instance', { report: new Report() }, 'args.report', 'an instance of class Report cannot be serialized (convert it to a plain object)'],
    ['a cycle', cyclic, 'args.self.back', 'a circular reference (back to args) cannot be serialized'],
    ['an invalid Date', { at: new Date('nope') }, 'args.at', 'an invalid Date cannot be serialized'],
    ['a Float64Array', { v: new Float64Array(2) }, 'args.v', 'a Float64Array is not supported (only Uint8Array'],
    ['an ArrayBuffer', [new ArrayBuffer(4)], 'args[0]', 'an ArrayBuffer is not supported (wrap it in a Uint8Array)'],
    ['an Error', { e: new TypeError('x') }, 'args.e', 'a TypeError object cannot be serialized (send its message instead)'],
    ['a Promise', { p: Promise.resolve(1) }, 'args.p', 'a Promise cannot be serialized (await it first)'],
    ['a RegExp', { r: /x/ }, 'args.r', 'an instance of class RegExp'],
    ['a value inside a Map', new Map([['k', { f: () => 1 }]]), 'args.get("k").f', 'a function'],
    ['a Map key', new Map([[Symbol('k'), 1]]), 'args.keys()[0]', 'a symbol'],
    ['a Set item', new Set([1, () => 1]), 'args.values()[1]', 'a function'],
    ['an odd key', { 'my key': () => 1 }, 'args["my key"]', 'a function'],
    ['symbol keys', { [Symbol('k')]: 1 }, 'args', 'an object with symbol keys cannot be serialized'],
  ])('%s', (_, value, path, reason) => {
    let error: unknown;
    try {
      encode(value, 'args');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).path).toBe(path);
    expect((error as CodecError).message).toContain(`Cannot serialize ${path}: ${reason}`);
    expect((error as CodecError).message).toContain('Allowed: JSON values, Date, Map, Set, BigInt, Uint8Array and undefined.');
  });

  it('refuses values nested deeper than 1000 levels instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = [deep];
    expect(() => encode(deep)).toThrow(/nested deeper than 1000 levels/);
  });
});

describe('decoding refuses what this codec did not make', () => {
  it.each([
    ['not JSON', '{oops', /the text is not JSON/],
    ['an unknown tag', '{"$t":"Elephant","v":1}', /malformed \(not made by this codec\)/],
    ['a bad BigInt', '{"$t":"BigInt","v":"12a"}', /malformed/],
    ['a bad Date', '{"$t":"Date","v":"yesterday"}', /malformed/],
    ['a bad Map', '{"$t":"Map","v":[[1]]}', /malformed/],
    ['a bad Number', '{"$t":"Number","v":"12"}', /malformed/],
  ])('%s', (_, text, message) => {
    expect(() => decode(text)).toThrow(message);
  });

  it('measures the encoded size in UTF-8 bytes', () => {
    expect(encodedSize('é')).toBe(4);
    expect(encodedSize({ a: 1 })).toBe(7);
  });
});
