/**
 * Test support for the job runtime: the local DynamoDB (dynalite) and S3 (s3rver) with real SDK clients, and an
 * in-process launcher that runs attempts like an asynchronous Lambda invoke would (later, in this process), with
 * knobs to deliver an attempt twice or lose it.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { JobHandler } from '../../lib/definitions/job.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { createTables } from '../../runtime/local/tables.js';
import { LockClient } from '../../runtime/locks/lock-client.js';
import { Logger } from '../../runtime/core/logger.js';
import { Payloads } from '../../runtime/core/payloads.js';
import type { ConcurrencyGate } from '../../runtime/state/concurrency.js';
import { StateTable } from '../../runtime/state/state-table.js';
import { documentClient } from '../../runtime/core/clients.js';
import { STATE_TABLE_SCHEMA } from '../../runtime/state/schema.js';
import type { AttemptLauncher } from '../../runtime/jobs/launcher.js';
import { type AttemptOutcome, executeAttempt, type JobSettings } from '../../runtime/jobs/executor.js';
import { JobClient } from '../../runtime/jobs/job-client.js';
import { queueOf } from '../../runtime/jobs/factory.js';
import { JobStore } from '../../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING, type JobTuning } from '../../runtime/jobs/tuning.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const FAST_TUNING: JobTuning = { ...DEFAULT_JOB_TUNING, heartbeatMs: 50, staleAfterMs: 2_000, graceMs: 300, lockTtlSeconds: 1, pollMaxMs: 50 };

export interface InProcessJob {
  readonly client: JobClient;
  readonly store: JobStore;
  readonly launcher: InProcessLauncher;
  readonly gate: ConcurrencyGate;
}

/** Runs each launched attempt in this process, after the caller's turn (like an `Event` invoke). */
export class InProcessLauncher implements AttemptLauncher {
  readonly launched: Array<{ id: string; attempt: number }> = [];
  readonly outcomes: Array<{ id: string; attempt: number; outcome: AttemptOutcome | Error }> = [];
  /** Deliver every attempt this many times (duplicates). */
  copies = 1;
  /** Drop the next launches (a lost delivery). */
  drop = 0;
  run!: (id: string, attempt: number, slot?: number) => Promise<AttemptOutcome>;
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];

  /** `slot` is the concurrency slot the gate handed over; a test delivering an attempt itself may leave it out. */
  async launch(id: string, attempt: number, _deadline?: number, slot?: number): Promise<{ batchJobId?: string }> {
    this.launched.push({ id, attempt });
    if (this.drop > 0) {
      this.drop--;
      return {};
    }
    for (let copy = 0; copy < this.copies; copy++) {
      setImmediate(() => {
        this.run(id, attempt, slot).then(
          (outcome) => this.record(id, attempt, outcome),
          (error: Error) => this.record(id, attempt, error),
        );
      });
    }
    return {};
  }

  async stop(): Promise<void> {}

  private record(id: string, attempt: number, outcome: AttemptOutcome | Error): void {
    this.outcomes.push({ id, attempt, outcome });
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `count` attempts of `id` have ended (in any way). */
  settled(id: string, count = 1): Promise<void> {
    const test = () => this.outcomes.filter((o) => o.id === id).length >= count;
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

export interface JobFixture {
  readonly dynamo: DynamoDBClient;
  readonly state: StateTable;
  readonly payloads: Payloads;
  /** `computeEndsInMs`: each attempt's compute stops this long after it starts (a Lambda invocation's timeout). */
  job(
    name: string,
    settings: Partial<JobSettings>,
    handler: JobHandler<never, unknown>,
    options?: { tuning?: JobTuning; clock?: () => number; computeEndsInMs?: number; stopSignal?: AbortSignal; stopTimeoutMs?: number; log?: Logger },
  ): InProcessJob;
  close(): Promise<void>;
}

let fixtures = 0;

export async function startJobFixture(): Promise<JobFixture> {
  const dynamoServer: LocalDynamo = await startDynamo();
  const dynamo = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region: 'us-east-1', credentials });
  const table = `jobs-test-${++fixtures}-state`;
  await createTables(dynamo, [[table, STATE_TABLE_SCHEMA]]);
  const s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(path.join(os.tmpdir(), 'mn-jobs-s3-')) });
  const { port } = await s3server.run();
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'payloads' }));
  const state = new StateTable(documentClient(dynamo), table);
  const payloads = new Payloads(s3, 'payloads');
  return {
    dynamo,
    state,
    payloads,
    job(name, partial, handler, options = {}) {
      const tuning = options.tuning ?? FAST_TUNING;
      const clock = options.clock ?? Date.now;
      const settings: JobSettings = { timeoutSeconds: 60, maxRetries: 0, maxConcurrency: 10, lock: null, ...partial };
      const store = new JobStore(name, state, payloads, clock);
      const launcher = new InProcessLauncher();
      const locks = (lock: string) => new LockClient({ state, name: lock, clock, pollMs: 20 });
      const queue = queueOf(store, settings, launcher, tuning, clock);
      launcher.run = (id, attempt, slot) =>
        executeAttempt(
          {
            store,
            settings,
            handler: handler as JobHandler<unknown, unknown>,
            launcher,
            gate: queue.gate,
            locks,
            tuning,
            clock,
            // Silent unless a test listens: the executor's own lines are not what these tests check.
            log: options.log ?? new Logger({ clock, sink: () => undefined }),
            ...(options.computeEndsInMs === undefined ? {} : { computeEndsAt: clock() + options.computeEndsInMs }),
            ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
            ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
          },
          id,
          attempt,
          slot,
        );
      const client = new JobClient({ store, settings, placement: 'lambda', launcher, queue, tuning, clock });
      return { client, store, launcher, gate: queue.gate };
    },
    async close() {
      dynamo.destroy();
      s3.destroy();
      await dynamoServer.close();
      await s3server.close();
    },
  };
}

/** A promise with its resolve function, to let a test and a job handler meet. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}
