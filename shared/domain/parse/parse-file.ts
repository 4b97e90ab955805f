/**
 * The parse stage's rules: a file's bytes in, a schema and typed record batches out.
 *
 * Text formats (CSV, JSONL, JSON array) are read twice, so memory stays flat whatever the file size:
 * pass 1 (inside `parseFile`) sniffs the CSV dialect and header, infers each column's type with a
 * constant-size summary, counts records and checks type overrides; pass 2 (`batches`) converts and emits
 * batches. Hence `open()` is called twice and must return the same bytes both times. Parquet is read once,
 * row group by row group, with the file's own schema.
 *
 * Options (from the dataset's config):
 * - columnMapping renames source columns (source name → target name); unmapped columns keep their name.
 * - typeOverrides (by target name) replace the inferred type; a value that does not convert fails its
 *   record. Overrides and mappings for columns the file does not have are ignored.
 * - dedupKeys (target names) drop every record whose key was seen before, keeping the first; see dedup.ts
 *   for the memory it takes.
 * - maxErrorRate (default 0): when failed records / records read exceeds it, the parse throws ParseError
 *   (the file is quarantined). For text formats this is known after pass 1, before any batch is emitted;
 *   for Parquet it is checked as rows are read against the file's row count.
 * - encoding (text formats): see encoding.ts; bytes invalid in it are an EncodingError, never replaced.
 * - allowEmptyBatches (default false): whether a file with columns but no rows (a header-only CSV) may
 *   pass; otherwise it is an EmptyFileError, like a file without bytes or columns, which never passes.
 *   Nothing else would stop such a file from becoming an empty current version.
 * - maxColumns (default 2,000) and maxColumnNameLength (default 256 characters, after the mapping):
 *   beyond them the file is refused (TooManyColumnsError, ColumnNameTooLongError) before its rows are read.
 *
 * Every change the parser makes to the file's names is reported in `renamedColumns` (a blank or repeated
 * CSV header name), and the encoding it decoded text with in `encoding`.
 */
import { ColumnNameTooLongError, EmptyFileError, ParseError, TooManyColumnsError } from '../../errors.js';
import { type ByteRangeSource, numericRanges, openParquet } from '../../formats/parquet.js';
import {
  type CellValue,
  COLUMN_TYPES,
  type ColumnType,
  cellBytes,
  type ReadBatch,
  type RecordBatch,
  type TableSchema,
  type ValueRange,
} from '../table.js';
import {
  type ColumnRename,
  type CsvDialect,
  type CsvOptions,
  columnNames,
  looksLikeHeader,
  SNIFF_CHARS,
  sniffDialect,
} from './csv.js';
import {
  type CsvFields,
  CsvTokenizer,
  type CsvTokenizerOptions,
  fieldText,
  type LineEnding,
  tokenizeCsv,
} from './csv-tokenizer.js';
import { KeyHashSet } from './dedup.js';
import {
  checkedUtf8Range,
  type DetectedEncoding,
  decodeText,
  decodeUtf8,
  isSingleByte,
  type SingleByteEncoding,
  singleByteText,
  TEXT_ENCODINGS,
  type TextEncoding,
} from './encoding.js';
import {
  ColumnInference,
  type ColumnInferenceState,
  type Converted,
  convertBytes,
  convertCell,
  convertJson,
  convertToken,
  FAILED,
  isNullBytes,
} from './infer.js';
import { readJsonArray } from './json.js';
import { JsonLineSplitter, type JsonSourceRecord, MAX_RECORD_CHARS, readJsonLineBytes } from './jsonl.js';
import { DEFAULT_MAX_COLUMN_NAME_LENGTH, DEFAULT_MAX_COLUMNS } from './limits.js';
import { StringDictionary } from './string-dictionary.js';

export type TextFormat = 'csv' | 'jsonl' | 'json';

export type ParseInput =
  | { format: TextFormat; open: () => AsyncIterable<Uint8Array> }
  | { format: 'parquet'; source: ByteRangeSource };

export interface ParseOptions {
  columnMapping?: Record<string, string>;
  typeOverrides?: Record<string, ColumnType>;
  dedupKeys?: string[];
  /** Rows per emitted batch for text formats (default 10,000); Parquet emits one batch per row group. */
  batchSize?: number;
  /**
   * Text formats: a batch is also cut once its cells hold about this many bytes (default 64 MiB), so wide
   * rows or huge cells cannot make 10,000 rows outgrow memory.
   */
  batchBytes?: number;
  /**
   * Parquet: a row group declaring more uncompressed bytes than this (default 512 MiB) is refused before
   * it is read, since reading materializes it whole.
   */
  maxRowGroupBytes?: number;
  maxErrorRate?: number;
  /** Explicit CSV dialect / header choice; anything left out is sniffed. */
  csv?: CsvOptions;
  /** Text formats: the bytes' encoding; default detected (a byte-order mark, else UTF-8). */
  encoding?: TextEncoding;
  /** Let a file with columns but no rows pass (default false). */
  allowEmptyBatches?: boolean;
  /**
   * Parquet: read only these row groups, in this order (a chunk of a file processed in parts). The error
   * budget is still judged against the whole file's rows, so a chunk fails early only when the file must.
   */
  rowGroups?: number[];
  /** Default DEFAULT_MAX_COLUMNS. */
  maxColumns?: number;
  /** In characters (code points); default DEFAULT_MAX_COLUMN_NAME_LENGTH. */
  maxColumnNameLength?: number;
  /**
   * Text formats: a file up to this many bytes is held through the first pass and replayed to the second
   * instead of opened again (a CSV file: its records as the first pass tokenized them); default
   * REPLAY_BYTES, 0 to always read twice.
   */
  replayBytes?: number;
  /** The input's size, when known: a CSV file held through its first pass is held in one buffer of it. */
  inputBytes?: number;
}

export interface ParseMetrics {
  recordsRead: number;
  recordsWritten: number;
  recordsFailed: number;
  duplicatesDropped: number;
  /** Bytes of the input (text formats: one pass's worth; Parquet: the ranges fetched). */
  bytesRead: number;
  durationMs: number;
  /** recordsFailed / recordsRead (0 for an empty file). */
  errorRate: number;
}

