/**
 * Payloads over the inline limits travel through the app's S3 bucket, both ways: the sender stores the JSON as an
 * object and sends a reference; the receiver reads it. Limits are Lambda's (6 MB synchronous request and response,
 * 1 MB asynchronous request) and DynamoDB's item size for run state.
 *
 * Object keys: `calls/<uuid>` for one call's arguments or result (deleted by the reader once used; the bucket's
 * lifecycle rule expires leftovers after a day), `runs/<function>/<id>/<args|result>` for started runs (kept as
 * long as the run's state).
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { explainMissing } from './aws-errors.js';
import { s3Sdk } from './sdk-modules.js';

/** Lambda's synchronous invocation limit (request and response): 6 MB. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** Lambda's asynchronous invocation limit: 1 MB. */
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
/** Room left for the envelope around a payload. */
export const ENVELOPE_MARGIN = 4 * 1024;
/** Largest value stored inline in a state-table item (the item limit is 400 KB). */
export const STATE_INLINE_LIMIT = 300 * 1024;

/** Object key prefixes, for the bucket's lifecycle rules. */
export const PAYLOAD_PREFIXES = { calls: 'calls/', runs: 'runs/' } as const;

export interface PayloadRef {
  readonly bucket: string;
  readonly key: string;
}

export class Payloads {
  /** The S3 client; made at the first payload when given as a function (the runtime's clients make it at first use). */
  readonly #s3: () => Promise<S3Client>;

  constructor(
    s3: S3Client | (() => Promise<S3Client>),
    readonly bucket: string,
  ) {
    this.#s3 = typeof s3 === 'function' ? s3 : () => Promise.resolve(s3);
  }

  /** Stores one call's payload under a fresh key. */
  putCall(body: string): Promise<PayloadRef> {
    return this.put(`${PAYLOAD_PREFIXES.calls}${randomUUID()}`, body);
  }

  async put(key: string, body: string): Promise<PayloadRef> {
    const [{ PutObjectCommand }, s3] = await Promise.all([s3Sdk(), this.#s3()]);
    await this.#guard(() => s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' })));
    return { bucket: this.bucket, key };
  }

  async get(ref: PayloadRef): Promise<string> {
    const [{ GetObjectCommand }, s3] = await Promise.all([s3Sdk(), this.#s3()]);
    const output = await this.#guard(() => s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key })));
    return output.Body!.transformToString('utf8');
  }

  /** Best effort: a leftover object expires with the bucket's lifecycle rule. */
  async delete(ref: PayloadRef): Promise<void> {
    try {
      const [{ DeleteObjectCommand }, s3] = await Promise.all([s3Sdk(), this.#s3()]);
      await s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    } catch {
      // Left for the lifecycle rule.
    }
  }

  async #guard<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchBucket') explainMissing(Object.assign(error as Error, { name: 'ResourceNotFoundException' }), `The payload bucket "${this.bucket}"`);
      throw error;
    }
  }
}

export function isPayloadRef(value: unknown): value is PayloadRef {
  return typeof value === 'object' && value !== null && typeof (value as PayloadRef).bucket === 'string' && typeof (value as PayloadRef).key === 'string';
}
