/**
 * An app with several invalid definitions reports all of them at once (every wrong option of each definition, and
 * the naming problems), each message as it reads alone. A definition created outside an app load (a test, a
 * script) still throws at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { ManifestError } from '../../lib/errors.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { tempApp } from '../helpers/temp-app.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function loadError(source: string): Promise<string> {
  const app = tempApp({ 'app.ts': source }, 'all-problems');
  cleanups.push(app.cleanup);
  try {
    await loadManifest(app.entry);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as Error).message;
  }
  throw new Error('expected loadManifest to fail');
}

const SITE = String.raw`\S*app\.ts:\d+:\d+`;

describe('invalid definitions, reported together', () => {
  it('lists every problem of every definition, then the naming problems', async () => {
    const message = await loadError(`import * as mn from 'multinode';
const noop = async () => undefined;
export const report = mn.fn({ cpu: 32, memory: '2 TB', cpux: 1 } as never, noop);
export const crunch = mn.job({ lock: 'bad name!', maxRetries: 99 }, noop);
export const nightly = mn.schedule({ cron: '0 23 * * *', timezone: 'Europe/Londn' }, noop);
export const api = mn.service({ auth: 'basic' } as never, () => new Response('ok'));
export const cache = mn.dict('no spaces allowed');
export const fine = mn.fn(noop);
const hidden = mn.fn(noop);
export const twin = mn.dict('fine');
`);
    const problems = message.split('\n- ').slice(1);
    expect(message).toMatch(/has invalid definitions:\nThe app's definitions have 10 problems:\n- /);
    const expected = [
      `fn "report" at ${SITE}: unknown option "cpux" \\(did you mean "cpu"\\?\\); fn\\(\\) accepts .*\\.`,
      `fn "report" at ${SITE}: option "cpu" is 32; allowed: a number of vCPUs from 0\\.1 to 16\\.`,
      `fn "report" at ${SITE}: option "memory" is "2 TB"; allowed: .*\\("TB" is not a memory unit; use KiB, MiB or GiB \\(or MB, GB\\)\\)\\.`,
      `job "crunch" at ${SITE}: option "maxRetries" is 99; allowed: a whole number from 0 to 50\\.`,
      `job "crunch" at ${SITE}: option "lock" is "bad name!"; allowed: 1 to 64 characters .*`,
      `schedule "nightly" at ${SITE}: option "timezone" is "Europe/Londn": .*did you mean "Europe/London"\\?.*`,
      `service "api" at ${SITE}: option "auth" is "basic"; allowed: "none", "iam" or .*`,
      `dict "no spaces allowed" at ${SITE}: the dict name "no spaces allowed" is not valid; a dict name is 1 to 64 characters .*`,
      `fn\\(\\) at ${SITE} is not exported from the app's entry: export it .*`,
      `two definitions are named "fine": fn\\(\\) at ${SITE} and dict\\(\\) at ${SITE}\\. Names must be unique across the app\\.`,
    ];
    expect(problems).toHaveLength(expected.length);
    for (const [index, pattern] of expected.entries()) expect(problems[index], `problem ${index + 1}`).toMatch(new RegExp(`^${pattern}$`));
  });

  it('a single problem reads as today: the problem alone', async () => {
    const message = await loadError(`import * as mn from 'multinode';\nexport const report = mn.fn({ cpu: 32 }, async () => 1);\n`);
    expect(message).toMatch(
      new RegExp(`has invalid definitions:\nfn "report" at ${SITE}: option "cpu" is 32; allowed: a number of vCPUs from 0\\.1 to 16\\.$`),
    );
  });

  it('outside an app load, a definition still throws at its first problem', () => {
    expect(() => mn.fn({ cpu: 32, memory: '2 TB' }, async () => 1)).toThrow(/option "cpu" is 32/);
    expect(() => mn.dict('no spaces allowed')).toThrow(mn.DefinitionError);
  });
});
