/**
 * An endpoint that cannot be reached (the process serving it was killed, nothing listens, the network is down) is
 * reported as a connection error naming the endpoint and what happened, never as a timeout. Real sockets on
 * 127.0.0.1: a server that closes every connection without answering, and a port nothing listens on.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { dict } from '../../lib/definitions/dict.js';
import { fn } from '../../lib/definitions/function.js';
import { InvocationFailedError } from '../../lib/errors.js';
import { buildManifest } from '../../lib/manifest.js';
import { ConnectionError, describeUnreachable } from '../../runtime/core/connection-error.js';
import { createContext } from '../../runtime/core/context.js';
import { DictClient } from '../../runtime/dicts/dict-client.js';
import { LambdaInvoker } from '../../runtime/functions/lambda-invoker.js';

/** Accepts each request, then closes the connection without an answer (what a killed process looks like mid-call). */
let requests = 0;
const hangUp = http.createServer((req) => {
  requests++;
  req.socket.destroy();
});
let hangUpUrl = '';
let refusedUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  hangUpUrl = `http://127.0.0.1:${(hangUp.address() as AddressInfo).port}`;
  // A port that was free a moment ago: nothing listens on it.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => {
  hangUp.closeAllConnections();
  hangUp.close();
});

function contextFor(endpoint: string, maxRetries = 0) {
  const work = fn({ name: 'work', maxRetries }, async () => 1);
  const marks = dict<number>('marks');
  const app = resolveApp({ work, marks }, [work, marks]);
  const config = {
    app: 'c',
    prefix: 'c',
    bucket: 'c-payloads',
    region: 'us-east-1',
    endpoints: { dynamodb: endpoint, lambda: endpoint, s3: endpoint },
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  };
  return createContext(config, buildManifest(app, 'c'), { tuning: { retryBackoff: { baseMs: 1, capMs: 5 } } });
}

describe('a lost connection is a connection error, not a timeout', () => {
  it('a call whose connection closes without an answer', async () => {
    const context = contextFor(hangUpUrl);
    try {
      const invoker = new LambdaInvoker(context, context.definition('work', 'function'));
      const error = (await invoker.call([]).catch((e: unknown) => e)) as InvocationFailedError;
      expect(error).toBeInstanceOf(InvocationFailedError);
      expect(error.remote.type).toBe('ConnectionError');
      expect(error.message).not.toMatch(/TimeoutError/);
      expect(error.remote.message).toContain(
        `could not reach the Lambda endpoint at ${hangUpUrl}: the connection was closed before an answer came (ECONNRESET: socket hang up)`,
      );
      expect(error.remote.message).toMatch(/is multinode dev \(the local cloud serving it\) still running\?/);
    } finally {
      context.clients.destroy();
    }
  });

  it('is retried like any failed attempt (a timeout would not be)', async () => {
    const context = contextFor(hangUpUrl, 2);
    try {
      const invoker = new LambdaInvoker(context, context.definition('work', 'function'));
      const before = requests;
      await expect(invoker.call([])).rejects.toThrow(/ConnectionError: invoking c-work failed: could not reach the Lambda endpoint/);
      expect(requests - before).toBe(3);
    } finally {
      context.clients.destroy();
    }
  });

  it('a call to a port nothing listens on', async () => {
    const context = contextFor(refusedUrl);
    try {
      const invoker = new LambdaInvoker(context, context.definition('work', 'function'));
      const error = (await invoker.call([]).catch((e: unknown) => e)) as InvocationFailedError;
      expect(error.remote.type).toBe('ConnectionError');
      expect(error.remote.message).toContain(`could not reach the Lambda endpoint at ${refusedUrl}: the connection was refused (ECONNREFUSED)`);
    } finally {
      context.clients.destroy();
    }
  });

  it('a dict read (DynamoDB, after the SDK retries), as ConnectionError with the original error as its cause', async () => {
    const context = contextFor(refusedUrl);
    try {
      const marks = new DictClient({ documents: context.clients.documents, name: 'marks', table: context.names.dictTable('marks') });
      const error = (await marks.get('k').catch((e: unknown) => e)) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.name).toBe('ConnectionError');
      expect(error.code).toBe('ECONNREFUSED');
      expect(error.message).toMatch(new RegExp(`^could not reach the DynamoDB endpoint at ${refusedUrl}: the connection was refused \\(ECONNREFUSED\\)`));
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    } finally {
      context.clients.destroy();
    }
  });
});

describe('the wording follows the error and the endpoint', () => {
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' });
  const timedOut = Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { code: 'ETIMEDOUT' });

  it('an AWS endpoint: the regional URL and a hint about the network, not about multinode dev', () => {
    const message = describeUnreachable(timedOut, 'lambda', { protocol: 'https:', hostname: 'lambda.eu-west-1.amazonaws.com' })!;
    expect(message).toMatch(/^could not reach the Lambda endpoint at https:\/\/lambda\.eu-west-1\.amazonaws\.com: connecting timed out \(ETIMEDOUT\)/);
    expect(message).toMatch(/NAT gateway or a VPC endpoint/);
    expect(message).not.toMatch(/multinode dev/);
  });

  it('a loopback endpoint: the port and the process that should serve it', () => {
    const message = describeUnreachable(reset, 's3', { protocol: 'http:', hostname: '127.0.0.1', port: 4569 })!;
    expect(message).toBe(
      'could not reach the S3 endpoint at http://127.0.0.1:4569: the connection was closed before an answer came (ECONNRESET: socket hang up); ' +
        'is multinode dev (the local cloud serving it) still running?',
    );
  });

  it('leaves other errors alone (a request timeout is a timeout)', () => {
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
    expect(describeUnreachable(timeout, 'lambda', { protocol: 'http:', hostname: '127.0.0.1', port: 1 })).toBeUndefined();
    expect(describeUnreachable(new Error('boom'), 'dynamodb', { protocol: 'https:', hostname: 'dynamodb.us-east-1.amazonaws.com' })).toBeUndefined();
  });
});
