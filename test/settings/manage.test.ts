/**
 * The functions `multinode secrets` calls: listing (names and whether each has a value), setting and deleting, on
 * the app's `.env` file, on a running `multinode dev` (through its Secrets Manager endpoint), and on a deployed app
 * (Secrets Manager's API, here the local endpoint standing in for AWS); and reading a value from standard input
 * without echo. Values never appear in what they return or throw.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../lib/manifest.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { LocalSettings } from '../../runtime/local/settings/local-settings.js';
import {
  deployedSecrets,
  devSecrets,
  envFileSecrets,
  readSecretValue,
  runningDev,
  SecretsAdminError,
  type ValueInput,
} from '../../runtime/local/settings/manage.js';
import { startLocalSecretsManager } from '../../runtime/local/settings/secrets-manager-server.js';
import { until } from '../helpers/poll.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'multinode-secrets-manage-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const sentinel = `sentinel-${randomUUID()}`;
const digest = (value: string) => createHash('sha256').update(value).digest('hex');
const manifest: Manifest = {
  manifestVersion: 1,
  app: { name: 'shop' },
  definitions: [],
  secrets: [{ name: 'API_KEY' }, { name: 'OTHER_KEY' }],
  config: [],
};

async function refused(promise: Promise<unknown>): Promise<SecretsAdminError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretsAdminError);
  expect((error as Error).message).not.toContain(sentinel);
  return error as SecretsAdminError;
}

describe('envFileSecrets: the .env file, no local cloud', () => {
  it('lists, sets (keeping the other lines; a new file with mode 0600) and deletes', async () => {
    const envFile = path.join(scratch, 'file.env');
    const target = envFileSecrets({ manifest, envFile });
    expect(await target.list()).toEqual([
      { name: 'API_KEY', hasValue: false, where: envFile, exists: true },
      { name: 'OTHER_KEY', hasValue: false, where: envFile, exists: true },
    ]);
    await target.set('API_KEY', sentinel);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    writeFileSync(envFile, `# mine\n${readFileSync(envFile, 'utf8')}UNRELATED=1\n`);
    await target.set('OTHER_KEY', `${sentinel} two`);
    expect(readFileSync(envFile, 'utf8')).toBe(`# mine\nAPI_KEY=${sentinel}\nUNRELATED=1\nOTHER_KEY='${sentinel} two'\n`);
    expect((await target.list()).map((s) => s.hasValue)).toEqual([true, true]);
    expect(JSON.stringify(await target.list())).not.toContain(sentinel);
    expect(await target.delete('API_KEY')).toBe(true);
    expect(await target.delete('API_KEY')).toBe(false);
    expect(readFileSync(envFile, 'utf8')).toBe(`# mine\nUNRELATED=1\nOTHER_KEY='${sentinel} two'\n`);
  });

  it('refuses a name the app does not declare, an empty value and one over 64 KB, without echoing the value', async () => {
    const target = envFileSecrets({ manifest, envFile: path.join(scratch, 'refusals.env') });
    expect((await refused(target.set('API_KY', sentinel))).message).toBe('the app shop declares no secret "API_KY"; its secrets: API_KEY, OTHER_KEY.');
    expect((await refused(target.set('API_KEY', ''))).message).toMatch(/the value of secret API_KEY is empty/);
    expect((await refused(target.set('API_KEY', sentinel.repeat(2000)))).message).toMatch(/is \d+ bytes, over the 65536 bytes a Secrets Manager secret holds/);
    await refused(target.delete('NOPE'));
  });
});

describe('devSecrets: a running multinode dev', () => {
  let cloud: LocalCloud;
  const stateDir = path.join(scratch, 'state');
  const envFile = path.join(scratch, 'dev.env');
  beforeAll(async () => {
    writeFileSync(envFile, `API_KEY=${sentinel}\nUNSET_KEY=\n`);
    cloud = await LocalCloud.start({ entry: path.join(import.meta.dirname, 'fixtures/secrets-app/src/app.ts'), stateDir, envFile, log: () => {} });
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
  });

  it('finds the running dev from its state directory, lists, sets through its endpoint, deletes from its file', async () => {
    expect(await runningDev(path.join(scratch, 'nothing-here'))).toBeUndefined();
    const dev = (await runningDev(stateDir))!;
    expect(dev.envFile).toBe(envFile);
    const target = devSecrets(dev);
    try {
      expect(await target.list()).toEqual([
        { name: 'API_KEY', hasValue: true, where: envFile, exists: true },
        { name: 'UNSET_KEY', hasValue: false, where: envFile, exists: true },
      ]);
      const next = `${sentinel}-next`;
      await target.set('API_KEY', next);
      expect(readFileSync(envFile, 'utf8')).toBe(`API_KEY=${next}\nUNSET_KEY=\n`);
      // New workers take over when the file changes: the next invocations read the new value.
      const call = async () => JSON.parse((await cloud.invoke('readKey', { multinode: 'call', function: 'readKey', args: [] })).payload) as unknown;
      await until(call, (answer) => JSON.stringify(answer).includes(digest(next)), 'a call to read the value set');
      await target.set('UNSET_KEY', 'now set');
      expect((await target.list()).map((s) => s.hasValue)).toEqual([true, true]);
      expect(await target.delete('UNSET_KEY')).toBe(true);
      await until(
        () => target.list(),
        (list) => !list[1]!.hasValue,
        'the running dev to see the value deleted',
      );
      expect((await refused(target.set('API_KEY', 'x'.repeat(70_000)))).message).toMatch(/over the 65536 bytes/);
    } finally {
      target.close();
    }
  }, 60_000);
});

describe('deployedSecrets: Secrets Manager (the local endpoint standing in for AWS)', () => {
  it('lists whether each secret has a value, sets with PutSecretValue, refuses to delete', async () => {
    const envFile = path.join(scratch, 'deployed.env');
    writeFileSync(envFile, 'OTHER_KEY=x\n');
    const settings = new LocalSettings({ envFile, manifest, prefix: 'shop', region: 'us-east-1' });
    const server = await startLocalSecretsManager(settings);
    const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, endpoints: { secretsmanager: server.endpoint } };
    const target = deployedSecrets({ manifest, prefix: 'shop', config });
    try {
      expect(await target.list()).toEqual([
        { name: 'API_KEY', hasValue: false, where: 'shop/API_KEY', exists: true },
        { name: 'OTHER_KEY', hasValue: true, where: 'shop/OTHER_KEY', exists: true },
      ]);
      await target.set('API_KEY', sentinel);
      expect((await target.list())[0]!.hasValue).toBe(true);
      expect(settings.secretValue('API_KEY')?.value).toBe(sentinel);
      expect((await refused(target.delete('API_KEY'))).message).toMatch(/can be replaced \(multinode secrets set API_KEY --stack \.\.\.\) but not removed/);
      expect((await refused(target.set('API_KEY', 'x'.repeat(65_537)))).message).toMatch(/over the 65536 bytes/);
      const elsewhere = deployedSecrets({ manifest, prefix: 'shop', config, secretIds: { OTHER_KEY: 'team/missing' } });
      expect((await elsewhere.list())[1]).toEqual({ name: 'OTHER_KEY', hasValue: false, where: 'team/missing', exists: false });
      expect((await refused(elsewhere.set('OTHER_KEY', sentinel))).message).toBe(
        "setting secret OTHER_KEY (team/missing) failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
      );
      elsewhere.close();
    } finally {
      target.close();
      await server.close();
    }
  });
});

describe('readSecretValue: standard input', () => {
  it('reads piped input less one final line break, keeping inner ones', async () => {
    const piped = (text: string) => {
      const input = new PassThrough();
      input.end(text);
      return readSecretValue(input);
    };
    expect(await piped(`${sentinel}\n`)).toBe(sentinel);
    expect(await piped(`${sentinel}\r\n`)).toBe(sentinel);
    expect(await piped('-----BEGIN-----\nabc\n-----END-----\n')).toBe('-----BEGIN-----\nabc\n-----END-----');
    expect(await piped('no newline')).toBe('no newline');
    await refused(piped('\n'));
  });

  it('reads a typed line on a terminal in raw mode (no echo), with backspace, and cancels on Ctrl-C', async () => {
    const terminal = () => {
      const input = new PassThrough() as PassThrough & ValueInput & { modes: boolean[] };
      const modes: boolean[] = [];
      Object.assign(input, { isTTY: true, modes, setRawMode: (mode: boolean) => modes.push(mode) });
      return input;
    };
    const typed = terminal();
    const reading = readSecretValue(typed);
    typed.write('sk-12');
    typed.write('x\u007f3\r');
    expect(await reading).toBe('sk-123');
    expect(typed.modes).toEqual([true, false]);
    const cancelled = terminal();
    const cancelling = readSecretValue(cancelled);
    cancelled.write('abc\u0003');
    expect((await refused(cancelling)).message).toBe('cancelled: no value was set.');
    expect(cancelled.modes).toEqual([true, false]);
  });
});
