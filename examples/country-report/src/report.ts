/**
 * One country's report: summary statistics, the trend of each indicator (least-squares slope per month) and a
 * bootstrap 95% confidence interval of that slope. The bootstrap is the heavy part: many resampled regressions.
 */
import type { CountrySeries } from './indicators.js';

export interface IndicatorReport {
  readonly latest: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Change per month, by least squares. */
  readonly slope: number;
  /** 95% bootstrap interval of the slope. */
  readonly slopeInterval: readonly [number, number];
}

export interface CountryReport {
  readonly country: string;
  readonly months: number;
  readonly inflation: IndicatorReport;
  readonly unemployment: IndicatorReport;
  readonly bootstrapSamples: number;
}

/** A small deterministic PRNG (mulberry32), so reports are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function slope(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number): number {
  let sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
    sxx += xs[i]! * xs[i]!;
    sxy += xs[i]! * ys[i]!;
  }
  const denominator = n * sxx - sx * sx;
  return denominator === 0 ? 0 : (n * sxy - sx * sy) / denominator;
}

function indicator(values: readonly number[], samples: number, seed: number): IndicatorReport {
  const n = values.length;
  const months = values.map((_, i) => i);
  const next = random(seed);
  const slopes = new Float64Array(samples);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) {
      const pick = Math.floor(next() * n);
      xs[i] = months[pick]!;
      ys[i] = values[pick]!;
    }
    slopes[s] = slope(xs, ys, n);
  }
  slopes.sort();
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    latest: values[n - 1]!,
    mean: round(values.reduce((a, b) => a + b, 0) / n),
    min: Math.min(...values),
    max: Math.max(...values),
    slope: round(slope(months, values, n)),
    slopeInterval: [round(slopes[Math.floor(samples * 0.025)]!), round(slopes[Math.floor(samples * 0.975)]!)],
  };
}

export function computeReport(country: string, series: CountrySeries, samples = 20_000): CountryReport {
  const seed = [...country].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);
  return {
    country,
    months: series.inflation.length,
    inflation: indicator(series.inflation, samples, seed),
    unemployment: indicator(series.unemployment, samples, seed + 1),
    bootstrapSamples: samples,
  };
}
