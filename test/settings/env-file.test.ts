/**
 * `.env` files: the format (Node's own parser, each line checked first), every malformed line an error naming file
 * and line without quoting it, and the writer: a value written reads back exactly (any text a line can hold), the
 * other lines and comments stay, a new file is made readable by its owner only.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultEnvFile, EnvFileError, envLine, parseEnvText, readEnvFile, removeEnvValue, setEnvValue } from '../../runtime/local/settings/env-file.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-env-file-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const fileWith = (text: string) => {
  const file = path.join(scratch, `${++files}.env`);
  writeFileSync(file, text);
  return file;
};

describe('reading', () => {
  it('reads the common format', () => {
    const text = [
      '# comment',
      '',
      'PLAIN=value',
      'export EXPORTED=1',
      '  SPACED = around  ',
      "SINGLE='keeps # and  spaces '",
      'DOUBLE="line\\nbreak"',
      'BACKTICK=`it\'s "quoted"`',
      'COMMENTED=value # a comment',
      'EQUALS=a=b',
      'EMPTY=',
      'UNICODE=é€😀',
    ].join('\n');
    const parsed = parseEnvText(text, '.env');
    expect(Object.fromEntries(parsed.entries.map((e) => [e.name, e.value]))).toEqual({
      PLAIN: 'value',
      EXPORTED: '1',
      SPACED: 'around',
      SINGLE: 'keeps # and  spaces ',
      DOUBLE: 'line\nbreak',
      BACKTICK: 'it\'s "quoted"',
      COMMENTED: 'value',
      EQUALS: 'a=b',
      EMPTY: '',
      UNICODE: 'é€😀',
    });
    expect(parsed.get('PLAIN')?.line).toBe(3);
    expect(parseEnvText('\uFEFFA=1\r\nB=2\r\n', '.env').entries.map((e) => [e.name, e.value])).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
  });

  it.each([
    [
      'a line that is not NAME=value',
      'A=1\nsk-live-1234567890\n',
      2,
      'expected NAME=value, a # comment or a blank line (the line is not shown: it may hold a secret).',
    ],
    ['a line with no name', '=sk-live-1234567890', 1, 'expected NAME=value'],
    ['an invalid name', '1KEY=sk-live-1234567890', 1, 'the name before "=" is not valid: letters, digits and "_", not starting with a digit.'],
    ['a dotted name', 'my.key=sk-live-1234567890', 1, 'the name before "=" is not valid'],
    ['an unclosed quote', 'KEY="sk-live-1234567890', 1, 'the value of KEY opens a quote (") that its line does not close'],
    ['a quoted value going on over two lines', 'KEY="sk-live\n1234567890"', 1, 'opens a quote'],
    ['text after the closing quote', "KEY='sk-live'1234567890", 1, "text follows the closing quote of KEY's value; only a # comment may follow it."],
    ['a # inside an unquoted value', 'KEY=sk#live1234567890', 1, 'the unquoted value of KEY holds "#", which would start a comment there; quote the value'],
    ['a # right after =', 'KEY=#sk-live-1234567890', 1, 'the unquoted value of KEY holds "#"'],
    ['a name set twice', 'KEY=sk-live-1234567890\n# again\nKEY=other', 3, 'KEY is set again (first on line 1); set each name once.'],
  ])('refuses %s, naming file and line and never the text', (_what, text, line, message) => {
    const file = fileWith(text);
    const error = (() => {
      try {
        readEnvFile(file);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as EnvFileError;
    expect(error).toBeInstanceOf(EnvFileError);
    expect(error.file).toBe(file);
    expect(error.line).toBe(line);
    expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('1234567890');
  });

  it('reads a file that does not exist as empty; the default file is .env in the app folder', () => {
    expect(readEnvFile(path.join(scratch, 'absent.env')).entries).toEqual([]);
    const appDir = mkdtempSync(path.join(scratch, 'app-'));
    writeFileSync(path.join(appDir, 'package.json'), '{}');
    expect(defaultEnvFile(path.join(appDir, 'src', 'app.ts'))).toBe(path.join(appDir, '.env'));
  });
});

/** The characters the format treats specially, so generated values meet every quoting rule. */
const TRICKY = fc.constantFrom('a', 'Z', '0', ' ', '\t', '#', '=', '"', "'", '`', '\\', 'n', '\n', '\r', 'é', '$');

describe('writing', () => {
  it('writes any value a line can hold so that it reads back exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.string({ unit: TRICKY, minLength: 1, maxLength: 12 })), (value) => {
        let line: string;
        try {
          line = envLine('.env', 'KEY', value);
        } catch (error) {
          // Refused only when no quoting holds it: '...' holds no ' or line break; "..." no ", \r or the two characters
          // \n (a line break is written as \n); `...` no ` or line break.
          expect(error).toBeInstanceOf(EnvFileError);
          const single = !/['\n\r]/.test(value);
          const double = !/["\r]|\\n/.test(value);
          const backtick = !/[`\n\r]/.test(value);
          expect(single || double || backtick).toBe(false);
          return;
        }
        expect(parseEnvText(line, '.env').get('KEY')?.value).toBe(value);
      }),
      { numRuns: 2000 },
    );
    for (const value of [
      'p#ss w0rd',
      ' padded ',
      'line\nbreak',
      '\\n literal',
      "it's",
      'say "hi"',
      '-----BEGIN KEY-----\nabc\n-----END KEY-----',
      '\u2028',
      'a\u2029b',
    ]) {
      expect(parseEnvText(envLine('.env', 'KEY', value), '.env').get('KEY')?.value).toBe(value);
    }
  });

  it('replaces the line of the name and keeps every other line, comment and line ending', () => {
    const file = fileWith('# keys\r\nA=1\r\nB=old # note\r\n\r\n# end\r\n');
    setEnvValue(file, 'B', 'new value');
    expect(readFileSync(file, 'utf8')).toBe("# keys\r\nA=1\r\nB='new value'\r\n\r\n# end\r\n");
    setEnvValue(file, 'C', 'x');
    expect(readFileSync(file, 'utf8')).toBe("# keys\r\nA=1\r\nB='new value'\r\n\r\n# end\r\nC=x\r\n");
    expect(removeEnvValue(file, 'A')).toBe(true);
    expect(removeEnvValue(file, 'A')).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe("# keys\r\nB='new value'\r\n\r\n# end\r\nC=x\r\n");
  });

  it('keeps the mode of an existing file, creates a new one with mode 0600, and appends after a last line without newline', () => {
    const existing = fileWith('A=1');
    chmodSync(existing, 0o640);
    setEnvValue(existing, 'B', '2');
    expect(readFileSync(existing, 'utf8')).toBe('A=1\nB=2\n');
    expect(statSync(existing).mode & 0o777).toBe(0o640);
    const fresh = path.join(scratch, 'fresh.env');
    setEnvValue(fresh, 'KEY', 'v');
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(readFileSync(fresh, 'utf8')).toBe('KEY=v\n');
  });

  it('refuses to edit a malformed file or write an invalid name', () => {
    const broken = fileWith('A=1\nnot a line\n');
    expect(() => setEnvValue(broken, 'A', '2')).toThrow(/:2: expected NAME=value/);
    expect(readFileSync(broken, 'utf8')).toBe('A=1\nnot a line\n');
    expect(() => setEnvValue(broken, '1A', '2')).toThrow(/"1A" is not a valid name/);
  });
});
