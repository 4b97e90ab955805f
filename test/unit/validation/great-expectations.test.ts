import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../../shared/domain/table.js';
import {
  convertGreatExpectationsSuite,
  greatExpectationsSuiteSchema,
  isGreatExpectationsSuite,
  pythonRegexToJs,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';
import { columnBatch, schemaOf, validate } from './helpers.js';

const FIXTURE = JSON.parse(
  readFileSync(new URL('../../../events/great-expectations/orders-suite.json', import.meta.url), 'utf8'),
) as unknown;

function convert(expectations: unknown[], extra: Record<string, unknown> = {}) {
  return convertGreatExpectationsSuite(greatExpectationsSuiteSchema.parse({ expectations, ...extra }));
}

function one(expectation_type: string, kwargs: Record<string, unknown>) {
  const result = convert([{ expectation_type, kwargs }]);
  return { ...result, checks: result.suite.checks };
}

describe('Great Expectations suite conversion, expectation by expectation', () => {
  it('expect_column_to_exist is a required-columns check named after the expectation', () => {
    // Act
    const { checks, converted } = one('expect_column_to_exist', { column: 'id' });

    // Assess
    expect(checks).toEqual([
      { type: 'required_columns', columns: ['id'], severity: 'ERROR', name: 'expect_column_to_exist(id)' },
    ]);
    expect(converted).toEqual([
      { expectation_type: 'expect_column_to_exist', column: 'id', checks: ['expect_column_to_exist(id)'] },
    ]);
  });

  it('expect_column_values_to_be_of_type maps pandas, numpy and SQL names onto a schema check', () => {
    // Act
    const types = [
      'int64',
      'INTEGER',
      'float64',
      'DECIMAL(10, 2)',
      'str',
      'VARCHAR(255)',
      'bool',
      'datetime64[ns]',
      'TIMESTAMP WITH TIME ZONE',
    ].map((type_) => one('expect_column_values_to_be_of_type', { column: 'c', type_ }).checks[0]);

    // Assess
    expect(types.map((c) => (c?.type === 'schema' ? c.columns[0]?.type : undefined))).toEqual([
      'int',
      'int',
      'float',
      'float',
      'string',
      'string',
      'bool',
      'timestamp',
      'timestamp',
    ]);
    expect(types[0]).toMatchObject({ allowExtraColumns: true });
  });

  it('expect_column_values_to_be_in_type_list is a column_type check over the names strata knows', () => {
    // Act
    const { checks, unsupported } = one('expect_column_values_to_be_in_type_list', {
      column: 'amount',
      type_list: ['FLOAT', 'DOUBLE', 'INTEGER', 'dict'],
    });

    // Assess
    expect(unsupported).toEqual([]);
    expect(checks).toMatchObject([{ type: 'column_type', column: 'amount', types: ['float', 'int'] }]);
  });

  it('expect_column_values_to_not_be_null honours mostly as the tolerated null fraction', () => {
    // Act
    const strict = one('expect_column_values_to_not_be_null', { column: 'e' }).checks[0];
    const loose = one('expect_column_values_to_not_be_null', { column: 'e', mostly: 0.95 }).checks[0];

    // Assess
    expect(strict).toMatchObject({ type: 'completeness', column: 'e', maxNullFraction: 0 });
    expect(loose).toMatchObject({ type: 'completeness', column: 'e', maxNullFraction: 0.05 });
  });

  it('expect_column_values_to_be_unique is a uniqueness check, with mostly when given', () => {
    // Act
    const { checks } = one('expect_column_values_to_be_unique', { column: 'id', mostly: 0.99 });

    // Assess
    expect(checks).toMatchObject([{ type: 'uniqueness', columns: ['id'], mostly: 0.99 }]);
  });

  it('expect_column_values_to_be_between is a range check; strict bounds exclude, dates become ISO', () => {
    // Act
    const numeric = one('expect_column_values_to_be_between', {
      column: 'a',
      min_value: 0,
      max_value: 10,
      strict_min: true,
      strict_max: true,
      mostly: 0.9,
    }).checks;
    const mixed = one('expect_column_values_to_be_between', {
      column: 'a',
      min_value: 0,
      max_value: 10,
      strict_min: true,
    }).checks;
    const dates = one('expect_column_values_to_be_between', {
      column: 't',
      min_value: '2020-01-01',
      max_value: '2030-12-31 23:59:59',
    }).checks;

    // Assess
    expect(numeric).toMatchObject([
      { type: 'range', column: 'a', min: 0, max: 10, inclusive: false, mostly: 0.9 },
    ]);
    expect(mixed).toEqual([
      expect.objectContaining({
        type: 'range',
        column: 'a',
        min: 0,
        max: 10,
        minInclusive: false,
        maxInclusive: true,
      }),
    ]);
    expect(dates).toMatchObject([
      { type: 'range', column: 't', min: '2020-01-01T00:00:00.000Z', max: '2030-12-31T23:59:59.000Z' },
    ]);
  });

  it('expect_column_values_to_be_in_set is an allowed-values check (nulls in the set are moot: nulls are not judged)', () => {
    // Act
    const { checks } = one('expect_column_values_to_be_in_set', {
      column: 's',
      value_set: ['a', 'b', null],
      mostly: 0.5,
    });

    // Assess
    expect(checks).toMatchObject([{ type: 'allowed_values', column: 's', values: ['a', 'b'], mostly: 0.5 }]);
  });

  it('expect_column_values_to_match_regex translates Python-only syntax into a pattern check', () => {
    // Act
    const { checks } = one('expect_column_values_to_match_regex', {
      column: 'email',
      regex: '(?i)\\A(?P<user>[^@]+)@(?P=user)?x\\Z',
    });

    // Assess
    expect(checks).toMatchObject([
      { type: 'pattern', column: 'email', regex: '^(?<user>[^@]+)@\\k<user>?x$', flags: 'i' },
    ]);
  });

  it('expect_table_row_count_to_be_between is a row_count check; strict bounds become the next whole count', () => {
    // Act
    const plain = one('expect_table_row_count_to_be_between', { min_value: 1, max_value: 100 }).checks;
    const strict = one('expect_table_row_count_to_be_between', {
      min_value: 1,
      max_value: 100,
      strict_min: true,
      strict_max: true,
    }).checks;

    // Assess
    expect(plain).toEqual([
      {
        type: 'row_count',
        min: 1,
        max: 100,
        severity: 'ERROR',
        name: 'expect_table_row_count_to_be_between',
      },
    ]);
    expect(strict).toMatchObject([{ min: 2, max: 99 }]);
  });

  it('mean, median and stdev expectations are distribution checks on that statistic', () => {
    // Act
    const mean = one('expect_column_mean_to_be_between', { column: 'x', min_value: 1, max_value: 2 }).checks;
    const median = one('expect_column_median_to_be_between', { column: 'x', min_value: 1 }).checks;
    const stdev = one('expect_column_stdev_to_be_between', {
      column: 'x',
      max_value: 3,
      min_value: null,
    }).checks;

    // Assess
    expect(mean).toMatchObject([{ type: 'distribution', column: 'x', mean: { min: 1, max: 2 } }]);
    expect(median).toMatchObject([{ type: 'distribution', column: 'x', median: { min: 1 } }]);
    expect(stdev).toMatchObject([{ type: 'distribution', column: 'x', std: { max: 3 } }]);
  });

  it('takes the GE 1.x layout (name, type, severity)', () => {
    // Act
    const result = convertGreatExpectationsSuite(
      greatExpectationsSuiteSchema.parse({
        name: 'orders',
        expectations: [
          {
            type: 'expect_column_values_to_not_be_null',
            kwargs: { column: 'id' },
            severity: 'warning',
            id: 'x',
          },
        ],
      }),
    );

    // Assess
    expect(result.suite.checks).toMatchObject([{ type: 'completeness', column: 'id', severity: 'WARNING' }]);
  });
});

describe('what the conversion does not take', () => {
  it('lists unknown expectations and unsupported arguments with their reasons, converting the rest', () => {
    // Act
    const result = convert([
      {
        expectation_type: 'expect_column_value_lengths_to_be_between',
        kwargs: { column: 'c', min_value: 2 },
      },
      {
        expectation_type: 'expect_column_values_to_be_in_set',
        kwargs: { column: 'c', value_set: ['a'], row_condition: 'x>1' },
      },
      { expectation_type: 'expect_column_to_exist', kwargs: { column: 'c', column_index: 0 } },
      {
        expectation_type: 'expect_column_mean_to_be_between',
        kwargs: { column: 'c', min_value: 1, strict_min: true },
      },
      {
        expectation_type: 'expect_column_values_to_be_between',
        kwargs: { column: 'c', min_value: { $PARAMETER: 'lo' } },
      },
      { expectation_type: 'expect_column_values_to_match_regex', kwargs: { column: 'c', regex: '(?x) a b' } },
      { expectation_type: 'expect_column_values_to_be_of_type', kwargs: { column: 'c', type_: 'list' } },
      {
        expectation_type: 'expect_column_values_to_be_unique',
        kwargs: { column: 'c', result_format: 'COMPLETE' },
      },
    ]);

    // Assess
    expect(result.converted.map((c) => c.expectation_type)).toEqual(['expect_column_values_to_be_unique']);
    expect(result.unsupported).toEqual([
      {
        expectation_type: 'expect_column_value_lengths_to_be_between',
        column: 'c',
        reason: expect.stringContaining('strata has no check for expect_column_value_lengths_to_be_between'),
      },
      {
        expectation_type: 'expect_column_values_to_be_in_set',
        column: 'c',
        reason: 'row_condition = "x>1" is not supported by strata\'s checks',
      },
      {
        expectation_type: 'expect_column_to_exist',
        column: 'c',
        reason: "column_index = 0 is not supported by strata's checks",
      },
      {
        expectation_type: 'expect_column_mean_to_be_between',
        column: 'c',
        reason: "strict bounds are not supported: strata's statistic bounds are inclusive",
      },
      {
        expectation_type: 'expect_column_values_to_be_between',
        column: 'c',
        reason: 'min_value is an evaluation parameter ($PARAMETER), which strata does not resolve',
      },
      {
        expectation_type: 'expect_column_values_to_match_regex',
        column: 'c',
        reason: 'inline flag (?x) has no JavaScript equivalent',
      },
      {
        expectation_type: 'expect_column_values_to_be_of_type',
        column: 'c',
        reason: 'type "list" has no strata equivalent (int, float, bool, string, timestamp)',
      },
    ]);
  });

  it('every expectation of a suite is either converted or listed as unsupported (property)', () => {
    const kinds = [
      'expect_column_to_exist',
      'expect_column_values_to_be_unique',
      'expect_column_values_to_not_be_null',
      'expect_column_values_to_be_between',
      'expect_column_kl_divergence_to_be_less_than',
      'expect_table_row_count_to_be_between',
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            expectation_type: fc.constantFrom(...kinds),
            kwargs: fc.record(
              {
                column: fc.constantFrom('a', 'b'),
                min_value: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
                max_value: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
                mostly: fc.double({ min: 0, max: 1, noNaN: true }),
                unknown_flag: fc.boolean(),
              },
              { requiredKeys: ['column'] },
            ),
          }),
          { maxLength: 12 },
        ),
        (expectations) => {
          // Act
          const result = convert(expectations);

          // Assess
          expect(result.converted.length + result.unsupported.length).toBe(expectations.length);
          expect(validationSuiteSchema.safeParse(result.suite).success).toBe(true);
        },
      ),
    );
  });
});

