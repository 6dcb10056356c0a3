/**
 * `--env-file` and `.env` through the CLI, and the leak check: `multinode dev` lists the secrets that have no value,
 * `multinode run` calls functions that read secrets (through the running dev, or its own local cloud), bad files and
 * flags fail clearly, and a sentinel value never appears in anything the commands print or write (their output, the
 * state directory, the bundles), only in the `.env` file itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const sentinel = `sentinel-${randomUUID()}`;
const digest = (value: string) => createHash('sha256').update(value).digest('hex');
const source = readFileSync(path.join(import.meta.dirname, 'fixtures/secrets-app/src/app.ts'), 'utf8');
const app = tempApp({ 'app.ts': source, '.env': `# local values\nAPI_KEY=${sentinel}\nMODEL=large\nUNSET_KEY=\n` }, 'cli-secrets-app');
afterAll(app.cleanup);
const stateDir = path.join(app.dir, '.multinode');
/** Everything the commands printed. */
const printed: string[] = [];

async function run(argv: string[]) {
  const result = await runCli(argv, app.dir);
  printed.push(result.stdout, result.stderr);
  return result;
}

describe('multinode dev and run with secrets', () => {
  it('dev lists the secrets without a value; run reads the others through it (a function, a job on Batch); a service answers', async () => {
    const other = path.join(app.dir, 'other.env');
    writeFileSync(other, `API_KEY=${sentinel}-other\n`);
    const dev = startCli(['dev', app.entry, '--port', '0'], app.dir);
    try {
      const [, url] = await dev.waitFor(/service api: (http:\/\/127\.0\.0\.1:\d+)/);
      await dev.waitFor(/Press Ctrl-C to stop/);
      expect(dev.stdout()).toContain('  secrets and config: from .env\n');
      expect(dev.stdout()).toContain('  secrets with no value: UNSET_KEY (set each as a NAME=value line in .env)\n');
      expect(dev.stdout()).toContain('  config with no value and no default: REGION\n');
      const called = await run(['run', app.entry, 'readKey']);
      expect(called.code).toBe(0);
      expect(JSON.parse(called.stdout)).toEqual({ digest: digest(sentinel), model: 'large' });
      const ignored = await run(['run', app.entry, 'readKey', '--env-file', other]);
      expect(ignored.stderr).toMatch(/multinode dev is running for this app and uses its own values; --env-file .*other\.env is not read/);
      expect(JSON.parse(ignored.stdout).digest).toBe(digest(sentinel));
      const job = await run(['run', app.entry, 'batchRead']);
      expect(job.code).toBe(0);
      expect(JSON.parse(job.stdout)).toEqual({ digest: digest(sentinel), model: 'large' });
      const failed = await run(['run', app.entry, 'readUnset']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/SecretValueMissingError: secret "UNSET_KEY" has no value/);
      expect(await (await fetch(url!)).json()).toEqual({ digest: digest(sentinel) });
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
    printed.push(dev.stdout(), dev.stderr());
  }, 120_000);

  it('run starts its own local cloud with --env-file', async () => {
    const other = path.join(app.dir, 'other.env');
    const result = await run(['run', app.entry, 'readKey', '--env-file', other]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ digest: digest(`${sentinel}-other`), model: 'small' });
  }, 120_000);

  it('refuses an --env-file that does not exist, and a malformed file by file and line', async () => {
    const missing = await run(['dev', app.entry, '--env-file', 'nope.env']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--env-file nope\.env: no such file \(looked for .*nope\.env\)/);
    const broken = path.join(app.dir, 'broken.env');
    writeFileSync(broken, `API_KEY=${sentinel}\n${sentinel}\n`);
    const result = await run(['run', app.entry, 'readKey', '--env-file', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${broken}:2: expected NAME=value, a # comment or a blank line (the line is not shown: it may hold a secret).`);
  }, 120_000);

  it('refuses a secret over 64 KB in the file, naming the line', async () => {
    const big = path.join(app.dir, 'big.env');
    writeFileSync(big, `MODEL=x\nAPI_KEY=${sentinel}${'x'.repeat(65_536)}\n`);
    const result = await run(['run', app.entry, 'readKey', '--env-file', big]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/big\.env:2: the value of secret API_KEY is \d+ bytes, over the 65536 bytes a Secrets Manager secret holds\./);
  }, 120_000);

  it('manifest lists the secrets, never a value', async () => {
    const result = await run(['manifest', app.entry, '--json']);
    expect(JSON.parse(result.stdout).secrets).toEqual([{ name: 'API_KEY' }, { name: 'UNSET_KEY' }]);
  }, 60_000);

  it('never prints or writes a value: the sentinel is only in the .env files the test wrote', () => {
    expect(printed.join('\n')).not.toContain(sentinel);
    const written = filesUnder(app.dir).filter((file) => !file.endsWith('.env'));
    expect(written.some((file) => file.startsWith(stateDir))).toBe(true);
    for (const file of written) expect(readFileSync(file).includes(sentinel), file).toBe(false);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}
