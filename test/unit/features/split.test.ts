import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SplitIndexes,
  type SplitRatios,
  splitRows,
  splitSizes,
  takeRows,
} from '../../../shared/domain/features/split.js';
import {
  batchFromRows,
  type CellValue,
  type RecordBatch,
  type TableSchema,
} from '../../../shared/domain/table.js';
import { InvalidInputError } from '../../../shared/errors.js';

const schema: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

/** A table whose `id` is the row number and whose `at` column holds `times`. */
function tableOf(times: readonly CellValue[]): RecordBatch {
  return batchFromRows(
    schema,
    times.map((at, id) => ({ id, at })),
  );
}

const rowsTable = (n: number) => tableOf(Array.from({ length: n }, (_, i) => i * 1000));

/** Three ratios ≥ 0 that sum to 1 (within floating rounding), zeros included. */
const ratios: fc.Arbitrary<SplitRatios> = fc
  .tuple(fc.nat({ max: 100 }), fc.nat({ max: 100 }), fc.nat({ max: 100 }))
  .filter(([a, b, c]) => a + b + c > 0)
  .map(([a, b, c]) => ({ train: a / (a + b + c), validation: b / (a + b + c), test: c / (a + b + c) }));

const ratiosOf = (train: number, validation: number, test: number): SplitRatios => ({
  train,
  validation,
  test,
});

const all = (split: SplitIndexes) => [...split.train, ...split.validation, ...split.test];

function expectPartition(split: SplitIndexes, n: number): void {
  expect(all(split).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

describe('split sizes', () => {
  it('sum to n and are each within one row of ratio · n', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), ratios, (n, r) => {
        // Act
        const sizes = splitSizes(n, r);

        // Assess
        expect(sizes.train + sizes.validation + sizes.test).toBe(n);
        for (const name of ['train', 'validation', 'test'] as const) {
          expect(Number.isInteger(sizes[name])).toBe(true);
          expect(Math.abs(sizes[name] - r[name] * n)).toBeLessThan(1);
          if (r[name] === 0) expect(sizes[name]).toBe(0);
        }
      }),
    );
  });

  it('give the leftover rows to the largest remainders, train first on a tie', () => {
    // Act / Assess: 10 · (0.45, 0.45, 0.1) = 4.5, 4.5, 1
    expect(splitSizes(10, ratiosOf(0.45, 0.45, 0.1))).toEqual({ train: 5, validation: 4, test: 1 });
    // 7 · (0.7, 0.15, 0.15) = 4.9, 1.05, 1.05
    expect(splitSizes(7, ratiosOf(0.7, 0.15, 0.15))).toEqual({ train: 5, validation: 1, test: 1 });
    // 3 · thirds: one each
    expect(splitSizes(3, ratiosOf(1 / 3, 1 / 3, 1 / 3))).toEqual({ train: 1, validation: 1, test: 1 });
    expect(splitSizes(0, ratiosOf(0.8, 0.1, 0.1))).toEqual({ train: 0, validation: 0, test: 0 });
  });

  it('reject ratios that are negative, not finite, or do not sum to 1 within 1e-9', () => {
    // Prepare
    const bad = [
      ratiosOf(-0.1, 0.6, 0.5),
      ratiosOf(0.5, 0.5, 0.1),
      ratiosOf(0.5, 0.4, 0.1 - 1e-8),
      ratiosOf(Number.NaN, 0.5, 0.5),
      ratiosOf(Number.POSITIVE_INFINITY, 0, 0),
      { train: 1, validation: 0 } as SplitRatios,
    ];

    for (const r of bad) {
      // Act / Assess
      expect(() => splitSizes(10, r)).toThrow(InvalidInputError);
      expect(() => splitRows(rowsTable(10), { ratios: r })).toThrow(InvalidInputError);
    }
    expect(splitSizes(10, ratiosOf(0.5, 0.4, 0.1 + 5e-10)).train).toBe(5);
    expect(() => splitSizes(-1, ratiosOf(1, 0, 0))).toThrow(InvalidInputError);
    expect(() => splitSizes(1.5, ratiosOf(1, 0, 0))).toThrow(InvalidInputError);
  });
});