describe('the orders fixture (a GE 0.18 suite)', () => {
  it('converts the fourteen common expectations and lists the four it cannot take', () => {
    // Prepare
    expect(isGreatExpectationsSuite(FIXTURE)).toBe(true);

    // Act
    const result = convertGreatExpectationsSuite(greatExpectationsSuiteSchema.parse(FIXTURE));

    // Assess
    expect(result.converted).toHaveLength(14);
    expect(result.unsupported.map((u) => [u.expectation_type, u.column])).toEqual([
      ['expect_column_value_lengths_to_be_between', 'country'],
      ['expect_column_pair_values_A_to_be_greater_than_B', undefined],
      ['expect_column_values_to_be_in_set', 'country'],
      ['expect_column_to_exist', 'customer_id'],
    ]);
  });

  it('the converted suite passes clean orders and catches a bad one, with mostly tolerating a few', () => {
    // Prepare: 40 clean orders; then the same with one unknown status and 2 of 40 bad e-mails (within 0.9)
    const { suite } = convertGreatExpectationsSuite(greatExpectationsSuiteSchema.parse(FIXTURE));
    const schema = schemaOf({
      order_id: 'int',
      amount: 'float',
      email: 'string?',
      status: 'string',
      ordered_at: 'timestamp',
      country: 'string',
      customer_id: 'int',
    });
    const rows = Array.from({ length: 40 }, (_, i) => ({
      order_id: i + 1,
      amount: 20 + (i % 7) * 10,
      email: i < 2 ? 'not-an-address' : `user${i}@example.com`,
      status: 'placed',
      ordered_at: Date.UTC(2026, 0, 1 + (i % 28)),
      country: 'DE',
      customer_id: 100 + i,
    }));
    const bad = rows.map((r, i) => (i === 7 ? { ...r, status: 'lost' } : r));

    // Act
    const clean = validate(suite, schema, [batchFromRows(schema, rows)]);
    const caught = validate(suite, schema, [batchFromRows(schema, bad)]);

    // Assess
    expect(clean.status).toBe('PASSED');
    expect(caught.status).toBe('FAILED');
    expect(caught.checks.filter((c) => !c.passed).map((c) => [c.name, c.failedRows])).toEqual([
      ['expect_column_values_to_be_in_set(status)', 1],
    ]);
    const email = clean.checks.find((c) => c.name === 'expect_column_values_to_match_regex(email)');
    expect(email).toMatchObject({ passed: true, failedRows: 2 });
  });
});

