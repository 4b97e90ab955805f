import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../../shared/domain/profile/index.js';

function sketchOf(values: Iterable<number>, precision = 14): HyperLogLog {
  const hll = new HyperLogLog(precision);
  for (const v of values) hll.addNumber(v);
  return hll;
}

function* range(from: number, count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield from + i;
}

describe('HyperLogLog', () => {
  it.each([
    [100_000, 0],
    [100_000, 7e9],
    [300_000, -123_456.5],
    [1_000_000, 1],
  ])('estimates %i distinct numbers (from %d) within 3 standard errors', (n, from) => {
    // Prepare: consecutive numbers are the hardest case for a weak hash.
    const hll = sketchOf(range(from, n));

    // Act
    const estimate = hll.estimate();

    // Assess
    expect(Math.abs(estimate - n) / n).toBeLessThan(3 * hll.standardError);
  });

  it('estimates 300 000 distinct strings within 3 standard errors', () => {
    const hll = new HyperLogLog(14);
    for (let i = 0; i < 300_000; i++) hll.addString(`user-${i}`);

    expect(Math.abs(hll.estimate() - 300_000) / 300_000).toBeLessThan(3 * hll.standardError);
  });

  it('is close to exact for small cardinalities, where linear counting used to take over', () => {
    for (const n of [0, 1, 2, 10, 100, 1000, 5000, 20_000, 40_000]) {
      const hll = sketchOf(range(n * 1000, n));
      // Ertl's estimator has no bump around 2.5·m (the classic switch point, 40 960 at p = 14).
      expect(Math.abs(hll.estimate() - n)).toBeLessThanOrEqual(Math.max(0.5, 3 * hll.standardError * n));
    }
  });

  it('keeps the same registers when values repeat, and treats 0, -0 and every NaN as one value each', () => {
    const once = sketchOf([1, 2, 3, 0, Number.NaN]);
    const repeated = sketchOf([3, 2, 1, 1, -0, 0, Number.NaN, 0 / 0, 1, 2]);

    expect(repeated.registers).toEqual(once.registers);
  });

  it('merges to exactly the sketch of the union', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.array(fc.double()), (a, b) => {
        const merged = sketchOf(a, 8).merge(sketchOf(b, 8));

        expect(merged.registers).toEqual(sketchOf([...a, ...b], 8).registers);
      }),
    );
  });

  it('folds to a lower precision exactly, and merges different precisions at the lower one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 2000 }),
        fc.integer({ min: 4, max: 12 }),
        (values, p) => {
          const fine = sketchOf(values, 12);

          expect(fine.fold(p).registers).toEqual(sketchOf(values, p).registers);
          expect(sketchOf(values, 12).merge(sketchOf(values, p)).registers).toEqual(
            sketchOf(values, p).registers,
          );
        },
      ),
    );
  });

  it('round-trips through its dense and sparse serialized forms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 3000 }),
        fc.integer({ min: 4, max: 14 }),
        (values, p) => {
          const hll = new HyperLogLog(p);
          for (const v of values) hll.addString(v);

          const serialized = hll.serialize();
          const restored = HyperLogLog.deserialize(JSON.parse(JSON.stringify(serialized)));

          expect(restored.precision).toBe(p);
          expect(restored.registers).toEqual(hll.registers);
        },
      ),
    );
  });

  it('stores a sparse sketch in a few bytes and a full one in 6 bits per register', () => {
    const small = sketchOf([1, 2, 3], 11).serialize();
    const large = sketchOf(range(0, 100_000), 11).serialize();

    expect(small.encoding).toBe('sparse');
    expect(small.data.length).toBeLessThanOrEqual(12);
    expect(large.encoding).toBe('dense');
    expect(large.data.length).toBe(Math.ceil((2048 * 6) / 8 / 3) * 4);
  });

  it('rejects precisions outside 4..18 and corrupt serialized data', () => {
    expect(() => new HyperLogLog(3)).toThrow(RangeError);
    expect(() => new HyperLogLog(19)).toThrow(RangeError);
    expect(() => HyperLogLog.deserialize({ precision: 11, encoding: 'dense', data: 'AAAA' })).toThrow(
      RangeError,
    );
    expect(() => HyperLogLog.deserialize({ precision: 4, encoding: 'sparse', data: '////' })).toThrow(
      RangeError,
    );
  });
});
