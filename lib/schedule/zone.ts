/**
 * IANA time zones through Node's Intl (full ICU): validation, the UTC offset at an instant, the wall-clock reading
 * of an instant, and the inverse with EventBridge Scheduler's DST rules (a wall-clock time that does not exist is
 * skipped; one that occurs twice resolves to its first occurrence).
 *
 * Intl is slow per call, so each zone keeps a table of its offset transitions, built once per UTC year by sampling
 * every 6 hours and bisecting each change to the second. (No zone changes its offset twice within 6 hours.)
 */
import { DAY_MS, HOUR_MS } from './calendar.js';

const resolvedNames = new Map<string, string | undefined>();

/** The zone name to use for `name`, or undefined when Intl does not know it as an IANA zone. Cached: Intl is slow to ask. */
export function resolveTimeZone(name: string): string | undefined {
  if (resolvedNames.has(name)) return resolvedNames.get(name);
  const resolved = resolveUncached(name);
  // Bounded: names come from definitions, but a caller may pass anything.
  if (resolvedNames.size < 1000) resolvedNames.set(name, resolved);
  return resolved;
}

function resolveUncached(name: string): string | undefined {
  // Intl also accepts offsets such as "+01:00"; EventBridge wants IANA names.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  // Fix the case ("europe/london" -> "Europe/London") but keep the user's name for aliases ICU renames.
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

interface Transition {
  /** First instant (ms) of the new offset. */
  readonly at: number;
  /** Offset (ms) from that instant on. */
  readonly offset: number;
}

interface YearTable {
  readonly start: number;
  readonly end: number;
  /** Offset at `start`. */
  readonly initial: number;
  readonly transitions: readonly Transition[];
}

const SAMPLE_MS = 6 * HOUR_MS;
const zones = new Map<string, Zone>();

export class Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #years = new Map<number, YearTable>();
  #last: YearTable | undefined;

  private constructor(readonly name: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone named `name` (an IANA name Intl knows; see resolveTimeZone). Cached. */
  static of(name: string): Zone {
    let zone = zones.get(name);
    if (!zone) {
      zone = new Zone(name);
      zones.set(name, zone);
    }
    return zone;
  }

  /** UTC offset (ms) in effect at `instant`. */
  offsetAt(instant: number): number {
    const table = this.#tableFor(instant);
    let offset = table.initial;
    for (const transition of table.transitions) {
      if (transition.at > instant) break;
      offset = transition.offset;
    }
    return offset;
  }

  /** The wall-clock reading of `instant`, as a naive time (see calendar.ts). */
  wallClock(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /**
   * The instant the wall clock reads `naive`, by EventBridge's DST rules: the first occurrence when it occurs twice
   * (clocks going back), undefined when it does not occur (clocks jumping forward).
   */
  resolve(naive: number): number | undefined {
    // The instant lies within naive - 14 h .. naive + 12 h (the extreme UTC offsets); collect the offsets in force there.
    const from = naive - 15 * HOUR_MS;
    const before = this.offsetAt(from);
    // Fast path: one offset throughout (no zone changes twice within 30 hours).
    if (before === this.offsetAt(naive + 15 * HOUR_MS)) return naive - before;
    const offsets = new Set([before]);
    for (const transition of this.transitionsBetween(from, naive + 15 * HOUR_MS)) offsets.add(transition.offset);
    let first: number | undefined;
    for (const offset of offsets) {
      const instant = naive - offset;
      if (this.offsetAt(instant) === offset && (first === undefined || instant < first)) first = instant;
    }
    return first;
  }

  /** Offset changes at instants in [from, to). */
  transitionsBetween(from: number, to: number): Transition[] {
    const found: Transition[] = [];
    for (let year = utcYear(from); year <= utcYear(to); year++) {
      for (const transition of this.#table(year).transitions) {
        if (transition.at >= from && transition.at < to) found.push(transition);
      }
    }
    return found;
  }

  #tableFor(instant: number): YearTable {
    const last = this.#last;
    if (last && instant >= last.start && instant < last.end) return last;
    return (this.#last = this.#table(utcYear(instant)));
  }

  #table(year: number): YearTable {
    let table = this.#years.get(year);
    if (!table) {
      table = this.#scan(year);
      this.#years.set(year, table);
    }
    return table;
  }

  #scan(year: number): YearTable {
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const initial = this.#rawOffset(start);
    const transitions: Transition[] = [];
    let previous = initial;
    for (let sample = start + SAMPLE_MS; sample <= end; sample += SAMPLE_MS) {
      const offset = this.#rawOffset(sample);
      if (offset === previous) continue;
      // The change happened in (sample - SAMPLE_MS, sample]: bisect to the second.
      let low = sample - SAMPLE_MS;
      let high = sample;
      while (high - low > 1000) {
        const middle = low + Math.floor((high - low) / 2000) * 1000;
        if (this.#rawOffset(middle) === previous) low = middle;
        else high = middle;
      }
      if (high < end) transitions.push({ at: high, offset });
      previous = offset;
    }
    return { start, end, initial, transitions };
  }

  /** Offset from Intl: the formatted wall clock minus the instant, both at whole seconds. */
  #rawOffset(instant: number): number {
    const whole = Math.floor(instant / 1000) * 1000;
    const match = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/.exec(this.#format.format(whole));
    if (!match) throw new Error(`Unexpected Intl output for time zone ${this.name}: ${this.#format.format(whole)}`);
    const [, month, day, year, hour, minute, second] = match.map(Number) as number[];
    return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!) - whole;
  }
}

function utcYear(instant: number): number {
  return new Date(instant).getUTCFullYear();
}

/** Whether the zone's offset changes at any instant in [from, from + days). */
export function offsetChangesWithin(zone: Zone, from: number, days: number): boolean {
  return zone.transitionsBetween(from, from + days * DAY_MS).length > 0;
}
