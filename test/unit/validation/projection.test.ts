import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellValue, RecordBatch, TableSchema } from '../../../shared/domain/table.js';
import {
  createValidator,
  suiteFromSchema,
  type ValidationSuite,
  type ValidationSuiteInput,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { NOW, schemaOf } from './helpers.js';

// `key` is not nullable: a staged file's REQUIRED column, which holds no null.
const SCHEMA = schemaOf({ key: 'int', name: 'string?', cat: 'string?', score: 'float?', ts: 'timestamp?' });

const CHECKS: ValidationSuiteInput['checks'] = [
  { type: 'schema', columns: SCHEMA.columns.map((c) => ({ name: c.name, type: c.type })) },
  { type: 'required_columns', columns: ['key', 'missing'] },
  { type: 'completeness', column: 'key', maxNullFraction: 0 },
  { type: 'completeness', column: 'name', maxNullFraction: 0.2 },
  { type: 'completeness', column: 'absent', maxNullFraction: 0 },
  { type: 'uniqueness', columns: ['key'] },
  { type: 'uniqueness', columns: ['name', 'cat'], mostly: 0.5 },
  { type: 'range', column: 'score', min: 0, max: 50, severity: 'WARNING' },
  { type: 'allowed_values', column: 'cat', values: ['a', 'b'] },
  { type: 'freshness', column: 'ts', maxAgeSeconds: 86_400 * 30 },
  { type: 'distribution', column: 'score', mean: { min: 10, max: 40 } },
  { type: 'row_count', min: 10 },
  { type: 'pattern', column: 'name', regex: '^n[0-4]$' },
  { type: 'column_type', column: 'score', types: ['float'] },
];

const cell = <T>(values: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: values });

const rowArb = fc.tuple(
  fc.integer({ min: 0, max: 40 }),
  cell(fc.integer({ min: 0, max: 9 }).map((i) => `n${i}`)),
  cell(fc.constantFrom('a', 'b', 'c')),
  cell(fc.double({ min: -10, max: 80, noNaN: true })),
  cell(fc.integer({ min: 1_760_000_000_000, max: 1_780_000_000_000 })),
);

/** The rows in batches of `size`, holding only `columns` (in that order), as a projected read gives them. */
function batchesOf(rows: CellValue[][], columns: readonly string[], size: number): RecordBatch[] {
  const at = columns.map((n) => SCHEMA.columns.findIndex((c) => c.name === n));
  const schema: TableSchema = { columns: SCHEMA.columns.filter((_, i) => at.includes(i)) };
  const batches: RecordBatch[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const slice = rows.slice(start, start + size);
    batches.push({
      schema,
      numRows: slice.length,
      columns: at.map((c) => slice.map((row) => row[c] ?? null)),
    });
  }
  return batches;
}

function report(suite: ValidationSuite, rows: CellValue[][], projected: boolean) {
  const validator = createValidator(suite, SCHEMA, { now: NOW, projected });
  for (const batch of batchesOf(rows, validator.columns, 6)) validator.add(batch);
  return { columns: validator.columns, report: validator.report() };
}

describe('a validator that reads only the columns its checks read', () => {
  it('reports what a validator over every column reports, for any suite and data', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 80 }),
        fc.subarray(CHECKS, { minLength: 1 }),
        (rows, checks) => {
          // Prepare
          const suite = validationSuiteSchema.parse({ checks });

          // Act
          const whole = report(suite, rows, false);
          const projected = report(suite, rows, true);

          // Assess
          expect(projected.report).toEqual(whole.report);
          expect(whole.columns).toEqual(SCHEMA.columns.map((c) => c.name));
          expect(projected.columns.length).toBeLessThanOrEqual(SCHEMA.columns.length);
        },
      ),
    );
  });

  it('reads no column for the suite inferred from a schema without nullable columns', () => {
    // Prepare
    const schema = schemaOf({ id: 'int', label: 'string' });
    const suite = suiteFromSchema(schema);

    // Act
    const validator = createValidator(suite, schema, { now: NOW, projected: true });
    validator.add({ schema: { columns: [] }, numRows: 3, columns: [] });

    // Assess
    expect(validator.columns).toEqual([]);
    expect(validator.report()).toMatchObject({ status: 'PASSED', rowCount: 3 });
  });

  it('reads the columns the checks name, in schema order', () => {
    // Act
    const validator = createValidator(validationSuiteSchema.parse({ checks: CHECKS }), SCHEMA, {
      now: NOW,
      projected: true,
    });

    // Assess: key's completeness reads nothing, its uniqueness does.
    expect(validator.columns).toEqual(['key', 'name', 'cat', 'score', 'ts']);
    expect(
      createValidator(validationSuiteSchema.parse({ checks: [CHECKS[2] as never] }), SCHEMA, {
        now: NOW,
        projected: true,
      }).columns,
    ).toEqual([]);
  });
});
