/**
 * The scheduled event: what AWS delivers after substituting into scheduleTargetInput equals what the local
 * scheduler sends, once read by parseScheduledEvent.
 */
import { describe, expect, it } from 'vitest';
import { ScheduledEventError } from '../../lib/schedule/errors.js';
import {
  ATTEMPT_NUMBER_PLACEHOLDER,
  manualRunTime,
  parseScheduledEvent,
  renderBackfillEvent,
  renderManualEvent,
  renderScheduledEvent,
  SCHEDULED_TIME_PLACEHOLDER,
  scheduledRunKey,
  scheduleTargetInput,
} from '../../lib/schedule/event.js';

/** What EventBridge Scheduler does with a target's Input: plain textual substitution of its context attributes. */
function substitute(template: string, scheduledTime: string, attempt: number): string {
  return template.split(SCHEDULED_TIME_PLACEHOLDER).join(scheduledTime).split(ATTEMPT_NUMBER_PLACEHOLDER).join(String(attempt));
}

describe('the scheduled event', () => {
  it('the target input template is well-formed JSON before substitution, with both placeholders', () => {
    const template = scheduleTargetInput('dailyAt23');
    expect(template).toBe(
      '{"multinode":"schedule","name":"dailyAt23","scheduledTime":"<aws.scheduler.scheduled-time>","attempt":"<aws.scheduler.attempt-number>"}',
    );
    expect(() => JSON.parse(template)).not.toThrow();
  });

  it.each([
    ['dailyAt23', '2024-01-01T23:00:00Z', 1],
    ['weekdays_at-23', '2024-03-31T22:00:00Z', 3],
    ['x', '2199-12-31T23:59:00Z', 185],
  ])('AWS delivery of %s at %s (attempt %d) reads as the local event', (name, time, attempt) => {
    const delivered: unknown = JSON.parse(substitute(scheduleTargetInput(name), time, attempt));
    const local = renderScheduledEvent(name, new Date(time), attempt);
    expect(parseScheduledEvent(delivered)).toEqual(local);
    expect(local).toEqual({ multinode: 'schedule', name, scheduledTime: time, attempt });
    // What the local scheduler sends survives JSON (the local Lambda API) unchanged.
    expect(parseScheduledEvent(JSON.parse(JSON.stringify(local)))).toEqual(local);
  });

  it('renders the scheduled time at whole seconds, like <aws.scheduler.scheduled-time>', () => {
    expect(renderScheduledEvent('a', new Date('2024-01-01T23:00:00.000Z'), 1).scheduledTime).toBe('2024-01-01T23:00:00Z');
    expect(parseScheduledEvent({ multinode: 'schedule', name: 'a', scheduledTime: '2022-03-22T18:59:43.120Z', attempt: 2 })?.scheduledTime).toBe(
      '2022-03-22T18:59:43Z',
    );
  });

  it('is undefined for values that are not scheduled events', () => {
    for (const value of [undefined, null, 'schedule', 42, [], {}, { name: 'a' }, { multinode: 'invoke', name: 'a' }, { source: 'aws.scheduler' }]) {
      expect(parseScheduledEvent(value)).toBeUndefined();
    }
  });

  it.each([
    [{ multinode: 'schedule' }, '"name" must be a schedule name'],
    [{ multinode: 'schedule', name: 'has space', scheduledTime: '2024-01-01T00:00:00Z', attempt: 1 }, '"name" must be a schedule name'],
    [{ multinode: 'schedule', name: 'a', scheduledTime: '<aws.scheduler.scheduled-time>', attempt: 1 }, '"scheduledTime" must be an ISO UTC date-time'],
    [{ multinode: 'schedule', name: 'a', scheduledTime: '2024-01-01T00:00:00+01:00', attempt: 1 }, '"scheduledTime" must be an ISO UTC date-time'],
    [{ multinode: 'schedule', name: 'a', scheduledTime: 1704067200000, attempt: 1 }, '"scheduledTime" must be an ISO UTC date-time'],
    [{ multinode: 'schedule', name: 'a', scheduledTime: '2024-01-01T00:00:00Z', attempt: 0 }, '"attempt" must be a whole number from 1'],
    [
      { multinode: 'schedule', name: 'a', scheduledTime: '2024-01-01T00:00:00Z', attempt: '<aws.scheduler.attempt-number>' },
      '"attempt" must be a whole number from 1',
    ],
    [{ multinode: 'schedule', name: 'a', scheduledTime: '2024-01-01T00:00:00Z', attempt: 1.5 }, '"attempt" must be a whole number from 1'],
  ])('refuses the malformed %j', (value, message) => {
    expect(() => parseScheduledEvent(value)).toThrow(ScheduledEventError);
    expect(() => parseScheduledEvent(value)).toThrow(message);
  });

  it('refuses bad names, times and attempts when rendering', () => {
    expect(() => scheduleTargetInput('bad"name')).toThrow('A schedule name must be 1 to 64 characters');
    expect(() => renderScheduledEvent('a', new Date(NaN), 1)).toThrow('valid scheduledTime');
    expect(() => renderScheduledEvent('a', new Date(0), 0)).toThrow('attempt is a whole number from 1, got 0');
  });

  it('keys a run by name and scheduled time, the same for every attempt', () => {
    const first = renderScheduledEvent('daily', new Date('2024-01-01T23:00:00Z'), 1);
    const retry = renderScheduledEvent('daily', new Date('2024-01-01T23:00:00Z'), 2);
    expect(scheduledRunKey(first)).toBe('daily@2024-01-01T23:00:00Z');
    expect(scheduledRunKey(retry)).toBe(scheduledRunKey(first));
  });

  it('marks a manual run, which keeps its marker through JSON, and refuses other triggers', () => {
    const manual = renderManualEvent('daily', Date.parse('2024-01-01T22:59:59.250Z'));
    expect(manual).toEqual({ multinode: 'schedule', name: 'daily', scheduledTime: '2024-01-01T22:59:59Z', attempt: 1, trigger: 'manual' });
    expect(parseScheduledEvent(JSON.parse(JSON.stringify(manual)))).toEqual(manual);
    expect(() => parseScheduledEvent({ ...manual, trigger: 'cron' })).toThrow('"trigger" must be "manual" or "backfill" when present');
  });

  it('marks a backfilled run with its past fire time, through JSON', () => {
    const backfill = renderBackfillEvent('daily', new Date('2024-01-01T23:00:00Z'));
    expect(backfill).toEqual({ multinode: 'schedule', name: 'daily', scheduledTime: '2024-01-01T23:00:00Z', attempt: 1, trigger: 'backfill' });
    expect(parseScheduledEvent(JSON.parse(JSON.stringify(backfill)))).toEqual(backfill);
  });

  it('never schedules a manual run on a whole minute, where fire times are', () => {
    expect(manualRunTime(Date.parse('2024-01-01T23:00:00.900Z')).toISOString()).toBe('2024-01-01T23:00:01.000Z');
    expect(manualRunTime(Date.parse('2024-01-01T23:00:01.900Z')).toISOString()).toBe('2024-01-01T23:00:01.000Z');
    for (let ms = Date.parse('2024-01-01T23:00:00Z') - 3000; ms < Date.parse('2024-01-01T23:00:00Z') + 3000; ms += 250) {
      expect(manualRunTime(ms).getTime() % 60_000).not.toBe(0);
    }
  });
});
