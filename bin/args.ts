import { parseArgs, type ParseArgsConfig } from 'node:util';
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
