/**
 * A feature spec: which time-series features to derive from a table, per entity, without leaking the
 * future. Stored and sent as JSON, so the model is a zod schema (camelCase), like the validation suite.
 *
 * `applyFeatureSpec` groups the rows by the entity key columns, orders each group by the timestamp
 * (stable: rows at the same instant keep their input order), imputes or drops missing values, runs every
 * transform over each group's series with the kernels of `transforms.ts`, and writes the results back in
 * the input's row order, so the output aligns row for row with the input (unless `drop` removed rows).
 * Every feature of a row is computed from that row and the earlier rows of its entity only.
 *
 * Output column names (`<col>` is the transform's column, `<ts>` the timestamp column), e.g.:
 * - rolling           `<col>_rolling_<stat>_<window>`          temp_rolling_mean_7
 * - lag               `<col>_lag_<k>`                          temp_lag_1
 * - diff              `<col>_diff_<order>`                     temp_diff_1, temp_diff_2
 * - pct_change        `<col>_pct_change_<periods>`             temp_pct_change_1
 * - rate_of_change    `<col>_roc`                              temp_roc
 * - ewm               `<col>_ewm_<stat>_span<span>`            temp_ewm_mean_span10
 *                     `<col>_ewm_<stat>_alpha<alpha>`          temp_ewm_std_alpha0p3
 * - expanding         `<col>_expanding_<stat>`                 temp_expanding_max
 * - volatility        `<col>_volatility_<window>`              temp_volatility_20
 * - fft               `<col>_fft_mag_<k>_<window>`             temp_fft_mag_1_64 … temp_fft_mag_K_64
 *                     `<col>_fft_freq_<k>_<window>`            temp_fft_freq_1_64 …
 *                     `<col>_spectral_energy_<window>`         temp_spectral_energy_64
 *                     `<col>_spectral_entropy_<window>`        temp_spectral_entropy_64
 * - time_parts        `<ts>_<part>` (+ `_sin`, `_cos`)          ts_hour, ts_hour_sin, ts_hour_cos
 * - entity_aggregate  `<col>_<stat>_<window>`                  amount_count_7d, amount_sum_30m
 * A decimal point in a parameter is written `p` (alpha 0.3 → `alpha0p3`) so names stay identifiers. A spec
 * whose outputs collide with each other or with a column of the input is refused (InvalidInputError).
 *
 * Types: `count` and the time parts are `int`, everything else `float`. Missing and undefined values (the
 * first rows of a lag, a window with too few values, a division by zero) are null: a kernel's NaN or
 * ±Infinity is written as null.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../errors.js';
import type { CellValue, ColumnSchema, ColumnType, RecordBatch, TableSchema } from '../table.js';
import { columnIndex } from '../table.js';
import {
  CYCLICAL_TIME_PARTS,
  cyclicalTimePart,
  DURATION_PATTERN,
  diff,
  EXPANDING_STATS,
  ewmMean,
  ewmStd,
  expanding,
  type Imputation,
  imputeSeries,
  lag,
  parseDuration,
  pctChange,
  ROLLING_STATS,
  rateOfChange,
  rolling,
  rollingVolatility,
  spectralFeatures,
  TIME_PARTS,
  type TimePart,
  timePart,
  trailingWindowAggregate,
  WINDOW_AGGREGATE_STATS,
} from './transforms.js';

/** Bounds that keep one spec from asking for unbounded work (rolling median is O(rows · window)). */
export const MAX_ROW_WINDOW = 100_000;
export const MAX_FFT_WINDOW = 1024;
export const MISSING_STRATEGIES = ['mean', 'median', 'ffill', 'drop', 'zero'] as const;
export type MissingStrategy = (typeof MISSING_STRATEGIES)[number];
export const TRANSFORM_KINDS = [
  'rolling',
  'lag',
  'diff',
  'pct_change',
  'rate_of_change',
  'ewm',
  'expanding',
  'volatility',
  'fft',
  'time_parts',
  'entity_aggregate',
] as const;
export type TransformKind = (typeof TRANSFORM_KINDS)[number];

