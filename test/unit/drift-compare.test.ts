import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  binCountsSorted,
  type CategoricalColumnDrift,
  compareDatasets,
  createDriftCollector,
  type DriftCollectorOptions,
  type DriftReport,
  type IdentifierOptions,
  isIdentifierName,
  ksTwoSample,
  ksTwoSampleSorted,
  mannWhitneyU,
  mannWhitneyUSorted,
  type NumericColumnDrift,
  noReferenceReport,
  severityExceeds,
  sortedCopy,
  sortFloat64,
} from '../../shared/domain/drift/index.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { normal, random } from '../support/random.js';

const schema: TableSchema = {
  columns: [
    { name: 'amount', type: 'float', nullable: true },
    { name: 'age', type: 'int', nullable: false },
    { name: 'country', type: 'string', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: false },
  ],
};

interface Shape {
  rows: number;
  seed: number;
  meanShift?: number;
  countries?: readonly string[];
}

function makeRows({ rows, seed, meanShift = 0, countries = ['DE', 'FR', 'US'] }: Shape) {
  const z = normal(seed);
  const u = random(seed + 1);
  return Array.from({ length: rows }, (_, i) => ({
    amount: 100 + 15 * (z() + meanShift),
    age: Math.round(40 + 10 * z()),
    country: countries[Math.floor(u() * countries.length)] ?? null,
    ts: 1_700_000_000_000 + i * 1000,
  }));
}

function collect(
  rows: Record<string, CellValue>[],
  options: DriftCollectorOptions = {},
  tableSchema = schema,
  batchSize = 1000,
) {
  const collector = createDriftCollector(tableSchema, options);
  for (let i = 0; i < rows.length; i += batchSize) {
    collector.add(batchFromRows(tableSchema, rows.slice(i, i + batchSize)));
  }
  return collector.result();
}

function compare(
  ref: Record<string, CellValue>[],
  cur: Record<string, CellValue>[],
  options: DriftCollectorOptions & IdentifierOptions = {},
  tableSchema = schema,
): DriftReport {
  return compareDatasets(collect(ref, options, tableSchema), collect(cur, options, tableSchema), {
    ...options,
    reference: { version: 1, pinned: false },
  });
}

const column = <T>(report: DriftReport, name: string) => report.columns.find((c) => c.column === name) as T;

