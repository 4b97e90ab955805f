/**
 * Feature normalization: fit statistics on the training rows, persist them as plain JSON with the feature
 * version, and apply the very same statistics to validation, test and inference rows. Fitting on the
 * training split only is what keeps the evaluation honest: statistics that saw validation or test rows would
 * leak them into the model. Pure: the caller reads the split and stores the params.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../errors.js';
import type { CellValue, ColumnSchema, RecordBatch } from '../table.js';

export const NORMALIZATION_METHODS = ['zscore', 'minmax', 'robust', 'none'] as const;
/**
 * - `zscore`: (x − mean) / std, with the sample standard deviation (ddof = 1, as pandas' `std()`).
 * - `minmax`: (x − min) / (max − min), so the training rows land in [0, 1].
 * - `robust`: (x − median) / (Q3 − Q1), quantiles linearly interpolated (numpy's default), so a few
 *   outliers do not set the scale.
 * - `none`: the column is left as it is (listed so a per-column override can exempt it).
 *
 * A zero spread (std, range or IQR of 0: the training rows hold one value) maps every value to 0 rather
 * than dividing by zero: the column carries no information the model could have learnt from.
 */
export type NormalizationMethod = (typeof NORMALIZATION_METHODS)[number];

export interface NormalizationSpec {
  method: NormalizationMethod;
  /** Columns to normalize; default: every `int` and `float` column not in `exclude`. */
  columns?: string[];
  /** Columns never normalized (identifiers, labels), also when listed in `columns`. */
  exclude?: string[];
  /** A method for some of the normalized columns, overriding `method`. */
  perColumn?: Record<string, NormalizationMethod>;
}

/**
 * What was fitted for one column. `fittedRows` counts the values the statistics were computed from (the
 * training rows where the column held a finite number), which tells a reader how much to trust them.
 */
export type ColumnNormalization =
  | { method: 'zscore'; mean: number; std: number; fittedRows: number }
  | { method: 'minmax'; min: number; max: number; fittedRows: number }
  | { method: 'robust'; median: number; q1: number; q3: number; fittedRows: number }
  | { method: 'none'; fittedRows: number };

/** Persisted beside the feature version (plain JSON) and reused at inference. */
export interface NormalizationParams {
  version: 1;
  columns: Record<string, ColumnNormalization>;
}

// zod 4's number() rejects NaN and ±Infinity, which JSON could not carry anyway.
const statistic = z.number();
const fittedRows = z.int().min(1);

/**
 * Parses params read back from storage. Strict (an unknown key is a writer we do not know about, not
 * something to ignore) and checked for consistency, since a corrupted std or IQR would silently scale every
 * prediction.
 */
export const normalizationParamsSchema: z.ZodType<NormalizationParams> = z.strictObject({
  version: z.literal(1),
  columns: z.record(
    z.string().min(1),
    z.discriminatedUnion('method', [
      z.strictObject({ method: z.literal('zscore'), mean: statistic, std: statistic.min(0), fittedRows }),
      z
        .strictObject({ method: z.literal('minmax'), min: statistic, max: statistic, fittedRows })
        .refine((c) => c.min <= c.max, { message: 'min must not exceed max' }),
      z
        .strictObject({
          method: z.literal('robust'),
          median: statistic,
          q1: statistic,
          q3: statistic,
          fittedRows,
        })
        .refine((c) => c.q1 <= c.median && c.median <= c.q3, { message: 'q1 ≤ median ≤ q3 must hold' }),
      // Nothing is fitted for `none`; a column of nulls is fine.
      z.strictObject({ method: z.literal('none'), fittedRows: z.int().min(0) }),
    ]),
  ),
});

const isNumericColumn = (c: ColumnSchema) => c.type === 'int' || c.type === 'float';

/**
 * The number in a cell, or null when it is missing. NaN and ±Infinity count as missing: a statistic fitted
 * over them would not be finite (and JSON cannot store it), and a standardized infinity tells a model
 * nothing a null does not.
 */
