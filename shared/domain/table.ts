/**
 * The in-memory shape of tabular data between pipeline stages: a schema and column-major batches.
 * Parsers produce batches, the Parquet adapter reads and writes them, validation and profiling consume
 * them one batch at a time, so no stage needs a whole file in memory.
 */
import { InvalidInputError } from '../errors.js';

export const COLUMN_TYPES = ['int', 'float', 'bool', 'string', 'timestamp'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSchema {
  columns: ColumnSchema[];
}

/**
 * One cell. `int` and `float` are numbers (an `int` column holds only safe integers: larger integer
 * literals are inferred as strings, since they are identifiers more often than quantities);
 * `timestamp` is epoch milliseconds (UTC); `bool` is boolean; `string` is string; null is missing.
 */
export type CellValue = number | boolean | string | null;

/**
 * What a cell costs in memory, roughly: V8 keeps a string's characters (1–2 bytes each) plus a header,
 * a number or boolean in an 8-byte slot. Used to cut batches and row groups by bytes, not rows alone, so
 * a file of wide rows or huge cells stays within a function's memory.
 */
export function cellBytes(value: CellValue): number {
  return typeof value === 'string' ? 16 + 2 * value.length : 8;
}

export interface RecordBatch {
  schema: TableSchema;
  numRows: number;
  /** One array per schema column, in schema order, each `numRows` long. */
  columns: CellValue[][];
}

/**
 * A column's cells as a reader may hand them to a consumer that only reads them: an array, or, for a
 * numeric column without a null (read from Parquet), a `Float64Array` of the same numbers — one unboxed
 * double a cell instead of one heap object, which is most of a Parquet read's allocation and GC.
 */
export type ColumnCells = readonly CellValue[] | Float64Array;

/** The smallest and largest value of a numeric column (epoch milliseconds for timestamps). */
export interface ValueRange {
  min: number;
  max: number;
}

/**
 * A string column's cells numbered by the reader's dictionary of the column's values: a consumer that
 * keeps something per distinct value (the writer's dictionary, the profiler's counts) may index an array
 * by code instead of hashing each string.
 */
export interface ColumnCodes {
  /** Per row, the cell's code: its index in `strings`; -1 for a null or a value not numbered. */
  codes: Int32Array;
  /**
   * Code → text, the same array in every batch of a file, only ever appended to: a code names the same
   * text in every batch. Two codes may name equal texts (bytes that decode alike).
   */
  strings: readonly string[];
}

/** A batch for consumers that only read its cells (validation, profiling): columns may be typed. */
export interface ReadBatch {
  schema: TableSchema;
  numRows: number;
  columns: readonly ColumnCells[];
  /** By column index, for some string columns: their cells' codes. Absent when none has them. */
  codes?: readonly (ColumnCodes | undefined)[];
}

/** The batches, each handed to `see` before it passes on: a consumer that reads along with the writer. */
export async function* tapBatches(
  batches: AsyncIterable<ReadBatch>,
  see: (batch: ReadBatch) => void,
): AsyncIterable<ReadBatch> {
  for await (const batch of batches) {
    see(batch);
    yield batch;
  }
}

/**
 * Throws InvalidInputError unless the batch has the schema's columns (names and types, in order) and
 * every column has at least `numRows` cells: streaming consumers index cells without checks after this.
 */
export function checkBatchShape(schema: TableSchema, batch: ReadBatch, consumer: string): void {
  const expected = schema.columns;
  const actual = batch.schema.columns;
  const sameSchema =
    batch.schema === schema ||
    (actual.length === expected.length &&
      actual.every((c, i) => c.name === expected[i]?.name && c.type === expected[i]?.type));
  if (
    !sameSchema ||
    batch.columns.length !== expected.length ||
    !(Number.isSafeInteger(batch.numRows) && batch.numRows >= 0)
  ) {
    throw new InvalidInputError(`record batch does not match the ${consumer} schema`);
  }
  batch.columns.forEach((cells, i) => {
    if (cells.length < batch.numRows) {
      throw new InvalidInputError(`column ${expected[i]?.name} has fewer than ${batch.numRows} cells`);
    }
  });
}

export function columnIndex(schema: TableSchema, name: string): number {
  return schema.columns.findIndex((c) => c.name === name);
}

/** Builds a batch from row objects (tests, small inline data); missing keys become null. */
export function batchFromRows(schema: TableSchema, rows: readonly Record<string, CellValue>[]): RecordBatch {
  return {
    schema,
    numRows: rows.length,
    columns: schema.columns.map((c) => rows.map((row) => row[c.name] ?? null)),
  };
}

/** Row view of a batch (tests, small outputs such as samples). */
export function rowsOf(batch: ReadBatch): Record<string, CellValue>[] {
  const rows: Record<string, CellValue>[] = [];
  for (let r = 0; r < batch.numRows; r++) {
    const row: Record<string, CellValue> = {};
    batch.schema.columns.forEach((c, i) => {
      row[c.name] = batch.columns[i]?.[r] ?? null;
    });
    rows.push(row);
  }
  return rows;
}
