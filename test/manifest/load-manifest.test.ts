/** loadManifest: the real esbuild bundle loaded in a real child process, for the examples and broken apps. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestError } from '../../lib/errors.js';
import { loadManifest, loadManifestSync } from '../../runtime/build/load-manifest.js';
import { tempApp } from '../helpers/temp-app.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function app(source: string, extra: Record<string, string> = {}) {
  const created = tempApp({ 'app.ts': source, ...extra });
  cleanups.push(created.cleanup);
  return created;
}

async function loadError(entry: string, options = {}): Promise<string> {
  try {
    await loadManifest(entry, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as Error).message;
  }
  throw new Error('expected loadManifest to fail');
}

describe('examples', () => {
  it('daily-16cpu: two 16-vCPU schedules on Batch and a dict', async () => {
    const { manifest } = await loadManifest('examples/daily-16cpu/src/app.ts');
    expect(manifest.app.name).toBe('daily-16cpu');
    const byName = Object.fromEntries(manifest.definitions.map((d) => [d.name, d]));
    expect(Object.keys(byName)).toEqual(['daily_runs', 'dailyAt23', 'weekdaysAt23']);
    for (const name of ['dailyAt23', 'weekdaysAt23']) {
      expect(byName[name]).toMatchObject({ kind: 'schedule', placement: 'batch', compute: { type: 'batch', platform: 'fargate', vcpu: 16, memoryMiB: 32768 } });
      expect(byName[name]).toHaveProperty('schedule.expressions');
    }
    expect(byName.daily_runs).toMatchObject({ kind: 'dict', exportName: 'runs', placement: null });
  });

  it('tweet-summaries: a dict, a daily task and a service', async () => {
    const { manifest } = await loadManifest('examples/tweet-summaries/src/app.ts');
    expect(manifest.definitions.map((d) => [d.name, d.kind, d.placement])).toEqual([
      ['tweet_summaries', 'dict', null],
      ['extractSummaries', 'schedule', 'lambda'],
      ['api', 'service', 'lambda'],
    ]);
  });

  it('country-report: a 4-vCPU function that fits Lambda, a task and a dict', async () => {
    const { manifest } = await loadManifest('examples/country-report/src/app.ts');
    const report = manifest.definitions.find((d) => d.name === 'buildReport')!;
    expect(report).toMatchObject({ kind: 'function', placement: 'lambda', compute: { type: 'lambda', memoryMB: 8192, timeoutSeconds: 600 } });
    expect(report.options).toMatchObject({ cpu: 4, memoryMiB: 8192, maxRetries: 2 });
  });

  it('the synchronous loader agrees and can keep the bundle', async () => {
    const { manifest } = await loadManifest('examples/tweet-summaries/src/app.ts');
    const created = tempApp({});
    cleanups.push(created.cleanup);
    const sync = loadManifestSync('examples/tweet-summaries/src/app.ts', { outDir: `${created.dir}/out` });
    expect(sync.manifest).toEqual(manifest);
    expect(sync.bundle?.file).toBe(`${created.dir}/out/app.mjs`);
    expect(sync.bundle?.sizeBytes).toBeGreaterThan(1000);
  });
});

describe('broken apps fail with a clear message', () => {
  it('a missing entry', async () => {
    expect(await loadError('does/not/exist.ts')).toMatch(/^The app entry does\/not\/exist\.ts does not exist \(looked for .*does\/not\/exist\.ts\)\.$/);
    expect(() => loadManifestSync('does/not/exist.ts')).toThrow(ManifestError);
  });

  it("a syntax error shows esbuild's message with file:line", async () => {
    const { entry } = app(`import * as mn from 'multinode';\nexport const f = mn.fn(async () => {\n  return 1 +;\n});\n`);
    const message = await loadError(entry);
    expect(message).toMatch(/does not build:\n/);
    expect(message).toMatch(/app\.ts:3:13: error: Unexpected ";"\n {6}return 1 \+;\n {16}\^/);
  });

  it('a missing import names the file and the import', async () => {
    const { entry } = app(`import { x } from './nope.js';\nexport const y = x;\n`);
    expect(await loadError(entry)).toMatch(/app\.ts:1:19: error: Could not resolve "\.\/nope\.js"/);
  });

  it('a module that throws on import shows its stack, mapped to the source', async () => {
    const { entry } = app(
      `import * as mn from 'multinode';\nexport const f = mn.fn(async () => 1);\nfunction boom() {\n  throw new RangeError('config missing');\n}\nboom();\n`,
    );
    const message = await loadError(entry);
    expect(message).toMatch(/threw while loading:\nRangeError: config missing\n/);
    expect(message).toMatch(/app\.ts:4:9/);
  });

  it('duplicate names', async () => {
    const { entry } = app(`import * as mn from 'multinode';\nexport const a = mn.fn({ name: 'same' }, async () => 1);\nexport const b = mn.dict('same');\n`);
    expect(await loadError(entry)).toMatch(
      /has invalid definitions:\ntwo definitions are named "same": fn\(\) at .*app\.ts:2:\d+ and dict\(\) at .*app\.ts:3:\d+/,
    );
  });

  it('an unexported definition', async () => {
    const { entry } = app(
      `import * as mn from 'multinode';\nconst hidden = mn.fn(async () => 1);\nexport const used = hidden;\nconst orphan = mn.job(async function* () {});\n`,
    );
    expect(await loadError(entry)).toMatch(/job\(\) at .*app\.ts:4:\d+ is not exported from the app's entry/);
  });

  it('a bad option names the definition, option, value and what is allowed', async () => {
    const { entry } = app(`import * as mn from 'multinode';\n\nexport const buildReport = mn.fn({ cpu: 32 }, async () => 1);\n`);
    expect(await loadError(entry)).toMatch(
      /has invalid definitions:\nfn "buildReport" at .*app\.ts:3:\d+: option "cpu" is 32; allowed: a number of vCPUs from 0\.1 to 16\./,
    );
  });

  it('a module that exits while loading', async () => {
    const { entry } = app(`console.log('about to leave');\nprocess.exit(3);\n`);
    expect(await loadError(entry)).toMatch(/exited \(code 3\) while loading\.\nIts output:\nabout to leave/);
  });

  it('a module that never finishes loading', async () => {
    const { entry } = app(`await new Promise(() => setInterval(() => {}, 1000));\n`);
    expect(await loadError(entry, { timeoutMs: 1500 })).toMatch(/did not finish loading within 1\.5 s/);
  });

  it('app code importing multinode/constructs', async () => {
    const { entry } = app(`import { MultinodeApp } from 'multinode/constructs';\nexport const x = MultinodeApp;\n`);
    expect(await loadError(entry)).toMatch(/"multinode\/constructs" cannot be imported by app code/);
  });
});

describe('what loading returns', () => {
  it('captures console output of top-level code and names the app from package.json', async () => {
    const { entry } = app(`import * as mn from 'multinode';\nconsole.log('loading!');\nexport const d = mn.dict('d');\n`);
    const loaded = await loadManifest(entry);
    expect(loaded.logs).toContain('loading!');
    expect(loaded.manifest.app.name).toBe('temp-app');
    expect(loaded.manifest.definitions).toHaveLength(1);
  });

  it('never imports user code into the calling process', async () => {
    const { entry } = app(`import * as mn from 'multinode';\n(globalThis as any).__userCodeRan = true;\nexport const d = mn.dict('d');\n`);
    await loadManifest(entry);
    expect((globalThis as Record<string, unknown>).__userCodeRan).toBeUndefined();
  });
});
