/** The examples end to end through multinode/testing: the same runtime as in AWS, against the local cloud. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationFailedError } from '../../lib/errors.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as countryReport from '../../examples/country-report/src/app.js';
import { COUNTRIES } from '../../examples/country-report/src/indicators.js';
import * as tweetSummaries from '../../examples/tweet-summaries/src/app.js';

const examples = path.resolve(import.meta.dirname, '../../examples');

describe('tweet-summaries', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud(path.join(examples, 'tweet-summaries/src/app.ts'), {
      module: tweetSummaries,
      envFile: path.join(examples, 'tweet-summaries/.env.example'),
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('summarises on schedule and serves the summaries', async () => {
    const run = (await t.fire('extractSummaries', new Date('2023-09-09T00:00:00Z'))) as { outcome: string };
    expect(run.outcome).toBe('SUCCEEDED');
    const climate = await tweetSummaries.summaries.get('climate');
    expect(climate).toMatchObject({ subject: 'climate', sources: 5, summarisedAt: new Date('2023-09-09T00:00:00Z') });
    const listing = (await (await fetch(`${t.url('api')}/summaries`)).json()) as { subjects: string[] };
    expect(listing.subjects.sort()).toEqual(['ai', 'climate', 'football', 'markets']);
    const ai = await fetch(`${t.url('api')}/summaries/ai`);
    expect(((await ai.json()) as { keywords: string[] }).keywords.length).toBeGreaterThan(0);
    expect((await fetch(`${t.url('api')}/summaries/cooking`)).status).toBe(404);
  });
});

describe('country-report', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud(path.join(examples, 'country-report/src/app.ts'), { module: countryReport });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('fans out one call per country and stores the reports', async () => {
    const run = (await t.fire('dailyReports', new Date('2023-09-08T23:00:00Z'))) as { outcome: string };
    expect(run.outcome).toBe('SUCCEEDED');
    const reports = await countryReport.reports.getMany(COUNTRIES);
    expect(reports.map((r) => r?.country)).toEqual(COUNTRIES);
    expect(reports.every((r) => r!.bootstrapSamples === 20_000)).toBe(true);
    expect(t.logs.some((line) => line.includes('stored 5 country reports for 2023-09-08T23:00:00.000Z'))).toBe(true);
  });

  it('calls the heavy function directly, and reports its errors', async () => {
    const [uk, france] = await countryReport.buildReport.map(['UK', 'France']);
    expect(uk!.country).toBe('UK');
    expect(france!.inflation.latest).toBe(4.9);
    const error = await countryReport.buildReport.call('Atlantis').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect((error as InvocationFailedError).remote.message).toMatch(/no indicators for country "Atlantis"/);
  });
});