const columnName = z
  .string({ error: 'a column name must be a string' })
  .min(1, 'a column name must not be empty');

const rowCount = (what: string, min = 1, max = MAX_ROW_WINDOW) =>
  z
    .int({ error: `${what} must be an integer` })
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);

/** Lists where naming a value twice would only produce a duplicate output column. */
function distinct(what: string) {
  return (values: readonly unknown[], ctx: z.RefinementCtx): void => {
    const seen = new Set<unknown>();
    values.forEach((v, i) => {
      if (seen.has(v))
        ctx.addIssue({ code: 'custom', message: `${what} ${String(v)} is listed twice`, path: [i] });
      seen.add(v);
    });
  };
}

const list = <T extends z.ZodType<string | number>>(item: T, what: string) =>
  z
    .array(item, { error: `${what} must be an array` })
    .min(1, `list at least one ${what}`)
    .superRefine(distinct(what));

export const rollingTransformSchema = z
  .strictObject({
    kind: z.literal('rolling'),
    column: columnName,
    /** Windows in rows (the row and the ones before it). */
    windows: list(rowCount('a window'), 'window'),
    stats: list(z.enum(ROLLING_STATS, { error: `stats are ${ROLLING_STATS.join(', ')}` }), 'stat'),
    /** pandas' `min_periods`; default: the window (a window with a missing value gives null). */
    minPeriods: rowCount('minPeriods').optional(),
  })
  .superRefine((t, ctx) => {
    if (t.minPeriods !== undefined && t.windows.some((w) => w < (t.minPeriods ?? 0)))
      ctx.addIssue({
        code: 'custom',
        message: 'minPeriods must not exceed any window',
        path: ['minPeriods'],
      });
  });

export const lagTransformSchema = z.strictObject({
  kind: z.literal('lag'),
  column: columnName,
  /** Positive only: a negative lag would read a later row. */
  lags: list(rowCount('a lag'), 'lag'),
});

export const diffTransformSchema = z.strictObject({
  kind: z.literal('diff'),
  column: columnName,
  /** 1: x[t] − x[t−1]; 2: the second difference (`s.diff().diff()`). */
  order: z.union([z.literal(1), z.literal(2)], { error: 'order must be 1 or 2' }).default(1),
});

export const pctChangeTransformSchema = z.strictObject({
  kind: z.literal('pct_change'),
  column: columnName,
  periods: rowCount('periods').default(1),
});

export const rateOfChangeTransformSchema = z.strictObject({
  kind: z.literal('rate_of_change'),
  column: columnName,
});

