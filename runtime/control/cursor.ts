/**
 * Opaque cursors: where a listing stopped, and which listing it belongs to, as base64url JSON. A cursor of another
 * listing, or a string that is not a cursor at all, is refused with an InvalidArgumentError rather than read as a
 * position it never meant.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../lib/errors.js';

const VERSION = 1;

/** A short fingerprint of what a listing selects (not where it is). */
export function fingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

export function encodeCursor(listing: string, position: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, l: listing, p: position }), 'utf8').toString('base64url');
}

/** The position in `cursor`, which must come from the listing `listing`. */
export function decodeCursor(cursor: unknown, listing: string, method: string, what: string): string {
  const refuse = (why: string) =>
    new InvalidArgumentError(
      `${method}: cursor ${JSON.stringify(cursor)} ${why}; pass the \`cursor\` of the previous page of ${what}, or none for the first page.`,
    );
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw refuse('is not a cursor this control plane returned');
  let parsed: { v?: unknown; l?: unknown; p?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw refuse('is not a cursor this control plane returned');
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.v !== VERSION || typeof parsed.p !== 'string' || typeof parsed.l !== 'string') {
    throw refuse('is not a cursor this control plane returned');
  }
  if (parsed.l !== listing) throw refuse('belongs to another listing (other filters)');
  return parsed.p;
}
