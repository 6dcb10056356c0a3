/**
 * Durations as users write them: `"90s"`, `"30m"`, `"1h"`, `"1d"`, `"1h30m"`, or `{ minutes: 30 }`.
 * Parsed once into whole seconds.
 */

/** A duration: a string such as `"90s"`, `"30m"`, `"1h"`, `"1d"`, `"1h 30m"`, or an object such as `{ minutes: 30 }`. */
export type DurationInput = string | DurationObject;

/** A duration as an object of parts; parts add up (`{ hours: 1, minutes: 30 }`). */
export interface DurationObject {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

const OBJECT_PARTS: Record<keyof DurationObject, number> = { days: 86400, hours: 3600, minutes: 60, seconds: 1 };

export const DURATION_FORMS = 'a duration such as "90s", "30m", "1h", "1d", "1h30m" or { minutes: 30 }';

/** The reason a duration input is malformed, or its length in seconds (possibly fractional). */
export function parseDurationSeconds(input: unknown): { seconds: number } | { problem: string } {
  if (typeof input === 'string') return parseDurationString(input);
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && !(input instanceof Date)) {
    return parseDurationObject(input as Record<string, unknown>);
  }
  if (typeof input === 'number') return { problem: 'a bare number has no unit; write "90s", "30m", "1h" or { seconds: 90 }' };
  return { problem: `expected ${DURATION_FORMS}` };
}

function parseDurationString(text: string): { seconds: number } | { problem: string } {
  const compact = text.trim().toLowerCase();
  if (compact === '') return { problem: `an empty string is not a duration; expected ${DURATION_FORMS}` };
  const part = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(compact); match !== null; match = part.exec(compact)) {
    const unit = UNIT_SECONDS[match[2]!];
    if (unit === undefined) return { problem: `"${match[2]}" is not a unit; use s, m, h or d` };
    total += Number(match[1]) * unit;
    consumed = part.lastIndex;
  }
  if (consumed !== compact.length) return { problem: `expected ${DURATION_FORMS}` };
  return { seconds: total };
}

function parseDurationObject(object: Record<string, unknown>): { seconds: number } | { problem: string } {
  const keys = Object.keys(object);
  if (keys.length === 0) return { problem: 'an empty object is not a duration; give days, hours, minutes or seconds' };
  let total = 0;
  for (const key of keys) {
    const factor = OBJECT_PARTS[key as keyof DurationObject];
    if (factor === undefined) return { problem: `"${key}" is not a duration part; use days, hours, minutes or seconds` };
    const value = object[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return { problem: `${key} must be a non-negative number` };
    }
    total += value * factor;
  }
  return { seconds: total };
}

/** `90` -> `"1m30s"`, `86400` -> `"1d"`: the shortest exact rendering of whole seconds. */
export function formatSeconds(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  let rest = Math.round(totalSeconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
