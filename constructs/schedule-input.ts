/**
 * The `Input` of a scheduled task's schedules: the scheduled event with Scheduler's placeholders, substituted by
 * EventBridge Scheduler at each delivery.
 * TEMPORARY: switch to `scheduleTargetInput` from lib/schedule/event.ts once the schedules issue lands it.
 */
export function scheduleInput(name: string): string {
  return `{"multinode":"schedule","name":${JSON.stringify(name)},"scheduledTime":"<aws.scheduler.scheduled-time>","attempt":<aws.scheduler.attempt-number>}`;
}
