/**
 * Great Expectations expectation suites as strata validation suites. A team that already wrote its
 * expectations keeps them: the common ones map onto strata's checks, and every one that does not (an
 * unknown expectation, or a known one with an argument strata cannot honour) is listed with the reason,
 * never dropped quietly. Both suite layouts are read: 0.x (`expectation_suite_name`, `expectation_type`)
 * and 1.x (`name`, `type`).
 *
 * What the mapping preserves: GE's column map expectations ignore nulls and judge `mostly` over the
 * non-null values, as strata's range, allowed-values, uniqueness and pattern checks do; not-null's
 * `mostly` is over all rows, as a completeness check's `maxNullFraction` (= 1 − mostly) is. Every check
 * is an ERROR unless the expectation says `severity` (GE 1.x: critical, warning, info).
 */
import { z } from 'zod';
import { parseTimestamp } from '../parse/infer.js';
import type { ColumnType } from '../table.js';
import type { Check, Severity, ValidationSuite } from './suite.js';
import { checkName, checkSchema, MAX_PATTERN_LENGTH, validationSuiteSchema } from './suite.js';

const expectationSchema = z
  .looseObject({
    /** GE 0.x. */
    expectation_type: z.string().min(1).optional(),
    /** GE 1.x. */
    type: z.string().min(1).optional(),
    kwargs: z.record(z.string(), z.unknown()).optional(),
    meta: z.record(z.string(), z.unknown()).nullish(),
    severity: z.string().optional(),
  })
  .refine((e) => e.expectation_type !== undefined || e.type !== undefined, {
    message: 'an expectation needs expectation_type (or type)',
  });

export const greatExpectationsSuiteSchema = z.looseObject({
  expectation_suite_name: z.string().optional(),
  name: z.string().optional(),
  expectations: z.array(expectationSchema, { error: 'expectations must be an array of expectations' }),
  meta: z.record(z.string(), z.unknown()).nullish(),
});
export type GreatExpectationsSuite = z.input<typeof greatExpectationsSuiteSchema>;
type Expectation = z.infer<typeof expectationSchema>;

/** A GE suite has `expectations`; a strata suite has `checks`. Anything else is read as a strata suite. */
export function isGreatExpectationsSuite(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'expectations' in value &&
    !('checks' in value)
  );
}

export interface ConvertedExpectation {
  expectation_type: string;
  column?: string;
  /** Names of the strata checks it became (as reports show them). */
  checks: string[];
}

export interface UnsupportedExpectation {
  expectation_type: string;
  column?: string;
  reason: string;
}

export interface GreatExpectationsConversion {
  suite: ValidationSuite;
  converted: ConvertedExpectation[];
  unsupported: UnsupportedExpectation[];
}

export const SUPPORTED_EXPECTATIONS = [
  'expect_column_to_exist',
  'expect_column_values_to_be_of_type',
  'expect_column_values_to_be_in_type_list',
  'expect_column_values_to_not_be_null',
  'expect_column_values_to_be_unique',
  'expect_column_values_to_be_between',
  'expect_column_values_to_be_in_set',
  'expect_column_values_to_match_regex',
  'expect_table_row_count_to_be_between',
  'expect_column_mean_to_be_between',
  'expect_column_median_to_be_between',
  'expect_column_stdev_to_be_between',
] as const;

/** Arguments about how GE reports, not what it checks: never a reason to refuse an expectation. */
const PRESENTATION_KWARGS = new Set([
  'result_format',
  'include_config',
  'catch_exceptions',
  'meta',
  'batch_id',
]);

/**
 * Arguments strata accepts only at their no-op value (GE's default): anything else changes what is
 * checked in a way strata does not reproduce.
 */
const NEUTRAL_KWARGS: Record<string, (v: unknown) => boolean> = {
  row_condition: (v) => v === null || v === undefined || v === '',
  condition_parser: () => true,
  column_index: (v) => v === null || v === undefined,
  allow_cross_type_comparisons: (v) => v === null || v === undefined || v === false,
  output_strftime_format: () => true,
  // Strata's timestamps are parsed already; date bounds are read as dates either way.
  parse_strings_as_datetimes: () => true,
};

/** GE type names (pandas, numpy, Python, SQL dialects, Spark) → strata's types; lower-cased keys. */
const TYPE_NAMES: Record<string, ColumnType> = {};
for (const [type, names] of [
  [
    'int',
    'int int8 int16 int32 int64 uint8 uint16 uint32 uint64 integer bigint smallint tinyint long short ' +
      'int64dtype int32dtype integertype longtype shorttype bytetype',
  ],
  [
    'float',
    'float float16 float32 float64 double real numeric decimal number float64dtype floattype doubletype ' +
      'decimaltype double_precision',
  ],
  ['bool', 'bool boolean bool_ booleantype booleandtype'],
  ['string', 'str string object varchar text char nvarchar stringtype stringdtype unicode'],
  [
    'timestamp',
    'datetime datetime64 datetime64[ns] datetime64[us] datetime64[ms] timestamp date timestamptype ' +
      'datetype timestamp_ntz timestamp_ltz timestamp_tz datetimetz datetime64[ns, utc]',
  ],
] as const) {
  for (const name of names.split(' ')) TYPE_NAMES[name] = type;
}

