/**
 * Test support for the control plane over the local DynamoDB alone (dynalite, real SDK clients): the control app's
 * manifest, its state table, and run records written by the runtime's own stores at chosen times.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from '../../lib/manifest.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../runtime/control/control-plane.js';
import type { LogLine } from '../../runtime/control/logs.js';
import type { RuntimeConfig } from '../../runtime/core/config.js';
import { Payloads } from '../../runtime/core/payloads.js';
import { RunStore } from '../../runtime/functions/run-store.js';
import { JobStore } from '../../runtime/jobs/job-store.js';
import { DEFAULT_JOB_TUNING } from '../../runtime/jobs/tuning.js';
import { startDynamo, type LocalDynamo } from '../../runtime/local/dynamodb.js';
import { appTables, createTables } from '../../runtime/local/tables.js';
import { ScheduleClaims } from '../../runtime/schedules/claims.js';
import { newRunId } from '../../runtime/state/ids.js';
import type { StateTable } from '../../runtime/state/state-table.js';
import { resourceNames } from '../../lib/naming.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const CONTROL_APP = path.join(import.meta.dirname, 'fixtures/control-app/src/app.ts');
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface DynamoControl {
  readonly dynamo: LocalDynamo;
  readonly manifest: Manifest;
  readonly config: RuntimeConfig;
  /** The plane's clock reads this. */
  now: number;
  readonly plane: ControlPlane;
  readonly state: StateTable;
  /** A plane with other options over the same table (closed by `close`). */
  planeWith<E extends LogLine>(options: ControlPlaneOptions<E>): ControlPlane<E>;
  close(): Promise<void>;
}

let apps = 0;

/** The control app's state and dict tables in a fresh local DynamoDB, and a control plane over them. */
export async function startDynamoControl(start: number, manifest?: Manifest): Promise<DynamoControl> {
  const loaded = manifest ?? (await loadManifest(CONTROL_APP)).manifest;
  const dynamo = await startDynamo();
  const config: RuntimeConfig = {
    app: loaded.app.name,
    prefix: `ctl${++apps}`,
    bucket: 'unused-bucket',
    region: 'us-east-1',
    endpoints: { dynamodb: dynamo.endpoint, s3: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9' },
    credentials: CREDENTIALS,
  };
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: CREDENTIALS });
  await createTables(client, appTables(loaded, resourceNames(config.prefix)));
  client.destroy();
  const planes: ControlPlane<LogLine>[] = [];
  const fixture: DynamoControl = {
    dynamo,
    manifest: loaded,
    config,
    now: start,
    plane: undefined as unknown as ControlPlane,
    state: undefined as unknown as StateTable,
    planeWith(options) {
      const plane = createControlPlane(
        { config, manifest: loaded, services: [{ name: 'api', url: 'http://127.0.0.1:1/' }] },
        { clock: () => fixture.now, ...options },
      );
      planes.push(plane as unknown as ControlPlane);
      return plane;
    },
    async close() {
      for (const plane of planes) plane.close();
      await dynamo.close();
    },
  };
  const plane = fixture.planeWith({});
  Object.assign(fixture, { plane, state: plane.context.state });
  return fixture;
}

/** Payloads whose S3 is never reached (every value here is small, stored inline); `close` closes its client. */
export function inlinePayloads(): Payloads & { close(): void } {
  const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: CREDENTIALS });
  return Object.assign(new Payloads(s3, 'unused-bucket'), { close: () => s3.destroy() });
}

/** Writes records through the runtime's stores, each at its own time. */
export class Seeder {
  readonly payloads = inlinePayloads();

  constructor(readonly state: StateTable) {}

  /** A started run of `fn` created at `at` (its id carries that time), with a day to finish. */
  async run(fn: string, at: number, args: unknown[] = [at]): Promise<string> {
    const id = newRunId(at);
    await new RunStore(fn, this.state, this.payloads, () => at).create(id, args as never, 86_400);
    return id;
  }

  /** Ends a run: claimed at `at + 10`, finished at `at + 20`. */
  async endRun(fn: string, id: string, at: number, outcome: 'SUCCEEDED' | 'FAILED'): Promise<void> {
    const store = new RunStore(fn, this.state, this.payloads, () => at + 10);
    await store.claim(id, 'seeder');
    const finishing = new RunStore(fn, this.state, this.payloads, () => at + 20);
    await finishing.finish(
      id,
      'seeder',
      outcome === 'SUCCEEDED'
        ? { status: 'SUCCEEDED', result: 'done' }
        : { status: 'FAILED', error: { type: 'RangeError', message: `failed at ${at}`, stack: 'RangeError: x\n    at here' } },
    );
  }

  async job(name: string, at: number): Promise<string> {
    const id = newRunId(at);
    await new JobStore(name, this.state, this.payloads, () => at).create(
      id,
      { steps: 1 },
      {
        timeoutSeconds: 86_400,
        maxAttempts: 1,
        placement: 'lambda',
        tuning: DEFAULT_JOB_TUNING,
      },
    );
    return id;
  }

  /** A scheduled run of `task` at `scheduledTime` (whole seconds), claimed then, ended as told. */
  async scheduled(task: string, scheduledMs: number, outcome?: 'SUCCEEDED' | 'FAILED'): Promise<string> {
    const time = `${new Date(scheduledMs).toISOString().slice(0, 19)}Z`;
    const claims = new ScheduleClaims(this.state, () => scheduledMs);
    const claimed = await claims.claim(task, time, 3_600_000);
    if (!claimed.claimed) throw new Error(`${task}@${time} was claimed before`);
    if (outcome === 'SUCCEEDED') await claims.finish(claimed.claim, { status: 'SUCCEEDED' });
    if (outcome === 'FAILED') await claims.finish(claimed.claim, { status: 'FAILED', error: { type: 'SyntaxError', message: 'broken' } });
    return `${task}@${time}`;
  }

  close(): void {
    this.payloads.close();
  }
}

/** Runs `make(i)` for i in [0, count), `width` at a time. */
export async function inParallel<T>(count: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await make(i);
      }
    }),
  );
  return results;
}
