import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../../shared/domain/table.js';
import { MEDIAN_EXACT_LIMIT } from '../../../shared/domain/validation/checks.js';
import { validationSuiteSchema } from '../../../shared/domain/validation/index.js';
import { columnBatch, runCheck, schemaOf, validate } from './helpers.js';

describe('mostly on row-level checks', () => {
  it('passes a range check while the out-of-range share of non-null values is within 1 − mostly', () => {
    // Prepare: 1 of 10 non-null values is out of range, plus two nulls that are not judged
    const batch = columnBatch('age', 'int', [1, 2, 3, 4, 5, 6, 7, 8, 9, 500, null, null]);

    // Act
    const loose = runCheck({ type: 'range', column: 'age', min: 0, max: 120, mostly: 0.9 }, batch);
    const strict = runCheck({ type: 'range', column: 'age', min: 0, max: 120, mostly: 0.95 }, batch);

    // Assess
    expect(loose).toMatchObject({ passed: true, failedRows: 1, samples: [500] });
    expect(loose.message).toContain('at least 90% of 10 non-null values must pass');
    expect(strict).toMatchObject({ passed: false, failedRows: 1 });
  });

  it('passes an allowed-values check within its tolerance and fails beyond it', () => {
    // Prepare
    const batch = columnBatch('c', 'string', ['a', 'a', 'b', 'x']);

    // Act
    const loose = runCheck({ type: 'allowed_values', column: 'c', values: ['a', 'b'], mostly: 0.75 }, batch);
    const strict = runCheck({ type: 'allowed_values', column: 'c', values: ['a', 'b'], mostly: 0.8 }, batch);

    // Assess
    expect(loose).toMatchObject({ passed: true, failedRows: 1, samples: ['x'] });
    expect(strict.passed).toBe(false);
  });

  it('counts every row of a duplicated key, the first included, against mostly on uniqueness', () => {
    // Prepare: key 1 appears twice (2 rows share it) among 10 keyed rows; one repeat
    const batch = columnBatch('id', 'int', [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, null]);

    // Act
    const at80 = runCheck({ type: 'uniqueness', columns: ['id'], mostly: 0.8 }, batch);
    const at85 = runCheck({ type: 'uniqueness', columns: ['id'], mostly: 0.85 }, batch);

    // Assess
    expect(at80).toMatchObject({ passed: true, failedRows: 1 });
    expect(at85).toMatchObject({ passed: false, failedRows: 1 });
  });

  it('without mostly, one failing value fails the check, as before', () => {
    // Prepare
    const batch = columnBatch('n', 'float', [0.5, 2]);

    // Act
    const result = runCheck({ type: 'range', column: 'n', max: 1 }, batch);

    // Assess
    expect(result.passed).toBe(false);
    expect(result.message).not.toContain('must pass');
  });

  it('a range check with mostly passes exactly when the passing share reaches mostly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 100 }),
        (values, percentMostly) => {
          // Prepare
          const mostly = percentMostly / 100;
          const judged = values.filter((v) => v !== null).length;
          const failing = values.filter((v) => v !== null && v < 0).length;

          // Act
          const result = runCheck(
            { type: 'range', column: 'v', min: 0, mostly },
            columnBatch('v', 'int', values),
          );

          // Assess
          expect(result.failedRows).toBe(failing);
          expect(result.passed).toBe(judged === 0 || (judged - failing) / judged >= mostly);
        },
      ),
    );
  });
});

describe('range bounds inclusive per side', () => {
  it('excludes only the side that says so, and the message shows it', () => {
    // Prepare
    const batch = columnBatch('x', 'int', [0, 5, 10]);

    // Act
    const result = runCheck({ type: 'range', column: 'x', min: 0, max: 10, minInclusive: false }, batch);

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 1, samples: [0] });
    expect(result.message).toBe('column "x": 1 of 3 rows (33.3%) outside (0, 10], e.g. 0');
  });
});

describe('row count check', () => {
  it('passes a row count within bounds and fails one outside, reporting the count', () => {
    // Prepare
    const schema = schemaOf({ a: 'int' });
    const batch = batchFromRows(schema, [{ a: 1 }, { a: 2 }, { a: 3 }]);

    // Act
    const inside = runCheck({ type: 'row_count', min: 1, max: 3 }, batch);
    const outside = runCheck({ type: 'row_count', min: 4 }, batch);

    // Assess
    expect(inside).toMatchObject({
      name: 'row_count',
      passed: true,
      failedRows: 0,
      observed: { rowCount: 3 },
    });
    expect(outside).toMatchObject({ passed: false, failedRows: 0 });
    expect(outside.message).toBe('3 rows, outside [4, ∞)');
  });

  it('counts rows across batches', () => {
    // Prepare
    const schema = schemaOf({ a: 'int' });
    const batches = [batchFromRows(schema, [{ a: 1 }]), batchFromRows(schema, [{ a: 2 }, { a: 3 }])];

    // Act
    const report = validate({ checks: [{ type: 'row_count', max: 2 }] }, schema, batches);

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.checks[0]?.observed).toEqual({ rowCount: 3 });
  });

  it('refuses a row count check without bounds or with inverted ones', () => {
    expect(validationSuiteSchema.safeParse({ checks: [{ type: 'row_count' }] }).success).toBe(false);
    expect(validationSuiteSchema.safeParse({ checks: [{ type: 'row_count', min: 5, max: 2 }] }).success).toBe(
      false,
    );
  });
});

