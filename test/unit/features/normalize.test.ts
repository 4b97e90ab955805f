import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyNormalization,
  fitNormalization,
  inverseNormalization,
  type NormalizationMethod,
  type NormalizationParams,
  normalizationParamsSchema,
} from '../../../shared/domain/features/normalize.js';
import { splitRows, takeRows } from '../../../shared/domain/features/split.js';
import {
  batchFromRows,
  type CellValue,
  type RecordBatch,
  type TableSchema,
} from '../../../shared/domain/table.js';
import { InvalidInputError } from '../../../shared/errors.js';

const schema: TableSchema = {
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'x', type: 'float', nullable: true },
  ],
};

/** A table with a string id column and one float column `x` holding `values`. */
function tableOf(values: readonly (number | null)[]): RecordBatch {
  return batchFromRows(
    schema,
    values.map((x, i) => ({ id: `r${i}`, x })),
  );
}

const xOf = (batch: RecordBatch): CellValue[] => batch.columns[1] ?? [];

/**
 * Finite values of realistic magnitude, with some nulls: what a feature column holds. Subnormals are left
 * out: a spread of 5e-324 turns (x − center) / spread into Infinity, which the normalizer serves as null and
 * the textbook formula as Infinity; no real feature has a spread below 1e-300.
 */
const column = (minLength = 2) =>
  fc.array(
    fc.option(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((v) => v === 0 || Math.abs(v) >= 1e-300),
      { freq: 5 },
    ),
    {
      minLength,
      maxLength: 80,
    },
  );

const method = fc.constantFrom<NormalizationMethod>('zscore', 'minmax', 'robust');

/** Textbook quantile of sorted values with linear interpolation (numpy's default). */
function naiveQuantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

/** The formulas of the issue, written out directly over the non-null values. */
function naiveNormalize(values: readonly (number | null)[], m: NormalizationMethod): (number | null)[] {
  const present = values.filter((v): v is number => v !== null);
  const n = present.length;
  let center: number;
  let scale: number;
  if (m === 'zscore') {
    center = present.reduce((s, v) => s + v, 0) / n;
    const c = center;
    scale = n > 1 ? Math.sqrt(present.reduce((s, v) => s + (v - c) ** 2, 0) / (n - 1)) : 0;
  } else if (m === 'minmax') {
    center = Math.min(...present);
    scale = Math.max(...present) - center;
  } else {
    const sorted = [...present].sort((a, b) => a - b);
    center = naiveQuantile(sorted, 0.5);
    scale = naiveQuantile(sorted, 0.75) - naiveQuantile(sorted, 0.25);
  }
  return values.map((v) => (v === null ? null : scale === 0 ? 0 : (v - center) / scale));
}

function expectClose(actual: CellValue, expected: number | null, relative = 1e-12): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
    relative * Math.max(1, Math.abs(expected)),
  );
}

