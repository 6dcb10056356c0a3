/**
 * A busy history for listing tests and benchmarks: `count` runs over the last `hours`, written through the runtime's
 * own stores into an app's state table (60% started runs of `functions`, 30% jobs of `job`, 10% scheduled runs of
 * `task`); 1 in 10 succeeded, 1 in 100 failed, the newest 20 running.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Payloads } from '../../runtime/core/payloads.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { JobStore } from '../../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING } from '../../runtime/jobs/tuning.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import { newRunId } from '../../runtime/state/ids.js';
import type { StateTable } from '../../runtime/state/state-table.js';

export interface SeedPlan {
  readonly count: number;
  /** Epoch ms of the newest run. */
  readonly now: number;
  readonly hours: number;
  readonly functions: readonly [string, string];
  readonly job: string;
  readonly task: string;
}

export async function seedRuns(state: StateTable, plan: SeedPlan): Promise<void> {
  const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const payloads = new Payloads(s3, 'unused');
  const { count, now, hours } = plan;
  const step = (hours * 3_600_000) / count;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const i = next++;
          const at = Math.floor(now - hours * 3_600_000 + i * step);
          const kind = i % 10;
          if (kind < 6) {
            const name = plan.functions[kind < 3 ? 0 : 1];
            const id = newRunId(at);
            const store = new RunStore(name, state, payloads, () => at);
            await store.create(id, [i], 86_400);
            if (i % 100 === 1 || i % 10 === 2 || i >= count - 20) await store.claim(id, 'seed');
            if (i % 100 === 1) await store.finish(id, 'seed', { status: 'FAILED', error: { type: 'Error', message: `run ${i} failed` } });
            else if (i % 10 === 2) await store.finish(id, 'seed', { status: 'SUCCEEDED', result: i });
          } else if (kind < 9) {
            const options = { timeoutSeconds: 86_400, maxAttempts: 1, placement: 'lambda' as const, tuning: DEFAULT_JOB_TUNING };
            await new JobStore(plan.job, state, payloads, () => at).create(newRunId(at), { steps: i, stepMs: 1 }, options);
          } else {
            const claims = new ScheduleClaims(state, () => at);
            const claimed = await claims.claim(plan.task, `${new Date(Math.floor(at / 1000) * 1000).toISOString().slice(0, 19)}Z`, 3_600_000);
            if (claimed.claimed) await claims.finish(claimed.claim, { status: 'SUCCEEDED' });
          }
        }
      }),
    );
  } finally {
    s3.destroy();
  }
}
