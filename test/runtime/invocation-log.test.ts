/**
 * Which invocation a line belongs to: the Lambda handler gives each event a logger with its request id, the call adds
 * the definition and attempt, and the module-level `log` finds it through AsyncLocalStorage, also when invocations
 * interleave in one process (a plain module variable would mix them up). And the Batch entry's task, read from the
 * environment, refuses what it does not know.
 */
import { describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { fn } from '../../lib/definitions/function.js';
import { log } from '../../lib/log.js';
import { buildManifest } from '../../lib/manifest.js';
import { createContext } from '../../runtime/core/context.js';
import { Logger } from '../../runtime/core/logger.js';
import { taskOf } from '../../runtime/entry/batch-entry.js';
import { createLambdaHandler } from '../../runtime/entry/lambda-handler.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const interleave = fn({ name: 'interleave' }, async (tag: string, firstWaitMs: number) => {
  await pause(firstWaitMs);
  log.info('first', { tag });
  await pause(80);
  log.child({ step: 2 }).info('second', { tag });
  return tag;
});
const app = resolveApp({ interleave }, [interleave]);
const config = {
  app: 'logs',
  prefix: 'logs',
  bucket: 'logs-payloads',
  region: 'us-east-1',
  endpoints: { dynamodb: 'http://127.0.0.1:9', lambda: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
};

describe('the invocation logger', () => {
  it("gives each invocation's lines its own request id, definition and attempt, however the invocations interleave", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new Logger({ clock: () => 0, fields: { app: 'logs' }, sink: (line) => lines.push(JSON.parse(line)) });
    const handler = createLambdaHandler(app, { context: createContext(config, buildManifest(app, 'logs'), { logger }) });
    const invoke = (requestId: string, tag: string, waitMs: number, attempt: number) =>
      handler(
        { multinode: 'call', function: 'interleave', args: [tag, waitMs], deadline: Date.now() + 10_000, attempt },
        { functionName: 'logs-interleave', awsRequestId: requestId, getRemainingTimeInMillis: () => 10_000 },
      );
    // b's first line comes between a's two, and a's second between b's.
    await Promise.all([invoke('req-a', 'a', 0, 1), invoke('req-b', 'b', 40, 2)]);
    expect(lines.map((line) => `${line.message} ${line.tag}`)).toEqual(['first a', 'first b', 'second a', 'second b']);
    for (const line of lines) {
      expect(line).toMatchObject({ app: 'logs', definition: 'interleave', kind: 'function' });
      expect(line.requestId).toBe(line.tag === 'a' ? 'req-a' : 'req-b');
      expect(line.attempt).toBe(line.tag === 'a' ? 1 : 2);
    }
    expect(lines.filter((line) => line.message === 'second').every((line) => line.step === 2)).toBe(true);
  });
});

describe("the Batch entry's task", () => {
  const env = (task: string, definition = 'interleave') => ({ MULTINODE_DEFINITION: definition, MULTINODE_TASK: task, MULTINODE_RUN: 'r-1' });

  it('reads what to run from the environment', () => {
    expect(taskOf(app, env('map'))).toMatchObject({ task: 'map', name: 'interleave', run: 'r-1' });
  });

  it('refuses a task it does not know, even one named like an Object property', () => {
    for (const task of ['dance', 'constructor', 'toString']) {
      expect(() => taskOf(app, env(task))).toThrow(`MULTINODE_TASK "${task}" is not a task of the multinode runtime (job, run, map or schedule).`);
    }
  });

  it('refuses a definition the bundle does not have, or of another kind', () => {
    expect(() => taskOf(app, env('job'))).toThrow('The app has no job named "interleave"');
    expect(() => taskOf(app, env('run', 'missing'))).toThrow('The app has no function named "missing"');
  });
});
