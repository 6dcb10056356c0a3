import * as mn from 'multinode';
export const marks = mn.dict<number>('marks');
export const wait50 = mn.fn({ maxConcurrency: 20, timeout: '5m' }, async (key: string) => {
  const t0 = performance.now();
  const inside = await marks.increment(`${key}/inside`);
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const t2 = performance.now();
  await marks.increment(`${key}/inside`, -1);
  const t3 = performance.now();
  return [inside, t1 - t0, t2 - t1, t3 - t2];
});
