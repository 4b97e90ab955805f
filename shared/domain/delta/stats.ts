/**
 * Per-file statistics of an `add` action (the protocol's "Per-file Statistics"), computed from a Parquet
 * file's footer (its row groups' min/max/null counts), so committing a file never reads its data.
 *
 * Encoding: `{"numRecords":N,"minValues":{col:v},"maxValues":{col:v},"nullCount":{col:n}}` as a JSON
 * string. Values are JSON numbers for long/double, booleans for boolean, strings for string, and ISO-8601
 * UTC strings for timestamp (`2024-01-03T00:00:00.000Z`: strata's timestamps are milliseconds, which is
 * the precision the protocol truncates timestamp statistics to anyway).
 *
 * Bounds are only written when they are sound for every row of the file: a column whose row groups with
 * values lack a min or max, or whose bound is not finite (a double's infinity has no JSON form), gets no
 * min/max; a null count is written only when every row group has one. Strata's Parquet writer cuts string
 * bounds to 64 bytes (the max rounded up), which the protocol allows ("String columns are cut off at a
 * fixed prefix length"). Like Spark's `delta.dataSkippingNumIndexedCols` (default 32), only the first
 * columns get column statistics: a 2,000-column file would otherwise put megabytes into every add action.
 */
import type { CellValue, ColumnSchema, TableSchema } from '../table.js';

/** What a Parquet footer says about a file; shared/formats/parquet.ts's `ParquetFile` has this shape. */
export interface FooterStatistics {
  schema: TableSchema;
  numRows: number;
  rowGroups: readonly {
    numRows: number;
    columns: Readonly<Record<string, { min?: CellValue; max?: CellValue; nullCount?: number }>>;
  }[];
}

export type StatValue = number | boolean | string;

export interface FileStats {
  numRecords: number;
  minValues: Record<string, StatValue>;
  maxValues: Record<string, StatValue>;
  nullCount: Record<string, number>;
}

/** Spark's default number of leading columns that get statistics. */
export const DEFAULT_INDEXED_COLUMNS = 32;

export function fileStats(footer: FooterStatistics, options: { indexedColumns?: number } = {}): FileStats {
  const indexed = options.indexedColumns ?? DEFAULT_INDEXED_COLUMNS;
  const stats: FileStats = { numRecords: footer.numRows, minValues: {}, maxValues: {}, nullCount: {} };
  for (const column of footer.schema.columns.slice(0, Math.max(0, indexed))) {
    const nulls = nullCountOf(footer, column.name);
    if (nulls !== undefined) stats.nullCount[column.name] = nulls;
    const bounds = boundsOf(footer, column);
    if (bounds) {
      stats.minValues[column.name] = bounds.min;
      stats.maxValues[column.name] = bounds.max;
    }
  }
  return stats;
}

function nullCountOf(footer: FooterStatistics, name: string): number | undefined {
  let total = 0;
  for (const group of footer.rowGroups) {
    const n = group.columns[name]?.nullCount;
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

function boundsOf(
  footer: FooterStatistics,
  column: ColumnSchema,
): { min: StatValue; max: StatValue } | undefined {
  let min: StatValue | undefined;
  let max: StatValue | undefined;
  for (const group of footer.rowGroups) {
    const s = group.columns[column.name];
    // A row group of nulls only has no bounds, and needs none.
    if (group.numRows === 0 || (s?.nullCount !== undefined && s.nullCount >= group.numRows)) continue;
    const lo = statValue(column, s?.min);
    const hi = statValue(column, s?.max);
    if (lo === undefined || hi === undefined) return undefined;
    if (min === undefined || compareStats(lo, min) < 0) min = lo;
    if (max === undefined || compareStats(hi, max) > 0) max = hi;
  }
  if (min === undefined || max === undefined) return undefined;
  return column.type === 'timestamp' ? timestampBounds(min, max) : { min, max };
}

/** The value as the column's type holds it, or undefined when it cannot serve as a bound. */
function statValue(column: ColumnSchema, value: CellValue | undefined): StatValue | undefined {
  switch (column.type) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'float':
    case 'timestamp':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
  }
}

/** ISO strings need a four-digit year; an instant outside 0000–9999 gets no bounds. */
const MIN_ISO_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_ISO_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function timestampBounds(min: StatValue, max: StatValue): { min: string; max: string } | undefined {
  if (typeof min !== 'number' || typeof max !== 'number') return undefined;
  if (min < MIN_ISO_MS || max > MAX_ISO_MS) return undefined;
  return { min: new Date(min).toISOString(), max: new Date(max).toISOString() };
}

/**
 * Orders two values of one column: numbers numerically, false < true, strings by code point (the order
 * of their UTF-8 bytes, which is Parquet's and Spark's; JavaScript's `<` compares UTF-16 units instead).
 */
export function compareStats(a: StatValue, b: StatValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  throw new TypeError('statistics of different types');
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

export function serializeStats(stats: FileStats): string {
  return JSON.stringify(stats);
}

/**
 * Reads an add action's stats string (any writer's). Unknown fields, nested structs and malformed parts
 * are dropped: statistics are optional, and a reader must still read the table without them.
 */
export function parseStats(text: string): FileStats | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.numRecords !== 'number' || !Number.isSafeInteger(o.numRecords)) return undefined;
  return {
    numRecords: o.numRecords,
    minValues: flatValues(o.minValues),
    maxValues: flatValues(o.maxValues),
    nullCount: Object.fromEntries(
      Object.entries(flatValues(o.nullCount)).filter(
        (e): e is [string, number] => typeof e[1] === 'number' && Number.isSafeInteger(e[1]),
      ),
    ),
  };
}

function flatValues(value: unknown): Record<string, StatValue> {
  if (typeof value !== 'object' || value === null) return {};
  // fromEntries defines own properties: a column named `__proto__` stays a column, not a prototype.
  return Object.fromEntries(
    Object.entries(value).filter(
      (e): e is [string, StatValue] =>
        typeof e[1] === 'number' || typeof e[1] === 'boolean' || typeof e[1] === 'string',
    ),
  );
}