export const ewmTransformSchema = z
  .strictObject({
    kind: z.literal('ewm'),
    column: columnName,
    /** α = 2 / (span + 1). */
    span: z.number({ error: 'span must be a number' }).min(1, 'span must be at least 1').max(1e9).optional(),
    alpha: z
      .number({ error: 'alpha must be a number' })
      .gt(0, 'alpha must be in (0, 1]')
      .max(1, 'alpha must be in (0, 1]')
      .optional(),
    stats: list(z.enum(['mean', 'std'], { error: 'stats are mean, std' }), 'stat'),
  })
  .superRefine((t, ctx) => {
    if ((t.span === undefined) === (t.alpha === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of span or alpha', path: ['span'] });
  });

export const expandingTransformSchema = z.strictObject({
  kind: z.literal('expanding'),
  column: columnName,
  stats: list(z.enum(EXPANDING_STATS, { error: `stats are ${EXPANDING_STATS.join(', ')}` }), 'stat'),
});

export const volatilityTransformSchema = z.strictObject({
  kind: z.literal('volatility'),
  column: columnName,
  /** Number of log returns in the window. */
  window: rowCount('window', 2),
});

export const fftTransformSchema = z
  .strictObject({
    kind: z.literal('fft'),
    column: columnName,
    window: rowCount('window', 4, MAX_FFT_WINDOW),
    topK: rowCount('topK', 1, MAX_FFT_WINDOW / 2),
  })
  .superRefine((t, ctx) => {
    if (t.topK > Math.floor(t.window / 2))
      ctx.addIssue({
        code: 'custom',
        message: `topK must not exceed window / 2 (${Math.floor(t.window / 2)} frequencies)`,
        path: ['topK'],
      });
  });

export const timePartsTransformSchema = z.strictObject({
  kind: z.literal('time_parts'),
  parts: list(z.enum(TIME_PARTS, { error: `parts are ${TIME_PARTS.join(', ')}` }), 'part'),
  /** Also emit sin/cos encodings of each cyclical part. Default false. */
  cyclical: z.boolean().default(false),
});

export const entityAggregateTransformSchema = z.strictObject({
  kind: z.literal('entity_aggregate'),
  column: columnName,
  /** Trailing time windows (t − w, t] such as "30m", "12h", "7d". */
  windows: list(
    z
      .string()
      .regex(DURATION_PATTERN, 'a window is a duration such as 30m, 12h, 7d (units ms, s, m, h, d, w)'),
    'window',
  ),
  stats: list(
    z.enum(WINDOW_AGGREGATE_STATS, { error: `stats are ${WINDOW_AGGREGATE_STATS.join(', ')}` }),
    'stat',
  ),
});

export const transformSchema = z.discriminatedUnion(
  'kind',
  [
    rollingTransformSchema,
    lagTransformSchema,
    diffTransformSchema,
    pctChangeTransformSchema,
    rateOfChangeTransformSchema,
    ewmTransformSchema,
    expandingTransformSchema,
    volatilityTransformSchema,
    fftTransformSchema,
    timePartsTransformSchema,
    entityAggregateTransformSchema,
  ],
  { error: `kind must be one of ${TRANSFORM_KINDS.join(', ')}` },
);

export const missingRuleSchema = z.strictObject({
  strategy: z.enum(MISSING_STRATEGIES, { error: `strategy must be one of ${MISSING_STRATEGIES.join(', ')}` }),
  /** Columns the rule applies to; omitted: every transform input column no other rule names. */
  columns: list(columnName, 'column').optional(),
});

export const featureSpecSchema = z
  .strictObject({
    /** Columns identifying an entity (device, customer); empty: the whole table is one series. */
    entityKeys: z.array(columnName).superRefine(distinct('entity key')).default([]),
    /** Orders each entity's rows; a `timestamp` (epoch ms) or numeric column without nulls. */
    timestampColumn: columnName,
    /** One rule, or one per group of columns. Applied to the input columns before the transforms. */
    missing: z.union([missingRuleSchema, z.array(missingRuleSchema).min(1)]).optional(),
    transforms: z
      .array(transformSchema, { error: 'transforms must be an array' })
      .min(1, 'list at least one transform'),
    /** Keep every input column in the output; false keeps only the entity keys and the timestamp. */
    keepSourceColumns: z.boolean().default(true),
  })
  .superRefine((spec, ctx) => {
    const rules = missingRules(spec.missing);
    if (rules.filter((r) => r.columns === undefined).length > 1)
      ctx.addIssue({ code: 'custom', message: 'only one missing rule may omit columns', path: ['missing'] });
    const owner = new Set<string>();
    for (const rule of rules) {
      for (const c of rule.columns ?? []) {
        if (owner.has(c))
          ctx.addIssue({
            code: 'custom',
            message: `column "${c}" is in two missing rules`,
            path: ['missing'],
          });
        owner.add(c);
      }
    }
    if (spec.entityKeys.includes(spec.timestampColumn))
      ctx.addIssue({
        code: 'custom',
        message: 'the timestamp column cannot also be an entity key',
        path: ['entityKeys'],
      });
  });

/** A spec as parsed (defaults filled in); `FeatureSpecInput` is what a client may send. */
export type FeatureSpec = z.infer<typeof featureSpecSchema>;
export type FeatureSpecInput = z.input<typeof featureSpecSchema>;
export type Transform = z.infer<typeof transformSchema>;
export type MissingRule = z.infer<typeof missingRuleSchema>;

function missingRules(missing: MissingRule | MissingRule[] | undefined): MissingRule[] {
  if (missing === undefined) return [];
  return Array.isArray(missing) ? missing : [missing];
}

/** Parses a spec (JSON); a mismatch is an InvalidInputError listing each issue with its path. */
export function parseFeatureSpec(value: unknown): FeatureSpec {
  const result = featureSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new InvalidInputError(`invalid feature spec: ${summary}`, issues, { cause: result.error });
}

/** An example spec (sensor readings per device), shown in the README and exercised by the tests. */
export const FEATURE_SPEC_EXAMPLE: FeatureSpecInput = {
  entityKeys: ['device_id'],
  timestampColumn: 'ts',
  missing: [
    { strategy: 'ffill', columns: ['temp'] },
    { strategy: 'zero', columns: ['energy_kwh'] },
  ],
  transforms: [
    { kind: 'rolling', column: 'temp', windows: [6, 24], stats: ['mean', 'std', 'max'] },
    { kind: 'lag', column: 'temp', lags: [1, 24] },
    { kind: 'diff', column: 'temp', order: 1 },
    { kind: 'rate_of_change', column: 'temp' },
    { kind: 'ewm', column: 'temp', span: 12, stats: ['mean', 'std'] },
    { kind: 'volatility', column: 'energy_kwh', window: 24 },
    { kind: 'fft', column: 'vibration', window: 64, topK: 3 },
    { kind: 'time_parts', parts: ['hour', 'day_of_week', 'is_weekend'], cyclical: true },
    {
      kind: 'entity_aggregate',
      column: 'energy_kwh',
      windows: ['1d', '7d'],
      stats: ['count', 'sum', 'mean'],
    },
  ],
};

// ---------------------------------------------------------------------------------------------------
// Planning: output columns and their order, checked against the table's schema

/** A decimal parameter inside a column name: 0.3 → 0p3. */
function nameParam(value: number): string {
  return String(value).replace('.', 'p');
}

interface OutputColumn {
  name: string;
  type: Extract<ColumnType, 'int' | 'float'>;
  nullable: boolean;
}

const float = (name: string): OutputColumn => ({ name, type: 'float', nullable: true });

/** The output columns of one transform, in the order `computeTransform` returns them. */
function outputsOf(t: Transform, timestampColumn: string): OutputColumn[] {
  switch (t.kind) {
    case 'rolling':
      return t.windows.flatMap((w) => t.stats.map((s) => float(`${t.column}_rolling_${s}_${w}`)));
    case 'lag':
      return t.lags.map((k) => float(`${t.column}_lag_${k}`));
    case 'diff':
      return [float(`${t.column}_diff_${t.order}`)];
    case 'pct_change':
      return [float(`${t.column}_pct_change_${t.periods}`)];
    case 'rate_of_change':
      return [float(`${t.column}_roc`)];
    case 'ewm': {
      const param = t.span !== undefined ? `span${nameParam(t.span)}` : `alpha${nameParam(t.alpha ?? 0)}`;
      return t.stats.map((s) => float(`${t.column}_ewm_${s}_${param}`));
    }
    case 'expanding':
      return t.stats.map((s) => float(`${t.column}_expanding_${s}`));
    case 'volatility':
      return [float(`${t.column}_volatility_${t.window}`)];
    case 'fft': {
      const ks = Array.from({ length: t.topK }, (_, r) => r + 1);
      return [
        ...ks.map((k) => float(`${t.column}_fft_mag_${k}_${t.window}`)),
        ...ks.map((k) => float(`${t.column}_fft_freq_${k}_${t.window}`)),
        float(`${t.column}_spectral_energy_${t.window}`),
        float(`${t.column}_spectral_entropy_${t.window}`),
      ];
    }
    case 'time_parts':
      // Timestamps are never null (refused), so neither are their parts.
      return t.parts.flatMap((part) => [
        { name: `${timestampColumn}_${part}`, type: 'int' as const, nullable: false },
        ...(t.cyclical && isCyclical(part)
          ? (['sin', 'cos'] as const).map((f) => ({
              name: `${timestampColumn}_${part}_${f}`,
              type: 'float' as const,
              nullable: false,
            }))
          : []),
      ]);
    case 'entity_aggregate':
      return t.windows.flatMap((w) =>
        t.stats.map((s) =>
          s === 'count'
            ? { name: `${t.column}_count_${w}`, type: 'int' as const, nullable: false }
            : float(`${t.column}_${s}_${w}`),
        ),
      );
  }
}

function isCyclical(part: TimePart): part is (typeof CYCLICAL_TIME_PARTS)[number] {
  return (CYCLICAL_TIME_PARTS as readonly string[]).includes(part);
}

function label(t: Transform, i: number): string {
  return `transform #${i + 1} (${t.kind})`;
}

const NUMERIC: readonly ColumnType[] = ['int', 'float'];

interface Plan {
  spec: FeatureSpec;
  timestampIndex: number;
  entityIndexes: number[];
  /** Per transform: its outputs, in order. */
  outputs: OutputColumn[][];
  /** Columns whose rows with a null are dropped before anything else. */
  dropColumns: number[];
  /** How each transform input column is imputed (absent: left missing). */
  imputation: Map<string, Imputation>;
  /** Numeric columns the transforms read, by name → index. */
  inputs: Map<string, number>;
}

function requireColumn(schema: TableSchema, name: string, what: string): number {
  const index = columnIndex(schema, name);
  if (index < 0) throw new InvalidInputError(`${what}: column "${name}" is not in the table`);
  return index;
}

function planFeatures(spec: FeatureSpec, schema: TableSchema): Plan {
  const timestampIndex = requireColumn(schema, spec.timestampColumn, 'timestampColumn');
  const timestampType = schema.columns[timestampIndex]?.type;
  if (timestampType !== 'timestamp' && timestampType !== 'int' && timestampType !== 'float')
    throw new InvalidInputError(
      `timestampColumn: column "${spec.timestampColumn}" is ${timestampType}; ` +
        'it must be a timestamp (epoch ms) or numeric column',
    );
  const entityIndexes = spec.entityKeys.map((k) => requireColumn(schema, k, 'entityKeys'));

  const inputs = new Map<string, number>();
  spec.transforms.forEach((t, i) => {
    if (t.kind === 'time_parts') return;
    const index = requireColumn(schema, t.column, label(t, i));
    const type = schema.columns[index]?.type;
    if (type === undefined || !NUMERIC.includes(type))
      throw new InvalidInputError(
        `${label(t, i)}: column "${t.column}" is ${type}; it needs an int or float column`,
      );
    inputs.set(t.column, index);
  });

  const dropColumns: number[] = [];
  const imputation = new Map<string, Imputation>();
  const rules = missingRules(spec.missing);
  const named = new Set(rules.flatMap((r) => r.columns ?? []));
  for (const rule of rules) {
    const columns = rule.columns ?? [...inputs.keys()].filter((c) => !named.has(c));
    for (const c of columns) {
      const index = requireColumn(schema, c, `missing (${rule.strategy})`);
      if (rule.strategy === 'drop') {
        dropColumns.push(index);
        continue;
      }
      const type = schema.columns[index]?.type;
      if (type === undefined || !NUMERIC.includes(type))
        throw new InvalidInputError(
          `missing (${rule.strategy}): column "${c}" is ${type}; ` +
            'only int and float columns can be imputed (use drop)',
        );
      imputation.set(c, rule.strategy);
    }
  }

  const outputs = spec.transforms.map((t) => outputsOf(t, spec.timestampColumn));
  const owners = new Map<string, string>(schema.columns.map((c) => [c.name, 'an input column']));
  spec.transforms.forEach((t, i) => {
    for (const o of outputs[i] ?? []) {
      const owner = owners.get(o.name);
      if (owner !== undefined)
        throw new InvalidInputError(`${label(t, i)}: its output column "${o.name}" collides with ${owner}`, [
          { path: `transforms.${i}`, message: `output column "${o.name}" collides with ${owner}` },
        ]);
      owners.set(o.name, `the output of ${label(t, i)}`);
    }
  });
  return { spec, timestampIndex, entityIndexes, outputs, dropColumns, imputation, inputs };
}

/** The feature columns `applyFeatureSpec` appends, without computing them; throws what it would throw. */
export function featureColumnsOf(spec: FeatureSpecInput, schema: TableSchema): ColumnSchema[] {
  return planFeatures(parseFeatureSpec(spec), schema).outputs.flat();
}

/** The full output schema of `applyFeatureSpec` (source columns kept or not, then the features). */
export function featureOutputSchemaOf(spec: FeatureSpecInput, schema: TableSchema): TableSchema {
  const plan = planFeatures(parseFeatureSpec(spec), schema);
  return {
    columns: [
      ...sourceColumnsOf(plan, schema)
        .map((i) => schema.columns[i])
        .filter((c) => c !== undefined),
      ...plan.outputs.flat(),
    ],
  };
}

/** Indexes of the input columns the output carries over, in output order. */
function sourceColumnsOf(plan: Plan, schema: TableSchema): number[] {
  if (plan.spec.keepSourceColumns) return schema.columns.map((_, i) => i);
  return [...plan.entityIndexes, plan.timestampIndex];
}

// ---------------------------------------------------------------------------------------------------
// Computing

/** One transform over one entity's series (ordered by time); arrays in `outputsOf` order. */
function computeTransform(
  t: Transform,
  series: (column: string) => Float64Array,
  ts: Float64Array,
): Float64Array[] {
  switch (t.kind) {
    case 'rolling': {
      const x = series(t.column);
      return t.windows.flatMap((w) =>
        t.stats.map((s) => rolling(x, w, s, { minPeriods: t.minPeriods ?? w })),
      );
    }
    case 'lag': {
      const x = series(t.column);
      return t.lags.map((k) => lag(x, k));
    }
    case 'diff':
      return [diff(series(t.column), t.order)];
    case 'pct_change':
      return [pctChange(series(t.column), t.periods)];
    case 'rate_of_change':
      return [rateOfChange(series(t.column), ts)];
    case 'ewm': {
      const x = series(t.column);
      const options = t.span !== undefined ? { span: t.span } : { alpha: t.alpha };
      return t.stats.map((s) => (s === 'mean' ? ewmMean(x, options) : ewmStd(x, options)));
    }
    case 'expanding': {
      const x = series(t.column);
      return t.stats.map((s) => expanding(x, s));
    }
    case 'volatility':
      return [rollingVolatility(series(t.column), t.window)];
    case 'fft': {
      const f = spectralFeatures(series(t.column), t.window, t.topK);
      return [...f.magnitudes, ...f.frequencies, f.energy, f.entropy];
    }
    case 'time_parts':
      return t.parts.flatMap((part) => {
        const value = timePart(ts, part);
        if (!t.cyclical || !isCyclical(part)) return [value];
        const { sin, cos } = cyclicalTimePart(ts, part);
        return [value, sin, cos];
      });
    case 'entity_aggregate': {
      const x = series(t.column);
      return t.windows.flatMap((w) => {
        const ms = parseDuration(w);
        return t.stats.map((s) => trailingWindowAggregate(x, ts, ms, s));
      });
    }
  }
}

function numericCell(value: CellValue, column: string, row: number): number {
  if (value === null) return Number.NaN;
  if (typeof value !== 'number')
    throw new InvalidInputError(`column "${column}" row ${row}: expected a number, got a ${typeof value}`);
  return value;
}

/** Row positions grouped by entity key, each group in input order; groups in order of first appearance. */
function groupRows(
  table: RecordBatch,
  entityIndexes: readonly number[],
  rows: readonly number[],
): number[][] {
  if (entityIndexes.length === 0) return [rows.map((_, p) => p)];
  const keyColumns = entityIndexes.map((i) => table.columns[i] ?? []);
  const groups = new Map<unknown, number[]>();
  rows.forEach((row, p) => {
    // One key column: its value is the map key (1 and "1" stay apart); several: their JSON.
    const key =
      keyColumns.length === 1
        ? (keyColumns[0]?.[row] ?? null)
        : JSON.stringify(keyColumns.map((c) => c[row] ?? null));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [p]);
    else group.push(p);
  });
  return [...groups.values()];
}

/**
 * Derives the spec's features from a whole table (one batch). Output: the input columns (or only the
 * entity keys and timestamp when `keepSourceColumns` is false) followed by the feature columns, row i of
 * the output being row i of the input (after `drop` removed rows, the surviving rows in input order).
 * Source columns are passed through as they came in (not imputed). A null entity key is a key of its own.
 * Throws InvalidInputError for a malformed spec, a missing or mistyped column, an output name collision,
 * a null timestamp or a non-numeric cell in a numeric column.
 */
export function applyFeatureSpec(table: RecordBatch, specInput: FeatureSpecInput): RecordBatch {
  const plan = planFeatures(parseFeatureSpec(specInput), table.schema);
  const { spec } = plan;
  if (
    table.columns.length !== table.schema.columns.length ||
    table.columns.some((c) => c.length !== table.numRows)
  )
    throw new InvalidInputError('the batch does not match its schema (column count or lengths)');

  const timestampCells = table.columns[plan.timestampIndex] ?? [];
  const timestampsAll = new Float64Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const v = timestampCells[r];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new InvalidInputError(
        `timestampColumn "${spec.timestampColumn}" row ${r}: ${v === null ? 'null' : String(v)} ` +
          'is not a timestamp; rows cannot be ordered',
      );
    timestampsAll[r] = v;
  }

  const rows: number[] = [];
  for (let r = 0; r < table.numRows; r++) {
    if (plan.dropColumns.every((c) => table.columns[c]?.[r] !== null)) rows.push(r);
  }
  const m = rows.length;

  const inputValues = new Map<string, Float64Array>();
  for (const [name, index] of plan.inputs) {
    const cells = table.columns[index] ?? [];
    inputValues.set(
      name,
      Float64Array.from(rows, (r) => numericCell(cells[r] ?? null, name, r)),
    );
  }

  const outputs = plan.outputs.flat();
  const results = outputs.map(() => new Float64Array(m).fill(Number.NaN));
  for (const group of groupRows(table, plan.entityIndexes, rows)) {
    // Array sort is stable: rows at the same instant keep their input order.
    group.sort((a, b) => (timestampsAll[rows[a] ?? 0] ?? 0) - (timestampsAll[rows[b] ?? 0] ?? 0));
    const ts = Float64Array.from(group, (p) => timestampsAll[rows[p] ?? 0] ?? Number.NaN);
    const cache = new Map<string, Float64Array>();
    const series = (column: string): Float64Array => {
      let x = cache.get(column);
      if (x === undefined) {
        const all = inputValues.get(column) ?? new Float64Array(m).fill(Number.NaN);
        x = Float64Array.from(group, (p) => all[p] ?? Number.NaN);
        const strategy = plan.imputation.get(column);
        if (strategy !== undefined) x = imputeSeries(x, strategy);
        cache.set(column, x);
      }
      return x;
    };
    let offset = 0;
    spec.transforms.forEach((t, i) => {
      const computed = computeTransform(t, series, ts);
      const expected = plan.outputs[i]?.length ?? 0;
      for (let j = 0; j < expected; j++) {
        const target = results[offset + j];
        const source = computed[j];
        if (target === undefined || source === undefined) continue;
        group.forEach((p, q) => {
          target[p] = source[q] ?? Number.NaN;
        });
      }
      offset += expected;
    });
  }

  const sources = sourceColumnsOf(plan, table.schema);
  return {
    schema: {
      columns: [
        ...sources.map((i) => table.schema.columns[i]).filter((c): c is ColumnSchema => c !== undefined),
        ...outputs.map((o) => ({ ...o })),
      ],
    },
    numRows: m,
    columns: [
      ...sources.map((i) => {
        const cells = table.columns[i] ?? [];
        return m === table.numRows ? cells.slice() : rows.map((r) => cells[r] ?? null);
      }),
      ...results.map((values) => Array.from(values, (v): CellValue => (Number.isFinite(v) ? v : null))),
    ],
  };
}
