/**
 * Run ids: time-sortable, so a Query on the sort key lists runs newest first without an index. 10 characters of
 * Crockford base32 milliseconds (sortable until the year 10889) and 16 of randomness (80 bits: no collisions
 * between concurrent starts).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RUN_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** The 10 time characters of an id made at `ms` (clamped to what ids can hold). */
function timePart(ms: number): string {
  let time = '';
  let rest = Math.min(Math.max(Math.floor(ms), 0), 32 ** 10 - 1);
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
  return time;
}

/** The smallest (`low`) or largest (`high`) id made at `ms`: bounds of a key range of ids by time. */
export function runIdBound(ms: number, end: 'low' | 'high'): string {
  return timePart(ms) + (end === 'low' ? ALPHABET[0]! : ALPHABET[31]!).repeat(16);
}

export function newRunId(nowMs: number = Date.now()): string {
  const time = timePart(nowMs);
  const random = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += ALPHABET[random[i]! % 32];
  return time + tail;
}

/** The creation time encoded in a run id. */
export function runIdTime(id: string): number {
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}
