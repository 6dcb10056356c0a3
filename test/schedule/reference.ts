/**
 * Brute-force reference for schedule semantics, written independently of lib/schedule (it imports nothing from it):
 * step minute by minute through UTC, read the local wall clock with Intl, and apply Unix cron matching or the
 * interval grid. EventBridge's DST rules fall out of the stepping: a wall-clock time the clock skips is never read,
 * and a reading seen before (clocks went back) does not fire again.
 */

const MIN = 60_000;
/** Readings start this long before a window, so a wall-clock time repeated at the window's start is known as a repeat. */
const LOOKBACK_MINUTES = 240;

/** The wall-clock readings of every UTC minute of a window. */
export interface MinuteTable {
  readonly zone: string;
  /** UTC ms of reading 0. */
  readonly start: number;
  readonly count: number;
  readonly year: Int16Array;
  readonly month: Int8Array;
  readonly day: Int8Array;
  readonly hour: Int8Array;
  readonly minute: Int8Array;
  /** 0 = Sunday. */
  readonly weekday: Int8Array;
  /** The reading as minutes since 1970-01-01T00:00 on the wall clock. */
  readonly wallMinutes: Float64Array;
  /** 1 when this reading did not occur earlier in the table. */
  readonly firstTime: Uint8Array;
}

const tables = new Map<string, MinuteTable>();