describe('compareDatasets', () => {
  it('rates a one-sigma shift of a normal column HIGH or worse and recommends retraining', () => {
    // Prepare
    const reference = makeRows({ rows: 5000, seed: 1 });
    const current = makeRows({ rows: 5000, seed: 2, meanShift: 1 });

    // Act
    const report = compare(reference, current);

    // Assess
    const amount = column<NumericColumnDrift>(report, 'amount');
    expect(['HIGH', 'CRITICAL']).toContain(amount.severity);
    expect(amount.meanShiftSd).toBeGreaterThan(0.9);
    expect(amount.ks.pValue).toBeLessThan(1e-10);
    expect(['HIGH', 'CRITICAL']).toContain(report.severity);
    expect(report.columns[0]?.column).toBe('amount');
    expect(report.driftTypes.map((h) => h.type)).toContain('covariate_shift');
    expect(report.recommendations.map((r) => r.code)).toContain('RETRAIN');
  });

  it('rates two samples of one distribution NONE or LOW', () => {
    // Prepare
    const reference = makeRows({ rows: 5000, seed: 3 });
    const current = makeRows({ rows: 5000, seed: 4 });

    // Act
    const report = compare(reference, current);

    // Assess
    expect(['NONE', 'LOW']).toContain(report.severity);
    for (const c of report.columns) expect(['NONE', 'LOW']).toContain(c.severity);
    expect(report.driftTypes).toEqual([]);
  });

  it('flags a category the reference never had', () => {
    // Prepare
    const reference = makeRows({ rows: 3000, seed: 5 });
    const current = makeRows({ rows: 3000, seed: 6, countries: ['DE', 'FR', 'US', 'BR'] });

    // Act
    const report = compare(reference, current);

    // Assess
    const country = column<CategoricalColumnDrift>(report, 'country');
    expect(country.newCategories).toEqual(['BR']);
    expect(country.newCategoryFraction).toBeCloseTo(0.25, 1);
    expect(severityExceeds(country.severity, 'MODERATE')).toBe(true);
    expect(country.chiSquare.dof).toBe(3);
    expect(report.recommendations.find((r) => r.code === 'UPDATE_ENCODERS')?.columns).toEqual(['country']);
  });

  it('flags even a handful of rows with a new category at least LOW', () => {
    // Prepare
    const reference = makeRows({ rows: 4000, seed: 7 });
    const current = makeRows({ rows: 4000, seed: 8 });
    (current[17] as { country: string }).country = 'XX';

    // Act
    const report = compare(reference, current);

    // Assess
    const country = column<CategoricalColumnDrift>(report, 'country');
    expect(country.newCategories).toEqual(['XX']);
    expect(country.severity).not.toBe('NONE');
  });

  it('skips the time column and reports added and removed columns as a schema change', () => {
    // Prepare
    const reference = makeRows({ rows: 500, seed: 9 });
    const currentSchema: TableSchema = {
      columns: [
        ...schema.columns.filter((c) => c.name !== 'age'),
        { name: 'channel', type: 'string', nullable: true },
      ],
    };
    const current = makeRows({ rows: 500, seed: 10 }).map(({ age: _age, ...r }) => ({
      ...r,
      channel: 'web',
    }));
    const collectorOptions = {};

    // Act
    const report = compareDatasets(
      collect(reference, collectorOptions),
      collect(current, collectorOptions, currentSchema),
      { reference: { version: 3, pinned: true } },
    );

    // Assess
    expect(column<{ kind: string; role: string }>(report, 'ts')).toMatchObject({
      kind: 'skipped',
      role: 'time',
    });
    expect(column<{ kind: string; type: string }>(report, 'age')).toMatchObject({
      kind: 'skipped',
      type: 'absent',
    });
    expect(column<{ kind: string; reason: string }>(report, 'channel').reason).toMatch(/new column/);
    expect(report.driftTypes.find((h) => h.type === 'schema_change')?.columns.sort()).toEqual([
      'age',
      'channel',
    ]);
    expect(report.reference).toEqual({ version: 3, pinned: true, rows: 500 });
  });

  it('calls a moved label column prior shift, not covariate shift', () => {
    // Prepare
    const labelled: TableSchema = {
      columns: [
        { name: 'x', type: 'float', nullable: false },
        { name: 'label', type: 'string', nullable: false },
      ],
    };
    const u = random(11);
    const rows = (positive: number) =>
      Array.from({ length: 4000 }, () => ({ x: u(), label: u() < positive ? 'fraud' : 'ok' }));

    // Act
    const report = compare(rows(0.05), rows(0.3), { labelColumn: 'label' }, labelled);

    // Assess
    expect(report.driftTypes.map((h) => h.type)).toEqual(['prior_shift']);
    expect(column<CategoricalColumnDrift>(report, 'label').role).toBe('label');
    expect(report.recommendations.map((r) => r.code)).toContain('RECALIBRATE');
  });

  it('calls a prediction/label pair that got worse concept drift, at least HIGH', () => {
    // Prepare: identical marginals, but the predictions stop matching the labels.
    const labelled: TableSchema = {
      columns: [
        { name: 'label', type: 'int', nullable: false },
        { name: 'prediction', type: 'int', nullable: false },
      ],
    };
    const u = random(12);
    const rows = (accuracy: number) =>
      Array.from({ length: 4000 }, () => {
        const label = u() < 0.5 ? 1 : 0;
        return { label, prediction: u() < accuracy ? label : 1 - label };
      });
    const roles = { labelColumn: 'label', predictionColumn: 'prediction' };

    // Act
    const report = compare(rows(0.95), rows(0.7), roles, labelled);

    // Assess
    expect(report.performance).toMatchObject({ metric: 'accuracy', degraded: true });
    expect(report.performance?.reference).toBeCloseTo(0.95, 1);
    expect(report.performance?.current).toBeCloseTo(0.7, 1);
    expect(report.driftTypes.map((h) => h.type)).toContain('concept_drift');
    expect(severityExceeds(report.severity, 'MODERATE')).toBe(true);
    expect(report.recommendations[0]?.code).toBe('RETRAIN');
  });

  it('uses MAE for a float label and does not flag an unchanged model', () => {
    // Prepare
    const labelled: TableSchema = {
      columns: [
        { name: 'y', type: 'float', nullable: false },
        { name: 'y_hat', type: 'float', nullable: false },
      ],
    };
    const rows = (seed: number) => {
      const z = normal(seed);
      return Array.from({ length: 3000 }, () => {
        const y = 10 + z();
        return { y, y_hat: y + 0.1 * z() };
      });
    };

    // Act
    const report = compare(rows(13), rows(14), { labelColumn: 'y', predictionColumn: 'y_hat' }, labelled);

    // Assess
    expect(report.performance?.metric).toBe('mae');
    expect(report.performance?.degraded).toBe(false);
    expect(report.driftTypes).toEqual([]);
  });

  it('samples beyond maxValues yet still sees a shift, and says it sampled', () => {
    // Prepare
    const reference = makeRows({ rows: 6000, seed: 15 });
    const current = makeRows({ rows: 6000, seed: 16, meanShift: 1 });

    // Act
    const report = compare(reference, current, { maxValues: 1000 });

    // Assess
    const amount = column<NumericColumnDrift>(report, 'amount');
    expect(amount.sampled).toBe(true);
    expect(amount.ks.statistic).toBeGreaterThan(0.3);
    // Moments come from every value, not the sample.
    expect(amount.reference.mean).toBeCloseTo(
      reference.reduce((s, r) => s + r.amount, 0) / reference.length,
      9,
    );
  });

  it('gives the same report however the rows are batched', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), (b1, b2) => {
        // Prepare
        const reference = makeRows({ rows: 800, seed: 17 });
        const current = makeRows({ rows: 800, seed: 18, meanShift: 0.3 });
        const run = (size: number) =>
          compareDatasets(collect(reference, {}, schema, size), collect(current, {}, schema, size), {
            reference: { version: 1, pinned: false },
          });

        // Act + Assess
        expect(run(b1)).toEqual(run(b2));
      }),
      { numRuns: 15 },
    );
  });

  it('makes a no-reference report that holds nothing', () => {
    // Act
    const report = noReferenceReport(42);

    // Assess
    expect(report).toMatchObject({
      status: 'NO_REFERENCE',
      severity: 'NONE',
      reference: null,
      current: { rows: 42 },
    });
  });
});

