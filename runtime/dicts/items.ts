/**
 * Dict entries <-> DynamoDB items (see schema.ts): value storage, canonical hashes for compare-and-set, expiry,
 * key rules and the item size check.
 */
import { createHash } from 'node:crypto';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { fromWire, toWire, type WireValue } from '../../lib/codec.js';
import { InvalidKeyError, ValueTooLargeError } from '../../lib/errors.js';
import { DICT_SCHEMA as S, ITEM_LIMIT_BYTES, KEY_LIMIT_BYTES } from './schema.js';

/**
 * A dict entry's item: the one definition of its attributes (schema.ts says what each holds). `n` is written as a
 * NumberValue carrying the exact text `storeValue` chose, and read back as a number (or, beyond the safe integers,
 * as a NumberValue of the stored text: see core/clients.ts).
 */
export type EntryItem = {
  readonly [S.key]: string;
  readonly [S.number]?: number | NumberValue;
  readonly [S.value]?: string;
  readonly [S.hash]?: string;
  readonly [S.ttl]?: number;
};

/** The key of an entry's item. */
export type EntryKey = Pick<EntryItem, typeof S.key>;

export const entryKey = (key: string): EntryKey => ({ [S.key]: key });

/** A DynamoDB number with exactly this text (the text `storeValue` chose, or an amount to add). */
export const dynamoNumber = (text: string): NumberValue => NumberValue.from(text);

/** How a value is stored: a DynamoDB number, or codec JSON with its canonical hash. */
export type StoredValue = { readonly n: string } | { readonly v: string; readonly h: string };

/** Numbers DynamoDB holds exactly and prints back the same: finite, not -0, no exponent form, in range. */
function asDynamoNumber(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return undefined;
  const text = String(value);
  return /e/i.test(text) ? undefined : text;
}

export function storeValue(value: unknown, path: string): StoredValue {
  const n = asDynamoNumber(value);
  if (n !== undefined) return { n };
  const wire = toWire(value, path);
  return { v: JSON.stringify(wire), h: canonicalHash(wire) };
}

/** The value an item holds. */
export function itemValue(item: EntryItem): unknown {
  const n = item[S.number];
  if (n !== undefined) return Number(n);
  const v = item[S.value];
  return v === undefined ? undefined : fromWire(JSON.parse(v));
}

/** Hash of the wire tree with object keys sorted, so `{a,b}` and `{b,a}` compare equal. */
export function canonicalHash(wire: WireValue): string {
  return createHash('sha256').update(canonicalJson(wire)).digest('base64url').slice(0, 32);
}

function canonicalJson(wire: WireValue): string {
  if (wire === null || typeof wire !== 'object') return JSON.stringify(wire);
  if (Array.isArray(wire)) return `[${wire.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(wire).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(wire[key]!)}`).join(',')}}`;
}

/** Epoch seconds at which an entry set now with `ttlSeconds` expires (rounded up: never early). */
export function expiryFor(nowMs: number, ttlSeconds: number): number {
  return Math.ceil((nowMs + ttlSeconds * 1000) / 1000);
}

/** Whether an item is expired at `nowMs` (DynamoDB deletes expired items days late; reads must not see them). */
export function isExpired(item: EntryItem, nowMs: number): boolean {
  const x = item[S.ttl];
  return x !== undefined && x <= Math.floor(nowMs / 1000);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkKey(dict: string, key: unknown, what = 'key'): string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`dict "${dict}": the ${what} must be a string, got ${key === null ? 'null' : typeof key}.`);
  }
  if (key.length === 0) throw new InvalidKeyError(`dict "${dict}": the ${what} must not be empty (1 to ${KEY_LIMIT_BYTES} UTF-8 bytes).`);
  // Half of a surrogate pair has no UTF-8 form: stored, it would come back as another key.
  const lone = LONE_SURROGATE.exec(key);
  if (lone) {
    throw new InvalidKeyError(
      `dict "${dict}": the ${what} ${JSON.stringify(key.slice(0, 40))} holds half of a UTF-16 surrogate pair at index ${lone.index}; keys must be ` +
        `valid Unicode text.`,
    );
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > KEY_LIMIT_BYTES) {
    throw new InvalidKeyError(
      `dict "${dict}": the ${what} ${JSON.stringify(key.slice(0, 40))}... is ${bytes} bytes; keys are at most ${KEY_LIMIT_BYTES} UTF-8 bytes.`,
    );
  }
  return key;
}

/** A full item for `set`; throws ValueTooLargeError when it would exceed DynamoDB's item limit. */
export function entryItem(dict: string, key: string, stored: StoredValue, expiry: number | undefined): EntryItem {
  const item: EntryItem = {
    [S.key]: key,
    ...('n' in stored ? { [S.number]: dynamoNumber(stored.n) } : { [S.value]: stored.v, [S.hash]: stored.h }),
    ...(expiry === undefined ? {} : { [S.ttl]: expiry }),
  };
  const size = itemSize(item);
  if (size > ITEM_LIMIT_BYTES) {
    throw new ValueTooLargeError(
      `dict "${dict}": the entry for key ${JSON.stringify(key.slice(0, 60))} is ${size.toLocaleString('en-US')} bytes; ` +
        `a dict entry (key and encoded value) must fit DynamoDB's 400 KB item limit (${ITEM_LIMIT_BYTES.toLocaleString('en-US')} bytes). ` +
        'Store large data elsewhere (an S3 object) and keep its key in the dict.',
      size,
      ITEM_LIMIT_BYTES,
    );
  }
  return item;
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8 bytes; numbers at most 21 bytes). */
export function itemSize(item: EntryItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item) as Array<[string, string | number | NumberValue | undefined]>) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, 'utf8');
    if (typeof value === 'string') size += Buffer.byteLength(value, 'utf8');
    else size += Math.min(21, Math.ceil(String(value).replace(/^-|\.|^0+/g, '').length / 2) + 1);
  }
  return size;
}
