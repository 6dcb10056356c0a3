/** formatLocalTime: the wall-clock time of a zone, with a real abbreviation when there is one, else the zone's name. */
import { describe, expect, it } from 'vitest';
import { formatLocalTime } from '../../lib/schedule/describe.js';

const winter = new Date('2024-01-15T23:00:00Z');
const summer = new Date('2024-07-15T22:00:00Z');

describe('formatLocalTime', () => {
  it.each([
    ['Europe/London', winter, 'Mon 2024-01-15 23:00 GMT'],
    ['Europe/London', summer, 'Mon 2024-07-15 23:00 BST'],
    ['Europe/Paris', winter, 'Tue 2024-01-16 00:00 CET'],
    ['Europe/Paris', summer, 'Tue 2024-07-16 00:00 CEST'],
    ['America/New_York', winter, 'Mon 2024-01-15 18:00 EST'],
    ['America/New_York', summer, 'Mon 2024-07-15 18:00 EDT'],
    ['Australia/Sydney', summer, 'Tue 2024-07-16 08:00 AEST'],
    ['Asia/Kolkata', winter, 'Tue 2024-01-16 04:30 IST'],
    ['UTC', winter, 'Mon 2024-01-15 23:00 UTC'],
  ])('%s at %s: %s', (zone, instant, expected) => {
    expect(formatLocalTime(instant, zone)).toBe(expected);
  });

  it('names the zone when no abbreviation exists (never a bare "GMT+9")', () => {
    expect(formatLocalTime(winter, 'Asia/Tokyo')).toBe('Tue 2024-01-16 08:00 Asia/Tokyo');
    expect(formatLocalTime(summer, 'Europe/Dublin')).toBe('Mon 2024-07-15 23:00 Europe/Dublin');
    expect(formatLocalTime(winter, 'America/Sao_Paulo')).toBe('Mon 2024-01-15 20:00 America/Sao_Paulo');
  });

  it('writes a fixed-offset Etc zone as its offset (Etc/GMT+5 is five hours behind)', () => {
    expect(formatLocalTime(winter, 'Etc/GMT+5')).toBe('Mon 2024-01-15 18:00 GMT-5');
  });
});
