import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellValue, RecordBatch, TableSchema } from '../../../shared/domain/table.js';
import {
  chunkRowOf,
  createValidator,
  decodeValidationPartial,
  encodeValidationPartial,
  mergeValidation,
  type ValidationPartial,
  type ValidationReport,
  type ValidationSuite,
  type ValidationSuiteInput,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { NOW, schemaOf } from './helpers.js';

const SCHEMA = schemaOf({
  id: 'int?',
  name: 'string?',
  cat: 'string?',
  score: 'float?',
  ts: 'timestamp?',
});

const SUITE: ValidationSuiteInput = {
  checks: [
    { type: 'schema', columns: SCHEMA.columns.map((c) => ({ name: c.name, type: c.type })) },
    { type: 'required_columns', columns: ['id', 'missing'] },
    { type: 'completeness', column: 'name', maxNullFraction: 0.2 },
    { type: 'uniqueness', columns: ['id'] },
    { type: 'uniqueness', columns: ['name', 'cat'], mostly: 0.5 },
    { type: 'range', column: 'score', min: 0, max: 50, severity: 'WARNING' },
    { type: 'range', column: 'ts', min: '2026-01-01T00:00:00Z' },
    { type: 'allowed_values', column: 'cat', values: ['a', 'b'] },
    { type: 'freshness', column: 'ts', maxAgeSeconds: 86_400 * 30 },
    {
      type: 'distribution',
      column: 'score',
      mean: { min: 10, max: 40 },
      std: { min: 1, max: 30 },
      median: { min: 0, max: 60 },
    },
    { type: 'row_count', min: 10 },
    { type: 'pattern', column: 'name', regex: '^n[0-4]$' },
    { type: 'column_type', column: 'score', types: ['float'] },
  ],
};

/** The distribution check's bounds in SUITE. */
const DISTRIBUTION_BOUNDS = { mean: [10, 40], std: [1, 30] };

const cell = <T>(values: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: values });

const rowArb = fc.record({
  id: cell(fc.integer({ min: 0, max: 40 })),
  name: cell(fc.integer({ min: 0, max: 9 }).map((i) => `n${i}`)),
  cat: cell(fc.constantFrom('a', 'b', 'c', 'dd')),
  score: cell(
    fc.oneof(
      // Squares of magnitudes below 1e-150 are subnormal: std keeps no relative accuracy in any order of sums.
      {
        weight: 12,
        arbitrary: fc.double({ min: -10, max: 80, noNaN: true }).map((x) => (Math.abs(x) < 1e-150 ? 0 : x)),
      },
      { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0) },
    ),
  ),
  ts: cell(fc.integer({ min: 1_760_000_000_000, max: 1_780_000_000_000 })),
});

function batchesOf(schema: TableSchema, rows: CellValue[][], size: number): RecordBatch[] {
  const batches: RecordBatch[] = [];
  for (let at = 0; at < rows.length || batches.length === 0; at += size) {
    const slice = rows.slice(at, at + size);
    batches.push({
      schema,
      numRows: slice.length,
      columns: schema.columns.map((_, c) => slice.map((row) => row[c] ?? null)),
    });
    if (rows.length === 0) break;
  }
  return batches;
}

function single(suite: ValidationSuite, rows: CellValue[][], options: { mergeable?: boolean } = {}) {
  const validator = createValidator(suite, SCHEMA, { now: NOW, ...options });
  for (const batch of batchesOf(SCHEMA, rows, 7)) validator.add(batch);
  return validator.report();
}

function chunkPartial(suite: ValidationSuite, rows: CellValue[][], batchSize: number): ValidationPartial {
  const validator = createValidator(suite, SCHEMA, { now: NOW, mergeable: true });
  for (const batch of batchesOf(SCHEMA, rows, batchSize)) validator.add(batch);
  // Through bytes, as a chunk function stores its state and the merge step reads it back.
  return decodeValidationPartial(encodeValidationPartial(validator.partial()));
}

/** Merges, reading the rows the merge asks for from the file, as the merge step would from chunk data. */
function merged(suite: ValidationSuite, rows: CellValue[][], partials: ValidationPartial[]) {
  const merge = mergeValidation(suite, SCHEMA, { now: NOW }, partials);
  for (let asked = merge.pendingRows(); asked.length > 0; asked = merge.pendingRows()) {
    merge.supply(new Map(asked.map((r) => [r, rows[r] ?? []])));
  }
  return merge.report();
}

/** The report with a distribution check's mean and std (equal only up to rounding) taken out. */
function exactPart(report: ValidationReport) {
  return {
    ...report,
    checks: report.checks.map((c) =>
      c.type === 'distribution'
        ? { ...c, message: '', observed: { ...c.observed, mean: null, std: null } }
        : c,
    ),
  };
}

/**
 * Equal within 1e-12 of the larger of the two and of the data's own magnitude (`scale`): values that agree
 * in all but their last bits (-9.999999999986324 and -9.99999999998633) have a std of ~4e-15, which no
 * order of sums computes to better than ~1e-15 × their magnitude, so relative to the std alone any two
 * correct algorithms may disagree entirely.
 */
function closeTo(a: unknown, b: unknown, scale = 0): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return a === b;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b), scale, 1e-300);
}

