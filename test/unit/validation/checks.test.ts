import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../../shared/domain/table.js';
import { columnBatch, NOW, runCheck, schemaOf } from './helpers.js';

const HOUR = 3_600_000;

describe('schema check', () => {
  const schema = schemaOf({ id: 'int', name: 'string?', score: 'float' });
  const batch = batchFromRows(schema, [{ id: 1, name: 'a', score: 0.5 }]);

  it('passes when every listed column is present with its type', () => {
    // Act
    const result = runCheck(
      {
        type: 'schema',
        columns: [
          { name: 'id', type: 'int' },
          { name: 'name', type: 'string' },
          { name: 'score', type: 'float' },
        ],
      },
      batch,
    );

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 0, samples: [] });
    expect(result.message).toBe('all 3 expected columns present with their types, and no other columns');
  });

  it('fails on a missing column, a changed type and an unexpected column, describing each', () => {
    // Act
    const result = runCheck(
      {
        type: 'schema',
        columns: [
          { name: 'id', type: 'string' },
          { name: 'age', type: 'int' },
          { name: 'score', type: 'float' },
        ],
      },
      batch,
    );

    // Assess
    expect(result.passed).toBe(false);
    expect(result.failedRows).toBe(1);
    expect(result.samples).toEqual([
      'column "id" is int, expected string',
      'missing column "age" (int)',
      'unexpected column "name" (string)',
    ]);
    expect(result.message).toBe(
      'schema differs: column "id" is int, expected string, missing column "age" (int), ' +
        'unexpected column "name" (string)',
    );
    expect(result.observed).toEqual({
      missingColumns: ['age'],
      changedColumns: ['id'],
      nullableColumns: [],
      extraColumns: ['name'],
    });
  });

  it('ignores columns it does not list when extra columns are allowed', () => {
    // Act
    const result = runCheck(
      { type: 'schema', columns: [{ name: 'id', type: 'int' }], allowExtraColumns: true },
      batch,
    );

    // Assess
    expect(result.passed).toBe(true);
  });

  it('accepts an int column where a float column is expected, but not the reverse', () => {
    // Prepare
    const ints = columnBatch('x', 'int', [1, 2]);
    const floats = columnBatch('x', 'float', [1.5]);

    // Act
    const widened = runCheck({ type: 'schema', columns: [{ name: 'x', type: 'float' }] }, ints);
    const narrowed = runCheck({ type: 'schema', columns: [{ name: 'x', type: 'int' }] }, floats);

    // Assess
    expect(widened.passed).toBe(true);
    expect(narrowed.passed).toBe(false);
  });

  it('fails a column the suite declares not nullable when the file declares it nullable', () => {
    // Act
    const result = runCheck(
      { type: 'schema', columns: [{ name: 'name', type: 'string', nullable: false }] },
      batch,
    );

    // Assess
    expect(result.passed).toBe(false);
    expect(result.samples).toEqual([
      'column "name" is nullable, expected not nullable',
      'unexpected column "id" (int)',
      'unexpected column "score" (float)',
    ]);
  });

  it('decides from the schema alone, even for a file without rows', () => {
    // Prepare
    const empty = batchFromRows(schema, []);

    // Act
    const result = runCheck({ type: 'schema', columns: [{ name: 'age', type: 'int' }] }, empty);

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 0, failedFraction: 0 });
  });
});

describe('required columns check', () => {
  const batch = batchFromRows(schemaOf({ id: 'int', name: 'string' }), [{ id: 1, name: 'a' }]);

  it('passes when every required column is present', () => {
    // Act
    const result = runCheck({ type: 'required_columns', columns: ['id', 'name'] }, batch);

    // Assess
    expect(result).toMatchObject({ passed: true, message: 'all 2 required columns present' });
  });

  it('fails naming the missing columns, counting every row', () => {
    // Act
    const result = runCheck({ type: 'required_columns', columns: ['id', 'email', 'phone'] }, batch);

    // Assess
    expect(result).toMatchObject({
      passed: false,
      failedRows: 1,
      failedFraction: 1,
      samples: ['email', 'phone'],
    });
    expect(result.message).toBe('missing 2 of 3 required columns: "email", "phone"');
  });
});