describe('detecting the suite format and Python regexes', () => {
  it('tells a GE suite from a strata suite by shape', () => {
    expect(isGreatExpectationsSuite({ expectations: [] })).toBe(true);
    expect(isGreatExpectationsSuite({ checks: [] })).toBe(false);
    expect(isGreatExpectationsSuite([])).toBe(false);
    expect(isGreatExpectationsSuite(null)).toBe(false);
  });

  it('leaves escaped sequences alone when translating', () => {
    // Act
    const { regex } = pythonRegexToJs('\\\\A\\A');

    // Assess: a literal backslash then A, then the start anchor
    expect(regex).toBe('\\\\A^');
    expect(new RegExp(regex).test('x')).toBe(false);
  });

  it('refuses a regex that is not JavaScript', () => {
    expect(() => pythonRegexToJs('(?<=a+|bb)(?>c)')).toThrow(/does not compile/);
  });

  it('a not-null expectation with mostly lets exactly that share of nulls through', () => {
    // Prepare
    const { suite } = one('expect_column_values_to_not_be_null', { column: 'v', mostly: 0.75 });

    // Act
    const within = validate(suite, schemaOf({ v: 'int?' }), [columnBatch('v', 'int', [1, 2, 3, null])]);
    const beyond = validate(suite, schemaOf({ v: 'int?' }), [columnBatch('v', 'int', [1, 2, null, null])]);

    // Assess
    expect(within.status).toBe('PASSED');
    expect(beyond.status).toBe('FAILED');
  });
});