export interface ParsedFile {
  schema: TableSchema;
  /**
   * Single use. Text formats: the second pass; Parquet: the row groups in order, numeric columns without
   * a null as Float64Arrays when they pass through unconverted (see ReadBatch).
   */
  batches: AsyncIterable<ReadBatch>;
  metrics(): ParseMetrics;
  /** What was sniffed (or given) for a CSV file. */
  csv?: CsvDialect & { header: boolean };
  /** CSV: what a read of a byte range of the same file needs to read it as this parse did. */
  csvLayout?: CsvLayout;
  /** Text formats: what the bytes were decoded as. */
  encoding?: DetectedEncoding;
  /** Header names the parser changed (blank → column_<n>, repeated → <name>_2, ...); empty when none. */
  renamedColumns: ColumnRename[];
  /**
   * Per numeric column (by its written name), the range of its values as the parse saw them before the
   * batches: the range hint that lets a profiler of the batches count exact histograms while they stream
   * (text formats: pass 1; Parquet: the row-group statistics). A hint, not a fact: rows that fail or are
   * dropped as duplicates count, and a column without one is absent.
   */
  ranges: Readonly<Record<string, ValueRange>>;
}

/**
 * The whole-file decisions of a CSV parse, for reading the file's byte ranges apart (CsvTokenizer options
 * `delimiter`, `quote`, `lineEnding`, `width`; a range after the first never sniffs or skips a header).
 */
export interface CsvLayout extends CsvDialect {
  header: boolean;
  /** The line ending that ends records (undefined: the file has none outside quotes). */
  lineEnding?: LineEnding;
  /** Fields per record. */
  width: number;
  /**
   * Byte offset in the file of the first data record (after a byte-order mark and the header); undefined
   * for UTF-16, which is re-encoded, so its offsets are not the file's.
   */
  dataStart?: number;
  /** The single-byte encoding the file's bytes are read in (SingleByteEncoding); absent: UTF-8. */
  singleByte?: SingleByteEncoding;
}

export const DEFAULT_BATCH_SIZE = 10_000;
export const DEFAULT_BATCH_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_ROW_GROUP_BYTES = 512 * 1024 * 1024;
/**
 * A text file up to this many bytes is held through pass 1 and replayed to pass 2 instead of read again
 * (a second S3 GET of the whole object); a larger one is read twice and held nowhere. Files above the
 * default `chunkBytes` (256 MiB) are chunked where they can be, so this covers the single path.
 */
export const REPLAY_BYTES = 256 * 1024 * 1024;

