/**
 * The module-level `log` of `multinode`: the installed runtime's logger of the invocation running now, found at each
 * call; readable console lines when there is none.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log } from '../../lib/log.js';
import type { Log } from '../../lib/handles.js';
import { installRuntime, type RuntimePort } from '../../lib/runtime-port.js';
import { Logger } from '../../runtime/core/logger.js';

const uninstalls: Array<() => void> = [];
afterEach(() => {
  for (const uninstall of uninstalls.splice(0)) uninstall();
  vi.restoreAllMocks();
});

/** A runtime whose "current invocation" is whatever `current.log` holds. */
function installWith(current: { log: Log | undefined }): void {
  uninstalls.push(installRuntime({ log: () => current.log } as unknown as RuntimePort));
}

function capturing(fields: Record<string, unknown>): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: new Logger({ clock: () => 0, fields, sink: (line) => lines.push(JSON.parse(line)) }) };
}

describe('log', () => {
  it('prints readable console lines without a runtime', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    log.info('computing', { country: 'UK' });
    log.child({ run: 1 }).info('plain');
    const failure = new Error('boom');
    log.error('failed', failure);
    expect(info.mock.calls).toEqual([['INFO computing {"country":"UK"}'], ['INFO plain {"run":1}']]);
    expect(error.mock.calls).toEqual([['ERROR failed', failure]]);
  });

  it("writes with the current invocation's logger, found at each call", () => {
    const current: { log: Log | undefined } = { log: undefined };
    installWith(current);
    const first = capturing({ definition: 'a', runId: 'r1' });
    const second = capturing({ definition: 'b', runId: 'r2' });
    const scoped = log.child({ step: 'load' });
    current.log = first.logger;
    log.info('one', { n: 1 });
    scoped.warn('two');
    current.log = second.logger;
    scoped.info('three');
    expect(first.lines.map(({ message, definition, step, n }) => ({ message, definition, step, n }))).toEqual([
      { message: 'one', definition: 'a', step: undefined, n: 1 },
      { message: 'two', definition: 'a', step: 'load', n: undefined },
    ]);
    expect(second.lines).toMatchObject([{ message: 'three', definition: 'b', runId: 'r2', step: 'load' }]);
  });

  it('falls back to the console outside an invocation even with a runtime installed', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    installWith({ log: undefined });
    log.warn('outside');
    expect(warn).toHaveBeenCalledWith('WARN outside');
  });
});
