/**
 * How commands print: `--json` as stable JSON (times as ISO strings), and for people aligned tables, times in ISO
 * with how long ago (or until) they are, and readable durations.
 */
import type { CliIO } from './io.js';

/**
 * JSON for the terminal: Dates as ISO strings, Maps as objects, Sets as arrays, BigInts as strings, bytes as base64;
 * `indent` 0 for one line.
 */
export function toJson(value: unknown, indent = 2): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Map) return Object.fromEntries([...item].map(([k, v]) => [String(k), v]));
      if (item instanceof Set) return [...item];
      if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
      return item;
    },
    indent || undefined,
  );
  return text ?? 'null';
}

/** Prints `value` as JSON on stdout. */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${toJson(value)}\n`);
}

/** Columns aligned by their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `2024-01-01T23:00:00Z`: ISO UTC, milliseconds only when there are some. */
export function isoTime(time: Date | number): string {
  return new Date(time).toISOString().replace('.000Z', 'Z');
}

/** `2024-01-01T23:00:00Z (3m ago)`, `... (in 2h 5m)`. */
export function when(time: Date | number | undefined, now: number): string {
  if (time === undefined) return '-';
  const ms = new Date(time).getTime();
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return `${isoTime(ms)} (now)`;
  return `${isoTime(ms)} (${delta > 0 ? `in ${duration(delta, { coarse: true })}` : `${duration(-delta, { coarse: true })} ago`})`;
}

/**
 * `850ms`, `1.2s`, `3m 20s`, `2h 5m`, `3d 4h`; `coarse` drops the milliseconds (`45s`, `1s`). Never more than two units.
 */
export function duration(ms: number | undefined, options: { coarse?: boolean } = {}): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (!options.coarse && ms < 1000) return `${Math.round(ms)}ms`;
  if (!options.coarse && ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const index = units.findIndex(([, size]) => seconds >= size);
  if (index === -1) return '0s';
  const [unit, size] = units[index]!;
  const whole = Math.floor(seconds / size);
  const next = units[index + 1];
  const rest = next ? Math.floor((seconds % size) / next[1]) : 0;
  return rest > 0 ? `${whole}${unit} ${rest}${next![0]}` : `${whole}${unit}`;
}

/** A value on one line, cut at `max` characters: dict values and run inputs in tables. */
export function oneLine(value: unknown, max = 60): string {
  const text = value === undefined ? '-' : toJson(value, 0);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** `1 run`, `2 runs`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