const toRow = (r: Record<string, CellValue>): CellValue[] => SCHEMA.columns.map((c) => r[c.name] ?? null);

describe('validation merged across chunks', () => {
  const suite = validationSuiteSchema.parse(SUITE);

  it('reports what one validator over the whole file reports, for any data and any split points', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 120 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 16 }),
        (records, cuts, batchSize) => {
          // Prepare
          const rows = records.map(toRow);
          const bounds = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
          const edges = [0, ...bounds, rows.length];
          const chunks = edges.slice(1).map((end, i) => rows.slice(edges[i], end));

          const at = SCHEMA.columns.findIndex((c) => c.name === 'score');
          const scores = rows.map((r) => r[at]).filter((v): v is number => Number.isFinite(v));
          const scale = Math.max(0, ...scores.map(Math.abs));
          const dist = (r: ValidationReport) => r.checks.find((c) => c.type === 'distribution')?.observed;

          // Act
          const expected = single(suite, rows);
          const actual = merged(
            suite,
            rows,
            chunks.map((chunk) => chunkPartial(suite, chunk, batchSize)),
          );

          // Assess: a mean or std within rounding of one of the check's bounds (80 − ε among seven zeros has
          // a mean of 10 or just under it, by the order of the sums) may pass one way and fail the other.
          const { mean, std } = (dist(expected) ?? {}) as { mean?: number; std?: number };
          fc.pre(!DISTRIBUTION_BOUNDS.mean.some((b) => closeTo(mean, b, scale)));
          fc.pre(!DISTRIBUTION_BOUNDS.std.some((b) => closeTo(std, b, scale)));
          expect(exactPart(actual)).toEqual(exactPart(expected));
          for (const key of ['mean', 'std'] as const) {
            expect(closeTo(dist(actual)?.[key], dist(expected)?.[key], scale)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps the report of a validator made mergeable the same as one that is not', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 80 }), (records) => {
        // Prepare
        const rows = records.map(toRow);

        // Act
        const plain = single(suite, rows);
        const mergeable = single(suite, rows, { mergeable: true });

        // Assess
        expect(mergeable).toEqual(plain);
      }),
    );
  });

  it('asks for the row of a key repeated across chunks, and samples its value', () => {
    // Prepare: id 7 first occurs in chunk 0 and repeats in chunk 2, id 3 repeats inside chunk 1.
    const only = validationSuiteSchema.parse({ checks: [{ type: 'uniqueness', columns: ['id'] }] });
    const row = (id: number | null): CellValue[] => [id, null, null, null, null];
    const rows = [row(7), row(1), row(3), row(3), row(2), row(7)];
    const partials = [rows.slice(0, 2), rows.slice(2, 4), rows.slice(4)].map((chunk) => {
      const validator = createValidator(only, SCHEMA, { now: NOW, mergeable: true });
      for (const batch of batchesOf(SCHEMA, chunk, 10)) validator.add(batch);
      return validator.partial();
    });

    // Act
    const merge = mergeValidation(only, SCHEMA, { now: NOW }, partials);
    const asked = merge.pendingRows();
    const before = (() => {
      try {
        return merge.report();
      } catch (error) {
        return (error as Error).name;
      }
    })();
    merge.supply(new Map([[5, row(7)]]));

    // Assess
    expect(asked).toEqual([5]);
    expect(before).toBe('InternalError');
    expect(merge.pendingRows()).toEqual([]);
    const [result] = merge.report().checks;
    expect(result?.samples).toEqual([3, 7]);
    expect(result?.failedRows).toBe(2);
    expect(result?.observed).toEqual({ distinctKeys: 4, duplicatedKeys: 2, rowsWithNullKey: 0 });
  });

  it('locates a file row in its chunk, skipping empty chunks', () => {
    // Prepare
    const chunks = [{ rowCount: 3 }, { rowCount: 0 }, { rowCount: 2 }];

    // Act
    const located = [0, 2, 3, 4].map((row) => chunkRowOf(chunks, row));

    // Assess
    expect(located).toEqual([
      { chunk: 0, row: 0 },
      { chunk: 0, row: 2 },
      { chunk: 2, row: 0 },
      { chunk: 2, row: 1 },
    ]);
    expect(() => chunkRowOf(chunks, 5)).toThrow(RangeError);
  });

  it('refuses chunks validated with another suite or another schema', () => {
    // Prepare
    const other = validationSuiteSchema.parse({ checks: [{ type: 'row_count', min: 1 }] });
    const partial = chunkPartial(suite, [], 5);
    const narrower = schemaOf({ id: 'int?' });

    // Act
    const withOtherSuite = () => mergeValidation(other, SCHEMA, { now: NOW }, [partial]);
    const withOtherSchema = () => mergeValidation(suite, narrower, { now: NOW }, [partial]);

    // Assess
    expect(withOtherSuite).toThrow(/another suite/);
    expect(withOtherSchema).toThrow(/another schema/);
  });

  it('refuses a partial state from a validator not made mergeable', () => {
    // Prepare
    const validator = createValidator(suite, SCHEMA, { now: NOW });

    // Act
    const partial = () => validator.partial();

    // Assess
    expect(partial).toThrow(/mergeable/);
  });
});