/** A source column and what it becomes. */
interface ColumnPlan {
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

class Counters {
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

function checkOptions(options: ParseOptions): void {
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

function checkColumnCount(count: number, options: ParseOptions): void {
  const limit = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  if (count > limit) throw new TooManyColumnsError(count, limit);
}

function checkColumnName(name: string, index: number, options: ParseOptions): void {
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
function checkNotEmpty(
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

function targetName(source: string, options: ParseOptions): string {
  const mapping = options.columnMapping ?? {};
  return Object.hasOwn(mapping, source) ? (mapping[source] as string) : source;
}

function overrideFor(target: string, options: ParseOptions): ColumnType | undefined {
  const overrides = options.typeOverrides ?? {};
  return Object.hasOwn(overrides, target) ? overrides[target] : undefined;
}

/** Validates the mapped names and resolves the dedup key columns to indexes. */
function finishPlan(plans: ColumnPlan[], options: ParseOptions): number[] {
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
function shown(value: CellValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkErrorRate(counters: Counters, total: number, maxErrorRate: number): void {
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
class Deduper {
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

/** After pass 1: inferred types (unless overridden), nullability over `records` rows, dedup key columns. */
function settleSchema(
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
class ConvertedRanges {
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
function rangesOf(
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

/** The common end of every second pass: drop duplicates, count, cut batches. */
class RowSink {
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

/**
 * Reads chunks until their text holds `minChars` characters (or the source ends): the sniffing sample,
 * the same text decodeText's first pieces made. The chunks are UTF-8, or in the single-byte encoding
 * `singleByte()` answers once the first chunk is out (decodeUtf8's `singleByte: 'raw'`). Then yields the
 * buffered chunks and the rest of the source.
 */
async function peekText(
  source: AsyncIterable<Uint8Array>,
  minChars: number,
  singleByte: () => SingleByteEncoding | undefined = () => undefined,
): Promise<{ sample: string; complete: boolean; stream: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let sample = '';
  let complete = false;
  while (sample.length < minChars) {
    const next = await iterator.next();
    if (next.done) {
      complete = true;
      break;
    }
    head.push(next.value);
    const encoding = singleByte();
    const chunk = next.value;
    sample += encoding
      ? singleByteText(
          encoding,
          Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          0,
          chunk.length,
        )
      : decoder.decode(chunk, { stream: true });
  }
  async function* stream(): AsyncIterable<Uint8Array> {
    yield* head;
    if (complete) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { sample, complete, stream: stream() };
}

async function* oneByOne<T>(source: AsyncIterable<T>): AsyncIterable<T[]> {
  for await (const item of source) yield [item];
}

/**
 * The source of a two-pass read: `first()` reads it, holding its chunks while they total at most
 * `maxBytes`; `again()` replays them when the whole source was held, else opens it again. A chunk is held
 * as it is (the readers copy what they keep) unless it is a small view of a larger buffer (a socket's
 * read), which would keep all of that buffer alive: then a copy of its bytes is held.
 */
function replayable(open: () => AsyncIterable<Uint8Array>, maxBytes: number) {
  let held: Uint8Array[] | undefined = [];
  let heldBytes = 0;
  let complete = false;
  return {
    async *first(): AsyncIterable<Uint8Array> {
      for await (const chunk of open()) {
        if (held) {
          heldBytes += chunk.byteLength;
          if (heldBytes > maxBytes) held = undefined;
          else held.push(2 * chunk.byteLength >= chunk.buffer.byteLength ? chunk : new Uint8Array(chunk));
        }
        yield chunk;
      }
      complete = true;
    },
    again(): AsyncIterable<Uint8Array> {
      const chunks = complete ? held : undefined;
      held = undefined;
      if (!chunks) return open();
      return (async function* () {
        yield* chunks;
      })();
    },
  };
}

async function* counted(
  source: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Parses one file. Resolves after pass 1 (text formats) or after reading the footer (Parquet), with the
 * output schema; throws ParseError when the file cannot be read as its format, when too many records fail,
 * or when the options do not fit the file (a dedup key it lacks, a mapping that collides); EncodingError,
 * EmptyFileError, TooManyColumnsError or ColumnNameTooLongError as described above.
 */
export async function parseFile(input: ParseInput, options: ParseOptions = {}): Promise<ParsedFile> {
  checkOptions(options);
  switch (input.format) {
    case 'csv':
      return parseCsv(input.open, options);
    case 'jsonl':
    case 'json':
      return parseJson(input.open, input.format, options);
    case 'parquet':
      return parseParquet(input.source, options);
  }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

const HEADER_SAMPLE_RECORDS = 50;
/** String columns whose repeated values are numbered, and share one string each (see string-dictionary.ts). */
const MAX_NUMBERED_COLUMNS = 16;

async function parseCsv(open: () => AsyncIterable<Uint8Array>, options: ParseOptions): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;

  // Pass 1: encoding, dialect, header, inference, override check. A single-byte encoding is tokenized in
  // its own bytes (only kept text is decoded), so its offsets are the file's and ranges can read it.
  // Its tokenizer keeps the bytes and the records' field spans while the file fits `replayBytes` and the
  // spans MAX_KEPT_FIELDS: pass 2 then converts them without reading or tokenizing again (the second read
  // and tokenizing were ~6% of a parse). Past either, they are dropped, and pass 2 reads the source again;
  // nothing else holds the file meanwhile.
  const replayBytes = options.replayBytes ?? REPLAY_BYTES;
  const keeping = replayBytes > 0 && (options.inputBytes ?? 0) <= replayBytes;
  const source = replayable(open, keeping ? 0 : replayBytes);
  const decoded = decodeUtf8(
    counted(source.first(), (n) => {
      counters.bytesRead += n;
    }),
    options.encoding,
    { singleByte: 'raw' },
  );
  const singleByteOf = (): SingleByteEncoding | undefined => {
    const name = decoded.encoding?.name;
    return name !== undefined && isSingleByte(name) ? name : undefined;
  };
  const peeked = await peekText(decoded.bytes, SNIFF_CHARS, singleByteOf);
  const sniffed = sniffDialect(peeked.sample, peeked.complete);
  const dialect: CsvDialect = {
    delimiter: options.csv?.delimiter ?? sniffed.delimiter,
    quote: options.csv?.quote ?? sniffed.quote,
  };

  let header: boolean | undefined = options.csv?.header;
  let plans: ColumnPlan[] = [];
  let inference: ColumnInference[] = [];
  let overrides: (ColumnType | undefined)[] = [];
  let renamedColumns: ColumnRename[] = [];
  const buffered: string[][] = [];
  const converted = new ConvertedRanges();
  /** Where the first two records start in the decoded bytes. */
  const offsets: number[] = [];

  const failure = (shownValue: string, i: number, type: ColumnType): string =>
    `${shownValue} in column "${plans[i]?.target}" is not a ${type}`;
  const observe = (fields: string[]): void => {
    counters.recordsRead++;
    let failed: string | undefined;
    for (let i = 0; i < fields.length; i++) {
      const token = fields[i] as string;
      inference[i]?.observeToken(token);
      const type = overrides[i];
      if (type !== undefined && failed === undefined) {
        const value = convertToken(token, type);
        if (value === FAILED) failed = failure(shown(token), i, type);
        else converted.widen(i, value);
      }
    }
    if (failed !== undefined) counters.fail({ reason: failed, record: counters.recordsRead });
  };
  const start = (first: string[], rest: string[][]): string[][] => {
    header ??= looksLikeHeader(first, rest);
    const { names, renamed } = columnNames(header ? first : undefined, first.length);
    renamedColumns = renamed;
    plans = names.map((source, i) => {
      const target = targetName(source, options);
      checkColumnName(target, i, options);
      const override = overrideFor(target, options);
      return { source, target, type: override ?? 'string', overridden: override !== undefined };
    });
    inference = plans.map(() => new ColumnInference());
    overrides = plans.map((p) => (p.overridden ? p.type : undefined));
    return header ? rest : [first, ...rest];
  };

  // The first records are held back until the header is decided (it needs a look at the rows below).
  let started = false;
  const flush = (): void => {
    const [first, ...rest] = buffered;
    if (first) for (const r of start(first, rest)) observe(r);
    buffered.length = 0;
    started = true;
  };
  const observeRecord = (r: CsvFields): void => {
    if (!started) {
      // Every record has the first one's width (or is a ParseError), so one look suffices, and it comes
      // before the rows of a misread file are held.
      if (buffered.length === 0) checkColumnCount(r.fieldCount, options);
      buffered.push(Array.from({ length: r.fieldCount }, (_, i) => r.text(i)));
      if (offsets.length < 2) offsets.push(r.recordOffset);
      if (buffered.length > HEADER_SAMPLE_RECORDS) flush();
      return;
    }
    counters.recordsRead++;
    const { bytes, starts, ends, fieldCount, firstField } = r;
    let failed: string | undefined;
    for (let i = 0; i < fieldCount; i++) {
      const s = starts[firstField + i] as number;
      const e = ends[firstField + i] as number;
      (inference[i] as ColumnInference).observeBytes(bytes, s, e);
      const type = overrides[i];
      if (type !== undefined && failed === undefined) {
        const value = convertBytes(bytes, s, e, type);
        if (value === FAILED) failed = failure(shown(r.text(i)), i, type);
        else converted.widen(i, value);
      }
    }
    if (failed !== undefined) counters.fail({ reason: failed, record: counters.recordsRead });
  };
  const singleByte = singleByteOf();
  const tokenizer = new CsvTokenizer(
    {
      ...dialect,
      maxRecordChars: MAX_RECORD_CHARS,
      ...(singleByte && { singleByte }),
      ...(keeping && {
        retain: {
          maxBytes: replayBytes,
          maxFields: MAX_KEPT_FIELDS,
          ...(options.inputBytes !== undefined && { expectedBytes: options.inputBytes }),
        },
      }),
    },
    observeRecord,
  );
  for await (const chunk of peeked.stream) tokenizer.push(chunk);
  tokenizer.finish();
  const retained = tokenizer.retained;
  const keptRecords: KeptFile | undefined = retained && {
    ...retained,
    width: tokenizer.fieldWidth ?? 0,
  };
  if (!started) flush();
  header ??= false;
  const encoding = decoded.encoding as DetectedEncoding;
  const lineEnding: LineEnding | undefined = tokenizer.lineEnding;
  const firstData = header ? offsets[1] : offsets[0];
  const csvLayout: CsvLayout = {
    ...dialect,
    header,
    ...(lineEnding && { lineEnding }),
    width: plans.length,
    ...((encoding.name === 'utf-8' || singleByte) && {
      dataStart: (encoding.bom ? 3 : 0) + (firstData ?? tokenizer.nextOffset),
    }),
    ...(singleByte && { singleByte }),
  };

  const records = counters.recordsRead;
  checkNotEmpty('csv', counters.bytesRead, plans.length, records, options);
  const { schema, keyIndexes } = settleSchema(plans, inference, records, options);
  checkErrorRate(counters, records, maxErrorRate);

  // Pass 2: convert, from the bytes; only string columns make strings.
  const types = plans.map((p) => p.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    if (keptRecords) {
      yield* keptBatches(keptRecords, types, new RowSink(schema, options, keyIndexes, counters), {
        skipFirst: header === true,
        ...(singleByte && { singleByte }),
      });
      counters.finished = performance.now();
      return;
    }
    // The encoding and line ending pass 1 settled on, so both passes read the same records.
    yield* csvBatches(
      decodeUtf8(source.again(), encoding.name, { singleByte: 'raw' }).bytes,
      {
        ...dialect,
        maxRecordChars: MAX_RECORD_CHARS,
        ...(lineEnding && { lineEnding }),
        ...(singleByte && { singleByte }),
      },
      types,
      new RowSink(schema, options, keyIndexes, counters),
      header === true,
    );
    counters.finished = performance.now();
  }

  return {
    schema,
    batches: batches(),
    metrics: () => counters.snapshot(),
    csv: { ...dialect, header },
    csvLayout,
    encoding,
    renamedColumns,
    ranges: rangesOf(schema, plans, inference, converted),
  };
}

/**
 * Pass 2 of a CSV file or range: each record converted by `types` from its bytes (only string columns
 * make strings, repeated short values shared), handed to the sink, and the finished batches yielded after
 * each input chunk. A record that does not convert is skipped (pass 1 counted it).
 */
async function* csvBatches(
  source: AsyncIterable<Uint8Array>,
  tokenizerOptions: CsvTokenizerOptions,
  types: readonly ColumnType[],
  sink: RowSink,
  skipFirst: boolean,
  onTokenizer?: (tokenizer: CsvTokenizer) => void,
): AsyncIterable<ReadBatch> {
  let skip = skipFirst;
  const done: ReadBatch[] = [];
  const convert = recordConverter(types, sink, done, tokenizerOptions.singleByte);
  const reader = new CsvTokenizer(tokenizerOptions, (r) => {
    if (skip) {
      skip = false;
      return;
    }
    convert(r.bytes as Buffer, r.starts, r.ends, r.firstField);
  });
  onTokenizer?.(reader);
  for await (const chunk of source) {
    const more = reader.push(chunk);
    for (const batch of done) yield batch;
    done.length = 0;
    if (!more) break;
  }
  reader.finish();
  for (const batch of done) yield batch;
  const rest = sink.rest();
  if (rest) yield rest;
}

/** Pass 2 over the records pass 1 kept: the same conversion, from the kept bytes and spans. */
async function* keptBatches(
  kept: KeptFile,
  types: readonly ColumnType[],
  sink: RowSink,
  options: { skipFirst: boolean; singleByte?: SingleByteEncoding },
): AsyncIterable<ReadBatch> {
  const done: ReadBatch[] = [];
  const convert = recordConverter(types, sink, done, options.singleByte);
  const { bytes, starts, ends, width, fields } = kept;
  for (let at = options.skipFirst ? width : 0; at < fields; at += width) {
    convert(bytes, starts, ends, at);
    if (done.length > 0) {
      yield* done;
      done.length = 0;
    }
  }
  const rest = sink.rest();
  if (rest) yield rest;
}

/**
 * Converts a record whose field i is bytes[starts[at + i], ends[at + i]) by `types` (only string columns
 * make strings, repeated short values numbered and shared) and hands it to the sink, pushing the batches it
 * fills onto `done`. A record that does not convert is skipped (pass 1 counted it).
 */
function recordConverter(
  types: readonly ColumnType[],
  sink: RowSink,
  done: ReadBatch[],
  singleByte: SingleByteEncoding | undefined,
): (bytes: Buffer, starts: Int32Array, ends: Int32Array, at: number) => void {
  // Bounded: each dictionary holds up to ~3.5 MiB, so only the first string columns get one.
  let numbered = 0;
  const dictionaries = types.map((t) =>
    t === 'string' && numbered++ < MAX_NUMBERED_COLUMNS ? new StringDictionary() : undefined,
  );
  if (numbered > 0) sink.numbered(dictionaries.map((d) => d?.strings));
  return (bytes, starts, ends, at) => {
    const columns = sink.columns();
    const codes = sink.codes();
    const row = sink.row();
    let size = 0;
    for (let i = 0; i < types.length; i++) {
      const s = starts[at + i] as number;
      const e = ends[at + i] as number;
      const type = types[i] as ColumnType;
      let v: Converted;
      if (type === 'string') {
        const dictionary = dictionaries[i];
        let code = -1;
        if (isNullBytes(bytes, s, e)) {
          v = null;
        } else if (dictionary === undefined) {
          v = fieldText(bytes, s, e, singleByte);
        } else {
          code = dictionary.find(bytes, s, e);
          if (code >= 0) v = dictionary.strings[code] as string;
          else {
            v = fieldText(bytes, s, e, singleByte);
            code = dictionary.add(v);
          }
        }
        const columnCodes = codes[i];
        if (columnCodes !== undefined) columnCodes[row] = code;
      } else v = convertBytes(bytes, s, e, type);
      // A record that does not convert is skipped; its cells placed so far are overwritten by the next.
      if (v === FAILED) return;
      (columns[i] as CellValue[])[row] = v;
      size += cellBytes(v);
    }
    const batch = sink.placed(size);
    if (batch) done.push(batch);
  };
}

/** Field spans a CSV file's first pass keeps for its second: 8 bytes a field, so at most 128 MiB. */
const MAX_KEPT_FIELDS = 16 * 1024 * 1024;

/** What pass 1 kept of a file: its bytes (as tokenized) and every record's field spans, record by record. */
interface KeptFile {
  bytes: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  /** Spans kept: records × width. */
  fields: number;
  width: number;
}

// ---------------------------------------------------------------------------------------------------------
// CSV byte ranges (a file processed in parts)

/** A byte range of a CSV file, read with the whole file's layout (what a range owns: see CsvTokenizer). */
export interface CsvRangeInput {
  /** The file's bytes from `start` on: layout.dataStart, or a record start a range before reported. */
  open: () => AsyncIterable<Uint8Array>;
  /** Offset in the file of open()'s first byte. */
  start: number;
  /** Offset in the file where the range ends. */
  end: number;
  /** From the whole file's parse (ParsedFile.csvLayout); the file must have a `dataStart`. */
  layout: CsvLayout;
}

/** What a range's first pass found; `inference` merges across ranges into the whole file's. */
export interface CsvRangeInference {
  records: number;
  /** Per column, by position (ColumnInference.fromJSON / merge). */
  inference: ColumnInferenceState[];
  recordsFailed: number;
  /** The first failed record, numbered within the range. */
  firstFailure?: { reason: string; record: number };
  /** Offset in the file where the next range's records start. */
  nextOffset: number;
}

function rangeTokenizerOptions(input: CsvRangeInput): CsvTokenizerOptions {
  const { layout } = input;
  if (layout.dataStart === undefined) {
    throw new ParseError('a CSV file is read in byte ranges only in UTF-8 or a single-byte encoding');
  }
  return {
    delimiter: layout.delimiter,
    quote: layout.quote,
    width: layout.width,
    maxRecordChars: MAX_RECORD_CHARS,
    end: input.end - input.start,
    ...(layout.lineEnding && { lineEnding: layout.lineEnding }),
    ...(layout.singleByte && { singleByte: layout.singleByte }),
  };
}

/** A range's bytes: UTF-8 checked as the whole file's are; a single-byte encoding's have nothing to check. */
function rangeBytes(input: CsvRangeInput, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return input.layout.singleByte ? source : checkedUtf8Range(source, input.start);
}

/**
 * The first pass over a range: per-column inference and the records that fail `types` where a type is
 * given (a type override, by position). Merged over all ranges, the states settle the file's schema as
 * one pass over the whole file does.
 */
export async function inferCsvRange(
  input: CsvRangeInput,
  types: readonly (ColumnType | undefined)[] = [],
): Promise<CsvRangeInference> {
  const options = rangeTokenizerOptions(input);
  const inference = Array.from({ length: input.layout.width }, () => new ColumnInference());
  let records = 0;
  let recordsFailed = 0;
  let firstFailure: { reason: string; record: number } | undefined;
  const tokenizer = await tokenizeCsv(rangeBytes(input, input.open()), options, (r) => {
    records++;
    const { bytes, starts, ends, fieldCount, firstField } = r;
    let failed: string | undefined;
    for (let i = 0; i < fieldCount; i++) {
      const s = starts[firstField + i] as number;
      const e = ends[firstField + i] as number;
      (inference[i] as ColumnInference).observeBytes(bytes, s, e);
      const type = types[i];
      if (type !== undefined && failed === undefined && convertBytes(bytes, s, e, type) === FAILED) {
        failed = `${shown(r.text(i))} in column ${i + 1} is not a ${type}`;
      }
    }
    if (failed !== undefined) {
      recordsFailed++;
      firstFailure ??= { reason: failed, record: records };
    }
  });
  return {
    records,
    inference: inference.map((c) => c.toJSON()),
    recordsFailed,
    ...(firstFailure && { firstFailure }),
    nextOffset: input.start + tokenizer.nextOffset,
  };
}

/**
 * The second pass over a range: its records converted to `schema` (the whole file's, settled from the
 * merged inference), in batches. Records that do not convert are left out (the first pass counted them).
 * Duplicates by key are not dropped here: keys repeat across ranges, so that is the caller's to settle.
 */
export function readCsvRange(
  input: CsvRangeInput,
  schema: TableSchema,
  options: Pick<ParseOptions, 'batchSize' | 'batchBytes'> = {},
): { batches: AsyncIterable<ReadBatch>; metrics(): ParseMetrics; nextOffset(): number | undefined } {
  const tokenizerOptions = rangeTokenizerOptions(input);
  const counters = new Counters();
  let tokenizer: CsvTokenizer | undefined;
  async function* batches(): AsyncIterable<ReadBatch> {
    const source = counted(input.open(), (n) => {
      counters.bytesRead += n;
    });
    yield* csvBatches(
      rangeBytes(input, source),
      tokenizerOptions,
      schema.columns.map((c) => c.type),
      new RowSink(schema, options, [], counters),
      false,
      (t) => {
        tokenizer = t;
      },
    );
    counters.recordsRead = tokenizer?.records ?? 0;
    counters.recordsFailed = counters.recordsRead - counters.recordsWritten;
    counters.finished = performance.now();
  }
  return {
    batches: batches(),
    metrics: () => counters.snapshot(),
    nextOffset: () =>
      tokenizer !== undefined && counters.finished !== undefined
        ? input.start + tokenizer.nextOffset
        : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------
// JSON Lines and JSON arrays

async function parseJson(
  open: () => AsyncIterable<Uint8Array>,
  format: 'jsonl' | 'json',
  options: ParseOptions,
): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;
  // JSON Lines are cut and decoded line by line from the bytes; a JSON array goes through the text reader.
  const read = (
    source: AsyncIterable<Uint8Array>,
    encoding?: TextEncoding,
  ): { records: AsyncIterable<JsonSourceRecord[]>; encoding: () => DetectedEncoding | undefined } => {
    if (format === 'jsonl') {
      const decoded = decodeUtf8(source, encoding);
      return { records: readJsonLineBytes(decoded.bytes), encoding: () => decoded.encoding };
    }
    const decoded = decodeText(source, encoding);
    return { records: oneByOne(readJsonArray(decoded.text)), encoding: () => decoded.encoding };
  };

  // Pass 1: the union of keys in first-seen order, inference, override check.
  const plans: ColumnPlan[] = [];
  const inference: ColumnInference[] = [];
  const index = new Map<string, number>();
  const convertedRanges = new ConvertedRanges();
  let valid = 0;
  const source = replayable(open, options.replayBytes ?? REPLAY_BYTES);
  const decoded = read(
    counted(source.first(), (n) => {
      counters.bytesRead += n;
    }),
    options.encoding,
  );
  for await (const group of decoded.records)
    for (const { record, line, result } of group) {
      counters.recordsRead++;
      const where = format === 'jsonl' ? { line, record } : { record };
      if (!result.ok) {
        counters.fail({ reason: result.reason, ...where });
        continue;
      }
      valid++;
      let failed: string | undefined;
      for (const [key, value] of result.fields) {
        let i = index.get(key);
        if (i === undefined) {
          i = plans.length;
          // Checked as keys appear: a file with a new key in every record must not grow the plans first.
          checkColumnCount(i + 1, options);
          index.set(key, i);
          const target = targetName(key, options);
          checkColumnName(target, i, options);
          const override = overrideFor(target, options);
          plans.push({ source: key, target, type: override ?? 'string', overridden: override !== undefined });
          inference.push(new ColumnInference());
        }
        inference[i]?.observeJson(value);
        const plan = plans[i] as ColumnPlan;
        if (plan.overridden && failed === undefined) {
          const converted = convertJson(value, plan.type);
          if (converted === FAILED)
            failed = `${shown(value)} in column "${plan.target}" is not a ${plan.type}`;
          else convertedRanges.widen(i, converted);
        }
      }
      if (failed !== undefined) counters.fail({ reason: failed, ...where });
    }

  // Records that failed to read make a ParseError before they make a file without columns.
  checkErrorRate(counters, counters.recordsRead, maxErrorRate);
  checkNotEmpty(format, counters.bytesRead, plans.length, counters.recordsRead, options);
  const encoding = decoded.encoding() as DetectedEncoding;
  const { schema, keyIndexes } = settleSchema(plans, inference, valid, options);

  // Pass 2: convert.
  const types = plans.map((p) => p.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    const sink = new RowSink(schema, options, keyIndexes, counters);
    yield* jsonBatches(read(source.again(), encoding.name).records, index, types, sink);
    counters.finished = performance.now();
  }

  return {
    schema,
    batches: batches(),
    metrics: () => counters.snapshot(),
    encoding,
    renamedColumns: [],
    ranges: rangesOf(schema, plans, inference, convertedRanges),
  };
}

/**
 * Pass 2 of a JSON file or range: each readable record's values converted by `types`, placed by `index`
 * (source key → column), handed to the sink. A record that does not convert is skipped (pass 1 counted it).
 */
async function* jsonBatches(
  groups: AsyncIterable<JsonSourceRecord[]>,
  index: ReadonlyMap<string, number>,
  types: readonly ColumnType[],
  sink: RowSink,
): AsyncIterable<ReadBatch> {
  const values: Converted[] = types.map(() => null);
  for await (const group of groups)
    for (const { result } of group) {
      if (!result.ok) continue; // counted in pass 1
      values.fill(null);
      let ok = true;
      for (const [key, value] of result.fields) {
        const i = index.get(key);
        // A key pass 1 did not see means open() returned other bytes; the schema cannot hold it.
        if (i === undefined) continue;
        const v = convertJson(value, types[i] as ColumnType);
        if (v === FAILED) ok = false;
        values[i] = v;
      }
      if (!ok) continue;
      const batch = sink.accept(values as CellValue[]);
      if (batch) yield batch;
    }
  const rest = sink.rest();
  if (rest) yield rest;
}

// ---------------------------------------------------------------------------------------------------------
// JSON Lines byte ranges (a file processed in parts; a JSON array re-cut into JSON Lines pieces is read as
// one whole range per piece)

/** A byte range of a UTF-8 JSON Lines file (what a range owns: see JsonLineSplitter). */
export interface JsonlRangeInput {
  /** The file's bytes from `start` on, `start` being a line start (the data's, or a range's first line). */
  open: () => AsyncIterable<Uint8Array>;
  /** Offset in the file of open()'s first byte. */
  start: number;
  /** Offset in the file where the range ends: it owns the lines that start before it. */
  end: number;
}

/** What a range's first pass found; ranges settle (settleJsonlRanges) into the whole file's schema. */
export interface JsonlRangeInference {
  /** Records (non-blank lines), read or not. */
  records: number;
  /** Of them, the ones that read as objects: what a column's nullability is judged against. */
  valid: number;
  /** Lines the range owns, blank ones included (the file's line numbers of the next range follow them). */
  lines: number;
  /** Source keys in the order the range first saw them. */
  keys: string[];
  /** Per key, in the order of `keys` (ColumnInference.fromJSON / merge). */
  inference: ColumnInferenceState[];
  /** Unreadable lines and records that fail a type override. */
  recordsFailed: number;
  /** The first failed record, its line and record numbered within the range. */
  firstFailure?: { reason: string; line: number; record: number };
  /** Offset in the file where the next range's lines start. */
  nextOffset: number;
}

/** A range's records, read with `splitter` (which then says how many lines it read and where it stopped). */
async function* jsonlRangeRecords(
  input: JsonlRangeInput,
  splitter: JsonLineSplitter,
  onBytes?: (n: number) => void,
): AsyncIterable<JsonSourceRecord[]> {
  // A range without a line start owns nothing; its bytes belong to the line an earlier range reads on.
  if (input.end <= input.start) return;
  const source = onBytes ? counted(input.open(), onBytes) : input.open();
  for await (const chunk of checkedUtf8Range(source, input.start)) {
    const records = splitter.push(chunk);
    if (records.length > 0) yield records;
    if (splitter.done) return;
  }
  const rest = splitter.finish();
  if (rest.length > 0) yield rest;
}

/**
 * The first pass over a range: the keys in first-seen order with their inference, and the records that
 * fail (unreadable lines; values a type override of the key's target column cannot take), as the single
 * parse's first pass counts them. Column names are checked by the settle, against the whole file's order;
 * a range with more keys than `maxColumns` is refused here already, since the file has at least as many.
 */
export async function inferJsonlRange(
  input: JsonlRangeInput,
  options: Pick<ParseOptions, 'columnMapping' | 'typeOverrides' | 'maxColumns'> = {},
): Promise<JsonlRangeInference> {
  const splitter = new JsonLineSplitter({ end: input.end - input.start });
  const keys: string[] = [];
  const targets: string[] = [];
  const overrides: (ColumnType | undefined)[] = [];
  const inference: ColumnInference[] = [];
  const index = new Map<string, number>();
  let records = 0;
  let valid = 0;
  let recordsFailed = 0;
  let firstFailure: { reason: string; line: number; record: number } | undefined;
  const fail = (reason: string, line: number, record: number): void => {
    recordsFailed++;
    firstFailure ??= { reason, line, record };
  };
  for await (const group of jsonlRangeRecords(input, splitter))
    for (const { record, line, result } of group) {
      records++;
      if (!result.ok) {
        fail(result.reason, line, record);
        continue;
      }
      valid++;
      let failed: string | undefined;
      for (const [key, value] of result.fields) {
        let i = index.get(key);
        if (i === undefined) {
          i = keys.length;
          checkColumnCount(i + 1, options);
          index.set(key, i);
          keys.push(key);
          const target = targetName(key, options);
          targets.push(target);
          overrides.push(overrideFor(target, options));
          inference.push(new ColumnInference());
        }
        (inference[i] as ColumnInference).observeJson(value);
        const type = overrides[i];
        if (type !== undefined && failed === undefined && convertJson(value, type) === FAILED) {
          failed = `${shown(value)} in column "${targets[i]}" is not a ${type}`;
        }
      }
      if (failed !== undefined) fail(failed, line, record);
    }
  return {
    records,
    valid,
    lines: splitter.linesRead,
    keys,
    inference: inference.map((c) => c.toJSON()),
    recordsFailed,
    ...(firstFailure && { firstFailure }),
    nextOffset: input.end <= input.start ? input.start : input.start + splitter.nextOffset,
  };
}

/** The whole file's schema from its ranges' first passes, and the source key of each column. */
export interface SettledJson {
  schema: TableSchema;
  /** Source key of each column of `schema`, in order (before the column mapping). */
  keys: string[];
}

/**
 * The ranges' first passes, in file order, settled as the single parse settles its one pass: the columns
 * are the union of the ranges' keys in first-seen order over the file, column limits and names are
 * checked in that order, then the error budget over all records (the first failure renumbered in the
 * file: records and, for JSON Lines, lines of the ranges before it added), then emptiness, then the
 * inferred types and nullability. Throws the single parse's errors.
 */
export function settleJsonRanges(
  format: 'jsonl' | 'json',
  ranges: readonly JsonlRangeInference[],
  options: ParseOptions,
  /** The file's size (an empty file is refused as such). */
  fileBytes: number,
): SettledJson {
  checkOptions(options);
  const plans: ColumnPlan[] = [];
  const merged: ColumnInference[] = [];
  const index = new Map<string, number>();
  for (const range of ranges)
    for (const [k, key] of range.keys.entries()) {
      let i = index.get(key);
      if (i === undefined) {
        i = plans.length;
        checkColumnCount(i + 1, options);
        index.set(key, i);
        const target = targetName(key, options);
        checkColumnName(target, i, options);
        const override = overrideFor(target, options);
        plans.push({ source: key, target, type: override ?? 'string', overridden: override !== undefined });
        merged.push(new ColumnInference());
      }
      (merged[i] as ColumnInference).merge(range.inference[k] as ColumnInferenceState);
    }

  const counters = new Counters();
  let lines = 0;
  let valid = 0;
  for (const range of ranges) {
    const first = range.firstFailure;
    if (first && counters.firstFailure === undefined) {
      const record = counters.recordsRead + first.record;
      counters.firstFailure =
        format === 'jsonl'
          ? { reason: first.reason, line: lines + first.line, record }
          : { reason: first.reason, record };
    }
    counters.recordsRead += range.records;
    counters.recordsFailed += range.recordsFailed;
    lines += range.lines;
    valid += range.valid;
  }
  checkErrorRate(counters, counters.recordsRead, options.maxErrorRate ?? 0);
  checkNotEmpty(format, fileBytes, plans.length, counters.recordsRead, options);
  const { schema } = settleSchema(plans, merged, valid, options);
  return { schema, keys: plans.map((p) => p.source) };
}

/**
 * The second pass over a range: its readable records converted to the settled schema, in batches; records
 * that do not convert are left out (the first pass counted them). Duplicates by key are not dropped here:
 * keys repeat across ranges, so that is the caller's to settle.
 */
export function readJsonlRange(
  input: JsonlRangeInput,
  settled: SettledJson,
  options: Pick<ParseOptions, 'batchSize' | 'batchBytes'> = {},
): { batches: AsyncIterable<ReadBatch>; metrics(): ParseMetrics; nextOffset(): number | undefined } {
  const counters = new Counters();
  const splitter = new JsonLineSplitter({ end: input.end - input.start });
  const index = new Map(settled.keys.map((key, i) => [key, i]));
  const types = settled.schema.columns.map((c) => c.type);
  async function* batches(): AsyncIterable<ReadBatch> {
    const groups = jsonlRangeRecords(input, splitter, (n) => {
      counters.bytesRead += n;
    });
    async function* tallied(): AsyncIterable<JsonSourceRecord[]> {
      for await (const group of groups) {
        counters.recordsRead += group.length;
        yield group;
      }
    }
    yield* jsonBatches(tallied(), index, types, new RowSink(settled.schema, options, [], counters));
    counters.recordsFailed = counters.recordsRead - counters.recordsWritten;
    counters.finished = performance.now();
  }
  return {
    batches: batches(),
    metrics: () => counters.snapshot(),
    nextOffset: () =>
      counters.finished === undefined
        ? undefined
        : input.end <= input.start
          ? input.start
          : input.start + splitter.nextOffset,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Parquet

async function parseParquet(source: ByteRangeSource, options: ParseOptions): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;
  if (source.size === 0) throw new EmptyFileError('the file has 0 bytes');
  const file = await openParquet({
    size: source.size,
    read: async (start, end) => {
      const bytes = await source.read(start, end);
      counters.bytesRead += bytes.byteLength;
      return bytes;
    },
  });
  checkColumnCount(file.schema.columns.length, options);
  checkNotEmpty('parquet', source.size, file.schema.columns.length, file.numRows, options);
  const maxGroupBytes = options.maxRowGroupBytes ?? DEFAULT_MAX_ROW_GROUP_BYTES;
  const huge = file.rowGroups.find((g) => g.uncompressedBytes > maxGroupBytes);
  if (huge !== undefined) {
    // Refused before any row is read: a row group is decoded whole, so its size is the memory it takes.
    throw new ParseError(
      `row group ${huge.index} declares ${huge.uncompressedBytes} uncompressed bytes, more than the ` +
        `${maxGroupBytes} a parse may hold at once; rewrite the file with smaller row groups`,
    );
  }
  const plans: ColumnPlan[] = file.schema.columns.map((c, i) => {
    const target = targetName(c.name, options);
    checkColumnName(target, i, options);
    const override = overrideFor(target, options);
    return { source: c.name, target, type: override ?? c.type, overridden: override !== undefined };
  });
  const keyIndexes = finishPlan(plans, options);
  const sourceTypes = file.schema.columns.map((c) => c.type);
  const schema: TableSchema = {
    columns: plans.map((p, i) => {
      const from = file.schema.columns[i];
      // Text converted to another type may turn null tokens into nulls.
      const nullable = (from?.nullable ?? true) || (from?.type === 'string' && p.type !== 'string');
      return { name: p.target, type: p.type, nullable };
    }),
  };

  async function* batches(): AsyncIterable<ReadBatch> {
    const deduper = new Deduper(keyIndexes);
    const values: CellValue[] = plans.map(() => null);
    // Nothing to convert or deduplicate (the common case): the reader's fresh batches pass as they are,
    // their numeric columns typed (the writer only reads them).
    const passThrough =
      keyIndexes.length === 0 && plans.every((p, i) => !p.overridden || p.type === sourceTypes[i]);
    const read = file.readRowGroups({
      ...(options.rowGroups && { rowGroups: options.rowGroups }),
      typed: passThrough,
    });
    for await (const batch of read) {
      if (passThrough) {
        counters.recordsRead += batch.numRows;
        counters.recordsWritten += batch.numRows;
        if (batch.numRows > 0) yield { schema, numRows: batch.numRows, columns: batch.columns };
        continue;
      }
      const out: CellValue[][] = plans.map(() => []);
      let rows = 0;
      for (let r = 0; r < batch.numRows; r++) {
        counters.recordsRead++;
        let failed: string | undefined;
        for (let i = 0; i < plans.length; i++) {
          const plan = plans[i] as ColumnPlan;
          const v = batch.columns[i]?.[r] ?? null;
          if (!plan.overridden || plan.type === sourceTypes[i]) {
            values[i] = v;
            continue;
          }
          const converted = convertCell(v, plan.type, sourceTypes[i]);
          if (converted === FAILED) {
            failed ??= `${shown(v)} in column "${plan.target}" is not a ${plan.type}`;
            values[i] = null;
          } else {
            values[i] = converted;
          }
        }
        if (failed !== undefined) {
          counters.fail({ reason: failed, record: counters.recordsRead });
          checkErrorRate(counters, file.numRows, maxErrorRate);
          continue;
        }
        if (deduper.isDuplicate(values)) {
          counters.duplicatesDropped++;
          continue;
        }
        counters.recordsWritten++;
        for (let i = 0; i < values.length; i++) out[i]?.push(values[i] ?? null);
        rows++;
      }
      if (rows > 0) yield { schema, numRows: rows, columns: out };
    }
    counters.finished = performance.now();
  }

  // The statistics of the row groups read, for the columns written as they are read.
  const read = options.rowGroups;
  const inputRanges = numericRanges(
    file.schema,
    read ? file.rowGroups.filter((g) => read.includes(g.index)) : file.rowGroups,
  );
  const ranges: Record<string, ValueRange> = {};
  plans.forEach((p, i) => {
    const range = p.type === sourceTypes[i] ? inputRanges[p.source] : undefined;
    if (range) Object.defineProperty(ranges, p.target, { value: range, enumerable: true });
  });
  return { schema, batches: batches(), metrics: () => counters.snapshot(), renamedColumns: [], ranges };
}