describe('Mann–Whitney in a comparison', () => {
  interface VectorCase {
    name: string;
    kind: string;
    a: number[];
    b: number[];
    mannWhitney: { statistic: number; pValue: number };
  }
  const vectors = JSON.parse(
    readFileSync(new URL('../drift-vectors/vectors.json', import.meta.url), 'utf8'),
  ) as { cases: VectorCase[] };
  const one: TableSchema = { columns: [{ name: 'x', type: 'float', nullable: false }] };

  it.each(vectors.cases.filter((c) => c.kind === 'numeric').map((c) => [c.name, c] as const))(
    "reports the current sample's U, as SciPy's mannwhitneyu(current, reference), for %s",
    (_, c) => {
      // Prepare: the vectors hold mannwhitneyu(a, b), U of a; here a is the reference and b the current
      // file, and U(b) = n_a·n_b − U(a), so SciPy's mannwhitneyu(b, a).statistic is that complement.
      const reference = collect(
        c.a.map((x) => ({ x })),
        {},
        one,
      );
      const current = collect(
        c.b.map((x) => ({ x })),
        {},
        one,
      );

      // Act
      const report = compareDatasets(reference, current, { reference: { version: 1, pinned: false } });

      // Assess: the p-value is symmetric, the statistic is the current sample's and says so.
      const x = column<NumericColumnDrift>(report, 'x');
      expect(x.mannWhitney.uOf).toBe('current');
      expect(x.mannWhitney.statistic).toBeCloseTo(c.a.length * c.b.length - c.mannWhitney.statistic, 6);
      expect(x.mannWhitney.pValue).toBeCloseTo(c.mannWhitney.pValue, 12);
    },
  );
});