describe('a random split', () => {
  it('partitions the rows into disjoint splits of the planned sizes', () => {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), ratios, fc.nat(), (n, r, seed) => {
        // Act
        const split = splitRows(rowsTable(n), { ratios: r, seed });

        // Assess
        expectPartition(split, n);
        const sizes = splitSizes(n, r);
        expect(split.train.length).toBe(sizes.train);
        expect(split.validation.length).toBe(sizes.validation);
        expect(split.test.length).toBe(sizes.test);
      }),
    );
  });

  it('is the same for the same seed and lists each split in table order', () => {
    // Prepare
    const table = rowsTable(200);
    const options = { ratios: ratiosOf(0.7, 0.15, 0.15), seed: 7 };

    // Act
    const first = splitRows(table, options);
    const second = splitRows(table, options);

    // Assess
    expect(second).toEqual(first);
    for (const indexes of Object.values(first))
      expect([...indexes]).toEqual([...indexes].sort((a, b) => a - b));
  });

  it('differs between seeds', () => {
    // Prepare
    const table = rowsTable(100);
    const options = { ratios: ratiosOf(0.5, 0.25, 0.25) };

    // Act
    const trains = Array.from({ length: 20 }, (_, seed) =>
      splitRows(table, { ...options, seed }).train.join(),
    );

    // Assess: C(100, 50) choices; twenty seeds should never collide
    expect(new Set(trains).size).toBe(20);
  });

  it('keeps a pinned split for a pinned seed (the PRNG is part of the format)', () => {
    // Act
    const split = splitRows(rowsTable(10), { ratios: ratiosOf(0.6, 0.2, 0.2), seed: 42 });
    const defaultSeed = splitRows(rowsTable(10), { ratios: ratiosOf(0.6, 0.2, 0.2) });

    // Assess
    expect(split).toEqual(PINNED_SEED_42);
    expect(defaultSeed).toEqual(splitRows(rowsTable(10), { ratios: ratiosOf(0.6, 0.2, 0.2), seed: 0 }));
  });

  it('puts each row in train about equally often across seeds', () => {
    // Prepare
    const table = rowsTable(4);
    const counts = [0, 0, 0, 0];

    // Act
    for (let seed = 0; seed < 4000; seed++) {
      const [row] = splitRows(table, { ratios: ratiosOf(0.25, 0.75, 0), seed }).train;
      counts[row ?? 0] = (counts[row ?? 0] ?? 0) + 1;
    }

    // Assess: 1000 expected, standard deviation ≈ 27
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('rejects a seed that is not an integer in [0, 2^32)', () => {
    for (const seed of [-1, 1.5, 2 ** 32, Number.NaN]) {
      // Act / Assess
      expect(() => splitRows(rowsTable(5), { ratios: ratiosOf(1, 0, 0), seed })).toThrow(InvalidInputError);
    }
  });

  it('splits a table of no rows into three empty splits', () => {
    // Act
    const split = splitRows(rowsTable(0), { ratios: ratiosOf(0.8, 0.1, 0.1), seed: 3 });
    const byTime = splitRows(rowsTable(0), { ratios: ratiosOf(0.8, 0.1, 0.1), timeColumn: 'at' });

    // Assess
    for (const s of [split, byTime]) expect(all(s)).toEqual([]);
    expect(split.train).toBeInstanceOf(Int32Array);
  });
});

/** Cross-checked against an independent Python implementation of the documented PRNG and shuffle. */
const PINNED_SEED_42: SplitIndexes = {
  train: Int32Array.from([0, 2, 3, 4, 7, 8]),
  validation: Int32Array.from([6, 9]),
  test: Int32Array.from([1, 5]),
};