function strataType(name: unknown): ColumnType | undefined {
  if (typeof name !== 'string') return undefined;
  // SQL types carry sizes and precision: VARCHAR(255), DECIMAL(10, 2), TIMESTAMP(6) WITH TIME ZONE.
  const base = name
    .trim()
    .toLowerCase()
    .replace(/\(.*$/, '')
    .replace(/ with(out)? time zone$/, '');
  return TYPE_NAMES[base];
}

const SEVERITY_OF: Record<string, Severity> = { critical: 'ERROR', warning: 'WARNING', info: 'INFO' };

class Unsupported extends Error {}

function fail(reason: string): never {
  throw new Unsupported(reason);
}

/** The kwargs of one expectation, read with the checks every mapping needs. */
class Kwargs {
  readonly used = new Set<string>();
  constructor(readonly raw: Record<string, unknown>) {
    for (const [key, value] of Object.entries(raw)) {
      if (isParameter(value))
        fail(`${key} is an evaluation parameter ($PARAMETER), which strata does not resolve`);
    }
  }

  get(key: string): unknown {
    this.used.add(key);
    return this.raw[key];
  }

  column(): string {
    const column = this.get('column');
    if (typeof column !== 'string' || column === '') fail('column must be a non-empty string');
    return column;
  }

  /** `mostly` as a fraction, undefined when absent or 1. */
  mostly(): number | undefined {
    const mostly = this.get('mostly');
    if (mostly === undefined || mostly === null) return undefined;
    if (typeof mostly !== 'number' || !(mostly >= 0 && mostly <= 1))
      fail('mostly must be a number in [0, 1]');
    return mostly === 1 ? undefined : mostly;
  }

  flag(key: string): boolean {
    const value = this.get(key);
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') fail(`${key} must be a boolean`);
    return value;
  }

  /** Refuses arguments the mapping did not read, unless they only shape GE's output or are at their default. */
  rest(): void {
    for (const [key, value] of Object.entries(this.raw)) {
      if (this.used.has(key) || PRESENTATION_KWARGS.has(key)) continue;
      const neutral = NEUTRAL_KWARGS[key];
      if (neutral?.(value)) continue;
      fail(
        neutral
          ? `${key} = ${JSON.stringify(value)} is not supported by strata's checks`
          : `argument ${key} is not supported by strata's checks`,
      );
    }
  }
}

function isParameter(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '$PARAMETER' in value;
}

/** A numeric bound, or a date (ISO 8601 UTC) for timestamp columns; null/undefined is no bound. */
function bound(value: unknown, what: string): number | string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = parseTimestamp(value.trim());
    if (ms !== undefined) return new Date(ms).toISOString();
  }
  fail(`${what} ${JSON.stringify(value)} is neither a finite number nor a date`);
}

