/**
 * The schedule evaluator (what `multinode schedules` and the local scheduler run) vs the naive way to find fire
 * times: read the zone's wall clock with Intl at every minute and match it. Same expressions, same window (a year in
 * Europe/London, both DST changes included), same results (checked); the ratio is naive time / evaluator time.
 * Then planning 1,000 fire times (a backfill) of every-N-days schedules, which compile to a cron with a day filter:
 * the evaluator steps from grid day to grid day; baselines are 1,000 fire times of the plain daily cron and the
 * cron's deliveries filtered one by one (same results, checked).
 * Also: compiling a schedule definition, which happens when the app module loads.
 */
import { compileSchedule } from '../lib/schedule/compile.js';
import { fireTimes, fireTimesBetween, nextFireTimes, passesFilter } from '../lib/schedule/evaluate.js';
import { normalizeScheduleSpec } from '../lib/schedule/spec.js';
import type { CompiledExpression } from '../lib/schedule/spec.js';

const ZONE = 'Europe/London';
const FROM = Date.parse('2024-01-01T00:00:00Z');
const TO = Date.parse('2025-01-01T00:00:00Z');

const CASES: ReadonlyArray<{ label: string; cron: string }> = [
  { label: 'weekdays 23:00 (0 23 * * 1-5)', cron: '0 23 * * 1-5' },
  { label: 'every 15 minutes (*/15 * * * *)', cron: '*/15 * * * *' },
  { label: '1st, 15th or Friday (0 0 1,15 * 5: two expressions)', cron: '0 0 1,15 * 5' },
];

/** The naive evaluator: every minute of the window, read the wall clock, match the Unix fields; first occurrence only. */
function naive(cron: string): number[] {
  const [minute, hour, dom, , dow] = cron.split(' ') as [string, string, string, string, string];
  const matches = (field: string, value: number) =>
    field === '*' ||
    field.split(',').some((part) => {
      const [range, step = '1'] = part.split('/') as [string, string | undefined];
      const [low, high] = range === '*' ? [0, 59] : range.includes('-') ? (range.split('-').map(Number) as [number, number]) : [Number(range), Number(range)];
      return value >= low && value <= high && (value - low) % Number(step) === 0;
    });
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const seen = new Set<string>();
  const result: number[] = [];
  for (let t = FROM; t < TO; t += 60_000) {
    const text = format.format(t);
    const first = !seen.has(text);
    seen.add(text);
    if (!first) continue;
    const day = Number(text.slice(8, 10));
    const weekday = new Date(`${text.slice(0, 10)}T00:00:00Z`).getUTCDay();
    const dayOk = dom !== '*' && dow !== '*' ? matches(dom, day) || matches(dow, weekday) : matches(dom, day) && matches(dow, weekday);
    if (dayOk && matches(minute, Number(text.slice(14, 16))) && matches(hour, Number(text.slice(11, 13)))) result.push(t);
  }
  return result;
}

function time<T>(run: () => T, repeat: number): { ms: number; value: T } {
  let value = run();
  const started = performance.now();
  for (let i = 0; i < repeat; i++) value = run();
  return { ms: (performance.now() - started) / repeat, value };
}

let failed = false;
console.log(`Fire times over ${new Date(FROM).toISOString().slice(0, 10)} .. ${new Date(TO).toISOString().slice(0, 10)} in ${ZONE}`);
for (const { label, cron } of CASES) {
  const expressions: readonly CompiledExpression[] = compileSchedule(normalizeScheduleSpec({ cron, timezone: ZONE })).expressions;
  const evaluator = time(() => fireTimesBetween(expressions, FROM, TO).map((d) => d.getTime()), 5);
  const baseline = time(() => naive(cron), 1);
  const same = JSON.stringify(evaluator.value) === JSON.stringify(baseline.value);
  if (!same) failed = true;
  console.log(
    `  ${label}: ${evaluator.value.length} runs; evaluator ${evaluator.ms.toFixed(2)} ms, per-minute Intl scan ${baseline.ms.toFixed(0)} ms ` +
      `-> ${(baseline.ms / evaluator.ms).toFixed(0)}x faster${same ? '' : '  RESULTS DIFFER'}`,
  );
}

const PLAN_FROM = Date.parse('1990-01-01T00:00:00Z');
const PLAN_COUNT = 1000;
console.log(`Planning ${PLAN_COUNT} fire times from ${new Date(PLAN_FROM).toISOString().slice(0, 10)} (a backfill)`);
const daily: readonly CompiledExpression[] = [{ expression: 'cron(30 2 * * ? *)', timezone: 'Europe/Berlin' }];
time(() => nextFireTimes(daily, PLAN_FROM, PLAN_COUNT), 100); // warm-up: the evaluator's code and the zone's tables
const plain = time(() => nextFireTimes(daily, PLAN_FROM, PLAN_COUNT), 100);
console.log(`  baseline, the plain daily cron (every 1d at 02:30 in Europe/Berlin): ${plain.ms.toFixed(2)} ms`);
for (const [interval, timezone] of [
  ['2d', 'Europe/Berlin'],
  ['10d', 'Australia/Lord_Howe'],
  ['21d', 'America/New_York'],
  ['60d', 'Europe/London'],
] as const) {
  const { expressions } = compileSchedule(normalizeScheduleSpec({ interval, referenceTime: '1990-01-01T02:30', timezone }), { now: FROM });
  const stepped = time(() => nextFireTimes(expressions, PLAN_FROM, PLAN_COUNT).map((d) => d.getTime()), 100);
  const oneByOne = time(() => {
    const kept: number[] = [];
    for (const fired of fireTimes(expressions[0]!, PLAN_FROM)) {
      if (kept.length === PLAN_COUNT) break;
      if (passesFilter(expressions[0]!, fired)) kept.push(fired);
    }
    return kept;
  }, 3);
  const same = JSON.stringify(stepped.value) === JSON.stringify(oneByOne.value);
  if (!same) failed = true;
  console.log(
    `  every ${interval} in ${timezone} (${expressions[0]!.expression}, ${stepped.value.length} times): ${stepped.ms.toFixed(2)} ms ` +
      `= ${(stepped.ms / plain.ms).toFixed(2)}x the plain daily cron; deliveries filtered one by one ${oneByOne.ms.toFixed(1)} ms ` +
      `-> ${(oneByOne.ms / stepped.ms).toFixed(0)}x faster${same ? '' : '  RESULTS DIFFER'}`,
  );
}

const compiles = [
  { cron: '0 23 * * 1-5', timezone: ZONE },
  { interval: '90m', referenceTime: '2023-09-08T23:00', timezone: ZONE },
  { interval: '7h' },
  { interval: '36h' },
  { interval: '2d', referenceTime: '2023-09-08T23:00', timezone: ZONE },
];
const compile = time(() => compiles.map((options) => compileSchedule(normalizeScheduleSpec(options), { now: FROM })), 200);
console.log(`Compiling a schedule definition: ${((compile.ms / compiles.length) * 1000).toFixed(0)} us on average (cron, 90m, 7h, 36h, 2d in London)`);
process.exit(failed ? 1 : 0);
