/**
 * The validation suite of a dataset: the checks every new file must pass before it becomes a version.
 * Stored in the metadata table as JSON (set through the API, or inferred from the first version), so the
 * model is a zod schema: the API rejects a malformed suite with a message naming the offending field,
 * and the validate stage re-parses what it reads back.
 */
import { z } from 'zod';
import type { TableSchema } from '../table.js';
import { COLUMN_TYPES } from '../table.js';

export const SEVERITIES = ['ERROR', 'WARNING', 'INFO'] as const;
/** ERROR fails the file (quarantine), WARNING passes it with the finding recorded, INFO only records. */
export type Severity = (typeof SEVERITIES)[number];

export const CHECK_TYPES = [
  'schema',
  'required_columns',
  'completeness',
  'uniqueness',
  'range',
  'allowed_values',
  'freshness',
  'distribution',
  'row_count',
  'pattern',
  'column_type',
] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

const severity = z
  .enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(', ')}` })
  .default('ERROR');

/** Fields every check has; spread into each strict object so unknown keys are still rejected. */
const common = {
  severity,
  /** Shown in reports; defaults to `<type>(<columns>)`, see `checkName`. */
  name: z.string().min(1, 'name must not be empty').optional(),
};

const columnName = z.string({ error: 'a column name must be a string' });

/** Column lists where naming a column twice is a mistake in the suite, not a stricter check. */
function distinctColumns(names: readonly string[], ctx: z.RefinementCtx, path: (string | number)[]): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name))
      ctx.addIssue({ code: 'custom', message: `column "${name}" is listed twice`, path: [...path, i] });
    seen.add(name);
  });
}

const finite = (what: string) => z.number({ error: `${what} must be a finite number` });

/**
 * The fraction of the column's non-null values that must satisfy a row-level rule for the check to pass
 * (Great Expectations' `mostly`). Default 1: every non-null value. The failed rows are reported either way.
 */
const mostly = z
  .number({ error: 'mostly must be a number between 0 and 1' })
  .min(0, 'mostly must be between 0 and 1')
  .max(1, 'mostly must be between 0 and 1')
  .optional();

/**
 * A bound of a range check: a number, or for timestamp columns an ISO 8601 date or date-time, kept as
 * written (the suite round-trips through the API unchanged) and converted when the validator is built.
 */
const rangeBound = z.union([finite('a bound'), z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'a bound must be a finite number or an ISO 8601 date/date-time (e.g. 2026-01-31T00:00:00Z)',
});
export type RangeBound = z.infer<typeof rangeBound>;

/** Epoch milliseconds of a bound; ISO strings without an offset are UTC, like the data's timestamps. */
export function boundValue(bound: RangeBound): number {
  return typeof bound === 'number' ? bound : Date.parse(bound);
}

const minMax = (what: string) =>
  z
    .strictObject({ min: finite(`${what}.min`).optional(), max: finite(`${what}.max`).optional() })
    .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, {
      message: `${what}.min must not exceed ${what}.max`,
    });

export const schemaCheckSchema = z
  .strictObject({
    type: z.literal('schema'),
    ...common,
    columns: z.array(
      z.strictObject({
        name: columnName,
        type: z.enum(COLUMN_TYPES, { error: `type must be one of ${COLUMN_TYPES.join(', ')}` }),
        /**
         * `false` requires the file's schema to declare the column non-nullable (decided from the schema,
         * like the rest of this check); to bound the nulls actually present, use a completeness check.
         */
        nullable: z.boolean().optional(),
      }),
    ),
    /** Columns of the file that the check does not list; rejected unless true. Default false. */
    allowExtraColumns: z.boolean().optional(),
  })
  .superRefine((c, ctx) =>
    distinctColumns(
      c.columns.map((col) => col.name),
      ctx,
      ['columns'],
    ),
  );

export const requiredColumnsCheckSchema = z
  .strictObject({
    type: z.literal('required_columns'),
    ...common,
    columns: z.array(columnName).min(1, 'list at least one column'),
  })
  .superRefine((c, ctx) => distinctColumns(c.columns, ctx, ['columns']));

export const completenessCheckSchema = z.strictObject({
  type: z.literal('completeness'),
  ...common,
  column: columnName,
  /** Nulls / rows above which the check fails; 0 means no nulls at all. */
  maxNullFraction: z
    .number({ error: 'maxNullFraction must be a number between 0 and 1' })
    .min(0, 'maxNullFraction must be between 0 and 1')
    .max(1, 'maxNullFraction must be between 0 and 1'),
});

export const uniquenessCheckSchema = z
  .strictObject({
    type: z.literal('uniqueness'),
    ...common,
    /** The (composite) key. Rows with a null in any key column are not compared (completeness's job). */
    columns: z.array(columnName).min(1, 'list at least one key column'),
    /**
     * With `mostly` below 1 the check passes while the rows that share their key with another row are at
     * most 1 − mostly of the rows with a complete key (Great Expectations counts every such row, the first
     * one included); `failedRows` still counts only the repeats.
     */
    mostly,
  })
  .superRefine((c, ctx) => distinctColumns(c.columns, ctx, ['columns']));

export const rangeCheckSchema = z
  .strictObject({
    type: z.literal('range'),
    ...common,
    column: columnName,
    min: rangeBound.optional(),
    max: rangeBound.optional(),
    /** Whether the bounds themselves are allowed. Default true. */
    inclusive: z.boolean().optional(),
    /** Whether `min` itself is allowed, when it differs from `max`'s; default `inclusive`. */
    minInclusive: z.boolean().optional(),
    /** Whether `max` itself is allowed; default `inclusive`. */
    maxInclusive: z.boolean().optional(),
    mostly,
  })
  .superRefine((c, ctx) => {
    if (c.min === undefined && c.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a range needs min, max or both', path: ['min'] });
    } else if (c.min !== undefined && c.max !== undefined && boundValue(c.min) > boundValue(c.max)) {
      ctx.addIssue({ code: 'custom', message: 'min must not exceed max', path: ['min'] });
    }
  });

export const allowedValuesCheckSchema = z.strictObject({
  type: z.literal('allowed_values'),
  ...common,
  column: columnName,
  values: z
    .array(
      z.union([z.string(), finite('a value'), z.boolean()], {
        error: 'allowed values must be strings, finite numbers or booleans',
      }),
    )
    .min(1, 'list at least one allowed value'),
  mostly,
});

export const freshnessCheckSchema = z.strictObject({
  type: z.literal('freshness'),
  ...common,
  /** A timestamp column; the check looks at its newest value. */
  column: columnName,
  maxAgeSeconds: z
    .number({ error: 'maxAgeSeconds must be a positive number' })
    .positive('maxAgeSeconds must be a positive number'),
});

export const distributionCheckSchema = z
  .strictObject({
    type: z.literal('distribution'),
    ...common,
    column: columnName,
    mean: minMax('mean').optional(),
    /** Bounds of the sample standard deviation (n - 1). */
    std: minMax('std').optional(),
    /**
     * Bounds of the median (the mean of the two middle values for an even count). Exact up to
     * MEDIAN_EXACT_LIMIT finite values, then estimated by a KLL sketch (rank error ≤ 1.65%).
     */
    median: minMax('median').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mean === undefined && c.std === undefined && c.median === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'a distribution check needs mean, std or median',
        path: ['mean'],
      });
    }
  });

/** A check on the file as a whole: how many rows it has. */
export const rowCountCheckSchema = z
  .strictObject({
    type: z.literal('row_count'),
    ...common,
    min: z.int({ error: 'min must be a whole number' }).min(0, 'min must not be negative').optional(),
    max: z.int({ error: 'max must be a whole number' }).min(0, 'max must not be negative').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.min === undefined && c.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a row count check needs min, max or both', path: ['min'] });
    } else if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      ctx.addIssue({ code: 'custom', message: 'min must not exceed max', path: ['min'] });
    }
  });

/** Longest regular expression a pattern check takes: it runs over every value of the column. */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Every non-null value of a string column must match the regular expression (JavaScript syntax, searched
 * anywhere in the value like Python's `re.search`; anchor it with ^ and $ to match the whole value).
 */
export const patternCheckSchema = z
  .strictObject({
    type: z.literal('pattern'),
    ...common,
    column: columnName,
    regex: z
      .string({ error: 'regex must be a string' })
      .min(1, 'regex must not be empty')
      .max(MAX_PATTERN_LENGTH, `regex must be at most ${MAX_PATTERN_LENGTH} characters`),
    /** RegExp flags, e.g. `i`; `g` and `y` are refused (they make matching stateful). */
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may only be i, m, s and u')
      .optional(),
    mostly,
  })
  .superRefine((c, ctx) => {
    try {
      new RegExp(c.regex, c.flags);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `regex does not compile: ${(error as Error).message}`,
        path: ['regex'],
      });
    }
  });

/**
 * The column exists and has one of the types (an int column is also a float column, as in the schema
 * check). One type is what a schema check says; several are Great Expectations' type lists.
 */
export const columnTypeCheckSchema = z.strictObject({
  type: z.literal('column_type'),
  ...common,
  column: columnName,
  types: z
    .array(z.enum(COLUMN_TYPES, { error: `types are ${COLUMN_TYPES.join(', ')}` }))
    .min(1, 'list at least one type'),
});

export const checkSchema = z.discriminatedUnion(
  'type',
  [
    schemaCheckSchema,
    requiredColumnsCheckSchema,
    completenessCheckSchema,
    uniquenessCheckSchema,
    rangeCheckSchema,
    allowedValuesCheckSchema,
    freshnessCheckSchema,
    distributionCheckSchema,
    rowCountCheckSchema,
    patternCheckSchema,
    columnTypeCheckSchema,
  ],
  { error: `type must be one of ${CHECK_TYPES.join(', ')}` },
);

export const validationSuiteSchema = z.strictObject({
  /** Revision of the suite, for reports to say which one a file was judged by. */
  version: z.number().int().positive('version must be a positive integer').optional(),
  checks: z.array(checkSchema, { error: 'checks must be an array of checks' }),
});

/** A suite as parsed (severities filled in); `ValidationSuiteInput` is what a client may send. */
export type ValidationSuite = z.infer<typeof validationSuiteSchema>;
export type ValidationSuiteInput = z.input<typeof validationSuiteSchema>;
export type Check = z.infer<typeof checkSchema>;
export type SchemaCheck = z.infer<typeof schemaCheckSchema>;
export type RequiredColumnsCheck = z.infer<typeof requiredColumnsCheckSchema>;
export type CompletenessCheck = z.infer<typeof completenessCheckSchema>;
export type UniquenessCheck = z.infer<typeof uniquenessCheckSchema>;
export type RangeCheck = z.infer<typeof rangeCheckSchema>;
export type AllowedValuesCheck = z.infer<typeof allowedValuesCheckSchema>;
export type FreshnessCheck = z.infer<typeof freshnessCheckSchema>;
export type DistributionCheck = z.infer<typeof distributionCheckSchema>;
export type RowCountCheck = z.infer<typeof rowCountCheckSchema>;
export type PatternCheck = z.infer<typeof patternCheckSchema>;
export type ColumnTypeCheck = z.infer<typeof columnTypeCheckSchema>;

/** The name a report shows for a check: its own, or `<type>(<columns>)`. */
export function checkName(check: Check): string {
  if (check.name !== undefined) return check.name;
  switch (check.type) {
    case 'schema':
      return 'schema';
    case 'row_count':
      return 'row_count';
    case 'required_columns':
    case 'uniqueness':
      return `${check.type}(${check.columns.join(', ')})`;
    default:
      return `${check.type}(${check.column})`;
  }
}

/** Names of the checks `suiteFromSchema` emits, so callers and tests can find them in a report. */
export const DEFAULT_SCHEMA_CHECK = 'schema';
export const DEFAULT_NEW_COLUMNS_CHECK = 'no new columns';

/**
 * The suite of a dataset nobody configured: what its first version looked like.
 * - `schema` (ERROR, extra columns allowed): every column of the first version is still there with its
 *   type; a missing or retyped column breaks consumers, so the file is quarantined.
 * - `no new columns` (WARNING, extra columns rejected): a new column is usually an upstream addition, not
 *   breakage, so the file passes and the report says so. It also fails when a column is missing, next to
 *   the ERROR above: a redundant warning is cheaper than a third check type.
 * - `completeness` (ERROR, maxNullFraction 0) for each column the first version had no nulls in: the
 *   nullability is checked against the data, with counts, rather than against the inferred flag.
 * Nothing about values (ranges, allowed values, distributions) is inferred: one file is too little
 * evidence, and drift detection compares distributions across versions anyway.
 */
export function suiteFromSchema(schema: TableSchema): ValidationSuite {
  const columns = schema.columns.map((c) => ({ name: c.name, type: c.type }));
  return {
    checks: [
      { type: 'schema', name: DEFAULT_SCHEMA_CHECK, severity: 'ERROR', columns, allowExtraColumns: true },
      {
        type: 'schema',
        name: DEFAULT_NEW_COLUMNS_CHECK,
        severity: 'WARNING',
        columns: columns.map((c) => ({ ...c })),
        allowExtraColumns: false,
      },
      ...schema.columns
        .filter((c) => !c.nullable)
        .map((c) => ({
          type: 'completeness' as const,
          severity: 'ERROR' as const,
          column: c.name,
          maxNullFraction: 0,
        })),
    ],
  };
}