function numberBound(value: unknown, what: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${what} must be a finite number`);
  return value;
}

/** A statistic's bounds (mean, median, stdev); strata's are inclusive. */
function statBounds(kwargs: Kwargs): { min?: number; max?: number } {
  const min = numberBound(kwargs.get('min_value'), 'min_value');
  const max = numberBound(kwargs.get('max_value'), 'max_value');
  if (min === undefined && max === undefined) fail('neither min_value nor max_value is set');
  if (kwargs.flag('strict_min') || kwargs.flag('strict_max'))
    fail("strict bounds are not supported: strata's statistic bounds are inclusive");
  return { ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
}

/**
 * Python's `re` syntax as JavaScript's where they differ in ways that would otherwise compile to another
 * meaning: named groups, \A and \Z, and leading inline flags. What still does not compile is unsupported.
 */
export function pythonRegexToJs(pattern: string): { regex: string; flags: string } {
  let regex = pattern;
  let flags = '';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(regex);
  if (inline?.[1]) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 'm' || f === 's') {
        if (!flags.includes(f)) flags += f;
      } else if (f !== 'u') {
        fail(`inline flag (?${f}) has no JavaScript equivalent`);
      }
    }
    regex = regex.slice(inline[0].length);
  }
  // Only unescaped sequences: an even run of backslashes before them is literal backslashes.
  regex = regex
    .replace(/(?<!\\)((?:\\\\)*)\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '$1(?<$2>')
    .replace(/(?<!\\)((?:\\\\)*)\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '$1\\k<$2>')
    .replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1^')
    .replace(/(?<!\\)((?:\\\\)*)\\Z/g, '$1$');
  try {
    new RegExp(regex, flags);
  } catch (error) {
    fail(`the regex does not compile as a JavaScript regular expression: ${(error as Error).message}`);
  }
  if (regex.length > MAX_PATTERN_LENGTH) fail(`the regex is longer than ${MAX_PATTERN_LENGTH} characters`);
  return { regex, flags };
}

/** A check as written, before strata's schema fills in its defaults. */
type Draft = z.input<typeof checkSchema>;

/** The strata checks of one expectation; throws Unsupported with the reason when it has none. */
function checksOf(type: string, kwargs: Kwargs): Draft[] {
  switch (type) {
    case 'expect_column_to_exist':
      return [{ type: 'required_columns', columns: [kwargs.column()] }];
    case 'expect_column_values_to_be_of_type': {
      const column = kwargs.column();
      const name = kwargs.get('type_');
      const type = strataType(name);
      if (!type)
        fail(`type ${JSON.stringify(name)} has no strata equivalent (int, float, bool, string, timestamp)`);
      return [{ type: 'schema', columns: [{ name: column, type }], allowExtraColumns: true }];
    }
    case 'expect_column_values_to_be_in_type_list': {
      const column = kwargs.column();
      const list = kwargs.get('type_list');
      if (!Array.isArray(list)) fail('type_list must be a list of type names');
      // A name with no strata equivalent can never be a strata column's type: leaving it out changes no verdict.
      const types = [...new Set(list.map(strataType).filter((t): t is ColumnType => t !== undefined))];
      if (types.length === 0) fail(`none of the types ${JSON.stringify(list)} has a strata equivalent`);
      return [{ type: 'column_type', column, types }];
    }
    case 'expect_column_values_to_not_be_null': {
      const column = kwargs.column();
      const mostly = kwargs.mostly();
      // Rounded so that 1 − 0.95 is 0.05, not 0.050000000000000044.
      const maxNullFraction = mostly === undefined ? 0 : Number((1 - mostly).toFixed(12));
      return [{ type: 'completeness', column, maxNullFraction }];
    }
    case 'expect_column_values_to_be_unique': {
      const column = kwargs.column();
      const mostly = kwargs.mostly();
      return [{ type: 'uniqueness', columns: [column], ...(mostly !== undefined && { mostly }) }];
    }
    case 'expect_column_values_to_be_between': {
      const column = kwargs.column();
      const min = bound(kwargs.get('min_value'), 'min_value');
      const max = bound(kwargs.get('max_value'), 'max_value');
      if (min === undefined && max === undefined) fail('neither min_value nor max_value is set');
      const strictMin = kwargs.flag('strict_min');
      const strictMax = kwargs.flag('strict_max');
      const mostly = kwargs.mostly();
      const tolerance = mostly !== undefined ? { mostly } : {};
      if (min !== undefined && max !== undefined && strictMin !== strictMax) {
        return [
          {
            type: 'range',
            column,
            min,
            max,
            minInclusive: !strictMin,
            maxInclusive: !strictMax,
            ...tolerance,
          },
        ];
      }
      const strict = min !== undefined ? strictMin : strictMax;
      return [
        {
          type: 'range',
          column,
          ...(min !== undefined && { min }),
          ...(max !== undefined && { max }),
          ...(strict && { inclusive: false }),
          ...tolerance,
        },
      ];
    }
    case 'expect_column_values_to_be_in_set': {
      const column = kwargs.column();
      const set = kwargs.get('value_set');
      if (!Array.isArray(set)) fail('value_set must be a list');
      const values = set.filter((v) => v !== null);
      if (
        !values.every(
          (v) =>
            typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)),
        )
      )
        fail('value_set may only hold strings, finite numbers and booleans');
      if (values.length === 0) fail('value_set is empty');
      const mostly = kwargs.mostly();
      return [
        {
          type: 'allowed_values',
          column,
          values: values as (string | number | boolean)[],
          ...(mostly !== undefined && { mostly }),
        },
      ];
    }
    case 'expect_column_values_to_match_regex': {
      const column = kwargs.column();
      const pattern = kwargs.get('regex');
      if (typeof pattern !== 'string' || pattern === '') fail('regex must be a non-empty string');
      const { regex, flags } = pythonRegexToJs(pattern);
      const mostly = kwargs.mostly();
      return [
        {
          type: 'pattern',
          column,
          regex,
          ...(flags && { flags }),
          ...(mostly !== undefined && { mostly }),
        },
      ];
    }
    case 'expect_table_row_count_to_be_between': {
      let min = numberBound(kwargs.get('min_value'), 'min_value');
      let max = numberBound(kwargs.get('max_value'), 'max_value');
      if (min === undefined && max === undefined) fail('neither min_value nor max_value is set');
      // Row counts are whole: a strict or fractional bound is the next whole number inside it.
      if (min !== undefined)
        min = Math.max(0, kwargs.flag('strict_min') ? Math.floor(min) + 1 : Math.ceil(min));
      if (max !== undefined) max = kwargs.flag('strict_max') ? Math.ceil(max) - 1 : Math.floor(max);
      if (max !== undefined && max < 0) fail('max_value allows no row count');
      if (min !== undefined && max !== undefined && min > max) fail('min_value exceeds max_value');
      return [{ type: 'row_count', ...(min !== undefined && { min }), ...(max !== undefined && { max }) }];
    }
    case 'expect_column_mean_to_be_between':
      return [{ type: 'distribution', column: kwargs.column(), mean: statBounds(kwargs) }];
    case 'expect_column_median_to_be_between':
      return [{ type: 'distribution', column: kwargs.column(), median: statBounds(kwargs) }];
    case 'expect_column_stdev_to_be_between':
      return [{ type: 'distribution', column: kwargs.column(), std: statBounds(kwargs) }];
    default:
      return fail(
        `strata has no check for ${type}; supported: ${SUPPORTED_EXPECTATIONS.map((t) => t.replace(/^expect_/, '')).join(', ')}`,
      );
  }
}

/**
 * Converts a GE suite (already shaped by `greatExpectationsSuiteSchema`) to a strata suite. Each check
 * is named `<expectation_type>(<column>)` so a report leads back to the expectation it came from.
 * Every produced check is re-validated by strata's own suite schema.
 */
export function convertGreatExpectationsSuite(
  input: z.infer<typeof greatExpectationsSuiteSchema>,
): GreatExpectationsConversion {
  const checks: Check[] = [];
  const converted: ConvertedExpectation[] = [];
  const unsupported: UnsupportedExpectation[] = [];
  for (const expectation of input.expectations) {
    const type = expectation.expectation_type ?? expectation.type ?? '';
    const raw = expectation.kwargs ?? {};
    const column = typeof raw.column === 'string' ? raw.column : undefined;
    const where = column === undefined ? {} : { column };
    try {
      const kwargs = new Kwargs(raw);
      const drafts = checksOf(type, kwargs);
      kwargs.rest();
      const severity = severityOf(expectation);
      const name = `${type}${column === undefined ? '' : `(${column})`}`;
      const parsed = drafts.map((draft) => {
        const result = checkSchema.safeParse({ ...draft, severity, name });
        if (!result.success) fail(result.error.issues.map((i) => i.message).join('; '));
        return result.data;
      });
      checks.push(...parsed);
      converted.push({ expectation_type: type, ...where, checks: parsed.map(checkName) });
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      unsupported.push({ expectation_type: type, ...where, reason: error.message });
    }
  }
  return { suite: { checks }, converted, unsupported };
}

function severityOf(expectation: Expectation): Severity {
  if (expectation.severity === undefined) return 'ERROR';
  const severity = SEVERITY_OF[expectation.severity.toLowerCase()];
  if (!severity) fail(`severity ${JSON.stringify(expectation.severity)} is not critical, warning or info`);
  return severity;
}

/** A suite as a client sends it: strata's own, or a GE suite, told apart by shape. */
export type SuiteDocument =
  | { format: 'strata'; suite: ValidationSuite }
  | { format: 'great_expectations'; suite: z.infer<typeof greatExpectationsSuiteSchema> };

/** What a suite document comes to: the strata suite, and for a GE suite what was converted and what not. */
export interface SuiteOfDocument extends GreatExpectationsConversion {
  format: SuiteDocument['format'];
}

/**
 * Parses a suite document by its shape (`expectations` → GE, else strata's schema); a malformed one is a
 * zod error whose issues come from the schema of the format it was taken for, so messages name its fields.
 */
export function parseSuiteDocument(
  value: unknown,
): { success: true; data: SuiteDocument } | { success: false; issues: z.core.$ZodIssue[] } {
  if (isGreatExpectationsSuite(value)) {
    const result = greatExpectationsSuiteSchema.safeParse(value);
    return result.success
      ? { success: true, data: { format: 'great_expectations', suite: result.data } }
      : { success: false, issues: result.error.issues };
  }
  const result = validationSuiteSchema.safeParse(value);
  return result.success
    ? { success: true, data: { format: 'strata', suite: result.data } }
    : { success: false, issues: result.error.issues };
}

/** The strata suite of a parsed document; a strata suite converts to itself with nothing left out. */
export function suiteOfDocument(document: SuiteDocument): SuiteOfDocument {
  if (document.format === 'strata') {
    return { format: 'strata', suite: document.suite, converted: [], unsupported: [] };
  }
  return { format: 'great_expectations', ...convertGreatExpectationsSuite(document.suite) };
}