describe('fitting and applying a normalization', () => {
  it('matches the textbook formula of each method on random columns', () => {
    fc.assert(
      fc.property(column(), method, (values, m) => {
        fc.pre(values.filter((v) => v !== null).length >= 1);
        // Prepare
        const table = tableOf(values);
        const expected = naiveNormalize(values, m);

        // Act
        const normalized = applyNormalization(table, fitNormalization(table, { method: m }));

        // Assess
        xOf(normalized).forEach((cell, i) => {
          expectClose(cell, expected[i] ?? null);
        });
      }),
    );
  });

  it('fits the values numpy would give on a small column', () => {
    // Prepare
    const table = tableOf([7, -3, null, 2.25, 0.5]);

    // Act
    const zscore = fitNormalization(table, { method: 'zscore' }).columns.x;
    const minmax = fitNormalization(table, { method: 'minmax' }).columns.x;
    const robust = fitNormalization(table, { method: 'robust' }).columns.x;

    // Assess: by hand, as np.mean, np.std(ddof=1) and np.percentile(v, [25, 50, 75]) of [7, -3, 2.25, 0.5]
    expect(zscore).toEqual({ method: 'zscore', mean: 1.6875, std: expect.any(Number), fittedRows: 4 });
    expect(zscore?.method === 'zscore' && zscore.std).toBeCloseTo(4.160203320351863, 14);
    expect(minmax).toEqual({ method: 'minmax', min: -3, max: 7, fittedRows: 4 });
    expect(robust).toEqual({ method: 'robust', median: 1.375, q1: -0.375, q3: 3.4375, fittedRows: 4 });
  });

  it('maps every value of a zero-spread column to 0, and back to the constant', () => {
    // Prepare
    const table = tableOf([5, 5, null, 5]);
    const unseen = tableOf([5, 9, -1]);

    for (const m of ['zscore', 'minmax', 'robust'] as const) {
      // Act
      const params = fitNormalization(table, { method: m });
      const normalized = applyNormalization(unseen, params);
      const restored = inverseNormalization(normalized, params);

      // Assess
      expect(xOf(normalized)).toEqual([0, 0, 0]);
      expect(xOf(restored)).toEqual([5, 5, 5]);
    }
  });

  it('gives a one-row training column a zero standard deviation rather than NaN', () => {
    // Prepare
    const table = tableOf([3]);

    // Act
    const params = fitNormalization(table, { method: 'zscore' });

    // Assess
    expect(params.columns.x).toEqual({ method: 'zscore', mean: 3, std: 0, fittedRows: 1 });
    expect(xOf(applyNormalization(tableOf([3, 4]), params))).toEqual([0, 0]);
  });

  it('ignores nulls and NaN when fitting and passes them through as null', () => {
    // Prepare
    const table = tableOf([1, null, Number.NaN, 3, Number.POSITIVE_INFINITY]);

    // Act
    const params = fitNormalization(table, { method: 'minmax' });
    const normalized = applyNormalization(table, params);

    // Assess
    expect(params.columns.x).toEqual({ method: 'minmax', min: 1, max: 3, fittedRows: 2 });
    expect(xOf(normalized)).toEqual([0, null, null, 1, null]);
    expect(normalized.schema.columns[1]).toEqual({ name: 'x', type: 'float', nullable: true });
  });

  it('does not clip values outside the fitted range', () => {
    // Prepare
    const params = fitNormalization(tableOf([0, 10]), { method: 'minmax' });

    // Act
    const normalized = applyNormalization(tableOf([-5, 5, 20]), params);

    // Assess
    expect(xOf(normalized)).toEqual([-0.5, 0.5, 2]);
  });

  it('turns normalized int columns into float columns and leaves the other columns alone', () => {
    // Prepare
    const mixed: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'count', type: 'int', nullable: false },
        { name: 'ok', type: 'bool', nullable: false },
        { name: 'at', type: 'timestamp', nullable: false },
      ],
    };
    const table = batchFromRows(mixed, [
      { id: 1, count: 2, ok: true, at: 1000 },
      { id: 2, count: 4, ok: false, at: 2000 },
    ]);

    // Act
    const params = fitNormalization(table, { method: 'minmax', exclude: ['id'] });
    const normalized = applyNormalization(table, params);

    // Assess
    expect(Object.keys(params.columns)).toEqual(['count']);
    expect(normalized.schema.columns.map((c) => c.type)).toEqual(['int', 'float', 'bool', 'timestamp']);
    expect(normalized.columns).toEqual([
      [1, 2],
      [0, 1],
      [true, false],
      [1000, 2000],
    ]);
    expect(table.columns[1]).toEqual([2, 4]);
  });

  it('uses a per-column method over the default one, and "none" leaves a column untouched', () => {
    // Prepare
    const three: TableSchema = {
      columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'float' as const, nullable: false })),
    };
    const table = batchFromRows(three, [
      { a: 0, b: 0, c: 1 },
      { a: 2, b: 4, c: 2 },
    ]);

    // Act
    const params = fitNormalization(table, { method: 'zscore', perColumn: { b: 'minmax', c: 'none' } });
    const normalized = applyNormalization(table, params);

    // Assess
    expect(params.columns.a?.method).toBe('zscore');
    expect(params.columns.b).toEqual({ method: 'minmax', min: 0, max: 4, fittedRows: 2 });
    expect(params.columns.c).toEqual({ method: 'none', fittedRows: 2 });
    expect(normalized.columns[1]).toEqual([0, 1]);
    expect(normalized.columns[2]).toEqual([1, 2]);
  });

  it('normalizes only the listed columns, minus the excluded ones', () => {
    // Prepare
    const three: TableSchema = {
      columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'float' as const, nullable: false })),
    };
    const table = batchFromRows(three, [{ a: 1, b: 2, c: 3 }]);

    // Act
    const params = fitNormalization(table, { method: 'minmax', columns: ['c', 'a'], exclude: ['a'] });

    // Assess
    expect(Object.keys(params.columns)).toEqual(['c']);
  });

  it('rejects a spec that names a missing, non-numeric, repeated or excluded column, or an unknown method', () => {
    // Prepare
    const table = tableOf([1, 2]);
    const bad = [
      { method: 'zscore', columns: ['nope'] },
      { method: 'zscore', columns: ['id'] },
      { method: 'zscore', columns: ['x', 'x'] },
      { method: 'zscore', exclude: ['x'], perColumn: { x: 'minmax' } },
      { method: 'zscore', perColumn: { id: 'minmax' } },
      { method: 'log' },
      { method: 'zscore', perColumn: { x: 'log' } },
    ];

    for (const spec of bad) {
      // Act / Assess
      expect(() => fitNormalization(table, spec as never)).toThrow(InvalidInputError);
    }
  });

  it('rejects fitting a column that has no value in the training rows, unless its method is "none"', () => {
    // Prepare
    const table = tableOf([null, Number.NaN]);

    // Act / Assess
    expect(() => fitNormalization(table, { method: 'robust' })).toThrow(/no values/);
    expect(fitNormalization(table, { method: 'none' }).columns.x).toEqual({ method: 'none', fittedRows: 0 });
  });

  it('rejects applying params to a table that lacks one of their columns', () => {
    // Prepare
    const params = fitNormalization(tableOf([1, 2]), { method: 'zscore' });
    const other = batchFromRows({ columns: [{ name: 'y', type: 'float', nullable: false }] }, [{ y: 1 }]);

    // Act / Assess
    expect(() => applyNormalization(other, params)).toThrow(InvalidInputError);
    expect(() => inverseNormalization(other, params)).toThrow(InvalidInputError);
  });

  it('maps normalized values back to the original units', () => {
    fc.assert(
      fc.property(column(1), method, (values, m) => {
        fc.pre(values.some((v) => v !== null));
        // Prepare
        const table = tableOf(values);
        const params = fitNormalization(table, { method: m });
        const present = values.filter((v): v is number => v !== null);
        const magnitude = Math.max(...present.map(Math.abs));

        // Act
        const restored = inverseNormalization(applyNormalization(table, params), params);

        // Assess: rounding is relative to the column's magnitude, not to each value
        xOf(restored).forEach((cell, i) => {
          const original = values[i] ?? null;
          if (original === null) expect(cell).toBeNull();
          else
            expect(Math.abs((cell as number) - original)).toBeLessThanOrEqual(1e-12 * Math.max(1, magnitude));
        });
      }),
    );
  });
});

