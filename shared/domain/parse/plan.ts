/**
 * The plan of a parse's columns: source names to targets, overrides, the checks on them, and the schema and
 * range hints settled after pass 1; the counters a parse reports.
 */
import { ColumnNameTooLongError, EmptyFileError, ParseError, TooManyColumnsError } from '../../errors.js';
import {
  type CellValue,
  COLUMN_TYPES,
  type ColumnType,
  type TableSchema,
  type ValueRange,
} from '../table.js';
import { TEXT_ENCODINGS } from './encoding.js';
import type { ColumnInference, Converted } from './infer.js';
import { DEFAULT_MAX_COLUMN_NAME_LENGTH, DEFAULT_MAX_COLUMNS } from './limits.js';
import { DEFAULT_BATCH_SIZE, type ParseMetrics, type ParseOptions, type TextFormat } from './parsed-file.js';

/** A source column and what it becomes. */
export interface ColumnPlan {
  source: string;
  target: string;
  /** The type values are converted to: the override, else the inferred (or Parquet) type. */
  type: ColumnType;
  overridden: boolean;
}

interface FirstFailure {
  reason: string;
  line?: number;
  record?: number;
}

export class Counters {
  recordsRead = 0;
  recordsWritten = 0;
  recordsFailed = 0;
  duplicatesDropped = 0;
  bytesRead = 0;
  firstFailure: FirstFailure | undefined;
  readonly started = performance.now();
  finished: number | undefined;

  fail(failure: FirstFailure): void {
    this.recordsFailed++;
    this.firstFailure ??= failure;
  }

  /**
   * The end of a range's second pass: its failed records are those read and not written (the first pass
   * saw why; duplicates are not dropped within a range).
   */
  finishRange(): void {
    this.recordsFailed = this.recordsRead - this.recordsWritten;
    this.finished = performance.now();
  }

  snapshot(): ParseMetrics {
    const { recordsRead, recordsWritten, recordsFailed, duplicatesDropped, bytesRead } = this;
    return {
      recordsRead,
      recordsWritten,
      recordsFailed,
      duplicatesDropped,
      bytesRead,
      durationMs: Math.round((this.finished ?? performance.now()) - this.started),
      errorRate: recordsRead === 0 ? 0 : recordsFailed / recordsRead,
    };
  }
}

export function checkOptions(options: ParseOptions): void {
  for (const [column, type] of Object.entries(options.typeOverrides ?? {})) {
    if (!(COLUMN_TYPES as readonly string[]).includes(type)) {
      throw new ParseError(`type override for "${column}" names an unknown type "${String(type)}"`);
    }
  }
  const rate = options.maxErrorRate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new ParseError(`maxErrorRate must be within 0..1, got ${rate}`);
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new ParseError(`batchSize must be a positive integer, got ${size}`);
  for (const key of ['batchBytes', 'maxRowGroupBytes'] as const) {
    const limit = options[key];
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
      throw new ParseError(`${key} must be a positive integer, got ${limit}`);
  }
  const replay = options.replayBytes;
  if (replay !== undefined && !(Number.isInteger(replay) && replay >= 0))
    throw new ParseError(`replayBytes must be a non-negative integer, got ${replay}`);
  for (const key of ['maxColumns', 'maxColumnNameLength'] as const) {
    const limit = options[key];
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw new ParseError(`${key} must be a positive integer, got ${limit}`);
    }
  }
  const encoding = options.encoding;
  if (encoding !== undefined && !(TEXT_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new ParseError(`unknown encoding "${String(encoding)}"; one of ${TEXT_ENCODINGS.join(', ')}`);
  }
}

export function checkColumnCount(count: number, options: ParseOptions): void {
  const limit = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  if (count > limit) throw new TooManyColumnsError(count, limit);
}

export function checkColumnName(name: string, index: number, options: ParseOptions): void {
  const limit = options.maxColumnNameLength ?? DEFAULT_MAX_COLUMN_NAME_LENGTH;
  // UTF-16 units bound code points from above: only a long name needs counting.
  if (name.length <= limit) return;
  const length = [...name].length;
  if (length > limit) throw new ColumnNameTooLongError(index, length, limit, shown(name));
}

/**
 * A file with no bytes or no columns never passes; one with columns and no rows only when the dataset
 * allows empty batches. `rows` counts the records read (failed ones too: the error budget judges those).
 */
