/** How maps are cut into array jobs: at most 10,000 children each, never a lone child (Batch's minimum is 2). */
import { describe, expect, it } from 'vitest';
import { arrayParts, MAX_ARRAY_SIZE } from '../../runtime/functions/batch-map.js';

describe('arrayParts', () => {
  it('submits one job up to 10,000 items (a plain job for one item)', () => {
    expect(arrayParts(1)).toEqual([{ offset: 0, size: 1 }]);
    expect(arrayParts(2)).toEqual([{ offset: 0, size: 2 }]);
    expect(arrayParts(200)).toEqual([{ offset: 0, size: 200 }]);
    expect(arrayParts(10_000)).toEqual([{ offset: 0, size: 10_000 }]);
  });

  it('splits larger maps evenly, covering every item once, none with a single child', () => {
    expect(arrayParts(10_001)).toEqual([
      { offset: 0, size: 5001 },
      { offset: 5001, size: 5000 },
    ]);
    for (const count of [10_001, 20_000, 20_001, 25_000, 99_999]) {
      const parts = arrayParts(count);
      expect(parts.length).toBe(Math.ceil(count / MAX_ARRAY_SIZE));
      let next = 0;
      for (const part of parts) {
        expect(part.offset).toBe(next);
        expect(part.size).toBeGreaterThanOrEqual(2);
        expect(part.size).toBeLessThanOrEqual(MAX_ARRAY_SIZE);
        next += part.size;
      }
      expect(next).toBe(count);
    }
  });

  it('submits nothing for no items', () => {
    expect(arrayParts(0)).toEqual([]);
  });
});
