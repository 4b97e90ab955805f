import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellValue, RecordBatch, TableSchema } from '../../../shared/domain/table.js';
import { batchFromRows } from '../../../shared/domain/table.js';
import {
  createValidator,
  type Severity,
  type ValidationSuiteInput,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { InternalError } from '../../../shared/errors.js';
import { columnBatch, NOW, schemaOf, validate } from './helpers.js';

/** A suite with one failing check of each given severity and one passing check. */
function suiteFailing(severities: Severity[]): ValidationSuiteInput {
  return {
    checks: [
      { type: 'range', column: 'x', min: 0, severity: 'ERROR' },
      ...severities.map((severity) => ({ type: 'range' as const, column: 'x', max: 0, severity })),
    ],
  };
}

describe('report status', () => {
  const batch = columnBatch('x', 'int', [1, 2]);

  it.each([
    { failing: [], status: 'PASSED' },
    { failing: ['INFO'], status: 'PASSED' },
    { failing: ['WARNING'], status: 'WARNING' },
    { failing: ['WARNING', 'INFO'], status: 'WARNING' },
    { failing: ['ERROR'], status: 'FAILED' },
    { failing: ['ERROR', 'WARNING', 'INFO'], status: 'FAILED' },
  ] as { failing: Severity[]; status: string }[])(
    'is $status when checks of severity $failing fail',
    ({ failing, status }) => {
      // Act
      const report = validate(suiteFailing(failing), batch.schema, [batch]);

      // Assess
      expect(report.status).toBe(status);
    },
  );

  it('counts failed checks by severity in the summary', () => {
    // Act
    const report = validate(suiteFailing(['ERROR', 'WARNING', 'WARNING', 'INFO']), batch.schema, [batch]);

    // Assess
    expect(report.summary).toEqual({ errors: 1, warnings: 2, infos: 1, passed: 1, failed: 4 });
  });

  it('records INFO checks that pass as results', () => {
    // Act
    const report = validate(
      { checks: [{ type: 'range', column: 'x', min: 0, severity: 'INFO' }] },
      batch.schema,
      [batch],
    );

    // Assess
    expect(report.status).toBe('PASSED');
    expect(report.checks).toEqual([
      {
        name: 'range(x)',
        type: 'range',
        severity: 'INFO',
        column: 'x',
        passed: true,
        failedRows: 0,
        failedFraction: 0,
        samples: [],
        observed: { min: 1, max: 2 },
        message: 'column "x": 0 of 2 rows (0%) outside [0, ∞)',
      },
    ]);
  });

  it('passes an empty suite', () => {
    expect(validate({ checks: [] }, batch.schema, [batch])).toEqual({
      status: 'PASSED',
      rowCount: 2,
      checks: [],
      summary: { errors: 0, warnings: 0, infos: 0, passed: 0, failed: 0 },
    });
  });
});

describe('validator', () => {
  it('keeps as many samples as asked for', () => {
    // Prepare
    const batch = columnBatch('x', 'int', [1, 2, 3, 4]);
    const suite: ValidationSuiteInput = { checks: [{ type: 'range', column: 'x', max: 0 }] };

    // Act
    const two = validate(suite, batch.schema, [batch], { sampleLimit: 2 });
    const none = validate(suite, batch.schema, [batch], { sampleLimit: 0 });

    // Assess
    expect(two.checks[0]?.samples).toEqual([1, 2]);
    expect(none.checks[0]).toMatchObject({ samples: [], failedRows: 4 });
    expect(none.checks[0]?.message).toBe('column "x": 4 of 4 rows (100%) outside (-∞, 0]');
  });

  it('keeps samples of long strings short', () => {
    // Act
    const report = validate(
      { checks: [{ type: 'allowed_values', column: 's', values: ['ok'] }] },
      schemaOf({ s: 'string' }),
      [columnBatch('s', 'string', ['x'.repeat(1000)])],
    );

    // Assess
    expect(report.checks[0]?.samples).toEqual([`${'x'.repeat(200)}…`]);
    expect(report.checks[0]?.message).toBe(
      `column "s": 1 of 1 rows (100%) not in ("ok"), e.g. "${'x'.repeat(40)}…"`,
    );
  });

  it('refuses a sample limit that is not a non-negative integer', () => {
    expect(() => createValidator({ checks: [] }, schemaOf({}), { now: NOW, sampleLimit: -1 })).toThrow(
      RangeError,
    );
  });

  it('refuses a batch of another shape than the schema it was created with', () => {
    // Prepare
    const validator = createValidator({ checks: [] }, schemaOf({ a: 'int', b: 'int' }), { now: NOW });

    // Act + Assess
    expect(() => validator.add(columnBatch('a', 'int', [1]))).toThrow(InternalError);
    expect(() =>
      validator.add({ schema: schemaOf({ a: 'int', b: 'int' }), numRows: 2, columns: [[1, 2], [1]] }),
    ).toThrow(InternalError);
  });

  it('gives the same report when asked twice', () => {
    // Prepare
    const batch = columnBatch('x', 'int', [1, 1, 2]);
    const validator = createValidator(
      validationSuiteSchema.parse({ checks: [{ type: 'uniqueness', columns: ['x'] }] }),
      batch.schema,
      { now: NOW },
    );
    validator.add(batch);

    // Act
    const first = validator.report();
    const second = validator.report();

    // Assess
    expect(second).toEqual(first);
  });
});

describe('batch-splitting invariance', () => {
  const schema: TableSchema = schemaOf({
    id: 'int?',
    x: 'float?',
    s: 'string?',
    t: 'timestamp?',
    b: 'bool?',
  });

  const suite = validationSuiteSchema.parse({
    checks: [
      { type: 'schema', columns: [{ name: 'id', type: 'int' }], allowExtraColumns: true },
      { type: 'required_columns', columns: ['id', 'x'] },
      { type: 'completeness', column: 'x', maxNullFraction: 0.2, severity: 'WARNING' },
      { type: 'uniqueness', columns: ['id'] },
      { type: 'uniqueness', columns: ['s', 'b'], severity: 'INFO' },
      { type: 'range', column: 'x', min: -10, max: 10, inclusive: false },
      { type: 'range', column: 't', min: '2026-01-01' },
      { type: 'allowed_values', column: 's', values: ['a', 'b', 'c'] },
      { type: 'freshness', column: 't', maxAgeSeconds: 86_400 },
      { type: 'distribution', column: 'x', mean: { min: -1, max: 1 }, std: { max: 5 } },
    ],
  });

  const cell = <T extends CellValue>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 5 });
  const row = fc.record({
    id: cell(fc.integer({ min: 0, max: 40 })),
    x: cell(
      fc.oneof(fc.double({ min: -20, max: 20 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)),
    ),
    s: cell(fc.constantFrom('a', 'b', 'c', 'd', '')),
    t: cell(fc.integer({ min: NOW.getTime() - 400 * 86_400_000, max: NOW.getTime() })),
    b: cell(fc.boolean()),
  });

  /** Cuts the rows at the given (sorted, deduplicated) positions. */
  function split(rows: Record<string, CellValue>[], cuts: number[]): RecordBatch[] {
    const points = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
    const batches: RecordBatch[] = [];
    let start = 0;
    for (const point of [...points, rows.length]) {
      batches.push(batchFromRows(schema, rows.slice(start, point)));
      start = point;
    }
    return batches;
  }

  it('gives the same report whatever the batch sizes', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 120 }), fc.array(fc.nat(), { maxLength: 10 }), (rows, cuts) => {
        // Prepare
        const whole = createValidator(suite, schema, { now: NOW });
        const pieces = createValidator(suite, schema, { now: NOW });

        // Act
        whole.add(batchFromRows(schema, rows));
        for (const batch of split(rows, cuts)) pieces.add(batch);

        // Assess
        expect(pieces.report()).toEqual(whole.report());
      }),
      { numRuns: 200 },
    );
  });
});
