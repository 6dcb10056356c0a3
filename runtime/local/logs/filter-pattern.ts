/**
 * CloudWatch Logs filter patterns, the subset the local endpoint understands
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 * - terms: `ERROR timeout` (every term must appear), `"quoted phrase"`, `?ERROR ?WARN` (at least one of the `?`
 *   terms), `-DEBUG` (none of the `-` terms). Terms are case sensitive and match anywhere in the message ("ERROR"
 *   matches "ERRORCODE", as CloudWatch's own example shows). Unquoted terms are letters, digits and underscores;
 *   anything else goes in double quotes, as CloudWatch requires.
 * - JSON patterns: `{ $.level = "ERROR" }`, `{ $.attempt > 1 }`, `&&`, `||`, parentheses (`&&` binds tighter),
 *   selectors `$.a.b`, `$.a[0]`; string values quoted or bare, with `*` as a wildcard at the start and/or end
 *   (`"Update*"`, `*Event`; a `*` inside a value is a literal, as CloudWatch documents), `= *` (the field holds a
 *   value), `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`; numbers compare with =, !=, <, >, <=, >=. A selector must
 *   reach a value (string, number, boolean): an object, an array or a missing field matches neither `=` nor `!=`.
 *   A message that is not a JSON object never matches a JSON pattern.
 * - an empty (or blank) pattern matches every event.
 *
 * Not supported locally (an InvalidParameterException names the feature): regular expressions (`%...%`),
 * space-delimited patterns (`[ip, user, ...]`), `$.a[*]` and other selectors, `IN [...]` lists.
 */

/** A filter pattern the local endpoint cannot use: CloudWatch Logs' InvalidParameterException. */
export class FilterPatternError extends Error {
  override readonly name = 'FilterPatternError';
}

/** The subset, for error messages. */
export const SUPPORTED_PATTERNS =
  'terms, "quoted phrases", ?term (any of), -term (none of), and JSON patterns { $.field = value } with =, !=, <, >, <=, >=, &&, ||, ' +
  'parentheses, * wildcards at either end of a value, IS NULL, IS TRUE, IS FALSE and NOT EXISTS';

type PathStep = string | number;
type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=';
type Value =
  | { readonly type: 'string'; readonly text: string; readonly prefix: boolean; readonly suffix: boolean }
  | { readonly type: 'number'; readonly value: number; readonly text: string }
  | { readonly type: 'any' };

type JsonExpression =
  | { readonly kind: 'and' | 'or'; readonly left: JsonExpression; readonly right: JsonExpression }
  | { readonly kind: 'compare'; readonly path: readonly PathStep[]; readonly operator: Operator; readonly value: Value }
  | { readonly kind: 'is'; readonly path: readonly PathStep[]; readonly what: null | true | false }
  | { readonly kind: 'not-exists'; readonly path: readonly PathStep[] };

/** A parsed pattern: `matches(message)` says whether an event's message matches it. */
export interface FilterPattern {
  readonly source: string;
  matches(message: string): boolean;
}

/** Parses `source`; throws FilterPatternError naming what is wrong or not supported. */
export function parseFilterPattern(source: string): FilterPattern {
  const text = source.trim();
  if (text === '') return { source, matches: () => true };
  if (text.startsWith('{')) {
    const expression = new JsonParser(text).parse();
    return { source, matches: (message) => matchesJson(expression, message) };
  }
  if (text.startsWith('[')) unsupported('space-delimited patterns ([field, ...])');
  if (text.startsWith('%')) unsupported('regular expressions (%...%)');
  const terms = parseTerms(text);
  return {
    source,
    matches: (message) =>
      terms.all.every((t) => message.includes(t)) &&
      (terms.any.length === 0 || terms.any.some((t) => message.includes(t))) &&
      !terms.none.some((t) => message.includes(t)),
  };
}

function unsupported(feature: string): never {
  throw new FilterPatternError(
    `The filter pattern uses ${feature}, which the local CloudWatch Logs endpoint does not support. Supported: ${SUPPORTED_PATTERNS}.`,
  );
}

// ---- terms ----

interface Terms {
  readonly all: string[];
  readonly any: string[];
  readonly none: string[];
}

const BARE_TERM = /^[A-Za-z0-9_]+$/;

