/**
 * The local Secrets Manager endpoint, spoken to by the real AWS SDK v3 client: lookups by name, full ARN and partial
 * ARN, the errors Secrets Manager answers (a secret without a value, an unknown secret, a value out of bounds, an
 * unknown operation), PutSecretValue writing the `.env` file, DescribeSecret showing versions and never values.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../lib/manifest.js';
import { LocalSettings } from '../../runtime/local/settings/local-settings.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../runtime/local/settings/secrets-manager-server.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-secrets-endpoint-'));
const envFile = path.join(scratch, '.env');
const manifest: Manifest = {
  manifestVersion: 1,
  app: { name: 'shop' },
  definitions: [],
  secrets: [{ name: 'API_KEY' }, { name: 'UNSET_KEY' }, { name: 'NEW_KEY' }],
  config: [{ name: 'MODEL', default: null }],
};

let settings: LocalSettings;
let server: LocalSecretsManager;
let client: SecretsManagerClient;
beforeAll(async () => {
  writeFileSync(envFile, '# keys\nAPI_KEY=first-value\n\nMODEL=large # the big one\nUNSET_KEY=\n');
  settings = new LocalSettings({ envFile, manifest, prefix: 'shop', region: 'us-east-1' });
  server = await startLocalSecretsManager(settings);
  client = new SecretsManagerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function serviceError(promise: Promise<unknown>): Promise<SecretsManagerServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretsManagerServiceException);
  return error as SecretsManagerServiceException;
}

describe('the local Secrets Manager endpoint', () => {
  it('answers GetSecretValue by name, full ARN and partial ARN', async () => {
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY' }));
    expect(byName).toMatchObject({ Name: 'shop/API_KEY', SecretString: 'first-value', VersionStages: ['AWSCURRENT'] });
    expect(byName.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:shop\/API_KEY-[A-Za-z0-9]{6}$/);
    expect(byName.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    expect(byArn.SecretString).toBe('first-value');
    expect(byArn.VersionId).toBe(byName.VersionId);
    const partial = byName.ARN!.slice(0, -7);
    expect((await client.send(new GetSecretValueCommand({ SecretId: partial }))).SecretString).toBe('first-value');
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY', VersionStage: 'AWSCURRENT' }))).SecretString).toBe('first-value');
  });

  it('answers a secret without a value as Secrets Manager does, naming where to set it', async () => {
    const error = await serviceError(client.send(new GetSecretValueCommand({ SecretId: 'shop/UNSET_KEY' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toMatch(/^Secrets Manager can't find the specified secret value for staging label: AWSCURRENT \(UNSET_KEY has no value in /);
    expect(error.message).toContain(envFile);
    const previous = await serviceError(client.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY', VersionStage: 'AWSPREVIOUS' })));
    expect(previous.message).toMatch(/for staging label: AWSPREVIOUS/);
  });

  it('does not know secrets the app does not declare (a config setting is not a secret)', async () => {
    for (const secretId of ['shop/MODEL', 'shop/OTHER', 'other/API_KEY']) {
      const error = await serviceError(client.send(new GetSecretValueCommand({ SecretId: secretId })));
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    }
  });

  it('describes a secret with its versions, never its value', async () => {
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'shop/API_KEY' }));
    expect(described.Name).toBe('shop/API_KEY');
    expect(Object.values(described.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
    expect(JSON.stringify(described)).not.toContain('first-value');
    const unset = await client.send(new DescribeSecretCommand({ SecretId: 'shop/UNSET_KEY' }));
    expect(unset.VersionIdsToStages).toBeUndefined();
  });

  it('PutSecretValue sets the value in the .env file, keeping the other lines and comments', async () => {
    const before = (await client.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY' }))).VersionId;
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'shop/API_KEY', SecretString: 'second value # with a hash' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(put.VersionId).not.toBe(before);
    expect(readFileSync(envFile, 'utf8')).toBe("# keys\nAPI_KEY='second value # with a hash'\n\nMODEL=large # the big one\nUNSET_KEY=\n");
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY' }));
    expect(read).toMatchObject({ SecretString: 'second value # with a hash', VersionId: put.VersionId });
    await client.send(new PutSecretValueCommand({ SecretId: 'shop/NEW_KEY', SecretString: 'line one\nline two' }));
    expect(readFileSync(envFile, 'utf8')).toMatch(/UNSET_KEY=\nNEW_KEY="line one\\nline two"\n$/);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'shop/NEW_KEY' }))).SecretString).toBe('line one\nline two');
  });

  it('creates a missing .env file readable by its owner only', async () => {
    const other = path.join(scratch, 'fresh.env');
    const fresh = new LocalSettings({ envFile: other, manifest, prefix: 'shop', region: 'us-east-1' });
    const freshServer = await startLocalSecretsManager(fresh);
    const freshClient = new SecretsManagerClient({
      endpoint: freshServer.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await freshClient.send(new PutSecretValueCommand({ SecretId: 'shop/API_KEY', SecretString: 'v' }));
      expect(readFileSync(other, 'utf8')).toBe('API_KEY=v\n');
      expect(statSync(other).mode & 0o777).toBe(0o600);
    } finally {
      freshClient.destroy();
      await freshServer.close();
    }
  });

  it("refuses a value outside Secrets Manager's bounds (1 to 65,536 bytes) or binary, without echoing it", async () => {
    const big = 'x'.repeat(65_537);
    const tooBig = await serviceError(client.send(new PutSecretValueCommand({ SecretId: 'shop/API_KEY', SecretString: big })));
    expect(tooBig.name).toBe('ValidationException');
    expect(tooBig.message).toMatch(/Member must have length less than or equal to 65536/);
    expect(tooBig.message).not.toContain('xxxx');
    const exact = 'é'.repeat(32_768);
    await client.send(new PutSecretValueCommand({ SecretId: 'shop/NEW_KEY', SecretString: exact }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'shop/NEW_KEY' }))).SecretString).toBe(exact);
    const overInBytes = await serviceError(client.send(new PutSecretValueCommand({ SecretId: 'shop/NEW_KEY', SecretString: `${exact}é` })));
    expect(overInBytes.name).toBe('ValidationException');
    const empty = await serviceError(client.send(new PutSecretValueCommand({ SecretId: 'shop/API_KEY', SecretString: '' })));
    expect(empty.message).toMatch(/Member must have length greater than or equal to 1/);
    const binary = await serviceError(client.send(new PutSecretValueCommand({ SecretId: 'shop/API_KEY', SecretBinary: Buffer.from('x') })));
    expect(binary.name).toBe('InvalidRequestException');
  });

  it('answers an operation it does not serve with UnknownOperationException', async () => {
    const error = await serviceError(client.send(new ListSecretsCommand({})));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.message).toMatch(/answers GetSecretValue, PutSecretValue, DescribeSecret/);
  });

  it('reports a malformed .env file by file and line, never with its text', async () => {
    const broken = path.join(scratch, 'broken.env');
    writeFileSync(broken, 'API_KEY=fine\nthis-is-a-secret-looking-line\n');
    const brokenSettings = new LocalSettings({ envFile: broken, manifest, prefix: 'shop', region: 'us-east-1' });
    const brokenServer = await startLocalSecretsManager(brokenSettings);
    const brokenClient = new SecretsManagerClient({
      endpoint: brokenServer.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const error = await serviceError(brokenClient.send(new GetSecretValueCommand({ SecretId: 'shop/API_KEY' })));
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(`${broken}:2: expected NAME=value, a # comment or a blank line (the line is not shown: it may hold a secret).`);
    } finally {
      brokenClient.destroy();
      await brokenServer.close();
    }
  });
});
