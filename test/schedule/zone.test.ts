/** Time zones: offsets and transitions from Intl, and resolving wall-clock times by EventBridge's DST rules. */
import { describe, expect, it } from 'vitest';
import { resolveTimeZone, Zone } from '../../lib/schedule/zone.js';

const naive = (text: string) => Date.parse(`${text}Z`);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('time zones', () => {
  it('finds the offset transitions of a year, to the second', () => {
    const transitions = (zone: string, year: number) =>
      Zone.of(zone)
        .transitionsBetween(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1))
        .map((t) => [iso(t.at), t.offset / 60_000]);
    expect(transitions('Europe/London', 2024)).toEqual([
      ['2024-03-31T01:00:00.000Z', 60],
      ['2024-10-27T01:00:00.000Z', 0],
    ]);
    expect(transitions('Australia/Lord_Howe', 2024)).toEqual([
      ['2024-04-06T15:00:00.000Z', 630],
      ['2024-10-05T15:30:00.000Z', 660],
    ]);
    expect(transitions('Asia/Kathmandu', 1986)).toEqual([]);
    expect(transitions('Asia/Kathmandu', 1985)).toEqual([['1985-12-31T18:30:00.000Z', 345]]);
    expect(transitions('UTC', 2024)).toEqual([]);
  });

  it('resolves wall-clock times: unique, skipped, or the first of two', () => {
    const london = Zone.of('Europe/London');
    expect(iso(london.resolve(naive('2024-06-01T12:00')))).toBe('2024-06-01T11:00:00.000Z');
    expect(london.resolve(naive('2024-03-31T01:30'))).toBeUndefined();
    expect(iso(london.resolve(naive('2024-03-31T02:00')))).toBe('2024-03-31T01:00:00.000Z');
    expect(iso(london.resolve(naive('2024-10-27T01:30')))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(Zone.of('Asia/Kathmandu').resolve(naive('1986-01-01T00:15')))).toBe('1985-12-31T18:30:00.000Z');
    expect(Zone.of('Asia/Kathmandu').resolve(naive('1986-01-01T00:14'))).toBeUndefined();
  });

  it('reads the wall clock of an instant', () => {
    expect(iso(Zone.of('America/New_York').wallClock(Date.parse('2024-07-04T16:00:00Z')))).toBe('2024-07-04T12:00:00.000Z');
  });

  it('validates IANA names and fixes their case', () => {
    expect(resolveTimeZone('Europe/London')).toBe('Europe/London');
    expect(resolveTimeZone('europe/london')).toBe('Europe/London');
    expect(resolveTimeZone('utc')).toBe('UTC');
    expect(resolveTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    for (const bad of ['', 'Mars/Olympus', '+01:00', 'UTC+1', ' Europe/London', '../etc/passwd']) expect(resolveTimeZone(bad)).toBeUndefined();
  });
});
