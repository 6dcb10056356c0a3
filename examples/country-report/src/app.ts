/**
 * A scheduled task fans out one heavy function call per country (`map`, one invocation each, in parallel) and
 * stores the reports in a dict. The function asks for 4 vCPUs and 8 GiB, which still fits Lambda (Lambda sizes CPU
 * by memory; this becomes an 8,192 MB function); ask for more than 6 vCPUs, 10 GiB or 15 minutes and the same code
 * is placed on AWS Batch.
 */
import * as mn from 'multinode';
import { COUNTRIES, INDICATORS } from './indicators.js';
import { computeReport, type CountryReport } from './report.js';

export const reports = mn.dict<CountryReport>('daily_country_reports');

export const buildReport = mn.fn({ cpu: 4, memory: '8 GiB', timeout: '10m', maxRetries: 2 }, async (country: string) => {
  const series = INDICATORS[country];
  if (!series) throw new Error(`no indicators for country "${country}"; known: ${COUNTRIES.join(', ')}`);
  return computeReport(country, series);
});

export const dailyReports = mn.scheduledTask({ referenceTime: '2023-09-08T23:00', interval: '1d' }, async (run) => {
  const results = await buildReport.map(COUNTRIES);
  await reports.setMany(COUNTRIES.map((country, i) => [country, results[i]!] as const));
  console.log(`${run.name}: stored ${results.length} country reports for ${run.scheduledTime.toISOString()}`);
});