function parseTerms(text: string): Terms {
  const terms: Terms = { all: [], any: [], none: [] };
  let i = 0;
  let pending: '?' | '-' | undefined;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if ((char === '?' || char === '-') && pending === undefined) {
      pending = char;
      i++;
      continue;
    }
    let term: string;
    if (char === '"') {
      const quoted = readQuoted(text, i);
      term = quoted.text;
      i = quoted.end;
      if (i < text.length && !/\s/.test(text[i]!))
        throw new FilterPatternError(`Invalid filter pattern: a quoted term must be followed by a space (at character ${i + 1}).`);
    } else {
      let end = i;
      while (end < text.length && !/\s/.test(text[end]!)) end++;
      term = text.slice(i, end);
      i = end;
      if (!BARE_TERM.test(term)) {
        if (/^[A-Za-z0-9_]*[?-]/.test(term) || term.includes('"')) {
          throw new FilterPatternError(`Invalid character(s) in term '${term}': "?" and "-" go before a term, separated from the previous one by a space.`);
        }
        throw new FilterPatternError(
          `Invalid character(s) in term '${term}': put terms with characters other than letters, digits and underscores in double quotes ("${term}").`,
        );
      }
    }
    if (term === '') throw new FilterPatternError('Invalid filter pattern: an empty quoted term ("") matches nothing; remove it.');
    (pending === '?' ? terms.any : pending === '-' ? terms.none : terms.all).push(term);
    pending = undefined;
  }
  if (pending !== undefined) throw new FilterPatternError(`Invalid filter pattern: "${pending}" at the end is not followed by a term.`);
  return terms;
}

/** A double-quoted string starting at `start`: its text (with \" and \\ unescaped) and the index after its quote. */
function readQuoted(text: string, start: number): { text: string; end: number } {
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && i + 1 < text.length) {
      out += text[++i];
      continue;
    }
    if (char === '"') return { text: out, end: i + 1 };
    out += char;
  }
  throw new FilterPatternError(`Invalid filter pattern: the double quote at character ${start + 1} is never closed.`);
}

// ---- JSON patterns ----

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const OPERATORS: readonly Operator[] = ['!=', '<=', '>=', '=', '<', '>'];

class JsonParser {
  #i = 0;

  constructor(readonly text: string) {}

  parse(): JsonExpression {
    this.#expect('{');
    const expression = this.#or();
    this.#expect('}');
    this.#skipSpace();
    if (this.#i < this.text.length) this.#fail(`unexpected "${this.text.slice(this.#i)}" after the closing brace`);
    return expression;
  }

  #or(): JsonExpression {
    let left = this.#and();
    while (this.#accept('||')) left = { kind: 'or', left, right: this.#and() };
    return left;
  }

  #and(): JsonExpression {
    let left = this.#unary();
    while (this.#accept('&&')) left = { kind: 'and', left, right: this.#unary() };
    return left;
  }

  #unary(): JsonExpression {
    if (this.#accept('(')) {
      const inner = this.#or();
      this.#expect(')');
      return inner;
    }
    return this.#condition();
  }

