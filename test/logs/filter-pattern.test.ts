/**
 * The filter patterns of the local CloudWatch Logs endpoint: the examples of CloudWatch Logs' documentation
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) give the expected matches;
 * patterns outside the supported subset are refused with a message naming the feature.
 */
import { describe, expect, it } from 'vitest';
import { FilterPatternError, parseFilterPattern } from '../../runtime/local/logs/filter-pattern.js';

const matches = (pattern: string, message: string) => parseFilterPattern(pattern).matches(message);
const matching = (pattern: string, messages: string[]) => messages.filter((m) => matches(pattern, m));

describe('terms', () => {
  const events = ['ERROR WARN message', 'ERROR message', 'WARN message'];

  it('match anywhere in the message, case sensitive (the documented examples)', () => {
    expect(matching('ERROR', ['[ERROR] A fatal exception has occurred', 'Exiting with ERRORCODE: -1', 'error: lower case'])).toEqual([
      '[ERROR] A fatal exception has occurred',
      'Exiting with ERRORCODE: -1',
    ]);
    expect(matching('ERROR', events)).toEqual(['ERROR WARN message', 'ERROR message']);
    expect(matching('ERROR WARN', events)).toEqual(['ERROR WARN message']);
    expect(matching('?ERROR ?WARN', events)).toEqual(events);
    expect(matching('ERROR -WARN', events)).toEqual(['ERROR message']);
  });

  it('quoted phrases, exclusions of phrases, and every term of several', () => {
    expect(matching('"ERROR" -"Exiting"', ['[ERROR] fatal', 'Exiting with ERRORCODE: -1'])).toEqual(['[ERROR] fatal']);
    expect(matching('"ERROR" - "Exiting"', ['[ERROR] fatal', 'Exiting with ERRORCODE: -1'])).toEqual(['[ERROR] fatal']);
    expect(
      matching('Failed to process the request', ['[WARN] Failed to process the request', '[WARN] Failed to process', 'request to process Failed the']),
    ).toEqual(['[WARN] Failed to process the request', 'request to process Failed the']);
    expect(matching('"Failed to process"', ['x Failed to process y', 'Failed process to'])).toEqual(['x Failed to process y']);
    expect(matches('"say \\"hi\\""', 'they say "hi" twice')).toBe(true);
    expect(matching('-DEBUG', ['DEBUG a', 'INFO b'])).toEqual(['INFO b']);
  });

  it('an empty or blank pattern matches every event', () => {
    expect(matches('', 'anything')).toBe(true);
    expect(matches('   ', 'anything')).toBe(true);
  });

  it('refuses unquoted terms with other characters, a dangling operator, an open quote', () => {
    expect(() => parseFilterPattern('ERROR:')).toThrow(/Invalid character\(s\) in term 'ERROR:'.*double quotes \("ERROR:"\)/);
    expect(() => parseFilterPattern('8c1f2a4e-0b1c')).toThrow(/Invalid character\(s\) in term/);
    expect(() => parseFilterPattern('ERROR -')).toThrow(/"-" at the end is not followed by a term/);
    expect(() => parseFilterPattern('"open')).toThrow(/never closed/);
    expect(() => parseFilterPattern('"a"b')).toThrow(/followed by a space/);
  });
});

