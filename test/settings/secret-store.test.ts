/**
 * The runtime's secret store with a counting stand-in for Secrets Manager: who may read (the running definition must
 * declare the secret), where the value comes from (the container's variable first, else GetSecretValue on the secret
 * the prefix names or the one the environment names), the refresh rule (kept for the process; `refresh` reads again; a
 * failed read is not kept), and errors that name the secret and never a value.
 */
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../lib/manifest.js';
import { SecretNotDeclaredError, SecretReadError, SecretValueMissingError } from '../../lib/settings/errors.js';
import { createContext } from '../../runtime/core/context.js';
import { withLog } from '../../runtime/core/invocation-log.js';
import { Logger } from '../../runtime/core/logger.js';
import { SecretStore } from '../../runtime/settings/secret-store.js';
import type { SecretsReader } from '../../runtime/settings/secrets-client.js';

const manifest: Manifest = {
  manifestVersion: 1,
  app: { name: 'shop' },
  definitions: [
    {
      name: 'reader',
      kind: 'function',
      exportName: 'reader',
      options: {
        cpu: 0.1,
        memoryMiB: 256,
        timeoutSeconds: 60,
        maxRetries: 0,
        maxConcurrency: 10,
        gpu: null,
        compute: 'auto',
        image: null,
        secrets: ['API_KEY'],
      },
      placement: 'lambda',
      compute: { type: 'lambda', memoryMB: 256, timeoutSeconds: 60 },
    },
    {
      name: 'other',
      kind: 'service',
      exportName: 'other',
      options: { cpu: 0.1, memoryMiB: 256, timeoutSeconds: 29, auth: 'none', secrets: [] },
      placement: 'lambda',
      compute: { type: 'lambda', memoryMB: 256, timeoutSeconds: 29 },
    },
  ],
  secrets: [{ name: 'API_KEY' }, { name: 'UNUSED' }],
  config: [],
};
const context = createContext({ app: 'shop', prefix: 'shop', bucket: 'shop-payloads', region: 'eu-west-1' }, manifest, {
  logger: new Logger({ sink: () => {} }),
});

/** Answers GetSecretValue from `answers` (a value, or an error to throw), counting the calls per secret id. */
function reader(answers: Record<string, string | Error | (() => string | Error)>): SecretsReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getSecretString(secretId) {
      calls.push(secretId);
      const answer = answers[secretId];
      const value = typeof answer === 'function' ? answer() : answer;
      if (value === undefined) throw Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' });
      if (value instanceof Error) throw value;
      return { SecretString: value, $metadata: {} };
    },
    destroy() {},
  };
}

const inHandler = <T>(definition: string, fn: () => Promise<T>) => withLog(new Logger({ sink: () => {} }).child({ definition }), fn);

describe('who may read a secret', () => {
  it('a handler of a definition that declares it', async () => {
    const store = new SecretStore(context, {}, reader({ 'shop/API_KEY': 'v1' }));
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('v1');
  });

  it('not a definition that does not declare it, with the fix and the ones that do', async () => {
    const answers = reader({ 'shop/API_KEY': 'v1' });
    const store = new SecretStore(context, {}, answers);
    const error = await inHandler('other', () => store.value('API_KEY')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotDeclaredError);
    expect((error as Error).message).toBe(
      'service "other" read secret "API_KEY" but does not declare it: add it to the definition\'s options (secrets: [...]), so that it may read ' +
        'it locally and in AWS. Definitions that declare it: reader.',
    );
    expect(answers.calls).toEqual([]);
    await expect(inHandler('reader', () => store.value('UNUSED'))).rejects.toThrow(/Definitions that declare it: \(none\)\./);
  });

  it('not code outside any handler, and no secret the app does not declare', async () => {
    const store = new SecretStore(context, {}, reader({}));
    await expect(store.value('API_KEY')).rejects.toThrow(/secret "API_KEY" was read outside a handler/);
    await expect(inHandler('reader', () => store.value('NOPE'))).rejects.toThrow(/The app "shop" declares no secret "NOPE" \(its secrets: API_KEY, UNUSED\)/);
  });
});

