/**
 * Secrets and config settings end to end on the local cloud, through the one runtime: a Lambda function, a job on
 * AWS Batch (its container gets the secret as ECS gives it) and a service read a secret valued in a `.env` file; the
 * rules hold (a secret not declared, a secret without a value, code outside any handler); changing the file reaches
 * new invocations; the values never reach the logs, the results or the state directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError } from '../../lib/errors.js';
import { SecretNotDeclaredError } from '../../lib/settings/errors.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { until } from '../helpers/poll.js';
import * as app from './fixtures/secrets-app/src/app.js';

const entry = path.join(import.meta.dirname, 'fixtures/secrets-app/src/app.ts');
const digest = (value: string) => createHash('sha256').update(value).digest('hex');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-secrets-cloud-'));
const envFile = path.join(scratch, 'app.env');
/** A value that must never appear in anything the cloud writes or prints. */
const sentinel = `sentinel-${randomUUID()}`;

let t: TestCloud;
beforeAll(async () => {
  writeFileSync(envFile, `# the test's values\nAPI_KEY=${sentinel}\nMODEL=large\nUNSET_KEY=\n`, { mode: 0o600 });
  t = await startTestCloud(entry, { module: app, envFile });
}, 120_000);
afterAll(async () => {
  await t?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function remoteError(promise: Promise<unknown>): Promise<InvocationFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvocationFailedError);
  return error as InvocationFailedError;
}

describe('reading secrets and config on the local cloud', () => {
  it('a Lambda function reads its secret (from the .env file, through the local Secrets Manager) and a config value', async () => {
    expect(await app.readKey.call()).toEqual({ digest: digest(sentinel), model: 'large' });
  });

  it('a job on AWS Batch reads its secret from its container (ECS secrets) and the config from its environment', async () => {
    const id = await app.batchRead.start(undefined);
    expect(await app.batchRead.awaitResult(id, { timeout: '2m' })).toEqual({ digest: digest(sentinel), model: 'large' });
  }, 150_000);

  it('a service reads its secret', async () => {
    const response = await fetch(t.url('api'));
    expect(await response.json()).toEqual({ digest: digest(sentinel) });
  });

  it('refuses a secret the definition does not declare, naming the definition and the fix', async () => {
    const error = await remoteError(app.readUndeclared.call());
    expect(error.remote.type).toBe('SecretNotDeclaredError');
    expect(error.remote.message).toMatch(/fn "readUndeclared" read secret "API_KEY" but does not declare it/);
    expect(error.remote.message).toMatch(/Definitions that declare it: readKey, batchRead, api\./);
  });

  it('says where to set a secret that has no value (an empty line in the .env file is no value)', async () => {
    const error = await remoteError(app.readUnset.call());
    expect(error.remote.type).toBe('SecretValueMissingError');
    expect(error.remote.message).toMatch(/secret "UNSET_KEY" has no value/);
    expect(error.remote.message).toContain(envFile);
    expect(error.remote.message).toMatch(/UNSET_KEY=<value>/);
  });

  it('says how to set a config setting that has no value and no default', async () => {
    const error = await remoteError(app.readRegion.call());
    expect(error.remote.type).toBe('ConfigValueMissingError');
    expect(error.remote.message).toMatch(/config "REGION" has no value and no default/);
  });

  it('refuses a read outside any handler', async () => {
    await expect(app.apiKey.value()).rejects.toThrow(SecretNotDeclaredError);
    await expect(app.apiKey.value()).rejects.toThrow(/read outside a handler/);
  });

  it('serves config values to code in the test process too', () => {
    expect(app.model.value()).toBe('large');
  });

  it('lists which secrets have values, without the values', () => {
    expect(t.cloud.settings.status()).toEqual({
      envFile,
      secrets: [
        { name: 'API_KEY', hasValue: true },
        { name: 'UNSET_KEY', hasValue: false },
      ],
      config: [
        { name: 'MODEL', source: 'env-file' },
        { name: 'REGION', source: 'none' },
      ],
      undeclared: [],
    });
  });

  it('a change of the .env file reaches new invocations (new workers read the new value)', async () => {
    const next = `${sentinel}-rotated`;
    writeFileSync(envFile, `API_KEY=${next}\nMODEL=large\nREGION=eu-west-1\n`);
    await until(
      () => app.readKey.call(),
      (result) => result.digest === digest(next),
      'the function to read the rotated value',
    );
    expect(await app.readRegion.call()).toBe('eu-west-1');
    writeFileSync(envFile, `API_KEY=${sentinel}\nMODEL=large\nUNSET_KEY=\n`);
    await until(
      () => app.readKey.call(),
      (result) => result.digest === digest(sentinel),
      'the function to read the first value again',
    );
  });

  it('never writes a value into the logs or the state', () => {
    expect(t.logs.join('\n')).not.toContain(sentinel);
    expect(JSON.stringify(t.cloud.manifest)).not.toContain(sentinel);
    expect(JSON.stringify(t.cloud.connection())).not.toContain(sentinel);
    const bundleDir = path.dirname(t.cloud.bundle);
    for (const file of filesUnder(path.dirname(bundleDir))) expect(readFileSync(file).includes(sentinel), file).toBe(false);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}
