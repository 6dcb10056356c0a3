import path from 'node:path';
import { startTestCloud } from '../runtime/local/testing.js';
import * as app from './apps/_probe/src/app.js';
const cloud = await startTestCloud(path.join(import.meta.dirname, 'apps/_probe/src/app.ts'), { module: app });
await app.wait50.map(Array.from({ length: 20 }, () => 'warm-up'));
const q = (a: number[], p: number) => a.sort((x, y) => x - y)[Math.floor(a.length * p)]!.toFixed(1);
for (let round = 0; round < 3; round++) {
  const began = Date.now();
  const ids = await Promise.all(Array.from({ length: 200 }, () => app.wait50.start(`b${round}`)));
  const res = (await Promise.all(ids.map((id) => app.wait50.awaitResult(id)))) as number[][];
  const ms = Date.now() - began;
  console.log(
    `burst ${ms}: inc1 p50 ${q(
      res.map((r) => r[1]!),
      0.5,
    )} p90 ${q(
      res.map((r) => r[1]!),
      0.9,
    )}; sleep p50 ${q(
      res.map((r) => r[2]!),
      0.5,
    )} p90 ${q(
      res.map((r) => r[2]!),
      0.9,
    )}; inc2 p50 ${q(
      res.map((r) => r[3]!),
      0.5,
    )} p90 ${q(
      res.map((r) => r[3]!),
      0.9,
    )}`,
  );
  const m0 = Date.now();
  const mres = (await app.wait50.map(Array.from({ length: 200 }, () => `m${round}`))) as number[][];
  console.log(
    `map ${Date.now() - m0}: inc1 p50 ${q(
      mres.map((r) => r[1]!),
      0.5,
    )} p90 ${q(
      mres.map((r) => r[1]!),
      0.9,
    )}; sleep p50 ${q(
      mres.map((r) => r[2]!),
      0.5,
    )} p90 ${q(
      mres.map((r) => r[2]!),
      0.9,
    )}; inc2 p50 ${q(
      mres.map((r) => r[3]!),
      0.5,
    )} p90 ${q(
      mres.map((r) => r[3]!),
      0.9,
    )}`,
  );
}
await cloud.stop();
