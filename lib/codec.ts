/**
 * The one codec for every value that crosses a process boundary: call arguments and results, job progress, dict
 * values. JSON plus Date, Map, Set, BigInt, Uint8Array (Buffers included), undefined, NaN, +-Infinity and -0.
 * Anything else (functions, symbols, class instances, cycles) is refused with the path of the offending value.
 *
 * Wire form: plain JSON, where non-JSON values become tagged objects `{"$t": tag, "v": ...}`; a user object that
 * happens to have a `$t` key is wrapped as `{"$t": "Object", "v": {...}}`, so decoding is never ambiguous.
 */
import { CodecError } from './errors.js';

export type WireValue = null | boolean | number | string | WireValue[] | { [key: string]: WireValue };

const TAG = '$t';
const MAX_DEPTH = 1000;

/** Encodes `value` to its wire tree; `path` names the root in errors (`args[0]`, `value`, ...). */
export function toWire(value: unknown, path = 'value'): WireValue {
  return new Encoder().encode(value, path, 0);
}

/** Encodes `value` to a JSON string. */
export function encode(value: unknown, path = 'value'): string {
  return JSON.stringify(toWire(value, path));
}

/** Decodes a wire tree made by `toWire`. */
export function fromWire(wire: unknown): unknown {
  return decodeNode(wire, 'value');
}

/** Decodes a JSON string made by `encode`. */
export function decode(text: string): unknown {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch (error) {
    throw new CodecError('value', `the text is not JSON (${(error as Error).message})`);
  }
  return fromWire(wire);
}

/** UTF-8 byte length of the encoded value: what counts against size limits. */
export function encodedSize(value: unknown, path = 'value'): number {
  return Buffer.byteLength(encode(value, path), 'utf8');
}

class Encoder {
  /** Objects on the current path, to tell cycles (refused) from shared references (copied). */
  private readonly ancestors = new Map<object, string>();

  encode(value: unknown, path: string, depth: number): WireValue {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return { [TAG]: 'Number', v: Object.is(value, -0) ? '-0' : String(value) };
      case 'bigint':
        return { [TAG]: 'BigInt', v: value.toString() };
      case 'undefined':
        return { [TAG]: 'undefined' };
      case 'function':
        throw new CodecError(path, `a function${value.name ? ` (${value.name})` : ''} is not a serializable value`);
      case 'symbol':
        throw new CodecError(path, `a symbol (${value.toString()}) is not a serializable value`);
    }
    if (value === null) return null;
    if (depth >= MAX_DEPTH) throw new CodecError(path, `the value is nested deeper than ${MAX_DEPTH} levels`);
    const object = value as object;
    const cycleStart = this.ancestors.get(object);
    if (cycleStart !== undefined) throw new CodecError(path, `a circular reference (back to ${cycleStart}) cannot be serialized`);
    this.ancestors.set(object, path);
    try {
      return this.encodeObject(object, path, depth + 1);
    } finally {
      this.ancestors.delete(object);
    }
  }

  private encodeObject(value: object, path: string, depth: number): WireValue {
    if (Array.isArray(value)) {
      const out: WireValue[] = [];
      for (let i = 0; i < value.length; i++) out.push(this.encode(value[i], `${path}[${i}]`, depth));
      return out;
    }
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new CodecError(path, 'an invalid Date cannot be serialized');
      return { [TAG]: 'Date', v: value.toISOString() };
    }
    if (value instanceof Uint8Array) {
      return { [TAG]: 'Bytes', v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    }
    if (value instanceof Map) {
      const entries: WireValue[] = [];
      let index = 0;
      for (const [key, item] of value) {
        entries.push([this.encode(key, `${path}.keys()[${index}]`, depth), this.encode(item, `${path}.get(${describeKey(key)})`, depth)]);
        index++;
      }
      return { [TAG]: 'Map', v: entries };
    }
    if (value instanceof Set) {
      const items: WireValue[] = [];
      let index = 0;
      for (const item of value) items.push(this.encode(item, `${path}.values()[${index++}]`, depth));
      return { [TAG]: 'Set', v: items };
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new CodecError(path, refusalFor(value));
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new CodecError(path, 'an object with symbol keys cannot be serialized (symbol keys would be lost)');
    }
    const out: { [key: string]: WireValue } = {};
    for (const key of Object.keys(value)) {
      setOwn(out, key, this.encode((value as Record<string, unknown>)[key], `${path}${propertyPath(key)}`, depth));
    }
    return TAG in out ? { [TAG]: 'Object', v: out } : out;
  }
}

function refusalFor(value: object): string {
  if (ArrayBuffer.isView(value)) {
    return `${withArticle(value.constructor.name)} is not supported (only Uint8Array; wrap the bytes with new Uint8Array(view.buffer))`;
  }
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer is not supported (wrap it in a Uint8Array)';
  if (value instanceof Error) return `${withArticle(value.constructor.name)} object cannot be serialized (send its message instead)`;
  if (value instanceof Promise) return 'a Promise cannot be serialized (await it first)';
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return `an instance of class ${name || '(anonymous)'} cannot be serialized (convert it to a plain object)`;
}

/** Assigns an own property, even `__proto__` (plain assignment would change the prototype instead). */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function withArticle(word: string): string {
  return `${/^[AEIOU]/i.test(word) ? 'an' : 'a'} ${word}`;
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null || key === undefined) return String(key);
  if (typeof key === 'bigint') return `${key}n`;
  return typeof key;
}

function decodeNode(wire: unknown, path: string): unknown {
  if (wire === null || typeof wire === 'string' || typeof wire === 'boolean') return wire;
  if (typeof wire === 'number') return wire;
  if (Array.isArray(wire)) return wire.map((item, i) => decodeNode(item, `${path}[${i}]`));
  if (typeof wire !== 'object') throw new CodecError(path, `${typeof wire} is not part of the wire format`);
  const record = wire as Record<string, unknown>;
  if (!(TAG in record)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) setOwn(out, key, decodeNode(record[key], `${path}${propertyPath(key)}`));
    return out;
  }
  const tag = record[TAG];
  const v = record.v;
  const malformed = (): never => {
    throw new CodecError(path, `the tagged value ${JSON.stringify(record).slice(0, 60)} is malformed (not made by this codec)`);
  };
  switch (tag) {
    case 'undefined':
      return undefined;
    case 'Number':
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (v === '-0') return -0;
      return malformed();
    case 'BigInt':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return malformed();
      return BigInt(v);
    case 'Date': {
      const date = typeof v === 'string' ? new Date(v) : undefined;
      if (!date || Number.isNaN(date.getTime())) return malformed();
      return date;
    }
    case 'Bytes':
      if (typeof v !== 'string') return malformed();
      return new Uint8Array(Buffer.from(v, 'base64'));
    case 'Map':
      if (!Array.isArray(v)) return malformed();
      return new Map(
        v.map((entry, i) => {
          if (!Array.isArray(entry) || entry.length !== 2) return malformed();
          return [decodeNode(entry[0], `${path}.keys()[${i}]`), decodeNode(entry[1], `${path}.values()[${i}]`)] as const;
        }),
      );
    case 'Set':
      if (!Array.isArray(v)) return malformed();
      return new Set(v.map((item, i) => decodeNode(item, `${path}.values()[${i}]`)));
    case 'Object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return malformed();
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) setOwn(out, key, decodeNode((v as Record<string, unknown>)[key], `${path}${propertyPath(key)}`));
      return out;
    }
    default:
      return malformed();
  }
}
