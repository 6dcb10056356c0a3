/** An app whose runs the listing benchmark stores: functions, a job and a scheduled task (never run here). */
import * as mn from 'multinode';

export const report = mn.fn(async (country: string) => country);
export const resize = mn.fn(async (size: number) => size);
export const render = mn.job(async function* (input: { frames: number }) {
  yield input.frames;
});
export const hourly = mn.schedule({ cron: '0 * * * *' }, async () => undefined);
