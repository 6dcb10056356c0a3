/** The function the start-burst benchmark starts: waits 50 ms and reports how many of its runs were running. */
import * as mn from 'multinode';

export const marks = mn.dict<number>('marks');

export const wait50 = mn.fn({ maxConcurrency: 20, timeout: '5m' }, async (key: string) => {
  const inside = await marks.increment(`${key}/inside`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await marks.increment(`${key}/inside`, -1);
  return inside;
});