  #condition(): JsonExpression {
    this.#skipSpace();
    if (this.text[this.#i] !== '$') this.#fail(`expected a selector such as $.field at character ${this.#i + 1}`);
    const path = this.#selector();
    this.#skipSpace();
    const word = /^[A-Za-z]+/.exec(this.text.slice(this.#i))?.[0]?.toUpperCase();
    if (word === 'IS') {
      this.#i += 2;
      this.#skipSpace();
      const what = /^[A-Za-z]+/.exec(this.text.slice(this.#i))?.[0]?.toUpperCase();
      if (what !== 'NULL' && what !== 'TRUE' && what !== 'FALSE') this.#fail('IS must be followed by NULL, TRUE or FALSE');
      this.#i += what.length;
      return { kind: 'is', path, what: what === 'NULL' ? null : what === 'TRUE' };
    }
    if (word === 'NOT') {
      this.#i += 3;
      this.#skipSpace();
      if (!/^EXISTS\b/i.test(this.text.slice(this.#i))) this.#fail('NOT must be followed by EXISTS');
      this.#i += 6;
      return { kind: 'not-exists', path };
    }
    if (word === 'IN') unsupported('IN lists');
    if (word === 'EXISTS') unsupported('EXISTS (use "= *" for a field that holds a value)');
    const operator = OPERATORS.find((op) => this.text.startsWith(op, this.#i));
    if (!operator) this.#fail(`expected =, !=, <, >, <=, >=, IS or NOT EXISTS after ${renderPath(path)}`);
    this.#i += operator.length;
    const value = this.#value();
    if (operator !== '=' && operator !== '!=' && value.type !== 'number')
      this.#fail(`${operator} compares numbers: ${renderPath(path)} ${operator} needs a number`);
    return { kind: 'compare', path, operator, value };
  }

  #selector(): PathStep[] {
    this.#i++; // $
    const path: PathStep[] = [];
    for (;;) {
      const rest = this.text.slice(this.#i);
      const name = /^\.([A-Za-z0-9_-]+)/.exec(rest);
      if (name) {
        path.push(name[1]!);
        this.#i += name[0].length;
        continue;
      }
      const index = /^\[(\d+)\]/.exec(rest);
      if (index) {
        if (path.length === 0) this.#fail('an array index must follow a property ($.list[0])');
        path.push(Number(index[1]));
        this.#i += index[0].length;
        continue;
      }
      if (rest.startsWith('[*]') || rest.startsWith('.*')) unsupported('wildcard selectors ($.list[*], $.a.*)');
      if (rest.startsWith('[') || rest.startsWith('.')) this.#fail(`invalid selector at character ${this.#i + 1}: use $.name and $.name[0]`);
      break;
    }
    if (path.length === 0) this.#fail('a selector needs a property: $.field');
    return path;
  }

  #value(): Value {
    this.#skipSpace();
    const char = this.text[this.#i];
    if (char === '"') {
      const quoted = readQuoted(this.text, this.#i);
      this.#i = quoted.end;
      return stringValue(quoted.text);
    }
    if (char === '%') unsupported('regular expressions (%...%)');
    const bare = /^[^\s&|()}"]+/.exec(this.text.slice(this.#i))?.[0];
    if (!bare) this.#fail(`expected a value at character ${this.#i + 1}`);
    this.#i += bare.length;
    if (bare === '*') return { type: 'any' };
    if (NUMBER.test(bare)) return { type: 'number', value: Number(bare), text: bare };
    return stringValue(bare);
  }

  #skipSpace(): void {
    while (this.#i < this.text.length && /\s/.test(this.text[this.#i]!)) this.#i++;
  }

  #accept(token: string): boolean {
    this.#skipSpace();
    if (!this.text.startsWith(token, this.#i)) return false;
    this.#i += token.length;
    return true;
  }

  #expect(token: string): void {
    if (!this.#accept(token))
      this.#fail(this.#i >= this.text.length ? `expected "${token}" before the end` : `expected "${token}" at character ${this.#i + 1}`);
  }

  #fail(reason: string): never {
    throw new FilterPatternError(`Invalid filter pattern ${this.text}: ${reason}.`);
  }
}

function stringValue(raw: string): Value {
  const prefix = raw.length > 1 && raw.endsWith('*');
  const suffix = raw.length > 1 && raw.startsWith('*');
  const text = raw.slice(suffix ? 1 : 0, prefix ? -1 : undefined);
  return { type: 'string', text, prefix, suffix };
}

function renderPath(path: readonly PathStep[]): string {
  return `$${path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('')}`;
}

const MISSING = Symbol('missing');

function resolve(value: unknown, path: readonly PathStep[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return MISSING;
      current = current[step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step)) return MISSING;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

function matchesJson(expression: JsonExpression, message: string): boolean {
  if (!message.trimStart().startsWith('{')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return false;
  }
  return evaluate(expression, parsed);
}

function evaluate(expression: JsonExpression, event: unknown): boolean {
  switch (expression.kind) {
    case 'and':
      return evaluate(expression.left, event) && evaluate(expression.right, event);
    case 'or':
      return evaluate(expression.left, event) || evaluate(expression.right, event);
    case 'is':
      return resolve(event, expression.path) === expression.what;
    case 'not-exists':
      return resolve(event, expression.path) === MISSING;
    case 'compare':
      return compare(resolve(event, expression.path), expression.operator, expression.value);
  }
}

/** A value node (string, number, boolean) against a pattern value; objects, arrays, null and missing fields never match. */
function compare(actual: unknown, operator: Operator, value: Value): boolean {
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return false;
  if (value.type === 'any') return operator === '=';
  if (value.type === 'number' && typeof actual === 'number') {
    switch (operator) {
      case '=':
        return actual === value.value;
      case '!=':
        return actual !== value.value;
      case '<':
        return actual < value.value;
      case '>':
        return actual > value.value;
      case '<=':
        return actual <= value.value;
      case '>=':
        return actual >= value.value;
    }
  }
  if (operator !== '=' && operator !== '!=') return false;
  const equal = value.type === 'number' ? String(actual) === value.text : wildcardEquals(String(actual), value);
  return operator === '=' ? equal : !equal;
}

function wildcardEquals(actual: string, value: Extract<Value, { type: 'string' }>): boolean {
  if (value.prefix && value.suffix) return actual.includes(value.text);
  if (value.prefix) return actual.startsWith(value.text);
  if (value.suffix) return actual.endsWith(value.text);
  return actual === value.text;
}