function numberOf(cell: CellValue, column: string): number | null {
  if (cell === null) return null;
  if (typeof cell !== 'number')
    throw new InvalidInputError(`column "${column}" holds a ${typeof cell} where a number is expected`);
  return Number.isFinite(cell) ? cell : null;
}

/** Linearly interpolated quantile of sorted values (numpy's default, "type 7"): h = (n − 1)·p. */
function quantileOfSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

/** -0 becomes 0: JSON writes -0 as 0, so params must not depend on the sign of zero to round-trip exactly. */
const unsigned = (x: number) => x + 0;

function fitColumn(values: Float64Array, method: NormalizationMethod, column: string): ColumnNormalization {
  const n = values.length;
  if (method === 'none') return { method, fittedRows: n };
  if (n === 0)
    throw new InvalidInputError(
      `column "${column}" has no values in the rows to fit on; exclude it or choose method "none" for it`,
    );
  let fitted: ColumnNormalization;
  let spread: number;
  if (method === 'zscore') {
    // Two passes (mean, then squared deviations): stable where the one-pass formula cancels.
    let sum = 0;
    for (const x of values) sum += x;
    const mean = sum / n;
    let squares = 0;
    for (const x of values) squares += (x - mean) * (x - mean);
    const std = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
    fitted = { method, mean: unsigned(mean), std: unsigned(std), fittedRows: n };
    spread = std;
  } else if (method === 'minmax') {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const x of values) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    fitted = { method, min: unsigned(min), max: unsigned(max), fittedRows: n };
    spread = max - min;
  } else {
    const sorted = Float64Array.from(values).sort();
    const q1 = quantileOfSorted(sorted, 0.25);
    const median = quantileOfSorted(sorted, 0.5);
    const q3 = quantileOfSorted(sorted, 0.75);
    fitted = { method, median: unsigned(median), q1: unsigned(q1), q3: unsigned(q3), fittedRows: n };
    spread = q3 - q1;
  }
  // Only huge magnitudes get here: a sum, range or squared deviation beyond ~1.8e308 (|x| ≳ 1e154 for zscore).
  const statistics = Object.values(fitted).filter((v) => typeof v === 'number');
  if (!statistics.every(Number.isFinite) || !Number.isFinite(spread))
    throw new InvalidInputError(`column "${column}" holds values too large to ${method}-normalize`);
  return fitted;
}

function assertMethod(method: unknown, where: string): asserts method is NormalizationMethod {
  if (!(NORMALIZATION_METHODS as readonly unknown[]).includes(method))
    throw new InvalidInputError(
      `${where}: unknown normalization method ${JSON.stringify(method)}; expected one of ${NORMALIZATION_METHODS.join(', ')}`,
    );
}

/**
 * Fits normalization statistics on exactly the rows given. The caller passes the training split (see
 * `takeRows`); fitting on the whole table would leak validation and test rows into the model. Nulls and
 * non-finite numbers are ignored; a normalized column with no value to fit on is an error, since there
 * would be nothing to scale by.
 */
