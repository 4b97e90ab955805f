import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../../shared/domain/table.js';
import {
  checkName,
  DEFAULT_NEW_COLUMNS_CHECK,
  DEFAULT_SCHEMA_CHECK,
  suiteFromSchema,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { schemaOf, validate } from './helpers.js';

/** The issues of a rejected suite as `path: message` lines. */
function issuesOf(input: unknown): string[] {
  const result = validationSuiteSchema.safeParse(input);
  if (result.success) throw new Error('the suite was accepted');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('validation suite schema', () => {
  it('accepts every check type and defaults severity to ERROR', () => {
    // Prepare
    const input = {
      version: 2,
      checks: [
        { type: 'schema', columns: [{ name: 'id', type: 'int', nullable: false }], allowExtraColumns: true },
        { type: 'required_columns', columns: ['id'] },
        { type: 'completeness', column: 'id', maxNullFraction: 0, severity: 'WARNING' },
        { type: 'uniqueness', columns: ['id', 'day'], name: 'one row per id and day' },
        { type: 'range', column: 'age', min: 0, max: 120, inclusive: false },
        { type: 'range', column: 't', min: '2026-01-01', max: '2026-06-01T00:00:00Z' },
        { type: 'allowed_values', column: 'c', values: ['a', 1, true], severity: 'INFO' },
        { type: 'freshness', column: 't', maxAgeSeconds: 86_400 },
        { type: 'distribution', column: 'x', mean: { min: 0, max: 1 }, std: { max: 2 } },
      ],
    };

    // Act
    const suite = validationSuiteSchema.parse(input);

    // Assess
    expect(suite.checks.map((c) => c.severity)).toEqual([
      'ERROR',
      'ERROR',
      'WARNING',
      'ERROR',
      'ERROR',
      'ERROR',
      'INFO',
      'ERROR',
      'ERROR',
    ]);
    expect(suite.checks.map(checkName)).toEqual([
      'schema',
      'required_columns(id)',
      'completeness(id)',
      'one row per id and day',
      'range(age)',
      'range(t)',
      'allowed_values(c)',
      'freshness(t)',
      'distribution(x)',
    ]);
  });

  it('rejects an unknown check type, listing the known ones', () => {
    expect(issuesOf({ checks: [{ type: 'regex', column: 'a' }] })).toEqual([
      'checks.0.type: type must be one of schema, required_columns, completeness, uniqueness, range, ' +
        'allowed_values, freshness, distribution, row_count, pattern, column_type',
    ]);
  });

  it('rejects unknown keys, so a misspelt option is not silently ignored', () => {
    expect(
      issuesOf({ checks: [{ type: 'completeness', column: 'a', maxNullFraction: 0, maxNulls: 3 }] }),
    ).toEqual(['checks.0: Unrecognized key: "maxNulls"']);
    expect(issuesOf({ checks: [], owner: 'me' })).toEqual([': Unrecognized key: "owner"']);
  });

  it('rejects a severity that does not exist', () => {
    expect(issuesOf({ checks: [{ type: 'required_columns', columns: ['a'], severity: 'FATAL' }] })).toEqual([
      'checks.0.severity: severity must be one of ERROR, WARNING, INFO',
    ]);
  });

  it('rejects a null fraction outside [0, 1] and a non-positive age', () => {
    expect(issuesOf({ checks: [{ type: 'completeness', column: 'a', maxNullFraction: 1.5 }] })).toEqual([
      'checks.0.maxNullFraction: maxNullFraction must be between 0 and 1',
    ]);
    expect(issuesOf({ checks: [{ type: 'freshness', column: 't', maxAgeSeconds: 0 }] })).toEqual([
      'checks.0.maxAgeSeconds: maxAgeSeconds must be a positive number',
    ]);
  });

  it('rejects a range without bounds, with min above max, or with a bound that is not a date', () => {
    expect(issuesOf({ checks: [{ type: 'range', column: 'a' }] })).toEqual([
      'checks.0.min: a range needs min, max or both',
    ]);
    expect(
      issuesOf({ checks: [{ type: 'range', column: 't', min: '2026-02-01', max: '2026-01-01' }] }),
    ).toEqual(['checks.0.min: min must not exceed max']);
    expect(issuesOf({ checks: [{ type: 'range', column: 't', min: 'yesterday' }] })).toEqual([
      'checks.0.min: a bound must be a finite number or an ISO 8601 date/date-time ' +
        '(e.g. 2026-01-31T00:00:00Z)',
    ]);
  });

  it('rejects empty or repeated column lists', () => {
    expect(issuesOf({ checks: [{ type: 'uniqueness', columns: [] }] })).toEqual([
      'checks.0.columns: list at least one key column',
    ]);
    expect(issuesOf({ checks: [{ type: 'required_columns', columns: ['a', 'b', 'a'] }] })).toEqual([
      'checks.0.columns.2: column "a" is listed twice',
    ]);
  });

  it('rejects a distribution check without statistics and inverted bounds', () => {
    expect(issuesOf({ checks: [{ type: 'distribution', column: 'x' }] })).toEqual([
      'checks.0.mean: a distribution check needs mean, std or median',
    ]);
    expect(issuesOf({ checks: [{ type: 'distribution', column: 'x', std: { min: 2, max: 1 } }] })).toEqual([
      'checks.0.std: std.min must not exceed std.max',
    ]);
  });

  it('rejects allowed values of other types, and an empty list', () => {
    expect(issuesOf({ checks: [{ type: 'allowed_values', column: 'c', values: [null] }] })).toEqual([
      'checks.0.values.0: allowed values must be strings, finite numbers or booleans',
    ]);
    expect(issuesOf({ checks: [{ type: 'allowed_values', column: 'c', values: [] }] })).toEqual([
      'checks.0.values: list at least one allowed value',
    ]);
  });
});

describe('default suite from the first version', () => {
  const schema = schemaOf({ id: 'int', name: 'string?', score: 'float', at: 'timestamp' });
  const rows = [
    { id: 1, name: 'a', score: 0.5, at: 1_700_000_000_000 },
    { id: 2, name: null, score: 1.5, at: 1_700_000_001_000 },
  ];

  it('is a valid suite that round-trips through its schema', () => {
    // Act
    const suite = suiteFromSchema(schema);

    // Assess
    expect(validationSuiteSchema.parse(JSON.parse(JSON.stringify(suite)))).toEqual(suite);
    expect(suite.checks.map((c) => [c.type, c.severity, checkName(c)])).toEqual([
      ['schema', 'ERROR', DEFAULT_SCHEMA_CHECK],
      ['schema', 'WARNING', DEFAULT_NEW_COLUMNS_CHECK],
      ['completeness', 'ERROR', 'completeness(id)'],
      ['completeness', 'ERROR', 'completeness(score)'],
      ['completeness', 'ERROR', 'completeness(at)'],
    ]);
  });

  it('passes a batch that matches the schema it was inferred from', () => {
    // Act
    const report = validate(suiteFromSchema(schema), schema, [batchFromRows(schema, rows)]);

    // Assess
    expect(report.status).toBe('PASSED');
    expect(report.summary).toEqual({ errors: 0, warnings: 0, infos: 0, passed: 5, failed: 0 });
  });

  it('fails a batch with a missing column', () => {
    // Prepare
    const without = schemaOf({ id: 'int', name: 'string?', at: 'timestamp' });
    const batch = batchFromRows(without, [{ id: 1, name: 'a', at: 1 }]);

    // Act
    const report = validate(suiteFromSchema(schema), without, [batch]);

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.checks.filter((c) => !c.passed).map((c) => c.message)).toEqual([
      'schema differs: missing column "score" (float)',
      'schema differs: missing column "score" (float)',
      'column "score" does not exist in the file',
    ]);
  });

  it('fails a batch with a retyped column', () => {
    // Prepare
    const retyped = schemaOf({ id: 'string', name: 'string?', score: 'float', at: 'timestamp' });
    const batch = batchFromRows(retyped, [{ id: 'x1', name: 'a', score: 1, at: 1 }]);

    // Act
    const report = validate(suiteFromSchema(schema), retyped, [batch]);

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.checks[0]?.message).toBe('schema differs: column "id" is string, expected int');
  });

  it('only warns about a new column', () => {
    // Prepare
    const wider = schemaOf({ id: 'int', name: 'string?', score: 'float', at: 'timestamp', extra: 'bool?' });
    const batch = batchFromRows(wider, [{ id: 1, name: 'a', score: 1, at: 1, extra: true }]);

    // Act
    const report = validate(suiteFromSchema(schema), wider, [batch]);

    // Assess
    expect(report.status).toBe('WARNING');
    expect(report.checks[1]).toMatchObject({
      name: DEFAULT_NEW_COLUMNS_CHECK,
      passed: false,
      message: 'schema differs: unexpected column "extra" (bool)',
    });
  });

  it('fails nulls in a column the first version had none in', () => {
    // Prepare
    const batch = batchFromRows(schema, [...rows, { id: null, name: 'c', score: 2, at: 1 }]);

    // Act
    const report = validate(suiteFromSchema(schema), schema, [batch]);

    // Assess
    expect(report.status).toBe('FAILED');
    expect(report.checks.find((c) => !c.passed)?.message).toBe(
      'column "id": 1 of 3 rows (33.3%) null, above the limit of 0%',
    );
  });
});