describe('completeness check', () => {
  const values = [1, null, 3, null, 5, 6, 7, 8, 9, 10];

  it('passes when the null fraction is at the limit', () => {
    // Act
    const result = runCheck(
      { type: 'completeness', column: 'x', maxNullFraction: 0.2 },
      columnBatch('x', 'int', values),
    );

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 2, failedFraction: 0.2, column: 'x' });
    expect(result.observed).toEqual({ nullCount: 2, nullFraction: 0.2 });
    expect(result.message).toBe('column "x": 2 of 10 rows (20%) null, within the limit of 20%');
  });

  it('fails completeness when the null fraction exceeds the limit', () => {
    // Act
    const result = runCheck(
      { type: 'completeness', column: 'x', maxNullFraction: 0.1 },
      columnBatch('x', 'int', values),
    );

    // Assess
    expect(result.passed).toBe(false);
    expect(result.message).toBe('column "x": 2 of 10 rows (20%) null, above the limit of 10%');
  });

  it('fails a single null against a limit of zero', () => {
    // Prepare
    const batch = columnBatch('x', 'string', [...Array.from({ length: 999 }, () => 'v'), null]);

    // Act
    const result = runCheck({ type: 'completeness', column: 'x', maxNullFraction: 0 }, batch);

    // Assess
    expect(result.passed).toBe(false);
    expect(result.message).toBe('column "x": 1 of 1000 rows (0.1%) null, above the limit of 0%');
  });

  it('passes an empty file', () => {
    // Act
    const result = runCheck(
      { type: 'completeness', column: 'x', maxNullFraction: 0 },
      columnBatch('x', 'int', []),
    );

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 0, failedFraction: 0 });
  });
});

describe('uniqueness check', () => {
  it('passes when every key is distinct', () => {
    // Act
    const result = runCheck({ type: 'uniqueness', columns: ['id'] }, columnBatch('id', 'int', [1, 2, 3]));

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 0, samples: [], column: 'id' });
    expect(result.observed).toEqual({ distinctKeys: 3, duplicatedKeys: 0, rowsWithNullKey: 0 });
  });

  it('counts every row that repeats an earlier key, and samples each repeated key once', () => {
    // Act
    const result = runCheck(
      { type: 'uniqueness', columns: ['id'] },
      columnBatch('id', 'int', [7, 1, 7, 9, 7, 9, 2]),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 3, samples: [7, 9] });
    expect(result.observed).toEqual({ distinctKeys: 4, duplicatedKeys: 2, rowsWithNullKey: 0 });
    expect(result.message).toBe('column "id": 3 of 7 rows (42.9%) repeat an earlier value, e.g. 7, 9');
  });

  it('compares composite keys as a whole and shows them as JSON arrays', () => {
    // Prepare
    const schema = schemaOf({ id: 'int', day: 'string' });
    const batch = batchFromRows(schema, [
      { id: 1, day: 'mon' },
      { id: 1, day: 'tue' },
      { id: 2, day: 'mon' },
      { id: 1, day: 'mon' },
    ]);

    // Act
    const result = runCheck({ type: 'uniqueness', columns: ['id', 'day'] }, batch);

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 1, samples: ['[1,"mon"]'] });
    expect(result.column).toBeUndefined();
    expect(result.message).toBe(
      'columns ("id", "day"): 1 of 4 rows (25%) repeat an earlier key, e.g. [1,"mon"]',
    );
  });

  it('does not confuse values that only look alike', () => {
    // Prepare: a number and its text, and keys whose concatenations are equal.
    const schema = schemaOf({ a: 'string', b: 'string' });
    const batch = batchFromRows(schema, [
      { a: 'ab', b: 'c' },
      { a: 'a', b: 'bc' },
      { a: '', b: 'abc' },
    ]);
    const mixed = columnBatch('x', 'string', ['1', 1, true, 'true']);

    // Act
    const composite = runCheck({ type: 'uniqueness', columns: ['a', 'b'] }, batch);
    const single = runCheck({ type: 'uniqueness', columns: ['x'] }, mixed);

    // Assess
    expect(composite.passed).toBe(true);
    expect(single.passed).toBe(true);
  });

  it('treats NaN as one key and 0 as -0', () => {
    // Act
    const result = runCheck(
      { type: 'uniqueness', columns: ['x'] },
      columnBatch('x', 'float', [Number.NaN, Number.NaN, 0, -0]),
    );

    // Assess
    expect(result).toMatchObject({ failedRows: 2, samples: ['NaN', 0] });
  });

  it('skips rows with a null in the key', () => {
    // Act
    const result = runCheck(
      { type: 'uniqueness', columns: ['id'] },
      columnBatch('id', 'int', [null, null, 1]),
    );

    // Assess
    expect(result.passed).toBe(true);
    expect(result.observed).toMatchObject({ rowsWithNullKey: 2 });
  });

  it('counts duplicates exactly over many keys', () => {
    // Prepare: 50 000 keys, every seventh one repeated later, so the table grows many times.
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) values.push(i);
    for (let i = 0; i < 50_000; i += 7) values.push(i);

    // Act
    const result = runCheck({ type: 'uniqueness', columns: ['id'] }, columnBatch('id', 'int', values));

    // Assess
    expect(result.failedRows).toBe(Math.ceil(50_000 / 7));
    expect(result.observed).toMatchObject({ distinctKeys: 50_000, duplicatedKeys: Math.ceil(50_000 / 7) });
  });

  it('fails naming a key column the file does not have', () => {
    // Prepare
    const batch = columnBatch('id', 'int', [1, 2]);

    // Act
    const result = runCheck({ type: 'uniqueness', columns: ['id', 'day'] }, batch);

    // Assess
    expect(result).toMatchObject({
      passed: false,
      failedRows: 2,
      message: 'key column "day" not in the file',
    });
  });
});

