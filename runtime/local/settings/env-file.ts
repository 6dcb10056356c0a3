/**
 * `.env` files: where `multinode dev`, `multinode run` and `multinode/testing` find the values of an app's secrets
 * and config settings. The format is the common one, read by Node's own parser (`util.parseEnv`):
 *
 *   # a comment                       blank lines and comments are skipped
 *   OPENAI_API_KEY=sk-123             NAME=value; spaces around "=" and around an unquoted value are dropped
 *   export REGION=eu-west-1           an "export " in front is allowed
 *   GREETING="hello # not a comment"  quotes ('...', "...", `...`) keep spaces and "#"; "\n" in "..." is a line break
 *   EMPTY=                            no value (as if the line were not there)
 *
 * One entry per line: a quoted value must close on its line. Before handing a line to the parser, each line is checked,
 * so a mistake the parser would pass over silently is an error naming the file and line: text that is not
 * `NAME=value`, an invalid name, an unclosed quote, text after a closing quote, a `#` inside an unquoted value (the
 * parser would cut the value there), a name set twice. Messages never quote a line: it may hold a secret.
 *
 * Writing (`setEnvValue`, `removeEnvValue`) changes only the line of the name, keeping every other line and comment,
 * and replaces the file at once (a temporary file renamed over it). A new file is created readable by its owner only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { MultinodeError } from '../../../lib/errors.js';
import { appFolder } from '../state-dir.js';

/** A `.env` file is malformed, or cannot be written. `line` is 1-based, when one line is at fault. */
export class EnvFileError extends MultinodeError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`);
  }
}

export interface EnvEntry {
  readonly name: string;
  /** The value; "" for `NAME=` (no value). */
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

export interface EnvFile {
  readonly file: string;
  /** Entries in file order, each name once. */
  readonly entries: readonly EnvEntry[];
  get(name: string): EnvEntry | undefined;
}

// The s flag: "." also matches U+2028 and U+2029, which JavaScript counts as line terminators but a .env line may hold.
const ENTRY = /^\s*(?:export\s+)?([^=\s#]+)\s*=(.*)$/s;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUOTES = new Set(['"', "'", '`']);
/** Mode of a `.env` file we create: the owner reads and writes it, nobody else. */
export const ENV_FILE_MODE = 0o600;

/** `.env` in the app's folder (next to its package.json): where values are read from unless `--env-file` says otherwise. */
export function defaultEnvFile(entry: string): string {
  return path.join(appFolder(entry), '.env');
}

