/**
 * Remote calls on a definition that the running app did not name: called while the module loads (top-level code),
 * or in a test that imported the module without starting a cloud. The error says what is wrong and what to do,
 * not "has no name yet: export it".
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { installRuntime, type RuntimePort } from '../../lib/runtime-port.js';
import { loadManifest } from '../../runtime/build/load-manifest.js';
import { tempApp } from '../helpers/temp-app.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('a remote call on a definition the running app has not named', () => {
  it('in a test without a cloud: says the app is not running and points at startTestCloud and .local()', async () => {
    const buildReport = mn.fn(async (country: string) => country.length);
    const error = await buildReport.call('UK').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(mn.RuntimeNotInstalledError);
    expect(error?.message).not.toMatch(/no name yet/);
    expect(error?.message).toMatch(/^buildReport\.call\(\) cannot run here: the app is not running in this process/);
    expect(error?.message).toMatch(/fn "buildReport" at test\/lib\/unnamed-calls\.test\.ts:\d+:\d+/);
    expect(error?.message).toMatch(/while the app's module loads \(top-level code\)/);
    expect(error?.message).toMatch(/startTestCloud\(entry\) from "multinode\/testing"/);
    expect(error?.message).toMatch(/buildReport\.local\(\.\.\.\)/);
  });

  it('says the same for a job, without .local (jobs have none)', async () => {
    const crunch = mn.job(async (n: number) => n * 2);
    await expect(crunch.start(1)).rejects.toThrow(/^crunch\.start\(\) cannot run here: the app is not running in this process/);
    await expect(crunch.start(1)).rejects.not.toThrow(/\.local\(/);
  });

  it('with a runtime installed: says the definition is not part of the running app', async () => {
    const uninstall = installRuntime({} as RuntimePort);
    try {
      const orphan = mn.fn(async () => 1);
      await expect(orphan.call()).rejects.toThrow(mn.DefinitionError);
      await expect(orphan.call()).rejects.toThrow(/^orphan\.call\(\) cannot run: fn "orphan" at .* is not a definition of the running app/);
      await expect(orphan.call()).rejects.toThrow(/startTestCloud\(entry, \{ module \}\)/);
    } finally {
      uninstall();
    }
  });

  it('while the app module loads: the manifest error explains why that cannot work', async () => {
    const app = tempApp({
      'app.ts': `import * as mn from 'multinode';\nexport const report = mn.fn(async (c: string) => c);\nexport const first = await report.call('UK');\n`,
    });
    cleanups.push(app.cleanup);
    await expect(loadManifest(app.entry)).rejects.toThrow(/report\.call\(\) cannot run here: the app is not running in this process/);
    await expect(loadManifest(app.entry)).rejects.toThrow(/app\.ts:3:\d+/);
  });
});