describe('a time split', () => {
  const timesOf = (table: RecordBatch, indexes: Int32Array) =>
    Array.from(indexes, (i) => table.columns[1]?.[i] as number);

  it('keeps train before validation before test, and never puts one time in two splits', () => {
    fc.assert(
      fc.property(
        // Few distinct times, so most cuts fall on a tie.
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 200 }),
        ratios,
        (minutes, r) => {
          // Prepare
          const table = tableOf(minutes.map((m) => Date.UTC(2026, 0, 1) + m * 60_000));

          // Act
          const split = splitRows(table, { ratios: r, timeColumn: 'at' });

          // Assess
          expectPartition(split, minutes.length);
          const [train, validation, test] = [split.train, split.validation, split.test].map((s) =>
            timesOf(table, s),
          );
          const ordered = [...(train ?? []), ...(validation ?? []), ...(test ?? [])];
          expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
          const sets = [train, validation, test].map((t) => new Set(t));
          for (const [a, b] of [
            [0, 1],
            [0, 2],
            [1, 2],
          ] as const)
            for (const t of sets[a] ?? []) expect(sets[b]?.has(t)).toBe(false);
          // Cuts only move forward: train never shrinks, test never grows.
          const sizes = splitSizes(minutes.length, r);
          expect(split.train.length).toBeGreaterThanOrEqual(sizes.train);
          expect(split.test.length).toBeLessThanOrEqual(sizes.test);
        },
      ),
    );
  });

  it('cuts at the planned sizes when times are distinct, whatever the table order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { maxLength: 200 }), ratios, (times, r) => {
        // Act
        const split = splitRows(tableOf(times), { ratios: r, timeColumn: 'at' });

        // Assess
        const sizes = splitSizes(times.length, r);
        expect([split.train.length, split.validation.length, split.test.length]).toEqual([
          sizes.train,
          sizes.validation,
          sizes.test,
        ]);
      }),
    );
  });

  it('moves a cut that falls inside a run of equal times forward, past the run', () => {
    // Prepare: planned sizes 3 / 2 / 1; the train cut falls among the three 2s, the validation cut among the 3s
    const table = tableOf([3, 2, 1, 2, 2, 3]);
    const ties = tableOf([1, 2, 2, 2, 3, 3]);

    // Act
    const split = splitRows(ties, { ratios: ratiosOf(0.5, 1 / 3, 1 / 6), timeColumn: 'at' });
    const shuffled = splitRows(table, { ratios: ratiosOf(0.5, 0.5, 0), timeColumn: 'at' });

    // Assess
    expect([...split.train]).toEqual([0, 1, 2, 3]);
    expect([...split.validation]).toEqual([4, 5]);
    expect([...split.test]).toEqual([]);
    // Rows with equal times keep table order (stable); indexes come in time order.
    expect([...shuffled.train]).toEqual([2, 1, 3, 4]);
    expect([...shuffled.validation]).toEqual([0, 5]);
  });

  it('puts every row in train when all rows share one time', () => {
    // Act
    const split = splitRows(tableOf([5, 5, 5, 5]), { ratios: ratiosOf(0.5, 0.25, 0.25), timeColumn: 'at' });

    // Assess
    expect([...split.train]).toEqual([0, 1, 2, 3]);
    expect(split.validation.length + split.test.length).toBe(0);
  });

  it('rejects a row without a time, and a time column that is missing or not numeric', () => {
    // Prepare
    const r = ratiosOf(0.5, 0.5, 0);
    const strings = batchFromRows({ columns: [{ name: 'at', type: 'string', nullable: false }] }, [
      { at: 'x' },
    ]);

    // Act / Assess
    expect(() => splitRows(tableOf([1, null, 3]), { ratios: r, timeColumn: 'at' })).toThrow(
      InvalidInputError,
    );
    expect(() => splitRows(tableOf([1, Number.NaN]), { ratios: r, timeColumn: 'at' })).toThrow(
      InvalidInputError,
    );
    expect(() => splitRows(tableOf([1, 2]), { ratios: r, timeColumn: 'when' })).toThrow(InvalidInputError);
    expect(() => splitRows(strings, { ratios: r, timeColumn: 'at' })).toThrow(InvalidInputError);
  });
});

describe('taking rows', () => {
  it('returns the rows at the indexes, in the given order', () => {
    // Prepare
    const table = tableOf([10, 20, 30, null]);

    // Act
    const taken = takeRows(table, Int32Array.from([3, 0, 2, 0]));

    // Assess
    expect(taken.numRows).toBe(4);
    expect(taken.schema).toEqual(table.schema);
    expect(taken.columns).toEqual([
      [3, 0, 2, 0],
      [null, 10, 30, 10],
    ]);
  });

  it('rejects an index outside the table', () => {
    // Act / Assess
    expect(() => takeRows(tableOf([1, 2]), Int32Array.from([2]))).toThrow(InvalidInputError);
    expect(() => takeRows(tableOf([1, 2]), Int32Array.from([-1]))).toThrow(InvalidInputError);
  });
});
