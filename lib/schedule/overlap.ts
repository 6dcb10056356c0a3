/**
 * What happens when a scheduled task's fire time comes (or a person runs it) while a run of the task is still running:
 * the task's overlap policy, the `overlap` option of `schedule({...})`.
 *
 * - `skip` (the default): the new fire time is recorded SKIPPED and does not run.
 * - `bufferOne`: the new fire time waits (PENDING) and starts when the running one ends; at most one waits, and a fire
 *   time that finds one already waiting is recorded SKIPPED.
 * - `cancelOther`: the running one is cancelled (its `run.signal` fires, and it has the grace period to stop) and the
 *   new one starts when it has ended.
 * - `allow`: runs overlap.
 *
 * `skip` is the default because a scheduled task usually does "the work of this period": when a run outlasts its
 * period, starting another one beside it doubles the load on whatever it works on and lets runs pile up, and
 * queueing them makes the task fall further behind with each fire time. A skipped fire time is recorded, so it shows
 * in the run history and can be run later with a backfill.
 */
export const OVERLAP_POLICIES = ['skip', 'bufferOne', 'allow', 'cancelOther'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const DEFAULT_OVERLAP: OverlapPolicy = 'skip';

/** How the allowed values read in messages. */
export const OVERLAP_FORMS =
  '"skip" (the default: a fire time that comes while a run is running is recorded SKIPPED), "bufferOne" (one waits and starts when ' +
  'the running one ends), "allow" (runs overlap) or "cancelOther" (the running one is cancelled and the new one starts)';

export function isOverlapPolicy(value: unknown): value is OverlapPolicy {
  return typeof value === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(value);
}

/** The policy of a task's settings; a manifest written before the option existed has none: the default. */
export function overlapOf(options: { readonly overlap?: OverlapPolicy }): OverlapPolicy {
  return options.overlap ?? DEFAULT_OVERLAP;
}

/** Whether runs under `policy` never overlap (every policy but `allow`). */
export function runsOneAtATime(policy: OverlapPolicy): boolean {
  return policy !== 'allow';
}
