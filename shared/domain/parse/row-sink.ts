/** The common end of every second pass: converted rows, duplicates dropped, cut into column-major batches. */
import { type CellValue, cellBytes, type ReadBatch, type RecordBatch, type TableSchema } from '../table.js';
import { KeyHashSet } from './dedup.js';
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE, type ParseOptions } from './parsed-file.js';
import type { Counters } from './plan.js';

/**
 * Collects rows into column-major batches of `size`. The column arrays are allocated at the batch's full
 * length up front (when that stays small) instead of grown push by push, and trimmed if the batch is cut
 * early by bytes.
 */
class BatchBuilder {
  private columns: CellValue[][];
  /** Per column numbered by a dictionary (see `numbered`): the open batch's codes. */
  private codes: (Int32Array | undefined)[] = [];
  private dictionaries: (readonly string[] | undefined)[] = [];
  rows = 0;
  private bytes = 0;
  private readonly presize: number;
  constructor(
    private readonly schema: TableSchema,
    private readonly size: number,
    private readonly maxBytes: number,
  ) {
    // A million slots at most: a wide file's batch must not reserve what its rows may never fill.
    this.presize = size * schema.columns.length <= 1 << 20 ? size : 0;
    this.columns = this.fresh();
  }

  private fresh(): CellValue[][] {
    return this.schema.columns.map(() => (this.presize > 0 ? new Array<CellValue>(this.presize) : []));
  }

  /**
   * From now on the batches carry codes for the columns with a dictionary (by column index): a converter
   * places each row's codes in `openCodes()` at index `rows`, as it places the cells.
   */
  numbered(dictionaries: readonly (readonly string[] | undefined)[]): void {
    this.dictionaries = [...dictionaries];
    this.codes = this.freshCodes();
  }

  private freshCodes(): (Int32Array | undefined)[] {
    const capacity = Math.max(16, Math.min(this.size, 1 << 16));
    return this.dictionaries.map((d) => (d ? new Int32Array(capacity) : undefined));
  }

  /** The open batch's code arrays, with room for the row at `rows`. */
  openCodes(): (Int32Array | undefined)[] {
    const codes = this.codes;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c !== undefined && c.length <= this.rows) {
        const grown = new Int32Array(c.length * 2);
        grown.set(c);
        codes[i] = grown;
      }
    }
    return codes;
  }

  /**
   * The open batch's columns: a converter may place a row's cells at index `rows` itself, then count the
   * row with `placed` (or leave them, to be overwritten, for a record it skips).
   */
  get open(): CellValue[][] {
    return this.columns;
  }

  /** Adds a row; true when the batch is full by rows or by bytes. */
  push(values: readonly CellValue[]): boolean {
    const row = this.rows;
    const columns = this.columns;
    let bytes = 0;
    for (let i = 0; i < columns.length; i++) {
      const v = values[i] ?? null;
      (columns[i] as CellValue[])[row] = v;
      bytes += cellBytes(v);
    }
    return this.placed(bytes);
  }

  /** Counts the row placed at index `rows` (`bytes`: its cells' cellBytes); true when the batch is full. */
  placed(bytes: number): boolean {
    this.bytes += bytes;
    this.rows++;
    return this.rows >= this.size || this.bytes >= this.maxBytes;
  }

  take(): RecordBatch & Pick<ReadBatch, 'codes'> {
    const columns = this.columns;
    const rows = this.rows;
    // Past `rows`: the unused presized slots, or a skipped record's cells.
    for (const column of columns) if (column.length > rows) column.length = rows;
    const batch: RecordBatch & Pick<ReadBatch, 'codes'> = { schema: this.schema, numRows: rows, columns };
    if (this.codes.length > 0) {
      batch.codes = this.codes.map((codes, i) => {
        const strings = this.dictionaries[i];
        return codes && strings ? { codes: codes.subarray(0, rows), strings } : undefined;
      });
      this.codes = this.freshCodes();
    }
    this.columns = this.fresh();
    this.rows = 0;
    this.bytes = 0;
    return batch;
  }
}

/** Drops duplicates by the key columns (a no-op without keys). */
export class Deduper {
  private readonly seen = new KeyHashSet();
  private readonly key: CellValue[];
  constructor(private readonly keyIndexes: number[]) {
    this.key = keyIndexes.map(() => null);
  }

  isDuplicate(values: readonly CellValue[]): boolean {
    if (this.keyIndexes.length === 0) return false;
    this.keyIndexes.forEach((index, k) => {
      this.key[k] = values[index] ?? null;
    });
    return !this.seen.add(this.key);
  }

  /** isDuplicate of the row at index `row` of `columns`. */
  isDuplicateAt(columns: readonly CellValue[][], row: number): boolean {
    if (this.keyIndexes.length === 0) return false;
    this.keyIndexes.forEach((index, k) => {
      this.key[k] = columns[index]?.[row] ?? null;
    });
    return !this.seen.add(this.key);
  }
}

/** The common end of every second pass: drop duplicates, count, cut batches. */
export class RowSink {
  private readonly builder: BatchBuilder;
  private readonly deduper: Deduper;
  constructor(
    schema: TableSchema,
    options: ParseOptions,
    keyIndexes: number[],
    private readonly counters: Counters,
  ) {
    this.builder = new BatchBuilder(
      schema,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
      options.batchBytes ?? DEFAULT_BATCH_BYTES,
    );
    this.deduper = new Deduper(keyIndexes);
  }

  /** Takes a converted row; returns a batch when this row completed one. */
  accept(row: readonly CellValue[]): ReadBatch | undefined {
    if (this.deduper.isDuplicate(row)) {
      this.counters.duplicatesDropped++;
      return undefined;
    }
    this.counters.recordsWritten++;
    return this.builder.push(row) ? this.builder.take() : undefined;
  }

  /**
   * Where a converter places the next row's cells itself (`columns()[i][row()]`), then hands it over with
   * `placed`: a number then goes from the converter straight into its column's array, never boxed in a
   * row array between. The columns change when a batch is taken: ask again for each row.
   */
  columns(): CellValue[][] {
    return this.builder.open;
  }

  row(): number {
    return this.builder.rows;
  }

  /** See BatchBuilder.numbered. */
  numbered(dictionaries: readonly (readonly string[] | undefined)[]): void {
    this.builder.numbered(dictionaries);
  }

  /** Where a converter places the next row's codes (index `row()`), for the numbered columns. */
  codes(): (Int32Array | undefined)[] {
    return this.builder.openCodes();
  }

  /** accept() of the row placed at `row()` (`bytes`: its cells' cellBytes). */
  placed(bytes: number): ReadBatch | undefined {
    if (this.deduper.isDuplicateAt(this.builder.open, this.builder.rows)) {
      this.counters.duplicatesDropped++;
      return undefined;
    }
    this.counters.recordsWritten++;
    return this.builder.placed(bytes) ? this.builder.take() : undefined;
  }

  /** The last, partial batch, if any. */
  rest(): ReadBatch | undefined {
    return this.builder.rows > 0 ? this.builder.take() : undefined;
  }
}
