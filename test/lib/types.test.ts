/**
 * Types flow from handlers to the remote API. These assertions are checked by `tsc --noEmit` (part of npm test);
 * the @ts-expect-error lines fail the type check if a wrong call ever compiles.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { resolveApp } from '../../lib/app.js';
import { buildManifest, definitionsOf } from '../../lib/manifest.js';

interface Report {
  country: string;
  total: number;
}

const buildReport = mn.fn({ cpu: 4 }, async (country: string, year?: number): Promise<Report> => ({ country, total: year ?? 0 }));
const add = mn.fn((a: number, b: number) => a + b);
const progress = mn.job({}, async function* (input: { files: string[] }, ctx: mn.JobContext) {
  for (const [i] of input.files.entries()) {
    if (ctx.signal.aborted) return;
    yield { percent: (100 * (i + 1)) / input.files.length };
  }
});
/** Code that is only type-checked, never run (there is no runtime installed in this test). */
const typeOnly = (_code: () => void): void => undefined;

const summaries = mn.dict<{ text: string }>('summaries');

resolveApp({ buildReport, add, progress, summaries }, [buildReport, add, progress, summaries]);

describe('typed remote API (checked by tsc; bodies never run)', () => {
  it('functions', () =>
    typeOnly(() => {
      expectTypeOf(buildReport.call).parameters.toEqualTypeOf<[country: string, year?: number]>();
      expectTypeOf(buildReport.call('UK')).resolves.toEqualTypeOf<Report>();
      expectTypeOf(buildReport.map(['UK', 'FR'])).resolves.toEqualTypeOf<Report[]>();
      expectTypeOf(buildReport.map(['UK'], { returnExceptions: true })).resolves.toEqualTypeOf<Array<Report | Error>>();
      expectTypeOf(
        add.starmap([
          [1, 2],
          [3, 4],
        ]),
      ).resolves.toEqualTypeOf<number[]>();
      expectTypeOf(add.start(1, 2)).resolves.toEqualTypeOf<string>();
      expectTypeOf(buildReport.get('id')).resolves.toEqualTypeOf<mn.RunInfo<Report>>();
      expectTypeOf(buildReport.awaitResult('id')).resolves.toEqualTypeOf<Report>();
      typeOnly(() => {
        // @ts-expect-error: a number is not a country
        void buildReport.call(42);
        // @ts-expect-error: add needs two numbers
        void add.call(1);
        // @ts-expect-error: starmap items are argument tuples
        void add.starmap([1, 2]);
      });
    }));

  it('jobs', () =>
    typeOnly(() => {
      expectTypeOf(progress.start).parameters.toEqualTypeOf<[input: { files: string[] }]>();
      expectTypeOf(progress.get('id')).resolves.toEqualTypeOf<mn.RunInfo<{ percent: number }>>();
      expectTypeOf(progress.watch('id')).toEqualTypeOf<AsyncIterable<{ percent: number }>>();
      typeOnly(() => {
        // @ts-expect-error: the input shape is checked
        void progress.start({ file: 'x' });
      });
    }));

  it('dicts', () =>
    typeOnly(() => {
      expectTypeOf(summaries.get('k')).resolves.toEqualTypeOf<{ text: string } | undefined>();
      expectTypeOf(summaries.require('k')).resolves.toEqualTypeOf<{ text: string }>();
      expectTypeOf(summaries.getMany(['a'])).resolves.toEqualTypeOf<Array<{ text: string } | undefined>>();
      typeOnly(() => {
        // @ts-expect-error: values are typed
        void summaries.set('k', { txt: 'x' });
      });
    }));

  it('schedules and services', () =>
    typeOnly(() => {
      mn.schedule({ cron: '0 23 * * 1-5' }, async (run) => {
        expectTypeOf(run.scheduledTime).toEqualTypeOf<Date>();
        expectTypeOf(run.attempt).toEqualTypeOf<number>();
      });
      mn.service({}, async (request) => {
        expectTypeOf(request).toEqualTypeOf<Request>();
        return new Response('ok');
      });
    }));
});

describe('without a runtime', () => {
  it('remote calls reject with RuntimeNotInstalledError naming the call', async () => {
    await expect(buildReport.call('UK')).rejects.toThrow(mn.RuntimeNotInstalledError);
    await expect(buildReport.call('UK')).rejects.toThrow(/^buildReport\.call\(\) needs the multinode runtime/);
    await expect(summaries.get('k')).rejects.toThrow(/^dict "summaries" needs the multinode runtime/);
    await expect(progress.watch('id')[Symbol.asyncIterator]().next()).rejects.toThrow(/^progress\.watch\(\) needs the multinode runtime/);
  });

  it('local() runs the handler in this process', async () => {
    expect(await buildReport.local('UK', 2024)).toEqual({ country: 'UK', total: 2024 });
  });
});

describe('the typed manifest', () => {
  it('gives each kind its normalized options, with every default filled in', () => {
    const manifest = buildManifest(resolveApp({ buildReport, add, progress, summaries }, [buildReport, add, progress, summaries]), 'types');
    const [fn] = definitionsOf(manifest, 'function');
    expectTypeOf(fn!.options.maxConcurrency).toEqualTypeOf<number>();
    expect(fn!.options).toEqual({
      cpu: 4,
      memoryMiB: 256,
      timeoutSeconds: 900,
      maxRetries: 0,
      maxConcurrency: 10,
      gpu: null,
      compute: 'auto',
      image: null,
      secrets: [],
    });
    const [job] = definitionsOf(manifest, 'job');
    expectTypeOf(job!.options.lock).toEqualTypeOf<string | null>();
    expect(job!.options.lock).toBeNull();
    const [dict] = definitionsOf(manifest, 'dict');
    expectTypeOf(dict!.placement).toEqualTypeOf<null>();
    typeOnly(() => {
      // @ts-expect-error a dict has no options
      void dict!.options.maxConcurrency;
      const any = manifest.definitions[0]!;
      // @ts-expect-error options of an unknown kind must be narrowed first
      void any.options.timeoutSeconds;
      if (any.kind === 'service') expectTypeOf(any.options.auth).toEqualTypeOf<mn.ServiceAuth>();
    });
  });
});
