import { describe, expect, it } from 'vitest';
import { formatSeconds, parseDurationSeconds } from '../../lib/units/duration.js';
import { formatMiB, parseMemoryMiB } from '../../lib/units/memory.js';

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['1d', 86400],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    [' 2 hours ', 7200],
    ['1.5h', 5400],
    ['45 minutes', 2700],
    ['1D', 86400],
  ])('parses %j as %d seconds', (input, seconds) => {
    expect(parseDurationSeconds(input)).toEqual({ seconds });
  });

  it.each([
    [{ minutes: 30 }, 1800],
    [{ hours: 1, minutes: 30 }, 5400],
    [{ days: 1, seconds: 1 }, 86401],
  ])('parses %j', (input, seconds) => {
    expect(parseDurationSeconds(input)).toEqual({ seconds });
  });

  it.each([
    ['', /empty string/],
    ['5', /expected a duration/],
    ['5 parsecs', /"parsecs" is not a unit/],
    ['m5', /expected a duration/],
    ['1h and 5m', /expected a duration/],
    [90, /bare number has no unit/],
    [{}, /empty object/],
    [{ weeks: 1 }, /"weeks" is not a duration part/],
    [{ minutes: -1 }, /minutes must be a non-negative number/],
    [{ minutes: '5' }, /minutes must be a non-negative number/],
    [null, /expected a duration/],
    [[1], /expected a duration/],
  ])('refuses %j', (input, problem) => {
    const result = parseDurationSeconds(input);
    expect(result).toHaveProperty('problem');
    expect((result as { problem: string }).problem).toMatch(problem);
  });

  it('formats seconds exactly', () => {
    expect(formatSeconds(90)).toBe('1m30s');
    expect(formatSeconds(86400)).toBe('1d');
    expect(formatSeconds(129600)).toBe('1d12h');
    expect(formatSeconds(0)).toBe('0s');
  });
});

describe('memory sizes', () => {
  it.each([
    ['256 MiB', 256],
    ['16 GiB', 16384],
    ['512MiB', 512],
    ['1.5 GiB', 1536],
    ['131072 KiB', 128],
    ['1000 KiB', 1],
    ['512 MB', 512],
    ['2 GB', 2048],
    ['2gib', 2048],
  ])('parses %j as %d MiB', (input, mib) => {
    expect(parseMemoryMiB(input)).toEqual({ mib });
  });

  it.each([
    [2048, /bare number has no unit/],
    ['2 TB', /"TB" is not a memory unit/],
    ['lots', /expected a size/],
    ['GiB', /expected a size/],
    ['-1 GiB', /expected a size/],
    [undefined, /expected a size/],
  ])('refuses %j', (input, problem) => {
    const result = parseMemoryMiB(input);
    expect((result as { problem: string }).problem).toMatch(problem);
  });

  it('formats MiB', () => {
    expect(formatMiB(32768)).toBe('32 GiB');
    expect(formatMiB(1536)).toBe('1.5 GiB');
    expect(formatMiB(256)).toBe('256 MiB');
  });
});