export function fitNormalization(table: RecordBatch, spec: NormalizationSpec): NormalizationParams {
  assertMethod(spec.method, 'method');
  const byName = new Map(table.schema.columns.map((c, i) => [c.name, { column: c, index: i }]));
  const excluded = new Set(spec.exclude ?? []);

  let names: string[];
  if (spec.columns === undefined) {
    names = table.schema.columns.filter(isNumericColumn).map((c) => c.name);
  } else {
    const seen = new Set<string>();
    for (const name of spec.columns) {
      if (seen.has(name)) throw new InvalidInputError(`column "${name}" is listed twice in columns`);
      seen.add(name);
      const found = byName.get(name);
      if (found === undefined) throw new InvalidInputError(`column "${name}" is not in the table`);
      if (!isNumericColumn(found.column))
        throw new InvalidInputError(
          `column "${name}" is ${found.column.type}; only int and float columns can be normalized`,
        );
    }
    names = spec.columns;
  }
  names = names.filter((name) => !excluded.has(name));

  const selected = new Set(names);
  for (const [name, method] of Object.entries(spec.perColumn ?? {})) {
    assertMethod(method, `perColumn.${name}`);
    // An override for a column that is not normalized is a contradiction in the spec, not a no-op.
    if (!selected.has(name))
      throw new InvalidInputError(
        `perColumn names "${name}", which is not normalized (not a numeric column, not in columns, or excluded)`,
      );
  }

  const columns: [string, ColumnNormalization][] = names.map((name) => {
    const found = byName.get(name);
    const cells = found === undefined ? [] : (table.columns[found.index] ?? []);
    const values: number[] = [];
    for (let r = 0; r < table.numRows; r++) {
      const x = numberOf(cells[r] ?? null, name);
      if (x !== null) values.push(x);
    }
    const method = Object.hasOwn(spec.perColumn ?? {}, name) ? spec.perColumn?.[name] : undefined;
    return [name, fitColumn(Float64Array.from(values), method ?? spec.method, name)];
  });
  return { version: 1, columns: Object.fromEntries(columns) };
}

/** Center and scale of a fitted column: normalized = (x − center) / scale, with scale 0 meaning "map to 0". */
function centerAndScale(fitted: Exclude<ColumnNormalization, { method: 'none' }>): [number, number] {
  switch (fitted.method) {
    case 'zscore':
      return [fitted.mean, fitted.std];
    case 'minmax':
      return [fitted.min, fitted.max - fitted.min];
    case 'robust':
      return [fitted.median, fitted.q3 - fitted.q1];
  }
}

function mapColumns(
  table: RecordBatch,
  params: NormalizationParams,
  transform: (x: number, center: number, scale: number) => number,
): RecordBatch {
  const schema = { columns: [...table.schema.columns] };
  const columns = [...table.columns];
  for (const [name, fitted] of Object.entries(params.columns)) {
    const index = table.schema.columns.findIndex((c) => c.name === name);
    const column = table.schema.columns[index];
    if (column === undefined)
      throw new InvalidInputError(`column "${name}" was normalized when fitting but is not in the table`);
    if (fitted.method === 'none') continue;
    if (!isNumericColumn(column))
      throw new InvalidInputError(
        `column "${name}" is ${column.type}; a normalized column must be int or float`,
      );
    const [center, scale] = centerAndScale(fitted);
    const cells = table.columns[index] ?? [];
    const out: CellValue[] = new Array(table.numRows);
    let nulls = false;
    for (let r = 0; r < table.numRows; r++) {
      const x = numberOf(cells[r] ?? null, name);
      out[r] = x === null ? null : transform(x, center, scale);
      nulls ||= x === null;
    }
    columns[index] = out;
    schema.columns[index] = { name, type: 'float', nullable: column.nullable || nulls };
  }
  return { schema, numRows: table.numRows, columns };
}

/**
 * Normalizes the params' columns of any table (training, validation, test or inference rows) into `float`
 * columns, leaving the others as they are. Values outside the fitted range are not clipped: a value beyond
 * the training range is information (drift, a rare case) the model and the drift report should see, and
 * clipping would make `inverseNormalization` lose it. Missing values (null, NaN) come out as null.
 */
export function applyNormalization(table: RecordBatch, params: NormalizationParams): RecordBatch {
  return mapColumns(table, params, (x, center, scale) => (scale === 0 ? 0 : (x - center) / scale));
}

/**
 * Maps normalized values (typically a model's predictions) back to original units. A zero-spread column
 * maps back to its one training value. The columns stay `float`: the params do not record whether the
 * original was `int`, and predictions are rarely integral anyway.
 */
export function inverseNormalization(table: RecordBatch, params: NormalizationParams): RecordBatch {
  return mapColumns(table, params, (y, center, scale) => (scale === 0 ? center : y * scale + center));
}
