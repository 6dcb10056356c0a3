/**
 * Answering a CloudFormation custom resource request: a PUT of the outcome to the request's pre-signed `ResponseURL`
 * (an S3 URL signed for an empty content type). CloudFormation waits for this answer until the resource's service
 * timeout (an hour unless set), so a failed PUT is retried before giving up.
 */
import http from 'node:http';
import https from 'node:https';
import { backoffDelay, sleep } from '../core/retry.js';

/** The fields of a custom resource request the runtime reads. */
export interface CustomResourceRequest<P = Record<string, unknown>> {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: P;
}

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Whether `event` is a custom resource request of `resourceType`. */
export function isCustomResourceRequest(event: unknown, resourceType: string): event is CustomResourceRequest {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    e.ResourceType === resourceType &&
    typeof e.ResponseURL === 'string' &&
    (e.RequestType === 'Create' || e.RequestType === 'Update' || e.RequestType === 'Delete') &&
    typeof e.ResourceProperties === 'object' &&
    e.ResourceProperties !== null
  );
}

const ATTEMPTS = 4;

/** PUTs `response` to the request's ResponseURL; retries a failed PUT, then throws. */
export async function sendCustomResourceResponse(request: CustomResourceRequest<unknown>, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  for (let attempt = 1; ; attempt++) {
    try {
      return await put(request.ResponseURL, body);
    } catch (error) {
      if (attempt >= ATTEMPTS)
        throw new Error(`could not answer CloudFormation for ${request.LogicalResourceId}: ${(error as Error).message}`, { cause: error });
      await sleep(backoffDelay(attempt, { baseMs: 200, capMs: 2000 }));
    }
  }
}

function put(url: string, body: string): Promise<void> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    // The URL is signed for an empty content type: any other value breaks the signature.
    const req = client.request(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.on('error', reject);
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`the response URL answered ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('the response URL did not answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}
