/**
 * What `multinode dev` and `multinode run` print: the runtime's JSON lines made readable, anything else as it came.
 */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../runtime/core/logger.js';
import { formatCloudLog, shortRunId } from '../../runtime/local/log-format.js';

function lineOf(write: (logger: Logger) => void, fields: Record<string, unknown> = {}): string {
  let line = '';
  write(new Logger({ clock: () => Date.parse('2024-01-01T00:00:00Z'), sink: (l) => (line = l), fields: { app: 'shop', requestId: 'r-1', ...fields } }));
  return line;
}

describe('formatCloudLog', () => {
  it('shows definition, short run id and attempt, then level, message and the fields', () => {
    const line = lineOf((log) => log.info('computing UK', { rows: 3 }), {
      definition: 'buildReport',
      runId: '01hqz8m3kd5t2w9xv7ypq4k2ab',
      attempt: 1,
      kind: 'function',
    });
    expect(formatCloudLog('buildReport', line)).toBe('[buildReport 01h..k2ab #1] INFO computing UK {"rows":3}');
  });

  it('shows a scheduled time whole, and an error by type and message', () => {
    const line = lineOf((log) => log.warn('attempt 2 failed; retrying', new TypeError('no rows')), {
      definition: 'daily',
      runId: '2024-01-01T23:00:00.000Z',
      attempt: 2,
      kind: 'schedule',
    });
    expect(formatCloudLog('daily', line)).toBe('[daily 2024-01-01T23:00:00Z #2] WARN attempt 2 failed; retrying TypeError: no rows');
  });

  it("prints an ERROR line's stack on the lines after it, indented", () => {
    const error = new Error('boom');
    error.stack = 'Error: boom\n    at one (app.mjs:1:1)\n    at two (app.mjs:2:2)';
    const line = lineOf((log) => log.error('failed', error), { definition: 'job1', runId: 'abc', attempt: 1 });
    expect(formatCloudLog('job1', line)).toBe('[job1 abc #1] ERROR failed Error: boom\n    at one (app.mjs:1:1)\n    at two (app.mjs:2:2)');
  });

  it('marks Batch containers, and falls back to the source without a definition', () => {
    const line = lineOf((log) => log.info('started'), { definition: 'heavy', runId: 'run-1' });
    expect(formatCloudLog('heavy (batch)', line)).toBe('[heavy (batch) run-1] INFO started');
    expect(
      formatCloudLog(
        'multinode-dispatcher',
        lineOf((log) => log.debug('no definition')),
      ),
    ).toBe('[multinode-dispatcher] DEBUG no definition');
  });

  it('prints other lines as they came', () => {
    expect(formatCloudLog('api', 'GET /summaries 200 3ms')).toBe('[api] GET /summaries 200 3ms');
    expect(formatCloudLog('api', '{"rows":3}')).toBe('[api] {"rows":3}');
  });

  it("reads a console line in Lambda's Text format too", () => {
    expect(formatCloudLog('fn', '2024-01-01T00:00:00.000Z\treq\tINFO\thello')).toBe('[fn] INFO hello');
  });
});

describe('shortRunId', () => {
  it('keeps short ids, shortens long ones, and shows scheduled times without milliseconds', () => {
    expect(shortRunId('run-1')).toBe('run-1');
    expect(shortRunId('0123456789ab')).toBe('0123456789ab');
    expect(shortRunId('0123456789abc')).toBe('012..9abc');
    expect(shortRunId('2024-03-05T23:00:00.000Z')).toBe('2024-03-05T23:00:00Z');
  });
});