describe('where the value comes from, and how long it is kept', () => {
  it('the container variable (ECS secrets on Batch) when the environment has it, without any request', async () => {
    const answers = reader({ 'shop/API_KEY': 'from-secrets-manager' });
    const store = new SecretStore(context, { MULTINODE_SECRET_API_KEY: 'from-the-container' }, answers);
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('from-the-container');
    expect(answers.calls).toEqual([]);
  });

  it('Secrets Manager, on the secret the prefix names or the one MULTINODE_SECRET_ID_<name> names', async () => {
    const answers = reader({ 'arn:aws:secretsmanager:eu-west-1:1:secret:existing-AbCdEf': 'existing' });
    const store = new SecretStore(context, { MULTINODE_SECRET_ID_API_KEY: 'arn:aws:secretsmanager:eu-west-1:1:secret:existing-AbCdEf' }, answers);
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('existing');
    expect(new SecretStore(context, {}, reader({})).secretId('API_KEY')).toBe('shop/API_KEY');
  });

  it('read once per process; refresh reads again; concurrent first reads share one request', async () => {
    let current = 'v1';
    const answers = reader({ 'shop/API_KEY': () => current });
    const store = new SecretStore(context, {}, answers);
    const first = await inHandler('reader', () => Promise.all([store.value('API_KEY'), store.value('API_KEY')]));
    expect(first).toEqual(['v1', 'v1']);
    current = 'v2';
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('v1');
    expect(await inHandler('reader', () => store.value('API_KEY', { refresh: true }))).toBe('v2');
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('v2');
    expect(answers.calls).toEqual(['shop/API_KEY', 'shop/API_KEY']);
  });

  it('a failed read is not kept: the next call asks again', async () => {
    let answer: string | Error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const answers = reader({ 'shop/API_KEY': () => answer });
    const store = new SecretStore(context, {}, answers);
    await expect(inHandler('reader', () => store.value('API_KEY'))).rejects.toThrow(SecretReadError);
    answer = 'v1';
    expect(await inHandler('reader', () => store.value('API_KEY'))).toBe('v1');
    expect(answers.calls).toHaveLength(2);
  });
});

describe('errors', () => {
  it('a secret without a value says where to set it', async () => {
    const missing = Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"), {
      name: 'ResourceNotFoundException',
    });
    const store = new SecretStore(context, {}, reader({ 'shop/API_KEY': missing }));
    const error = await inHandler('reader', () => store.value('API_KEY')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretValueMissingError);
    expect((error as Error).message).toMatch(
      /^secret "API_KEY" has no value \(Secrets Manager can't find .*AWSCURRENT\)\. Set it: for multinode dev, a line API_KEY=<value>/,
    );
    expect((error as Error).message).toMatch(/PutSecretValue on shop\/API_KEY \(multinode secrets set API_KEY --stack <stack>\)/);
  });

  it('a secret that does not exist, access denied, binary data', async () => {
    const store = (answer: string | Error) => new SecretStore(context, {}, reader({ 'shop/API_KEY': answer }));
    await expect(inHandler('reader', () => new SecretStore(context, {}, reader({})).value('API_KEY'))).rejects.toThrow(
      /secret "API_KEY" does not exist as shop\/API_KEY .*: deploy the app, which creates it/,
    );
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    await expect(inHandler('reader', () => store(denied).value('API_KEY'))).rejects.toThrow(
      'reading secret "API_KEY" (shop/API_KEY) from Secrets Manager failed: AccessDeniedException: User is not authorized',
    );
    const binary: SecretsReader = { getSecretString: async () => ({ SecretBinary: new Uint8Array([1]), $metadata: {} }), destroy() {} };
    await expect(inHandler('reader', () => new SecretStore(context, {}, binary).value('API_KEY'))).rejects.toThrow(/holds binary data/);
  });
});