describe('JSON patterns', () => {
  // The documentation's example event.
  const event = JSON.stringify({
    eventType: 'UpdateTrail',
    sourceIPAddress: '111.111.111.111',
    arrayKey: ['value', 'another value'],
    objectList: [
      { name: 'a', id: 1 },
      { name: 'b', id: 2 },
    ],
    SomeObject: null,
    ThisFlag: true,
  });

  it.each([
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.sourceIPAddress != 123.123.* }', true],
    ['{ $.sourceIPAddress = 111.111.* }', true],
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.objectList[1].id = 2 }', true],
    ['{ $.objectList[1].id = 1 }', false],
    ['{ $.SomeObject IS NULL }', true],
    ['{ $.SomeOtherObject NOT EXISTS }', true],
    ['{ $.eventType NOT EXISTS }', false],
    ['{ $.ThisFlag IS TRUE }', true],
    ['{ $.ThisFlag IS FALSE }', false],
    ['{ $.eventType = * }', true],
    ['{ $.missing = * }', false],
    ['{ $.eventType = "Update*" }', true],
    ['{ $.eventType = "*Trail" }', true],
    ['{ $.eventType = "*dateTr*" }', true],
    ['{ $.eventType = "Up*Trail" }', false],
    // A selector that reaches an array or object matches neither = nor !=; a missing field neither.
    ['{ $.arrayKey = "value" }', false],
    ['{ $.arrayKey != "value" }', false],
    ['{ $.missing != "x" }', false],
  ])('%s on the documented event: %s', (pattern, expected) => {
    expect(matches(pattern, event)).toBe(expected);
  });

  it('compound conditions: && binds tighter than ||, parentheses group (the documented examples)', () => {
    const doc = JSON.stringify({
      user: { id: 1, email: 'John.Stiles@example.com' },
      users: [
        { id: 2, email: 'John.Doe@example.com' },
        { id: 3, email: 'Jane.Doe@example.com' },
      ],
      actions: ['GET', 'PUT', 'DELETE'],
      coordinates: [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9],
      ],
    });
    expect(matches('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', doc)).toBe(true);
    expect(matches('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', doc)).toBe(false);
    expect(matches('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', doc)).toBe(true);
    expect(matches('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }', doc)).toBe(false);
    expect(matches('{ $.coordinates[1][2] = 6 }', doc)).toBe(true);
  });

  it('numeric comparisons (the documented forms)', () => {
    const line = JSON.stringify({ latency: 600, numbers: [5, 0.001], errorCode: 400, processes: [{}, {}, {}, {}, { averageRuntime: 55.5 }] });
    expect(matches('{ $.latency >= 500 }', line)).toBe(true);
    expect(matches('{ $.latency > +1000 }', line)).toBe(false);
    expect(matches('{ $.numbers[0] < 10e3 }', line)).toBe(true);
    expect(matches('{ $.numbers[1] < 10e-3 }', line)).toBe(true);
    expect(matches('{ $.processes[4].averageRuntime <= 55.5 }', line)).toBe(true);
    expect(matches('{ $.errorCode = 400 }', line)).toBe(true);
    expect(matches('{ $.errorCode != 500 }', line)).toBe(true);
    expect(matches('{ $.errorCode < 400 }', line)).toBe(false);
  });

  it("the runtime's lines: a run's lines by run id, levels, attempts", () => {
    const line = JSON.stringify({ timestamp: '2024-01-01T00:00:00.000Z', level: 'WARN', message: 'retrying', runId: '01hqz8m3kd5t2w9xv7ypq4k2ab', attempt: 2 });
    expect(matches('{ $.runId = "01hqz8m3kd5t2w9xv7ypq4k2ab" }', line)).toBe(true);
    expect(matches('{ $.runId = "01hqz8m3kd5t2w9xv7ypq4k2ac" }', line)).toBe(false);
    expect(matches('{ ($.runId = "01hqz8m3kd5t2w9xv7ypq4k2ab") && ($.attempt > 1) && ($.level = "WARN") }', line)).toBe(true);
    expect(matches('{ $.level = "ERROR" || $.level = "WARN" }', line)).toBe(true);
  });

  it('never matches a message that is not a JSON object', () => {
    expect(matches('{ $.level = "INFO" }', 'START RequestId: 1 Version: $LATEST')).toBe(false);
    expect(matches('{ $.level = "INFO" }', '{"level": "INFO"')).toBe(false);
  });

  it.each([
    ['{ $.a = 1', /expected "}" before the end/],
    ['{ a = 1 }', /expected a selector such as \$\.field/],
    ['{ $.a ~ 1 }', /expected =, !=, <, >, <=, >=, IS or NOT EXISTS after \$\.a/],
    ['{ $.a > "x" }', /> compares numbers/],
    ['{ $.a IS MAYBE }', /IS must be followed by NULL, TRUE or FALSE/],
    ['{ $.a = 1 } extra', /after the closing brace/],
    ['{ $ = 1 }', /a selector needs a property/],
    ['{ $.a = }', /expected a value/],
  ])('refuses %s', (pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(FilterPatternError);
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});

describe('patterns outside the local subset are refused, naming the feature', () => {
  it.each([
    ['%ERROR [0-9]+%', /regular expressions/],
    ['{ $.message = %bind: .*% }', /regular expressions/],
    ['[ip, user, status_code = 4*]', /space-delimited patterns/],
    ['{ $.list[*] = 1 }', /wildcard selectors/],
    ['{ $.a IN [1, 2] }', /IN lists/],
    ['{ $.a EXISTS }', /EXISTS/],
  ])('%s', (pattern, feature) => {
    expect(() => parseFilterPattern(pattern)).toThrow(feature);
    expect(() => parseFilterPattern(pattern)).toThrow(/does not support\. Supported: terms/);
  });
});
