/**
 * Random Unix crons for the property tests: every form the cron option accepts (values, names in either case, ranges,
 * steps, lists, day-of-week 7, macros), with hours near the DST changes (0-3) coming up often.
 */
import fc from 'fast-check';

function fieldArb(low: number, high: number, names: readonly string[] = [], nameBase = 0): fc.Arbitrary<string> {
  const show = (value: number) => fc.boolean().map((asName) => (asName && names[value - nameBase] !== undefined ? names[value - nameBase]! : String(value)));
  const value = fc.integer({ min: low, max: high });
  const single = value.chain(show);
  const range = fc.tuple(value, value).chain(([a, b]) => fc.tuple(show(Math.min(a, b)), show(Math.max(a, b))).map(([x, y]) => `${x}-${y}`));
  const step = fc.tuple(fc.oneof(fc.constant('*'), range, single), fc.integer({ min: 1, max: high - low })).map(([base, n]) => `${base}/${n}`);
  const list = fc.array(fc.oneof(single, range, step), { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
  return fc.oneof({ weight: 2, arbitrary: fc.constant('*') }, { weight: 3, arbitrary: list });
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export const MACROS = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually', '@midnight'] as const;

export const cronArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...MACROS) },
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fieldArb(0, 59),
        fc.oneof(fieldArb(0, 23), fieldArb(0, 3)),
        fc.oneof({ weight: 2, arbitrary: fc.constant('*') }, { weight: 3, arbitrary: fieldArb(1, 31) }),
        fc.oneof({ weight: 3, arbitrary: fc.constant('*') }, { weight: 1, arbitrary: fieldArb(1, 12, MONTHS, 1) }),
        fieldArb(0, 7, WEEKDAYS, 0),
      )
      .map((fields) => fields.join(' ')),
  },
);
