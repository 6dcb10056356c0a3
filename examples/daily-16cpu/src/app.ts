/**
 * The original Multinode's first example: a task that runs daily at 23:00 on 16 vCPUs (provisioned for the run only, on AWS
 * Batch), written both ways the seed allows:
 *  - reference time + interval: 2023-09-08 23:00 + k x 1 day, every day;
 *  - cron: "0 23 * * 1-5", weekdays only.
 * Both read the wall clock of Europe/London, so 23:00 stays 23:00 across daylight saving changes.
 */
import * as mn from 'multinode';
import { countPrimesBelow } from './primes.js';

/** One record per run, keyed by schedule name and scheduled time. */
export const runs = mn.dict<{ schedule: string; scheduledTime: Date; primes: number; seconds: number }>('daily_runs');

async function dailyWork(run: mn.ScheduledRun): Promise<void> {
  const started = performance.now();
  const primes = countPrimesBelow(20_000_000);
  const seconds = (performance.now() - started) / 1000;
  await runs.set(`${run.name}/${run.scheduledTime.toISOString()}`, { schedule: run.name, scheduledTime: run.scheduledTime, primes, seconds });
  console.log(`${run.name}: ${primes} primes below 20,000,000 in ${seconds.toFixed(2)} s`);
}

export const dailyAt23 = mn.scheduledTask({ referenceTime: '2023-09-08T23:00', interval: '1d', timezone: 'Europe/London', cpu: 16 }, dailyWork);

export const weekdaysAt23 = mn.schedule({ cron: '0 23 * * 1-5', timezone: 'Europe/London', cpu: 16 }, dailyWork);