export function checkNotEmpty(
  format: TextFormat | 'parquet',
  bytes: number,
  columns: number,
  rows: number,
  options: ParseOptions,
): void {
  if (bytes === 0) throw new EmptyFileError('the file has 0 bytes');
  if (columns === 0) {
    throw new EmptyFileError(
      rows === 0
        ? 'no columns and no rows'
        : `no columns: none of the ${rows} records read has a readable field`,
    );
  }
  if (rows === 0 && options.allowEmptyBatches !== true) {
    throw new EmptyFileError(
      `${format === 'csv' ? 'header only, 0 rows' : '0 rows'}; to version files without rows, set ` +
        '"allowEmptyBatches": true in the dataset config (PUT /datasets/{name}/config)',
    );
  }
}

export function targetName(source: string, options: ParseOptions): string {
  const mapping = options.columnMapping ?? {};
  return Object.hasOwn(mapping, source) ? (mapping[source] as string) : source;
}

export function overrideFor(target: string, options: ParseOptions): ColumnType | undefined {
  const overrides = options.typeOverrides ?? {};
  return Object.hasOwn(overrides, target) ? overrides[target] : undefined;
}

/** Validates the mapped names and resolves the dedup key columns to indexes. */
export function finishPlan(plans: ColumnPlan[], options: ParseOptions): number[] {
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.target)) throw new ParseError(`column mapping gives two columns the name "${p.target}"`);
    seen.add(p.target);
  }
  return (options.dedupKeys ?? []).map((key) => {
    const index = plans.findIndex((p) => p.target === key);
    if (index < 0) throw new ParseError(`dedup key "${key}" is not a column of the file`);
    return index;
  });
}

/** A value for an error message: quoted, and cut so one huge field cannot swamp the file's record. */
export function shown(value: CellValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function checkErrorRate(counters: Counters, total: number, maxErrorRate: number): void {
  if (counters.recordsFailed === 0 || counters.recordsFailed <= maxErrorRate * total) return;
  const first = counters.firstFailure;
  const share = `${counters.recordsFailed} of ${total} records failed`;
  throw new ParseError(
    `${share}, above the allowed error rate ${maxErrorRate}; first: ${first?.reason ?? '?'}`,
    {
      ...(first?.line === undefined ? {} : { line: first.line }),
      ...(first?.record === undefined ? {} : { record: first.record }),
    },
  );
}

/** After pass 1: inferred types (unless overridden), nullability over `records` rows, dedup key columns. */
export function settleSchema(
  plans: ColumnPlan[],
  inference: ReadonlyArray<ColumnInference | undefined>,
  records: number,
  options: ParseOptions,
): { schema: TableSchema; keyIndexes: number[] } {
  for (const [i, p] of plans.entries()) if (!p.overridden) p.type = inference[i]?.type() ?? 'string';
  const keyIndexes = finishPlan(plans, options);
  const schema: TableSchema = {
    columns: plans.map((p, i) => ({
      name: p.target,
      type: p.type,
      nullable: inference[i]?.nullable(p.type, records) ?? true,
    })),
  };
  return { schema, keyIndexes };
}

/** The running range of the finite values converted for some columns (of overridden types, in pass 1). */
export class ConvertedRanges {
  private low: number[] = [];
  private high: number[] = [];

  widen(column: number, value: Converted): void {
    if (typeof value !== 'number' || value - value !== 0) return;
    if (!(value >= (this.low[column] ?? Number.POSITIVE_INFINITY))) this.low[column] = value;
    if (!(value <= (this.high[column] ?? Number.NEGATIVE_INFINITY))) this.high[column] = value;
  }

  get(column: number): ValueRange | undefined {
    const min = this.low[column];
    const max = this.high[column];
    return min !== undefined && max !== undefined ? { min, max } : undefined;
  }
}

/**
 * After pass 1: the range hint of each numeric column, by its written name: an overridden column's from
 * the values pass 1 converted to check it, the others' from inference.
 */
export function rangesOf(
  schema: TableSchema,
  plans: readonly ColumnPlan[],
  inference: ReadonlyArray<ColumnInference | undefined>,
  converted: ConvertedRanges,
): Record<string, ValueRange> {
  const ranges: Record<string, ValueRange> = {};
  schema.columns.forEach((column, i) => {
    if (column.type !== 'int' && column.type !== 'float' && column.type !== 'timestamp') return;
    const range = plans[i]?.overridden ? converted.get(i) : inference[i]?.range(column.type);
    // defineProperty: a column named __proto__ is a key like any other.
    if (range) Object.defineProperty(ranges, column.name, { value: range, enumerable: true });
  });
  return ranges;
}
