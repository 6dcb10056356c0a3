/**
 * The runtime's log lines: one JSON object per line, the fields in a fixed order, callers' fields as nested JSON,
 * errors in Lambda's shape, and a parser that reads them back, along with what Lambda's console writes in its Text
 * and JSON log formats.
 */
import { describe, expect, it } from 'vitest';
import { asError, Logger, parseLogLine } from '../../runtime/core/logger.js';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');

/** A logger on a clock the test moves, writing into `lines`. */
function capture(fields?: Record<string, unknown>) {
  let now = T0;
  const lines: string[] = [];
  const logger = new Logger({ clock: () => now, sink: (line) => lines.push(line), ...(fields ? { fields } : {}) });
  return { logger, lines, tick: (ms: number) => void (now += ms) };
}

class QuotaError extends Error {}

describe('Logger', () => {
  it('writes one JSON object per call: timestamp, level, requestId, message, then what runs, then the fields', () => {
    const { logger, lines, tick } = capture({ app: 'shop' });
    const run = logger.child({ requestId: 'req-1', definition: 'buildReport', runId: '01hq', attempt: 2, kind: 'function' });
    run.info('computing UK', { rows: 3 });
    tick(1500);
    run.debug('done');
    expect(lines).toEqual([
      '{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","requestId":"req-1","message":"computing UK","app":"shop","definition":"buildReport",' +
        '"runId":"01hq","attempt":2,"kind":"function","rows":3}',
      '{"timestamp":"2024-01-01T00:00:01.500Z","level":"DEBUG","requestId":"req-1","message":"done","app":"shop","definition":"buildReport",' +
        '"runId":"01hq","attempt":2,"kind":"function"}',
    ]);
  });

  it('names the levels as Lambda does', () => {
    const { logger, lines } = capture();
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
  });

  it('keeps fields as nested JSON values, never as JSON strings', () => {
    const { logger, lines } = capture();
    logger.info('x', { n: 1, list: [1, 'two'], nested: { deep: { ok: true } }, nothing: null });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ n: 1, list: [1, 'two'], nested: { deep: { ok: true } }, nothing: null });
  });

  it('lets a child add and override fields, and leaves its parent alone', () => {
    const { logger, lines } = capture({ app: 'shop', region: 'eu' });
    const child = logger.child({ region: 'us', country: 'UK' });
    child.info('child');
    logger.info('parent');
    expect(JSON.parse(lines[0]!)).toMatchObject({ app: 'shop', region: 'us', country: 'UK' });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('country');
    expect(JSON.parse(lines[1]!).region).toBe('eu');
  });

  it("gives an Error Lambda's errorType, errorMessage and stackTrace, the class name when name was left at Error", () => {
    const { logger, lines } = capture();
    const error = new QuotaError('over quota');
    logger.error('failed', error);
    logger.warn('failed again', { error, country: 'UK' });
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({ message: 'failed', errorType: 'QuotaError', errorMessage: 'over quota' });
    expect(first.stackTrace[0]).toBe('Error: over quota');
    expect(first.stackTrace.length).toBeGreaterThan(1);
    expect(second).toMatchObject({ message: 'failed again', country: 'UK', errorType: 'QuotaError', errorMessage: 'over quota' });
    expect(second).not.toHaveProperty('error');
  });

  it('turns a thrown non-Error into an error line too', () => {
    const { logger, lines } = capture();
    logger.error('failed', asError('just a string'));
    expect(JSON.parse(lines[0]!)).toMatchObject({ errorType: 'string', errorMessage: 'just a string' });
  });

  it("nests other errors as Lambda's error shape, and renders what JSON cannot hold instead of throwing", () => {
    const { logger, lines } = capture();
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const shared = { id: 1 };
    logger.info('odd values', {
      cause: new TypeError('bad'),
      big: 12345678901234567890n,
      map: new Map([['a', 1]]),
      set: new Set([1, 2]),
      cycle,
      twice: [shared, shared],
    });
    const line = JSON.parse(lines[0]!);
    expect(line.cause).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad' });
    expect(line).toMatchObject({ big: '12345678901234567890', map: { a: 1 }, set: [1, 2], cycle: { name: 'loop', self: '[Circular]' } });
    expect(line.twice).toEqual([{ id: 1 }, { id: 1 }]);
  });

  it("keeps the logger's own keys: a caller's field of the same name gets an underscore", () => {
    const { logger, lines } = capture();
    logger.info('real message', { message: 'a field', level: 'a field too', timestamp: 0 });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ message: 'real message', level: 'INFO', timestamp: '2024-01-01T00:00:00.000Z' });
    expect(line).toMatchObject({ _message: 'a field', _level: 'a field too', _timestamp: 0 });
  });

  it('writes a message with newlines as one line', () => {
    const { logger, lines } = capture();
    logger.info('first\nsecond', { text: 'a\nb' });
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'first\nsecond', text: 'a\nb' });
  });

  it('takes a value that is not an object as the field `value`', () => {
    const { logger, lines } = capture();
    logger.info('odd', 42 as unknown as Record<string, unknown>);
    expect(JSON.parse(lines[0]!).value).toBe(42);
  });
});

