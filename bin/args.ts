import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDurationSeconds } from '../lib/units/duration.js';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed values of a flag table: booleans, strings, or string lists for `multiple` flags. */
export type FlagValues<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

/** node:util parseArgs with our error wording: unknown flags and missing values name the command. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O): { values: FlagValues<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values as FlagValues<O>, positionals: parsed.positionals };
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '.');
    throw new UsageError(message, command);
  }
}

/** A positive whole number flag value. */
export function parseCount(command: string, flag: string, value: string | undefined, fallback: number, max = 10_000): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > max) {
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${value}".`, command);
  }
  return count;
}

/**
 * An instant given on the command line: an ISO date or date-time (`2024-03-30`, `2024-03-30T00:00Z`,
 * `2024-03-30T00:00+01:00`; without an offset, UTC). Undefined when it is none.
 */
export function parseInstant(text: string): number | undefined {
  const trimmed = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(trimmed);
  if (!iso) return undefined;
  // Date-only strings are UTC in JS; date-times without an offset would be machine-local, so we read them as UTC.
  const ms = Date.parse(iso[4] === undefined && trimmed.includes('T') ? `${trimmed}Z` : trimmed);
  // JS rolls 2024-02-30 over to March 1: check the day exists.
  const realDay = Number(iso[3]) >= 1 && Number(iso[3]) <= new Date(Date.UTC(Number(iso[1]), Number(iso[2]), 0)).getUTCDate();
  return Number.isNaN(ms) || !realDay ? undefined : ms;
}

/**
 * A time flag such as `--since`: a duration back from `now` (`90s`, `30m`, `1h`, `2d`, `1h30m`) or an instant
 * (parseInstant). Epoch ms; undefined without the flag.
 */
export function parseTimeFlag(command: string, flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const instant = parseInstant(value);
  if (instant !== undefined) return instant;
  const parsed = /^\d/.test(value.trim()) ? parseDurationSeconds(value.trim()) : { problem: 'not a duration' };
  if ('seconds' in parsed && parsed.seconds > 0) return now - parsed.seconds * 1000;
  throw new UsageError(
    `--${flag} must be a duration back from now (90s, 30m, 1h, 2d, 1h30m) or an ISO date-time such as 2024-03-30T00:00Z ` +
      `(without an offset: UTC); got "${value}".`,
    command,
  );
}

/** One or several (comma-separated) of `allowed`, in any case; a UsageError lists the allowed values. */
export function parseChoices<T extends string>(command: string, flag: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const chosen = value.split(',').map((part) => part.trim());
  const upper = new Map(allowed.map((choice) => [choice.toUpperCase(), choice]));
  const wrong = chosen.filter((part) => !upper.has(part.toUpperCase()));
  if (wrong.length > 0 || chosen.length === 0) {
    throw new UsageError(`--${flag} ${JSON.stringify(value)} is not allowed: give one or more of ${allowed.join(', ')} (comma-separated).`, command);
  }
  return [...new Set(chosen.map((part) => upper.get(part.toUpperCase())!))];
}

/**
 * The positional arguments `names` (each `name` or `name: what it is`; the last `optional` may be left out); a
 * UsageError says which are missing or extra.
 */
export function expectArguments(command: string, positionals: readonly string[], names: readonly string[], optional = 0): string[] {
  const required = names.length - optional;
  if (positionals.length < required) {
    const missing = names.slice(positionals.length, required).map((name) => {
      const [short, what] = name.split(/:\s*/, 2);
      return what ? `<${short}> (${what})` : `<${short}>`;
    });
    throw new UsageError(`missing ${missing.join(' and ')}.`, command);
  }
  if (positionals.length > names.length) {
    const extra = positionals.slice(names.length);
    throw new UsageError(`unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.join(' ')}.`, command);
  }
  return [...positionals];
}