describe('persisted normalization params', () => {
  it('give identical output after a JSON round trip', () => {
    fc.assert(
      fc.property(column(), column(0), method, (train, unseen, m) => {
        fc.pre(train.some((v) => v !== null));
        // Prepare
        const params = fitNormalization(tableOf(train), { method: m });

        // Act
        const restored = normalizationParamsSchema.parse(JSON.parse(JSON.stringify(params)));

        // Assess
        expect(restored).toEqual(params);
        for (const values of [train, unseen]) {
          const table = tableOf(values);
          expect(applyNormalization(table, restored)).toStrictEqual(applyNormalization(table, params));
        }
      }),
    );
  });

  it('depend only on the training rows: changing validation or test rows never changes them', () => {
    fc.assert(
      fc.property(
        column(10),
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 80, maxLength: 80 }),
        fc.nat({ max: 1000 }),
        method,
        (values, replacements, seed, m) => {
          // Prepare
          const table = tableOf(values);
          const ratios = { train: 0.6, validation: 0.2, test: 0.2 };
          const split = splitRows(table, { ratios, seed });
          const train = takeRows(table, split.train);
          fc.pre(xOf(train).some((v) => v !== null));
          const changed = [...values];
          for (const i of [...split.validation, ...split.test]) changed[i] = replacements[i] ?? null;
          const changedTable = tableOf(changed);

          // Act
          const params = fitNormalization(train, { method: m });
          const changedSplit = splitRows(changedTable, { ratios, seed });
          const refitted = fitNormalization(takeRows(changedTable, changedSplit.train), { method: m });

          // Assess
          expect(changedSplit.train).toEqual(split.train);
          expect(refitted).toEqual(params);
        },
      ),
    );
  });

  it('are rejected when malformed', () => {
    // Prepare
    const good: NormalizationParams = {
      version: 1,
      columns: { x: { method: 'zscore', mean: 0, std: 1, fittedRows: 3 } },
    };
    const bad: unknown[] = [
      { ...good, version: 2 },
      { ...good, extra: true },
      { version: 1, columns: { x: { method: 'zscore', mean: 0, std: -1, fittedRows: 3 } } },
      { version: 1, columns: { x: { method: 'zscore', mean: 0, std: 1, fittedRows: 3, min: 0 } } },
      { version: 1, columns: { x: { method: 'zscore', mean: 0, fittedRows: 3 } } },
      { version: 1, columns: { x: { method: 'minmax', min: 2, max: 1, fittedRows: 3 } } },
      { version: 1, columns: { x: { method: 'robust', median: 0, q1: 1, q3: 2, fittedRows: 3 } } },
      { version: 1, columns: { x: { method: 'zscore', mean: 0, std: 1, fittedRows: 0 } } },
      { version: 1, columns: { x: { method: 'log', fittedRows: 3 } } },
    ];

    // Act / Assess
    expect(normalizationParamsSchema.safeParse(good).success).toBe(true);
    for (const params of bad) expect(normalizationParamsSchema.safeParse(params).success).toBe(false);
  });
});