describe('range check', () => {
  it('passes when every value is within the bounds', () => {
    // Act
    const result = runCheck(
      { type: 'range', column: 'age', min: 0, max: 120 },
      columnBatch('age', 'int', [0, 50, 120, null]),
    );

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 0, observed: { min: 0, max: 120 } });
    expect(result.message).toBe('column "age": 0 of 4 rows (0%) outside [0, 120]');
  });

  it('fails with counts and distinct violating values', () => {
    // Prepare
    const ages = [...Array.from({ length: 997 }, () => 30), -4, 212, -4];

    // Act
    const result = runCheck(
      { type: 'range', column: 'age', min: 0, max: 120 },
      columnBatch('age', 'int', ages),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 3, failedFraction: 0.003, samples: [-4, 212] });
    expect(result.message).toBe('column "age": 3 of 1000 rows (0.3%) outside [0, 120], e.g. -4, 212');
  });

  it('reports up to five distinct violating values', () => {
    // Act
    const result = runCheck(
      { type: 'range', column: 'x', max: 0 },
      columnBatch('x', 'int', [1, 2, 2, 3, 4, 5, 6, 7]),
    );

    // Assess
    expect(result.failedRows).toBe(8);
    expect(result.samples).toEqual([1, 2, 3, 4, 5]);
  });

  it('excludes the bounds when the range is not inclusive', () => {
    // Act
    const result = runCheck(
      { type: 'range', column: 'x', min: 0, max: 1, inclusive: false },
      columnBatch('x', 'float', [0, 0.5, 1]),
    );

    // Assess
    expect(result).toMatchObject({ failedRows: 2, samples: [0, 1] });
    expect(result.message).toBe('column "x": 2 of 3 rows (66.7%) outside (0, 1), e.g. 0, 1');
  });

  it('counts NaN as a range violation, and leaves an absent bound open', () => {
    // Act
    const result = runCheck(
      { type: 'range', column: 'x', min: 0 },
      columnBatch('x', 'float', [Number.NaN, 1e300, Number.POSITIVE_INFINITY, -1]),
    );

    // Assess
    expect(result).toMatchObject({ failedRows: 2, samples: ['NaN', -1] });
    expect(result.message).toBe('column "x": 2 of 4 rows (50%) outside [0, ∞), e.g. NaN, -1');
  });

  it('accepts ISO dates as bounds of a timestamp column and shows timestamps as ISO', () => {
    // Prepare
    const jan = Date.parse('2026-01-15T00:00:00Z');
    const dec = Date.parse('2025-12-31T23:59:59Z');

    // Act
    const result = runCheck(
      { type: 'range', column: 't', min: '2026-01-01', max: '2026-02-01T00:00:00+01:00' },
      columnBatch('t', 'timestamp', [jan, dec]),
    );

    // Assess
    expect(result).toMatchObject({ failedRows: 1, samples: [dec] });
    expect(result.message).toBe(
      'column "t": 1 of 2 rows (50%) outside [2026-01-01T00:00:00.000Z, 2026-01-31T23:00:00.000Z], ' +
        'e.g. 2025-12-31T23:59:59.000Z',
    );
    expect(result.observed).toEqual({ min: '2025-12-31T23:59:59.000Z', max: '2026-01-15T00:00:00.000Z' });
  });

  it('fails without throwing on a column that is not numeric or a date bound on a number column', () => {
    // Act
    const onString = runCheck({ type: 'range', column: 's', min: 0 }, columnBatch('s', 'string', ['a']));
    const dateOnInt = runCheck(
      { type: 'range', column: 'n', min: '2026-01-01' },
      columnBatch('n', 'int', [1]),
    );

    // Assess
    expect(onString).toMatchObject({
      passed: false,
      message: 'column "s" is string, but a range check needs a numeric or timestamp column',
    });
    expect(dateOnInt).toMatchObject({
      passed: false,
      message: 'column "n" is int, but the range bound "2026-01-01" is a date',
    });
  });

  it('fails a check naming a column that does not exist', () => {
    // Act
    const result = runCheck({ type: 'range', column: 'age', min: 0 }, columnBatch('x', 'int', [1, 2]));

    // Assess
    expect(result).toMatchObject({
      passed: false,
      failedRows: 2,
      failedFraction: 1,
      column: 'age',
      message: 'column "age" does not exist in the file',
    });
  });
});