describe('pattern check', () => {
  it('fails the string values the regex is not found in, ignoring nulls', () => {
    // Prepare
    const batch = columnBatch('email', 'string', ['a@x.io', 'b@y.org', 'nobody', null]);

    // Act
    const result = runCheck({ type: 'pattern', column: 'email', regex: '^[^@]+@[^@]+$' }, batch);

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 1, samples: ['nobody'] });
    expect(result.message).toBe(
      'column "email": 1 of 4 rows (25%) do not match /^[^@]+@[^@]+$/, e.g. "nobody"',
    );
  });

  it('searches anywhere in the value unless anchored, and honours flags', () => {
    // Prepare
    const batch = columnBatch('code', 'string', ['xxABCxx', 'abc']);

    // Act
    const unanchored = runCheck({ type: 'pattern', column: 'code', regex: 'ABC' }, batch);
    const caseless = runCheck({ type: 'pattern', column: 'code', regex: 'ABC', flags: 'i' }, batch);

    // Assess
    expect(unanchored.failedRows).toBe(1);
    expect(caseless.passed).toBe(true);
  });

  it('fails on a column that is not a string column, and a regex that does not compile is refused', () => {
    // Act
    const onInt = runCheck({ type: 'pattern', column: 'n', regex: '^1' }, columnBatch('n', 'int', [1]));
    const parsed = validationSuiteSchema.safeParse({
      checks: [{ type: 'pattern', column: 'a', regex: '(' }],
    });

    // Assess
    expect(onInt.passed).toBe(false);
    expect(onInt.message).toBe('column "n" is int, but a pattern check needs a string column');
    expect(parsed.success).toBe(false);
  });
});

describe('column type check', () => {
  it('passes when the column has one of the types, an int column counting as float', () => {
    // Prepare
    const batch = batchFromRows(schemaOf({ n: 'int', s: 'string' }), [{ n: 1, s: 'a' }]);

    // Act
    const intAsFloat = runCheck({ type: 'column_type', column: 'n', types: ['float'] }, batch);
    const oneOf = runCheck({ type: 'column_type', column: 's', types: ['int', 'string'] }, batch);
    const wrong = runCheck({ type: 'column_type', column: 's', types: ['int', 'timestamp'] }, batch);
    const missing = runCheck({ type: 'column_type', column: 'z', types: ['int'] }, batch);

    // Assess
    expect(intAsFloat.passed).toBe(true);
    expect(oneOf.passed).toBe(true);
    expect(wrong).toMatchObject({ passed: false, failedRows: 1 });
    expect(wrong.message).toBe('column "s" is string, expected int or timestamp');
    expect(missing.message).toBe('column "z" does not exist in the file');
  });
});

describe('median in a distribution check', () => {
  it('judges the exact median, the mean of the two middle values for an even count', () => {
    // Prepare
    const batch = columnBatch('x', 'float', [1, 2, 10, 100, null]);

    // Act
    const inside = runCheck({ type: 'distribution', column: 'x', median: { min: 6, max: 6 } }, batch);
    const outside = runCheck({ type: 'distribution', column: 'x', median: { max: 5 } }, batch);

    // Assess
    expect(inside.passed).toBe(true);
    expect(inside.observed).toMatchObject({ median: 6, medianExact: true });
    expect(outside.passed).toBe(false);
    expect(outside.message).toBe('column "x": median 6 outside (-∞, 5]');
  });

  it('gives the sorted middle value for any odd count of values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 41 }),
        (raw) => {
          // Prepare
          const values = raw.length % 2 === 1 ? raw : raw.slice(1);
          const sorted = [...values].sort((a, b) => a - b);
          const middle = (sorted[(sorted.length - 1) / 2] ?? 0) + 0;

          // Act
          const result = runCheck(
            { type: 'distribution', column: 'x', median: { min: -Number.MAX_VALUE } },
            columnBatch('x', 'float', values),
          );

          // Assess
          expect(result.observed?.median).toBe(middle);
        },
      ),
    );
  });

  it('estimates the median with a sketch past the exact limit and says so', () => {
    // Prepare: 0..limit, whose median is limit / 2
    const n = MEDIAN_EXACT_LIMIT + 1;
    const values = Array.from({ length: n }, (_, i) => i);

    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', median: { min: n * 0.45, max: n * 0.55 } },
      columnBatch('x', 'int', values),
    );

    // Assess
    expect(result.passed).toBe(true);
    expect(result.observed?.medianExact).toBe(false);
    expect(result.message).toContain('median (estimated)');
  });
});