describe('identifier columns', () => {
  const orders: TableSchema = {
    columns: [
      { name: 'id', type: 'int', nullable: false },
      { name: 'order_id', type: 'string', nullable: false },
      { name: 'customerId', type: 'int', nullable: true },
      { name: 'store_id', type: 'int', nullable: false },
      { name: 'price', type: 'float', nullable: false },
      { name: 'amount', type: 'float', nullable: false },
    ],
  };

  /**
   * One batch of orders: `id` auto-increments from `firstId`, `order_id` is a unique code in no order,
   * `customerId` is a unique number in no order (with a gap), `store_id` repeats (a foreign key), `price`
   * is unique but the file is sorted by it, `amount` is an ordinary feature.
   */
  function orderRows(rows: number, firstId: number, seed: number) {
    const z = normal(seed);
    const u = random(seed + 1);
    const codes = Array.from({ length: rows }, (_, i) => `o-${(firstId + i) * 7919}`);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [codes[i], codes[j]] = [codes[j] as string, codes[i] as string];
    }
    const prices = Array.from({ length: rows }, (_, i) => 10 + i * 0.01 + u() * 0.001).sort((a, b) => a - b);
    return Array.from({ length: rows }, (_, i) => ({
      id: firstId + i,
      order_id: codes[i] ?? null,
      customerId: i === 3 ? null : ((firstId + i) * 104_729) % 1_000_003,
      store_id: 1 + Math.floor(u() * 5),
      price: prices[i] ?? 0,
      amount: 50 + 10 * z(),
    }));
  }

  it('excludes an auto-increment id from drift and says why, instead of calling every batch CRITICAL', () => {
    // Prepare: the second batch continues the ids of the first; nothing else moves.
    const reference = orderRows(2000, 1, 31);
    const current = orderRows(2000, 2001, 32);

    // Act
    const report = compare(reference, current, {}, orders);

    // Assess
    expect(report.columns.map((c) => c.column)).not.toContain('id');
    expect(report.excludedColumns).toContainEqual(
      expect.objectContaining({ column: 'id', reason: 'identifier', source: 'inferred' }),
    );
    expect(['NONE', 'LOW']).toContain(report.severity);
    expect(report.recommendations.map((r) => r.code)).not.toContain('RETRAIN');
  });

  it('infers unordered unique columns named like identifiers, and only those', () => {
    // Prepare
    const reference = orderRows(1500, 1, 33);
    const current = orderRows(1500, 1501, 34);

    // Act
    const report = compare(reference, current, {}, orders);

    // Assess: unique + named (order_id, customerId despite a null) is an identifier; a repeated
    // store_id is a foreign key with a real distribution, and a unique measurement the file happens to
    // be sorted by (price, a float) is compared too.
    expect(report.excludedColumns.map((c) => c.column).sort()).toEqual(['customerId', 'id', 'order_id']);
    expect(column<{ kind: string }>(report, 'store_id').kind).toBe('numeric');
    expect(column<{ kind: string }>(report, 'price').kind).toBe('numeric');
    expect(column<{ kind: string }>(report, 'amount').kind).toBe('numeric');
  });

  it('infers an identifier from order alone only when it is unique, ordered and long enough on both sides', () => {
    // Prepare: `seq` counts up in both files; `rank` counts up in the reference only; `tiny` has too
    // few rows for its order to mean anything.
    const seqSchema: TableSchema = {
      columns: [
        { name: 'seq', type: 'int', nullable: false },
        { name: 'rank', type: 'int', nullable: false },
      ],
    };
    const u = random(35);
    const ref = Array.from({ length: 300 }, (_, i) => ({ seq: 10 * i, rank: i }));
    const cur = Array.from({ length: 300 }, (_, i) => ({ seq: 5000 + 10 * i, rank: Math.floor(u() * 300) }));
    const tinyRef = Array.from({ length: 5 }, (_, i) => ({ seq: i, rank: i }));
    const tinyCur = Array.from({ length: 5 }, (_, i) => ({ seq: 100 + i, rank: 100 + i }));

    // Act
    const report = compare(ref, cur, {}, seqSchema);
    const tiny = compare(tinyRef, tinyCur, {}, seqSchema);

    // Assess
    expect(report.excludedColumns).toEqual([
      {
        column: 'seq',
        type: 'int',
        reason: 'identifier',
        source: 'inferred',
        detail: 'every value unique and increasing in file order on both sides',
      },
    ]);
    expect(column<{ kind: string }>(report, 'rank').kind).toBe('numeric');
    expect(tiny.excludedColumns).toEqual([]);
  });

  it('lets the settings name identifiers and switch inference off', () => {
    // Prepare
    const reference = orderRows(1000, 1, 36);
    const current = orderRows(1000, 1001, 37);

    // Act: store_id forced out, inference off so id is compared like any column.
    const report = compare(
      reference,
      current,
      { identifierColumns: ['store_id', 'not_in_the_file'], inferIdentifiers: false },
      orders,
    );

    // Assess
    expect(report.excludedColumns).toEqual([
      {
        column: 'store_id',
        type: 'int',
        reason: 'identifier',
        source: 'settings',
        detail: 'named in the drift settings (identifier_columns)',
      },
    ]);
    expect(column<NumericColumnDrift>(report, 'id').severity).toBe('CRITICAL');
  });

  it('never infers a label or prediction column to be an identifier', () => {
    // Prepare: a unique, increasing label named like an id.
    const labelled: TableSchema = { columns: [{ name: 'target_id', type: 'int', nullable: false }] };
    const rows = (from: number) => Array.from({ length: 100 }, (_, i) => ({ target_id: from + i }));

    // Act
    const report = compare(rows(0), rows(100), { labelColumn: 'target_id' }, labelled);

    // Assess
    expect(report.excludedColumns).toEqual([]);
    expect(column<{ role: string }>(report, 'target_id').role).toBe('label');
  });

  it('recognises identifier names, not words that merely end in "id" or "key"', () => {
    // Act & Assess: each line is one column name
    for (const name of ['id', 'ID', 'uuid', 'GUID', 'key', 'pk', 'user_id', 'order-id', 'customerId']) {
      expect(isIdentifierName(name), name).toBe(true);
    }
    for (const name of ['customerID', 'row key', 'primaryKey', 'id_customer', 'event_uuid']) {
      expect(isIdentifierName(name), name).toBe(true);
    }
    for (const name of [
      'paid',
      'valid',
      'humid',
      'fluid',
      'android',
      'monkey',
      'turkey',
      'idle',
      'identity',
    ]) {
      expect(isIdentifierName(name), name).toBe(false);
    }
  });

  it('makes a no-reference report that excludes nothing', () => {
    expect(noReferenceReport(10).excludedColumns).toEqual([]);
  });
});

