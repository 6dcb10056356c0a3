/**
 * Run ids: time-sortable, so a Query on the sort key lists runs newest first without an index. 10 characters of
 * Crockford base32 milliseconds (sortable until the year 10889) and 16 of randomness (80 bits: no collisions
 * between concurrent starts).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RUN_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;

export function newRunId(nowMs: number = Date.now()): string {
  let time = '';
  let rest = Math.floor(nowMs);
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
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
