/** Shared pieces of the Batch tests: a local Batch endpoint with a recorder of its state-change events. */
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchClient } from '@aws-sdk/client-batch';
import type { BatchStateChangeEvent, LocalBatch, LocalBatchOptions } from '../../runtime/local/batch/index.js';
import { startLocalBatch } from '../../runtime/local/batch/index.js';

export const QUEUE = 'test-queue';

/** Records "Batch Job State Change" events and resolves waiters when a job reaches a status. */
export class EventRecorder {
  readonly events: BatchStateChangeEvent[] = [];
  private waiters: Array<{ jobId: string; statuses: string[]; resolve: (e: BatchStateChangeEvent) => void }> = [];

  readonly listener = (event: BatchStateChangeEvent): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (w.jobId !== event.detail.jobId || !w.statuses.includes(event.detail.status!)) return true;
      w.resolve(event);
      return false;
    });
  };

  statuses(jobId: string): string[] {
    return this.events.filter((e) => e.detail.jobId === jobId).map((e) => e.detail.status!);
  }

  /** Resolves with the first event (past or future) where `jobId` has one of `statuses`. */
  waitFor(jobId: string, ...statuses: string[]): Promise<BatchStateChangeEvent> {
    const past = this.events.find((e) => e.detail.jobId === jobId && statuses.includes(e.detail.status!));
    if (past) return Promise.resolve(past);
    return new Promise((resolve) => this.waiters.push({ jobId, statuses, resolve }));
  }
}

export async function startBatch(options: Partial<LocalBatchOptions> = {}): Promise<{ batch: LocalBatch; client: BatchClient; recorder: EventRecorder }> {
  const recorder = new EventRecorder();
  const batch = await startLocalBatch({ jobQueues: [QUEUE], onStateChange: recorder.listener, ...options });
  const client = new BatchClient({
    endpoint: batch.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { batch, client, recorder };
}

/** A `node -e` command running `script`. */
export function nodeCommand(script: string): string[] {
  return ['node', '-e', script];
}

/** Waits (polling, with a deadline) for a file a child process writes: the one thing here not observable by event. */
export async function waitForFile(file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A sha256 (or HMAC-sha256 with a secret) in the shape smithy wants. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
