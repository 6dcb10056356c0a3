/**
 * Sample monthly indicators per country (bundled so the example runs offline): consumer price inflation (% year on
 * year) and unemployment (%), January 2022 to August 2023. Illustrative figures, not an official data set.
 */
export interface CountrySeries {
  readonly inflation: readonly number[];
  readonly unemployment: readonly number[];
}

export const FIRST_MONTH = '2022-01';

export const INDICATORS: Readonly<Record<string, CountrySeries>> = {
  UK: {
    inflation: [5.5, 6.2, 7.0, 9.0, 9.1, 9.4, 10.1, 9.9, 10.1, 11.1, 10.7, 10.5, 10.1, 10.4, 10.1, 8.7, 8.7, 7.9, 6.8, 6.7],
    unemployment: [3.9, 3.8, 3.8, 3.8, 3.8, 3.8, 3.6, 3.6, 3.7, 3.7, 3.7, 3.8, 3.8, 3.8, 3.9, 3.9, 4.0, 4.2, 4.3, 4.3],
  },
  France: {
    inflation: [2.9, 3.6, 4.5, 4.8, 5.2, 5.8, 6.1, 5.9, 5.6, 6.2, 6.2, 5.9, 6.0, 6.3, 5.7, 5.9, 5.1, 4.5, 4.3, 4.9],
    unemployment: [7.3, 7.4, 7.3, 7.3, 7.3, 7.5, 7.4, 7.4, 7.2, 7.1, 7.1, 7.1, 7.1, 7.0, 7.1, 7.1, 7.1, 7.3, 7.3, 7.4],
  },
  Germany: {
    inflation: [4.9, 5.1, 7.3, 7.4, 7.9, 7.6, 7.5, 7.9, 10.0, 10.4, 10.0, 8.6, 8.7, 8.7, 7.4, 7.2, 6.1, 6.4, 6.2, 6.1],
    unemployment: [3.1, 3.0, 2.9, 2.9, 2.8, 2.9, 2.9, 3.0, 3.0, 3.0, 3.0, 3.0, 2.9, 2.9, 2.8, 2.9, 2.9, 2.9, 3.0, 3.0],
  },
  Spain: {
    inflation: [6.1, 7.6, 9.8, 8.3, 8.7, 10.2, 10.8, 10.5, 8.9, 7.3, 6.8, 5.7, 5.9, 6.0, 3.3, 4.1, 3.2, 1.9, 2.3, 2.6],
    unemployment: [12.9, 12.8, 13.1, 13.1, 13.0, 12.6, 12.6, 12.7, 12.7, 12.6, 12.7, 12.9, 12.9, 12.9, 12.8, 12.8, 12.7, 11.7, 11.6, 11.5],
  },
  Italy: {
    inflation: [4.8, 5.7, 6.5, 6.0, 6.8, 8.0, 7.9, 8.4, 8.9, 11.8, 11.8, 11.6, 10.0, 9.1, 7.6, 8.2, 7.6, 6.4, 5.9, 5.4],
    unemployment: [8.6, 8.5, 8.4, 8.4, 8.1, 8.0, 7.9, 7.8, 7.9, 7.8, 7.8, 7.8, 7.9, 8.0, 7.8, 7.8, 7.6, 7.4, 7.6, 7.3],
  },
};

export const COUNTRIES = Object.keys(INDICATORS);
