import { describe, expect, it } from 'vitest';
import { resolveApp } from '../../lib/app.js';
import { buildManifest, normalizeAppName } from '../../lib/manifest.js';
import { fitName, prefixFrom, resourceNames } from '../../lib/naming.js';
import * as mn from '../../lib/index.js';

const noop = async () => undefined;

describe('naming definitions from exports', () => {
  it('names each definition from its export, or its explicit name', () => {
    const report = mn.fn(noop);
    const summaries = mn.dict<string>('tweet_summaries');
    const renamed = mn.fn({ name: 'explicit' }, noop);
    const app = resolveApp({ report, summaries, whatever: renamed, notADefinition: 42 }, [report, summaries, renamed]);
    expect(report.name).toBe('report');
    expect(summaries.name).toBe('tweet_summaries');
    expect(renamed.name).toBe('explicit');
    expect(app.byName('report')).toBe(report);
    expect(app.exportNames.get(summaries)).toBe('summaries');
  });

  it('finds definitions with explicit names even when not exported', () => {
    const hidden = mn.dict('cache');
    const app = resolveApp({}, [hidden]);
    expect(app.definitions).toEqual([hidden]);
  });

  it('refuses a definition that is not exported and has no name', () => {
    const orphan = mn.fn(noop);
    expect(() => resolveApp({}, [orphan])).toThrow(/^fn\(\) at test\/lib\/app\.test\.ts:\d+:\d+ is not exported from the app's entry: export it/);
    expect(() => orphan.name).toThrow(/has no name yet: export it from the app's entry/);
  });

  it('refuses one definition exported under two names', () => {
    const twice = mn.fn(noop);
    expect(() => resolveApp({ a: twice, b: twice }, [twice])).toThrow(/is exported under 2 names \(a, b\); export it once, or give it a "name" option/);
  });

  it('allows two exports of a definition that has an explicit name', () => {
    const named = mn.fn({ name: 'named' }, noop);
    expect(resolveApp({ a: named, b: named }, [named]).definitions).toEqual([named]);
  });

  it('refuses duplicate names across kinds, naming both sites', () => {
    const first = mn.dict('reports');
    const second = mn.fn(noop);
    expect(() => resolveApp({ reports: second, d: first }, [first, second])).toThrow(
      /two definitions are named "reports": dict\(\) at test\/lib\/app\.test\.ts:\d+:\d+ and fn\(\) at test\/lib\/app\.test\.ts:\d+:\d+/,
    );
  });

  it('refuses a default export and an invalid export name', () => {
    const a = mn.fn(noop);
    const b = mn.fn(noop);
    expect(() => resolveApp({ default: a }, [a])).toThrow(/is the default export, which has no name/);
    expect(() => resolveApp({ $weird: b }, [b])).toThrow(/is exported as "\$weird", which is not a valid name/);
  });

  it('reports every problem at once', () => {
    const a = mn.fn(noop);
    const b = mn.job(async function* () {});
    expect(() => resolveApp({}, [a, b])).toThrow(/The app's definitions have 2 problems:\n- fn\(\) at .*\n- job\(\) at /);
  });

  it('refuses an export made by another copy of multinode', () => {
    const foreign = mn.fn(noop);
    expect(() => resolveApp({ foreign }, [])).toThrow(/created by another copy of the multinode package/);
  });
});

describe('manifest', () => {
  it('records kind, export, normalized options, placement and compute', () => {
    const heavy = mn.fn({ cpu: 16, timeout: '2h' }, noop);
    const store = mn.dict('store');
    const manifest = buildManifest(resolveApp({ heavy, store }, [heavy, store]), 'demo');
    expect(manifest).toEqual({
      manifestVersion: 1,
      app: { name: 'demo' },
      definitions: [
        {
          name: 'heavy',
          kind: 'function',
          exportName: 'heavy',
          options: { cpu: 16, memoryMiB: 256, timeoutSeconds: 7200, maxRetries: 0, maxConcurrency: 10, gpu: null, compute: 'auto', image: null, secrets: [] },
          placement: 'batch',
          compute: { type: 'batch', platform: 'fargate', vcpu: 16, memoryMiB: 32768, gpu: null, timeoutSeconds: 7200 },
        },
        { name: 'store', kind: 'dict', exportName: 'store', options: {}, placement: null, compute: null },
      ],
      secrets: [],
      config: [],
    });
    expect(JSON.parse(JSON.stringify(manifest))).toEqual(manifest);
  });

  it.each([
    ['@acme/tweet-summaries', 'tweet-summaries'],
    ['my_app', 'my-app'],
    ['123abc', 'abc'],
    ['---', ''],
  ])('normalizes the app name %j to %j', (raw, name) => {
    expect(normalizeAppName(raw)).toBe(name);
  });
});

describe('resource names', () => {
  it('derives every physical name from the prefix', () => {
    const names = resourceNames('tweet-summaries');
    expect(names.stateTable).toBe('tweet-summaries-state');
    expect(names.dictTable('tweet_summaries')).toBe('tweet-summaries-dict-tweet_summaries');
    expect(names.lambdaFunction('api')).toBe('tweet-summaries-api');
    expect(names.schedule('daily', 1)).toBe('tweet-summaries-daily-1');
  });

  it('keeps names within the service limits, distinctly', () => {
    const names = resourceNames('p'.repeat(32));
    const a = names.lambdaFunction('x'.repeat(64));
    const b = names.lambdaFunction(`${'x'.repeat(63)}y`);
    expect(a).toHaveLength(64);
    expect(b).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(fitName('short', 64)).toBe('short');
  });

  it('refuses invalid prefixes and builds valid ones from any name', () => {
    expect(() => resourceNames('1abc')).toThrow(/The resource prefix "1abc" is not valid/);
    expect(() => resourceNames('a'.repeat(33))).toThrow(/at most 32 characters/);
    expect(prefixFrom('My Stack!')).toBe('My-Stack');
    expect(prefixFrom('x'.repeat(50))).toHaveLength(32);
    expect(prefixFrom('!!!')).toBe('mn');
  });
});