/** Parses the text of a `.env` file; `file` names it in errors. */
export function parseEnvText(text: string, file: string): EnvFile {
  const entries: EnvEntry[] = [];
  const byName = new Map<string, EnvEntry>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (/^\s*(#.*)?$/s.test(raw)) continue;
    const match = ENTRY.exec(raw);
    if (!match) throw new EnvFileError(file, line, 'expected NAME=value, a # comment or a blank line (the line is not shown: it may hold a secret).');
    const [, name, rest] = match as unknown as [string, string, string];
    if (!ENV_NAME.test(name)) {
      throw new EnvFileError(file, line, 'the name before "=" is not valid: letters, digits and "_", not starting with a digit.');
    }
    checkValueText(file, line, name, rest);
    const value = parseEnv(raw)[name];
    if (value === undefined) throw new EnvFileError(file, line, `the value of ${name} could not be read; write it as NAME=value or NAME="value".`);
    const earlier = byName.get(name);
    if (earlier) throw new EnvFileError(file, line, `${name} is set again (first on line ${earlier.line}); set each name once.`);
    const entry = { name, value, line };
    entries.push(entry);
    byName.set(name, entry);
  }
  return { file, entries, get: (name) => byName.get(name) };
}

/** The structure of the text after "=": one quoted value with only a comment after it, or an unquoted value without "#". */
function checkValueText(file: string, line: number, name: string, rest: string): void {
  const text = rest.trimStart();
  const quote = text[0];
  if (quote !== undefined && QUOTES.has(quote)) {
    const close = text.indexOf(quote, 1);
    if (close < 0) {
      throw new EnvFileError(
        file,
        line,
        `the value of ${name} opens a quote (${quote}) that its line does not close; a value is one line (write line breaks as \\n inside "...").`,
      );
    }
    if (!/^\s*(#.*)?$/s.test(text.slice(close + 1))) {
      throw new EnvFileError(file, line, `text follows the closing quote of ${name}'s value; only a # comment may follow it.`);
    }
    return;
  }
  // Node's parser ends an unquoted value at the first "#": a "#" that does not start a comment (after a space) would
  // cut the value silently.
  if (/(^|\S)#/.test(text)) {
    throw new EnvFileError(file, line, `the unquoted value of ${name} holds "#", which would start a comment there; quote the value ('...').`);
  }
}

/** Reads and parses a `.env` file; a file that does not exist reads as empty. */
export function readEnvFile(file: string): EnvFile {
  if (!existsSync(file)) return parseEnvText('', file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new EnvFileError(file, undefined, `cannot be read: ${(error as Error).message}`);
  }
  return parseEnvText(text, file);
}

/**
 * The line that sets `name` to `value`, quoted as the value needs, checked to read back as exactly `value`. Throws
 * for a value no `.env` line can hold (one with all three quote characters, say).
 */
export function envLine(file: string, name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new EnvFileError(file, undefined, `"${name}" is not a valid name: letters, digits and "_", not starting with a digit.`);
  const line = `${name}=${quoteValue(value)}`;
  let readBack: string | undefined;
  try {
    readBack = parseEnvText(line, file).get(name)?.value;
  } catch {
    readBack = undefined;
  }
  if (readBack !== value) {
    throw new EnvFileError(
      file,
      undefined,
      `the value of ${name} cannot be written as a .env line (it holds characters no quoting keeps, such as all three quote characters, or ` +
        'a line break together with a double quote).',
    );
  }
  return line;
}

function quoteValue(value: string): string {
  if (value === '') return '';
  if (/^[^\s'"`#\\][^\s#\\]*$/.test(value)) return value;
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  if (!/["\r]/.test(value) && !/\\n/.test(value)) return `"${value.replace(/\n/g, '\\n')}"`;
  if (!/[`\n\r]/.test(value)) return `\`${value}\``;
  return `'${value}'`; // Checked by the caller: fails the read-back.
}

/** Sets `name` to `value` in `file`: its line is replaced (or a line appended), everything else kept. */
export function setEnvValue(file: string, name: string, value: string): void {
  const line = envLine(file, name, value);
  editEnvFile(file, (lines, parsed) => {
    const entry = parsed.get(name);
    if (entry) lines[entry.line - 1] = line;
    else {
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      lines.push(line, '');
    }
    return true;
  });
}

/** Removes the line that sets `name` from `file`; false when there was none. */
export function removeEnvValue(file: string, name: string): boolean {
  let removed = false;
  if (!existsSync(file)) return false;
  editEnvFile(file, (lines, parsed) => {
    const entry = parsed.get(name);
    if (!entry) return false;
    lines.splice(entry.line - 1, 1);
    removed = true;
    return true;
  });
  return removed;
}

/** Reads, checks, edits and atomically replaces a `.env` file (created with mode 0600 when missing). */
function editEnvFile(file: string, edit: (lines: string[], parsed: EnvFile) => boolean): void {
  const exists = existsSync(file);
  const text = exists ? readFileSync(file, 'utf8') : '';
  const parsed = parseEnvText(text, file);
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!exists) lines.length = 0;
  if (!edit(lines, parsed)) return;
  const mode = exists ? statSync(file).mode & 0o777 : ENV_FILE_MODE;
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, lines.join(newline), { mode, flag: 'wx' });
    chmodSync(temporary, mode);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new EnvFileError(file, undefined, `cannot be written: ${(error as Error).message}`);
  }
}
