/** How the CLI prints and reads times: tables, ISO times with how long ago, durations, and the time and choice flags. */
import { describe, expect, it } from 'vitest';
import { parseChoices, parseInstant, parseTimeFlag } from '../../bin/args.js';
import { UsageError } from '../../bin/io.js';
import { duration, isoTime, oneLine, table, toJson, when } from '../../bin/output.js';

const NOW = Date.parse('2024-03-30T12:00:00Z');

describe('output', () => {
  it('aligns table columns by their widest cell, without trailing spaces', () => {
    expect(
      table(
        ['ID', 'NAME', 'STATUS'],
        [
          ['a', 'echo', 'SUCCEEDED'],
          ['bbbb', 'x', ''],
        ],
      ),
    ).toBe('ID    NAME  STATUS\na     echo  SUCCEEDED\nbbbb  x\n');
  });

  it('shows times in ISO with how long ago or until, and readable durations', () => {
    expect(isoTime(NOW)).toBe('2024-03-30T12:00:00Z');
    expect(isoTime(NOW + 5)).toBe('2024-03-30T12:00:00.005Z');
    expect(when(NOW - 3 * 60_000, NOW)).toBe('2024-03-30T11:57:00Z (3m ago)');
    expect(when(NOW + 2 * 3_600_000 + 5 * 60_000, NOW)).toBe('2024-03-30T14:05:00Z (in 2h 5m)');
    expect(when(NOW + 400, NOW)).toBe('2024-03-30T12:00:00.400Z (now)');
    expect(when(undefined, NOW)).toBe('-');
    expect([850, 1234, 9999, 200_000, 7_500_000, 3 * 86_400_000 + 4 * 3_600_000].map((ms) => duration(ms))).toEqual([
      '850ms',
      '1.2s',
      '9.9s',
      '3m 20s',
      '2h 5m',
      '3d 4h',
    ]);
    expect(duration(undefined)).toBe('-');
    expect(duration(45_400, { coarse: true })).toBe('45s');
  });

  it('prints codec values as JSON: Dates, Maps, Sets, BigInts and bytes', () => {
    const value = { at: new Date(NOW), m: new Map([['k', 1]]), s: new Set([1, 2]), n: 10n, b: new Uint8Array([1, 2]) };
    expect(toJson(value, 0)).toBe('{"at":"2024-03-30T12:00:00.000Z","m":{"k":1},"s":[1,2],"n":"10","b":"AQI="}');
    expect(oneLine('x'.repeat(100), 10)).toBe('"xxxxxx...');
    expect(oneLine(undefined)).toBe('-');
  });
});

describe('time and choice flags', () => {
  it('reads a duration back from now, or an ISO date or date-time (UTC without an offset)', () => {
    expect(parseTimeFlag('runs', 'since', '1h', NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeFlag('runs', 'since', '1h30m', NOW)).toBe(NOW - 5_400_000);
    expect(parseTimeFlag('runs', 'since', '2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseTimeFlag('runs', 'since', '2024-03-01', NOW)).toBe(Date.parse('2024-03-01T00:00:00Z'));
    expect(parseTimeFlag('runs', 'since', '2024-03-01T10:00', NOW)).toBe(Date.parse('2024-03-01T10:00:00Z'));
    expect(parseTimeFlag('runs', 'since', '2024-03-01T10:00+01:00', NOW)).toBe(Date.parse('2024-03-01T09:00:00Z'));
    expect(parseTimeFlag('runs', 'since', undefined, NOW)).toBeUndefined();
    for (const bad of ['yesterday', '0s', '-1h', '2024-02-30', '1 fortnight', '']) {
      expect(() => parseTimeFlag('runs', 'since', bad, NOW), bad).toThrow(UsageError);
    }
    expect(() => parseTimeFlag('logs', 'until', 'soon', NOW)).toThrow(/^--until must be a duration back from now .* got "soon"\.$/);
    expect(parseInstant('2024-13-01')).toBeUndefined();
  });

  it('reads one or several allowed values in any case, and lists the allowed ones otherwise', () => {
    const allowed = ['FAILED', 'TIMED_OUT', 'SUCCEEDED'] as const;
    expect(parseChoices('runs', 'status', 'failed,Timed_Out', allowed)).toEqual(['FAILED', 'TIMED_OUT']);
    expect(parseChoices('runs', 'status', 'FAILED,failed', allowed)).toEqual(['FAILED']);
    expect(parseChoices('runs', 'status', undefined, allowed)).toBeUndefined();
    expect(() => parseChoices('runs', 'status', 'FAILED,LOST', allowed)).toThrow(
      '--status "FAILED,LOST" is not allowed: give one or more of FAILED, TIMED_OUT, SUCCEEDED (comma-separated).',
    );
  });
});