export function minuteTable(zone: string, from: number, to: number): MinuteTable {
  const key = `${zone}|${from}|${to}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const start = from - LOOKBACK_MINUTES * MIN;
  const count = (to - start) / MIN;
  const table: MinuteTable = {
    zone,
    start,
    count,
    year: new Int16Array(count),
    month: new Int8Array(count),
    day: new Int8Array(count),
    hour: new Int8Array(count),
    minute: new Int8Array(count),
    weekday: new Int8Array(count),
    wallMinutes: new Float64Array(count),
    firstTime: new Uint8Array(count),
  };
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const text = format.format(start + i * MIN); // "2024-03-31 01:59"
    const y = Number(text.slice(0, 4));
    const mo = Number(text.slice(5, 7));
    const d = Number(text.slice(8, 10));
    const h = Number(text.slice(11, 13));
    const mi = Number(text.slice(14, 16));
    table.year[i] = y - 1900;
    table.month[i] = mo;
    table.day[i] = d;
    table.hour[i] = h;
    table.minute[i] = mi;
    table.weekday[i] = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
    const wall = Date.UTC(y, mo - 1, d, h, mi) / MIN;
    table.wallMinutes[i] = wall;
    table.firstTime[i] = seen.has(wall) ? 0 : 1;
    seen.add(wall);
  }
  tables.set(key, table);
  return table;
}

/** The UTC instants in [from, to) whose reading satisfies `fires`, by the first-occurrence rule. */
function scan(table: MinuteTable, from: number, to: number, fires: (i: number) => boolean): number[] {
  const result: number[] = [];
  for (let i = (from - table.start) / MIN; i < (to - table.start) / MIN; i++) {
    if (table.firstTime[i] === 1 && fires(i)) result.push(table.start + i * MIN);
  }
  return result;
}

// ---- Unix cron (Vixie semantics), parsed here from scratch ----

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');
const DAYS = 'sun mon tue wed thu fri sat'.split(' ');

export interface ReferenceCron {
  readonly minute: boolean[];
  readonly hour: boolean[];
  readonly dom: boolean[];
  readonly month: boolean[];
  /** 0-6; 7 folded into 0. */
  readonly dow: boolean[];
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

function field(text: string, low: number, high: number, names: string[] | null, nameOffset: number): boolean[] {
  const set = Array<boolean>(high + 1).fill(false);
  const number = (word: string) => (names?.includes(word.toLowerCase()) ? names.indexOf(word.toLowerCase()) + nameOffset : parseInt(word, 10));
  for (const item of text.split(',')) {
    const m = /^(\*|\w+)(?:-(\w+))?(?:\/(\d+))?$/.exec(item)!;
    const from = m[1] === '*' ? low : number(m[1]!);
    const to = m[1] === '*' ? high : m[2] !== undefined ? number(m[2]) : m[3] !== undefined ? high : from;
    const step = m[3] !== undefined ? parseInt(m[3], 10) : 1;
    for (let v = from; v <= to; v += step) set[v] = true;
  }
  return set;
}

export function referenceCron(text: string): ReferenceCron {
  const source = MACROS[text.trim().toLowerCase()] ?? text.trim();
  const [mi, h, dom, mo, dow] = source.split(/\s+/) as [string, string, string, string, string];
  const dowSet = field(dow, 0, 7, DAYS, 0);
  if (dowSet[7]) dowSet[0] = true;
  return {
    minute: field(mi, 0, 59, null, 0),
    hour: field(h, 0, 23, null, 0),
    dom: field(dom, 1, 31, null, 0),
    month: field(mo, 1, 12, MONTHS, 1),
    dow: dowSet.slice(0, 7),
    domStar: dom.startsWith('*'),
    dowStar: dow.startsWith('*'),
  };
}

/** Why EventBridge cannot run this cron (our documented refusals), or null when it can. */
export function referenceRefusal(cron: ReferenceCron): 'both-day-fields' | 'never-runs' | null {
  const domPartial = cron.dom.slice(1).some((v) => !v);
  const dowPartial = cron.dow.some((v) => !v);
  const bothMustMatch = cron.domStar || cron.dowStar;
  if (bothMustMatch && domPartial && dowPartial) return 'both-day-fields';
  // Only the day of the month decides: can some listed month have some listed day?
  if (bothMustMatch && domPartial) {
    const longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let possible = false;
    for (let m = 1; m <= 12; m++) for (let d = 1; d <= longest[m]!; d++) if (cron.month[m] && cron.dom[d]) possible = true;
    if (!possible) return 'never-runs';
  }
  return null;
}

/** Fire times in [from, to) (inside the table's window) of a Unix cron on the table's wall clock. */
export function cronFireTimes(text: string, table: MinuteTable, from: number, to: number): number[] {
  const cron = referenceCron(text);
  return scan(table, from, to, (i) => {
    if (!cron.minute[table.minute[i]!] || !cron.hour[table.hour[i]!] || !cron.month[table.month[i]!]) return false;
    const dom = cron.dom[table.day[i]!]!;
    const dow = cron.dow[table.weekday[i]!]!;
    return cron.domStar || cron.dowStar ? dom && dow : dom || dow;
  });
}

// ---- intervals ----

export interface ReferenceInterval {
  readonly minutes: number;
  /** The reference as wall-clock text in the zone ("2023-09-08T23:00"). */
  readonly wallClock: string;
  readonly zone: string;
}

/** Minutes since 1970 on the wall clock of "YYYY-MM-DDTHH:MM". */
function wallMinutesOf(text: string): number {
  const [date, time = '00:00'] = text.split('T') as [string, string | undefined];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  return Date.UTC(y, mo - 1, d, h, mi) / MIN;
}

/** The first UTC instant whose reading in `zone` is `wallClock`, or undefined when the clock skips it. */
export function referenceInstant(wallClock: string, zone: string): number | undefined {
  const wall = wallMinutesOf(wallClock);
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  // Every UTC offset of the zones under test is a multiple of 15 minutes, between -14 h and +14 h.
  for (let t = (wall - 15 * 60) * MIN; t <= (wall + 15 * 60) * MIN; t += 15 * MIN) {
    if (wallMinutesOf(format.format(t).replace(' ', 'T')) === wall) return t;
  }
  return undefined;
}

/** The README rule: wall clock when the interval divides a day or is whole days; elapsed time otherwise. */
export function onWallClock(minutes: number): boolean {
  return 1440 % minutes === 0 || minutes % 1440 === 0;
}

/** Fire times in [from, to) (inside the table's window) of reference + k x interval. */
export function intervalFireTimes(interval: ReferenceInterval, table: MinuteTable, from: number, to: number): number[] {
  if (onWallClock(interval.minutes)) {
    const reference = wallMinutesOf(interval.wallClock);
    return scan(table, from, to, (i) => mod(table.wallMinutes[i]! - reference, interval.minutes) === 0);
  }
  const reference = referenceInstant(interval.wallClock, interval.zone)! / MIN;
  const result: number[] = [];
  for (let t = from; t < to; t += MIN) if (mod(t / MIN - reference, interval.minutes) === 0) result.push(t);
  return result;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Whether the zone's UTC offset changes within [from, from + days), sampled hourly. */
export function offsetChanges(zone: string, from: number, days: number): boolean {
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const offset = (t: number) => wallMinutesOf(format.format(t).replace(' ', 'T')) - Math.floor(t / MIN);
  const first = offset(from);
  for (let t = from; t < from + days * 86_400_000; t += 3_600_000) if (offset(t) !== first) return true;
  return false;
}

const readers = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading of UTC ms `t` in `zone`, as minutes since 1970-01-01T00:00 on that wall clock. */
function wallMinutesAt(zone: string, t: number): number {
  let format = readers.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    readers.set(zone, format);
  }
  return wallMinutesOf(format.format(t).replace(' ', 'T'));
}

/**
 * Fire times in [from, to) of every `days` whole days at the wall-clock time of `wallClock` in `zone`, found date by
 * date over long windows: for each reading reference + k x days (calendar days, same time of day), the first UTC
 * minute that shows it, stepping 15 minutes from 15 hours before the reading; none when the clock skips it.
 */
export function wholeDayFireTimes(wallClock: string, days: number, zone: string, from: number, to: number): number[] {
  const reference = wallMinutesOf(wallClock);
  const period = days * 1440;
  const result: number[] = [];
  // Readings are within 15 hours of their instants: start one period before the window's first possible reading.
  for (let wall = reference + Math.floor((from / MIN - 15 * 60 - reference) / period) * period; wall <= to / MIN + 15 * 60; wall += period) {
    for (let t = (wall - 15 * 60) * MIN; t <= (wall + 15 * 60) * MIN; t += 15 * MIN) {
      if (wallMinutesAt(zone, t) !== wall) continue;
      if (t >= from && t < to) result.push(t);
      break;
    }
  }
  return result;
}