describe('sorted fast paths', () => {
  const sample = fc.array(
    fc.integer({ min: -20, max: 20 }).map((v) => v / 4),
    { minLength: 1, maxLength: 120 },
  );

  it('KS over sorted arrays equals the array version', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(ksTwoSampleSorted(sortedCopy(a), sortedCopy(b))).toEqual(ksTwoSample(a, b));
      }),
    );
  });

  it('Mann–Whitney by merge walk equals ranking the pooled sample', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        // Naive: pool, sort, average ranks of ties, sum the first sample's ranks.
        const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort(
          (p, q) => p.v - q.v,
        );
        let r1 = 0;
        for (let i = 0; i < pooled.length; ) {
          let k = i;
          while (k < pooled.length && pooled[k]?.v === pooled[i]?.v) k++;
          for (let q = i; q < k; q++) if (pooled[q]?.first) r1 += (i + 1 + k) / 2;
          i = k;
        }
        const u1 = r1 - (a.length * (a.length + 1)) / 2;
        const result = mannWhitneyUSorted(sortedCopy(a), sortedCopy(b));
        expect(result.statistic).toBeCloseTo(u1, 9);
        expect(result).toEqual(mannWhitneyU(a, b));
      }),
    );
  });

  it('bin counts by one walk equal counts by binary search', () => {
    fc.assert(
      fc.property(
        sample,
        fc.array(
          fc.integer({ min: -20, max: 20 }).map((v) => v / 4),
          { maxLength: 9 },
        ),
        (values, raw) => {
          const edges = [...new Set(raw)].sort((x, y) => x - y);
          expect(binCountsSorted(sortedCopy(values), edges)).toEqual(binCounts(values, edges));
        },
      ),
    );
  });
});

describe('sortFloat64', () => {
  it('sorts exactly like the built-in typed-array sort, signed zeros and extremes included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { minLength: 4096, maxLength: 6000 }),
        fc.array(fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Infinity, -Infinity, 1, -1)),
        (values, specials) => {
          // Prepare
          const input = Float64Array.from([...values, ...specials]);
          const expected = input.slice().sort();

          // Act
          const actual = sortFloat64(input.slice());

          // Assess: bit for bit, so -0 and +0 sit where the built-in sort puts them.
          expect(new Uint32Array(actual.buffer)).toEqual(new Uint32Array(expected.buffer));
        },
      ),
      { numRuns: 30 },
    );
  });
});