describe('allowed values check', () => {
  it('passes when every value is allowed, nulls included', () => {
    // Act
    const result = runCheck(
      { type: 'allowed_values', column: 'c', values: ['red', 'green'] },
      columnBatch('c', 'string', ['red', null, 'green']),
    );

    // Assess
    expect(result.passed).toBe(true);
  });

  it('fails on values outside the set, quoting them', () => {
    // Act
    const result = runCheck(
      { type: 'allowed_values', column: 'c', values: ['red', 'green'] },
      columnBatch('c', 'string', ['red', 'blue', 'Red', 'blue']),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 3, samples: ['blue', 'Red'] });
    expect(result.message).toBe('column "c": 3 of 4 rows (75%) not in ("red", "green"), e.g. "blue", "Red"');
  });

  it('compares numbers and booleans by value', () => {
    // Act
    const numbers = runCheck(
      { type: 'allowed_values', column: 'n', values: [1, 2] },
      columnBatch('n', 'int', [1, 2, 3]),
    );
    const flags = runCheck(
      { type: 'allowed_values', column: 'b', values: [true] },
      columnBatch('b', 'bool', [true, false]),
    );

    // Assess
    expect(numbers).toMatchObject({ failedRows: 1, samples: [3] });
    expect(flags).toMatchObject({ failedRows: 1, samples: [false] });
  });

  it('fails a suite whose values can never match the column type', () => {
    // Act
    const result = runCheck(
      { type: 'allowed_values', column: 'n', values: ['1', 2] },
      columnBatch('n', 'int', [2]),
    );

    // Assess
    expect(result).toMatchObject({
      passed: false,
      failedRows: 1,
      message: 'column "n" is int, so allowed values "1" can never match',
    });
  });
});

