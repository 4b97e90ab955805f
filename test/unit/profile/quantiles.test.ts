import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KllSketch, rankErrorBound } from '../../../shared/domain/profile/index.js';
import { random } from '../../support/random.js';

/** Number of sorted values ≤ x (inclusive) or < x. */
function countBelow(sorted: Float64Array, x: number, inclusive = true): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] ?? 0;
    if (inclusive ? v <= x : v < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Worst normalized rank error of rank(), cdf() and quantile() against the sorted data. */
function worstRankError(sketch: KllSketch, data: ArrayLike<number>): number {
  const sorted = Float64Array.from(data).sort();
  const n = sorted.length;
  let worst = 0;
  for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 1000))) {
    const x = sorted[i] ?? 0;
    worst = Math.max(worst, Math.abs(sketch.rank(x) - countBelow(sorted, x)) / n);
    worst = Math.max(worst, Math.abs(sketch.cdf(x) - countBelow(sorted, x) / n));
  }
  for (let q = 0.005; q < 1; q += 0.005) {
    // The returned value's true ranks form an interval (ties); q·n must be within ε·n of it.
    const v = sketch.quantile(q);
    const below = countBelow(sorted, v, false);
    const upTo = countBelow(sorted, v);
    const target = q * n;
    const miss = target < below ? below - target : target > upTo ? target - upTo : 0;
    worst = Math.max(worst, miss / n);
  }
  return worst;
}

function sketchOf(
  values: ArrayLike<number>,
  options: ConstructorParameters<typeof KllSketch>[0] = {},
): KllSketch {
  const sketch = new KllSketch(options);
  for (let i = 0; i < values.length; i++) sketch.add(values[i] ?? 0);
  return sketch;
}

const N = 100_000;
const inputs: [string, () => Float64Array][] = [
  ['uniform random', () => Float64Array.from({ length: N }, random(1))],
  ['log-normal (skewed)', () => Float64Array.from({ length: N }, random(2)).map((u) => Math.exp(8 * u - 4))],
  ['sorted', () => Float64Array.from({ length: N }, (_, i) => i)],
  ['reversed', () => Float64Array.from({ length: N }, (_, i) => N - i)],
  ['many duplicates', () => Float64Array.from({ length: N }, random(3)).map((u) => Math.floor(u * 20))],
  ['one value', () => new Float64Array(N).fill(42)],
  ['zig-zag', () => Float64Array.from({ length: N }, (_, i) => (i % 2 === 0 ? i : -i))],
];

describe('KLL quantile sketch', () => {
  it('answers exactly while it holds fewer values than its capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { maxLength: 500 }),
        fc.integer({ min: 0, max: 500 }),
        (values, exactLimit) => {
          // Prepare
          const sketch = sketchOf(values, { k: 8, exactLimit: Math.max(values.length, exactLimit) });
          const sorted = Float64Array.from(values).sort();
          const n = sorted.length;

          // Assess
          expect(sketch.isExact).toBe(true);
          expect(sketch.count).toBe(n);
          for (let p = 1; p < 100; p++) {
            const expected = n === 0 ? Number.NaN : sorted[Math.max(1, Math.ceil((p * n) / 100)) - 1];
            expect(sketch.quantile(p / 100)).toBe(expected);
          }
          for (const x of values) expect(sketch.rank(x)).toBe(countBelow(sorted, x));
          if (n > 0) {
            expect(sketch.quantile(0)).toBe(sorted[0]);
            expect(sketch.quantile(1)).toBe(sorted[n - 1]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each(inputs)('keeps the rank error within the documented bound on %s input', (_, make) => {
    // Prepare
    const data = make();

    // Act
    const sketch = sketchOf(data);

    // Assess
    expect(sketch.isExact).toBe(false);
    expect(sketch.rankError).toBe(rankErrorBound(200));
    expect(worstRankError(sketch, data)).toBeLessThanOrEqual(rankErrorBound(200));
    expect(sketch.retained).toBeLessThan(700);
    expect(sketch.min).toBe(Math.min(...data));
    expect(sketch.max).toBe(Math.max(...data));
  });

  it('keeps the bound across the switch from its exact buffer', () => {
    const data = Float64Array.from({ length: 30_000 }, random(4));

    const sketch = sketchOf(data, { exactLimit: 10_000 });

    expect(worstRankError(sketch, data)).toBeLessThanOrEqual(rankErrorBound(200));
  });

  it('merges into a sketch as accurate as one over the concatenation', () => {
    // Prepare: ten sorted parts, the order a per-file merge would see.
    const data = Float64Array.from({ length: N }, random(5)).map((u) => Math.round(u * 1000));
    const parts = Array.from({ length: 10 }, (_, p) => data.subarray(p * 10_000, (p + 1) * 10_000).sort());

    // Act
    const merged = new KllSketch();
    for (const part of parts) merged.merge(sketchOf(part));

    // Assess
    expect(merged.count).toBe(N);
    expect(worstRankError(merged, data)).toBeLessThanOrEqual(rankErrorBound(200));
    expect(merged.retained).toBeLessThan(700);
  });

  it('merges small exact sketches exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 100 }),
        fc.array(fc.integer(), { maxLength: 99 }),
        (a, b) => {
          const merged = sketchOf(a).merge(sketchOf(b));
          const sorted = Float64Array.from([...a, ...b]).sort();

          expect(merged.isExact).toBe(true);
          for (const x of sorted) expect(merged.rank(x)).toBe(countBelow(sorted, x));
        },
      ),
    );
  });

  it('round-trips through serialization, and reduces to a smaller k within both bounds', () => {
    const data = Float64Array.from({ length: N }, random(6)).map((u) => 1e12 + u * 1e9);
    const sketch = sketchOf(data, { exactLimit: 10_000 });

    const restored = KllSketch.deserialize(JSON.parse(JSON.stringify(sketch.serialize())));
    const reduced = KllSketch.deserialize(sketch.reduce(100).serialize());

    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) expect(restored.quantile(q)).toBe(sketch.quantile(q));
    expect(restored.count).toBe(N);
    expect(reduced.k).toBe(100);
    expect(reduced.retained).toBeLessThan(350);
    expect(worstRankError(reduced, data)).toBeLessThanOrEqual(rankErrorBound(100) + rankErrorBound(200));
  });

  it('is deterministic: the same values in the same order give the same sketch', () => {
    const data = Float64Array.from({ length: 20_000 }, random(7));

    expect(sketchOf(data).serialize()).toEqual(sketchOf(data).serialize());
  });

  it('ignores NaN, orders infinities, and answers NaN when empty', () => {
    const sketch = sketchOf([Number.NaN, Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY]);
    const empty = new KllSketch();

    expect(sketch.count).toBe(3);
    expect(sketch.quantile(0.5)).toBe(1);
    expect(sketch.cdf(1)).toBeCloseTo(2 / 3);
    expect(empty.quantile(0.5)).toBeNaN();
    expect(empty.cdf(0)).toBeNaN();
    expect(empty.rank(0)).toBe(0);
  });

  it('rejects invalid parameters and serialized data that does not add up', () => {
    const serialized = sketchOf([1, 2, 3]).serialize();

    expect(() => new KllSketch({ k: 4 })).toThrow(RangeError);
    expect(() => new KllSketch({ exactLimit: -1 })).toThrow(RangeError);
    expect(() => KllSketch.deserialize({ ...serialized, n: 4 })).toThrow(RangeError);
    expect(() => KllSketch.deserialize({ ...serialized, levels: [2] })).toThrow(RangeError);
  });
});
