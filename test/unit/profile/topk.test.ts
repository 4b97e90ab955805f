import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaceSaving } from '../../../shared/domain/profile/index.js';

function frequencies(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

// Skewed streams over a small alphabet, so that counters are both reused and replaced.
const stream = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c') },
    { weight: 2, arbitrary: fc.string({ maxLength: 2 }) },
  ),
  { maxLength: 400 },
);

describe('Space-Saving top-k', () => {
  it('counts exactly while the distinct values fit in its counters', () => {
    fc.assert(
      fc.property(stream, (values) => {
        const counts = frequencies(values);
        const sketch = new SpaceSaving(Math.max(1, counts.size));
        for (const v of values) sketch.add(v);

        const top = sketch.top(counts.size);

        expect(top.map((h) => [h.value, h.count])).toEqual(
          [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
        );
        expect(top.every((h) => h.error === 0)).toBe(true);
        expect(sketch.maxError).toBe(0);
      }),
    );
  });

  it('bounds every count between count - error and count, with error at most N/m', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 1, max: 12 }), (values, capacity) => {
        // Prepare
        const counts = frequencies(values);
        const sketch = new SpaceSaving(capacity);

        // Act
        for (const v of values) sketch.add(v);
        const top = sketch.top(capacity);

        // Assess
        expect(sketch.total).toBe(values.length);
        for (const { value, count, error } of top) {
          const truth = counts.get(value) ?? 0;
          expect(truth).toBeLessThanOrEqual(count);
          expect(truth).toBeGreaterThanOrEqual(count - error);
          expect(error).toBeLessThanOrEqual(values.length / capacity);
          expect(error).toBeLessThanOrEqual(sketch.maxError);
        }
        // Every value more frequent than N/m is monitored.
        for (const [value, truth] of counts) {
          if (truth > values.length / capacity) expect(top.map((h) => h.value)).toContain(value);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('continues from exact frequencies with the same guarantees', () => {
    fc.assert(
      fc.property(stream, stream, fc.integer({ min: 1, max: 8 }), (before, after, capacity) => {
        const sketch = SpaceSaving.fromCounts(frequencies(before), capacity);
        for (const v of after) sketch.add(v);
        const counts = frequencies([...before, ...after]);

        for (const { value, count, error } of sketch.top(capacity)) {
          const truth = counts.get(value) ?? 0;
          expect(truth).toBeLessThanOrEqual(count);
          expect(truth).toBeGreaterThanOrEqual(count - error);
        }
        expect(sketch.maxError).toBeLessThanOrEqual((before.length + after.length) / capacity);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the heavy hitters of a long Zipf-like stream of unique values', () => {
    // Prepare: every 4th value is one of 5 hot values, the rest are all different.
    const sketch = new SpaceSaving(100);
    for (let i = 0; i < 200_000; i++) sketch.add(i % 4 === 0 ? `hot-${(i >>> 2) % 5}` : `cold-${i}`);

    // Act
    const top = sketch.top(5);

    // Assess
    expect(top.map((h) => h.value).sort()).toEqual(['hot-0', 'hot-1', 'hot-2', 'hot-3', 'hot-4']);
    for (const h of top) {
      expect(h.count - h.error).toBeLessThanOrEqual(10_000);
      expect(h.count).toBeGreaterThanOrEqual(10_000);
      expect(h.error).toBeLessThanOrEqual(200_000 / 100);
    }
  });
});