describe('freshness check', () => {
  it('passes when the newest timestamp is younger than the limit', () => {
    // Act
    const result = runCheck(
      { type: 'freshness', column: 't', maxAgeSeconds: 3600 },
      columnBatch('t', 'timestamp', [NOW.getTime() - 3 * HOUR, NOW.getTime() - 30 * 60_000, null]),
    );

    // Assess
    expect(result).toMatchObject({
      passed: true,
      failedRows: 1,
      observed: { maxTimestamp: '2026-06-01T11:30:00.000Z', ageSeconds: 1800 },
    });
    expect(result.message).toBe(
      'column "t": newest value 2026-06-01T11:30:00.000Z is 1800 s old, within the limit of 3600 s; ' +
        '1 of 3 rows (33.3%) older than that',
    );
  });

  it('fails when the newest timestamp is older than the limit', () => {
    // Act
    const result = runCheck(
      { type: 'freshness', column: 't', maxAgeSeconds: 3600 },
      columnBatch('t', 'timestamp', [NOW.getTime() - 2 * HOUR]),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, failedRows: 1, samples: [NOW.getTime() - 2 * HOUR] });
    expect(result.observed).toEqual({ maxTimestamp: '2026-06-01T10:00:00.000Z', ageSeconds: 7200 });
  });

  it('fails when there is no timestamp to judge by', () => {
    // Act
    const result = runCheck(
      { type: 'freshness', column: 't', maxAgeSeconds: 60 },
      columnBatch('t', 'timestamp', [null]),
    );

    // Assess
    expect(result).toMatchObject({
      passed: false,
      message: 'column "t": no timestamps in 1 rows to judge freshness by',
    });
  });

  it('fails on a column that is not a timestamp', () => {
    // Act
    const result = runCheck(
      { type: 'freshness', column: 'n', maxAgeSeconds: 60 },
      columnBatch('n', 'int', [1]),
    );

    // Assess
    expect(result.message).toBe('column "n" is int, but a freshness check needs a timestamp column');
  });
});

describe('distribution check', () => {
  // mean 5, sample std sqrt(32 / 7) ≈ 2.138
  const values = [2, 4, 4, 4, 5, 5, 7, 9];

  it('passes when mean and std are within their bounds', () => {
    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', mean: { min: 4, max: 6 }, std: { max: 3 } },
      columnBatch('x', 'float', [...values, null]),
    );

    // Assess
    expect(result).toMatchObject({ passed: true, failedRows: 0 });
    expect(result.observed?.mean).toBe(5);
    expect(result.observed?.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(result.message).toBe('column "x": mean 5 within [4, 6]; std 2.13809 within (-∞, 3]');
  });

  it('fails when the mean is outside its bounds', () => {
    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', mean: { min: 6 } },
      columnBatch('x', 'int', values),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, message: 'column "x": mean 5 outside [6, ∞)' });
  });

  it('fails when the std is outside its bounds', () => {
    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', std: { min: 0, max: 1 } },
      columnBatch('x', 'int', values),
    );

    // Assess
    expect(result).toMatchObject({ passed: false, message: 'column "x": std 2.13809 outside [0, 1]' });
  });

  it('leaves NaN and Infinity out of the statistics and counts them', () => {
    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', mean: { min: 5, max: 5 } },
      columnBatch('x', 'float', [...values, Number.NaN, Number.NEGATIVE_INFINITY]),
    );

    // Assess
    expect(result.passed).toBe(true);
    expect(result.observed).toMatchObject({ count: 8, mean: 5, nonFiniteCount: 2 });
  });

  it('fails when there are too few values to compute the statistics', () => {
    // Act
    const result = runCheck(
      { type: 'distribution', column: 'x', mean: { min: 0 }, std: { max: 1 } },
      columnBatch('x', 'float', [1]),
    );

    // Assess
    expect(result.passed).toBe(false);
    expect(result.message).toBe(
      'column "x": mean 1 within [0, ∞); std needs at least 2 finite values, found 1',
    );
  });
});
