/**
 * `multinode secrets` with no running dev: the app's `.env` file (or --env-file), read and written directly; the value
 * from standard input only, never printed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempApp } from '../helpers/temp-app.js';

const sentinel = `sentinel-${randomUUID()}`;
const app = tempApp(
  {
    'src/app.ts': `import * as mn from 'multinode';
export const token = mn.secret('SERVICE_TOKEN');
export const other = mn.secret('OTHER_TOKEN');
export const use = mn.fn({ secrets: [token, other] }, async () => (await token.value()).length);
`,
  },
  'secrets-file-app',
);
afterAll(app.cleanup);
const printed: string[] = [];

async function secrets(argv: string[], stdin?: string) {
  const result = await runCli(['secrets', ...argv], app.dir, stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(stdin)]) });
  printed.push(result.stdout, result.stderr);
  return result;
}

describe('multinode secrets without a running dev', () => {
  it("lists, sets and deletes in the app's .env file (a new file readable by its owner only)", async () => {
    const envFile = path.join(app.dir, '.env');
    const listed = await secrets(['src/app.ts', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      store: `the .env file ${envFile}`,
      secrets: [
        { name: 'SERVICE_TOKEN', hasValue: false, where: envFile, exists: true },
        { name: 'OTHER_TOKEN', hasValue: false, where: envFile, exists: true },
      ],
    });
    const set = await secrets(['src/app.ts', 'set', 'SERVICE_TOKEN'], `${sentinel}\n`);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(`Set SERVICE_TOKEN in the .env file ${envFile}.\n`);
    expect(readFileSync(envFile, 'utf8')).toBe(`SERVICE_TOKEN=${sentinel}\n`);
    expect(statSync(envFile).mode & 0o077).toBe(0);
    const table = await secrets(['src/app.ts', 'list']);
    expect(table.stdout).toMatch(/\nSERVICE_TOKEN +set +.*\.env\nOTHER_TOKEN +no value +/);
    expect(JSON.parse((await secrets(['src/app.ts', 'delete', 'SERVICE_TOKEN', '--json'])).stdout)).toMatchObject({ name: 'SERVICE_TOKEN', deleted: true });
    expect((await secrets(['src/app.ts', 'delete', 'SERVICE_TOKEN'])).stdout).toBe(`SERVICE_TOKEN had no value in the .env file ${envFile}.\n`);
  });

  it('writes the file --env-file names', async () => {
    const other = path.join(app.dir, 'staging.env');
    writeFileSync(other, '# staging values\n');
    expect((await secrets(['src/app.ts', 'set', 'OTHER_TOKEN', '--env-file', 'staging.env'], sentinel)).code).toBe(0);
    expect(readFileSync(other, 'utf8')).toBe(`# staging values\nOTHER_TOKEN=${sentinel}\n`);
    const missing = await secrets(['src/app.ts', 'list', '--env-file', 'nowhere.env']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--env-file nowhere\.env: no such file/);
  });

  it('without an entry and with no app run here yet, asks for the entry', async () => {
    const result = await secrets(['list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^multinode: missing <entry>: the app module, e\.g\. src\/app\.ts \(no app has run in /);
  });

  it('never printed the value', () => {
    for (const text of printed) expect(text).not.toContain(sentinel);
  });
});