describe('parseLogLine', () => {
  it('reads our lines back into the record they were written from', () => {
    const { logger, lines } = capture({ app: 'shop' });
    logger.child({ requestId: 'r', definition: 'd', runId: '2024-01-01T23:00:00.000Z', attempt: 1, kind: 'schedule' }).warn('slow', {
      rows: 3,
      detail: { a: [1] },
    });
    expect(parseLogLine(lines[0]!)).toEqual({
      timestamp: '2024-01-01T00:00:00.000Z',
      level: 'WARN',
      requestId: 'r',
      message: 'slow',
      app: 'shop',
      definition: 'd',
      runId: '2024-01-01T23:00:00.000Z',
      attempt: 1,
      kind: 'schedule',
      fields: { rows: 3, detail: { a: [1] } },
      format: 'json',
    });
  });

  it('reads error lines', () => {
    const { logger, lines } = capture();
    logger.error('failed', new RangeError('too far'));
    const record = parseLogLine(`${lines[0]!}\n`)!;
    expect(record).toMatchObject({ level: 'ERROR', message: 'failed', errorType: 'RangeError', errorMessage: 'too far', fields: {} });
    expect(record.stackTrace![0]).toBe('RangeError: too far');
  });

  it("reads a console line in Lambda's Text log format", () => {
    expect(parseLogLine('2024-01-01T00:00:00.000Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tINFO\tcomputing\tUK')).toEqual({
      timestamp: '2024-01-01T00:00:00.000Z',
      requestId: 'c793869b-ee49-115b-a5b6-4fd21e8dedac',
      level: 'INFO',
      message: 'computing\tUK',
      fields: {},
      format: 'lambda-text',
    });
    // Outside an invocation the request id is `undefined`; a message's newlines arrive as carriage returns.
    expect(parseLogLine('2024-01-01T00:00:00.000Z\tundefined\tWARN\tfirst\rsecond')).toEqual({
      timestamp: '2024-01-01T00:00:00.000Z',
      level: 'WARN',
      message: 'first\nsecond',
      fields: {},
      format: 'lambda-text',
    });
  });

  it("reads a console line in Lambda's JSON log format, an object message as its JSON text", () => {
    expect(parseLogLine('{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","requestId":"r-1","message":"hello"}')).toEqual({
      timestamp: '2024-01-01T00:00:00.000Z',
      level: 'INFO',
      requestId: 'r-1',
      message: 'hello',
      fields: {},
      format: 'json',
    });
    expect(parseLogLine('{"timestamp":"2024-01-01T00:00:00.000Z","level":"FATAL","requestId":"r-1","message":{"rows":3}}')).toMatchObject({
      level: 'FATAL',
      message: '{"rows":3}',
    });
    expect(parseLogLine('{"timestamp":"2024-01-01T00:00:00Z","level":"debug","message":"lower case"}')?.level).toBe('DEBUG');
  });

  it('keeps fields of an unexpected type among the others', () => {
    const record = parseLogLine('{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","message":"m","attempt":"two","kind":"robot"}')!;
    expect(record).not.toHaveProperty('attempt');
    expect(record.fields).toEqual({ attempt: 'two', kind: 'robot' });
  });

  it('is undefined for anything else', () => {
    for (const line of [
      'computing UK',
      '',
      '{"rows":3}',
      '{"timestamp":"yesterday","level":"INFO","message":"m"}',
      '{"timestamp":"2024-01-01T00:00:00.000Z","level":"LOUD","message":"m"}',
      '{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO"}',
      '{not json',
      '[1,2]',
      '2024-01-01T00:00:00.000Z\treq\tSHOUT\tmessage',
      '    at Object.<anonymous> (/var/task/app.mjs:1:1)',
    ]) {
      expect(parseLogLine(line), line).toBeUndefined();
    }
  });
});
