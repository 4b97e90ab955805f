/**
 * Parquet encoding of record batches: a streaming writer (one row group in memory at a time) and a reader
 * over an async byte-range source (S3 ranged GETs in production), which fetches only the footer and the
 * column chunks of the row groups and columns asked for. No I/O happens here: the caller supplies the sink
 * and the range source.
 *
 * Built on hyparquet (reader) and hyparquet-writer: pure JavaScript, so the Lambda bundle needs no wasm
 * or native binary, and the reader plans byte ranges itself. hyparquet-compressors adds the codecs other
 * tools write (ZSTD from Polars/Spark, GZIP, BROTLI, LZ4).
 *
 * Type mapping, written: int → INT64 (always, even when values would fit INT32: the file schema is fixed
 * before the first row group is seen, and one physical type per strata type keeps snapshots of a dataset
 * schema-identical), float → DOUBLE, bool → BOOLEAN, string → BYTE_ARRAY STRING (UTF8), timestamp → INT64
 * TIMESTAMP(MICROS, adjusted to UTC): strata's values are milliseconds, stored ×1000, because microseconds
 * are what a Delta table's `timestamp` holds, and the files are a dataset table's data files as they are;
 * a nullable column is OPTIONAL, otherwise REQUIRED. Every column chunk carries min/max/null_count
 * statistics.
 *
 * Type mapping, read (files from any tool): INT32/INT64/INT_n/UINT_n → int, except a 64-bit column whose
 * statistics show values beyond ±2^53 → string (decimal text; an unsafe value met without statistics is a
 * ParseError rather than a silent rounding); TIME → int (in its unit); FLOAT/DOUBLE/FLOAT16/DECIMAL →
 * float (NaN → null); BOOLEAN → bool; TIMESTAMP millis/micros/nanos, INT96 and DATE → timestamp (epoch ms,
 * sub-millisecond digits floored; a timestamp not adjusted to UTC is read as UTC wall-clock time);
 * BYTE_ARRAY (annotated or not), ENUM, JSON, UUID → string; other FIXED_LEN_BYTE_ARRAY → string (base64);
 * nested groups (LIST, MAP, STRUCT) → string holding JSON. A column is nullable when it is declared
 * OPTIONAL (pandas and DuckDB declare every column so), so a file reads back with the schema it was
 * written with. Unsupported encodings or codecs (LZO, BSON, INTERVAL) fail the read with a ParseError.
 */

import { gzipSync } from 'node:zlib';
import {
  type ColumnData,
  type ColumnMetaData,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type RowGroup,
  type SchemaElement,
  type SchemaTree,
  type Statistics,
} from 'hyparquet';
import { compressors as readCompressors } from 'hyparquet-compressors';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type {
  CellValue,
  ColumnCodes,
  ColumnSchema,
  ColumnType,
  ReadBatch,
  RecordBatch,
  TableSchema,
} from '../domain/table.js';
import { InvalidInputError, isStrataError, ParseError } from '../errors.js';
import { decodeChunk, type FastKind, fastKind, NotFastError } from './parquet-read.js';
import {
  assembleColumnChunk,
  ByteBuffer,
  type ChunkContext,
  ColumnBuilder,
  compressorFor,
  type EncodedChunk,
  encodeColumnChunk,
} from './parquet-write.js';
import { compressPages } from './snappy-worker.js';

/**
 * A row group whose pages hold less than this is compressed on the writer's thread: a worker's round trip
 * and, the first time, its start (tens of milliseconds) would cost more than they save.
 */
const WORKER_MIN_BYTES = 1 << 20;

/** Random access to the bytes of one object. `end` is exclusive; the result holds `end - start` bytes. */
export interface ByteRangeSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export type ParquetCompression = 'snappy' | 'gzip' | 'none';

export interface ParquetWriteOptions {
  /** Rows per row group (default 100,000): the unit of memory when writing and of skipping when reading. */
  rowGroupSize?: number;
  /**
   * A row group is also closed once its cells hold about this many bytes (default 128 MiB), so wide rows
   * cannot make 100,000 rows outgrow memory (and every reader holds a row group whole).
   */
  rowGroupBytes?: number;
  /** Default snappy: fast, and what every reader supports. */
  compression?: ParquetCompression;
  /**
   * Snappy pages of a row group (of 1 MiB or more) compressed on a worker thread while the next row
   * group's batches are made. Default true; the bytes are the same either way.
   */
  compressInWorker?: boolean;
}

export interface ParquetWriteResult {
  rowCount: number;
  rowGroups: number;
  bytes: number;
}

export const DEFAULT_ROW_GROUP_SIZE = 100_000;
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024;
/**
 * String min/max are cut to this many bytes (still valid bounds: the writer rounds a cut max up). Long
 * text would otherwise bloat the footer, which every reader fetches first.
 */
const STATISTICS_TRUNCATE_LENGTH = 64;
/** One ranged read of this size usually covers the whole footer. */
const FOOTER_FETCH_SIZE = 64 * 1024;
/** Column chunks of a row group this close are fetched in one ranged read (one request instead of two). */
const MERGE_GAP = 256 * 1024;
const CREATED_BY = 'strata';

const CODECS = { snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const;
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // PAR1

function schemaElement(column: ColumnSchema): SchemaElement {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED';
  const { name } = column;
  switch (column.type) {
    case 'int':
      return { name, repetition_type, type: 'INT64' };
    case 'float':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'bool':
      return { name, repetition_type, type: 'BOOLEAN' };
    case 'string':
      return {
        name,
        repetition_type,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      };
    case 'timestamp':
      return {
        name,
        repetition_type,
        type: 'INT64',
        // The converted type too, for readers that predate logical types.
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
  }
}

/**
 * The row group's cells are counted as cellBytes does, so the byte budget closes groups where it did. A
 * cell of a column that is not a string column costs 8 bytes (a value of another type fails the write
 * anyway), so only string columns are walked.
 */
function cellBytesOf(schema: TableSchema, batch: ReadBatch, from: number, to: number): number {
  let bytes = 0;
  const types = schema.columns;
  for (let c = 0; c < types.length; c++) {
    if (types[c]?.type !== 'string') {
      bytes += 8 * (to - from);
      continue;
    }
    const column = batch.columns[c] ?? [];
    for (let r = from; r < to; r++) {
      const v = column[r];
      bytes += typeof v === 'string' ? 16 + 2 * v.length : 8;
    }
  }
  return bytes;
}

/**
 * The end of the rows from `from` (at most `take`) that join the open row group, and their bytes: a row
 * joins while the group's bytes are under budget before it, so the row that crosses the budget is the
 * group's last.
 */
function rowsWithinBudget(
  schema: TableSchema,
  batch: ReadBatch,
  from: number,
  take: number,
  budget: number,
): { end: number; bytes: number } {
  // All but the last row under budget: they all join (the common case, counted column by column).
  const allButLast = budget > 0 ? cellBytesOf(schema, batch, from, from + take - 1) : budget;
  if (allButLast < budget) {
    const end = from + take;
    return { end, bytes: allButLast + cellBytesOf(schema, batch, end - 1, end) };
  }
  let bytes = 0;
  let r = from;
  for (; r < from + take && bytes < budget; r++) bytes += cellBytesOf(schema, batch, r, r + 1);
  return { end: r, bytes };
}

/**
 * Writes `batches` as one Parquet file through `sink`, in order. Batches are regrouped into row groups of
 * exactly `rowGroupSize` rows (the last may be smaller); memory holds at most one row group plus its
 * encoded bytes. The sink receives the file in order, one chunk per row group plus the footer, and owns
 * each chunk. A value that does not fit its column's type, or a null in a non-nullable column, throws
 * InvalidInputError (the producer broke the schema).
 */
export async function writeParquet(
  schema: TableSchema,
  batches: AsyncIterable<ReadBatch>,
  sink: (chunk: Uint8Array) => Promise<void>,
  options: ParquetWriteOptions = {},
): Promise<ParquetWriteResult> {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new InvalidInputError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  if (
    options.rowGroupBytes !== undefined &&
    !(Number.isInteger(options.rowGroupBytes) && options.rowGroupBytes >= 1)
  ) {
    throw new InvalidInputError(`rowGroupBytes must be a positive integer, got ${options.rowGroupBytes}`);
  }
  const names = new Set<string>();
  for (const c of schema.columns) {
    if (names.has(c.name)) throw new InvalidInputError(`duplicate column "${c.name}"`);
    names.add(c.name);
  }
  const codec = CODECS[options.compression ?? 'snappy'];
  const elements = schema.columns.map(schemaElement);
  const fileSchema: SchemaElement[] = [{ name: 'root', num_children: schema.columns.length }, ...elements];
  const out = new ByteBuffer(1 << 20);
  out.bytes(MAGIC);
  const ctx: ChunkContext = { out, base: 0, codec, compress: compressorFor(codec, (b) => gzipSync(b)) };
  const groups: RowGroup[] = [];
  let bytes = 0;
  const emit = async (tail?: Uint8Array): Promise<void> => {
    // A copy: the buffer is reused for the next row group, and the sink may keep the chunk (multipart).
    const chunk = new Uint8Array(out.pos + (tail?.length ?? 0));
    chunk.set(out.view());
    if (tail) chunk.set(tail, out.pos);
    ctx.base += out.pos;
    out.pos = 0;
    bytes += chunk.length;
    await sink(chunk);
  };

  const rowGroupBytes = options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES;
  // Per column, the open row group, converted as its batches arrive.
  const builders = schema.columns.map((c) => new ColumnBuilder(c, rowGroupSize));
  let pendingRows = 0;
  let pendingBytes = 0;
  let rowCount = 0;
  // A row group's pages are compressed on the worker thread while the next one's batches are made (the
  // producer's parsing): at most one group is in flight, and groups are written in order.
  const useWorker = codec === 'SNAPPY' && options.compressInWorker !== false;
  let inFlight: Promise<void> = Promise.resolve();
  const flushGroup = async (): Promise<void> => {
    if (pendingRows === 0) return;
    const rows = pendingRows;
    rowCount += rows;
    pendingRows = 0;
    pendingBytes = 0;
    const encoded = schema.columns.map((c, i) => {
      const builder = builders[i] as ColumnBuilder;
      const chunk = encodeColumnChunk(c, elements[i] as SchemaElement, builder.prepared(), rows, codec);
      builder.reset();
      return chunk;
    });
    const values = encoded.flatMap((chunk) => chunk.pages.map((page) => page.values));
    const pageBytes = values.reduce((sum, page) => sum + page.length, 0);
    const compressed =
      useWorker && pageBytes >= WORKER_MIN_BYTES ? compressPages(values) : Promise.resolve(undefined);
    // The group before is written first (its pages were compressed while this one's batches were made).
    await inFlight;
    inFlight = (async () => {
      writeGroup(encoded, rows, await compressed);
      await emit();
    })();
    // Its error surfaces when it is awaited: at the next flush or after the last batch.
    inFlight.catch(() => undefined);
  };
  const writeGroup = (
    encoded: readonly EncodedChunk[],
    rows: number,
    compressed: readonly Uint8Array[] | undefined,
  ): void => {
    const groupStart = out.pos;
    let page = 0;
    const chunks = encoded.map((chunk) =>
      assembleColumnChunk(ctx, chunk, (k) =>
        compressed ? (compressed[page++] as Uint8Array) : ctx.compress(chunk.pages[k]?.values as Uint8Array),
      ),
    );
    let uncompressed = 0n;
    for (const chunk of chunks) uncompressed += chunk.meta_data?.total_uncompressed_size ?? 0n;
    groups.push({
      columns: chunks,
      total_byte_size: uncompressed,
      num_rows: BigInt(rows),
      total_compressed_size: BigInt(out.pos - groupStart),
    });
  };

  const width = schema.columns.length;
  for await (const batch of batches) {
    checkBatchSchema(schema, batch);
    let offset = 0;
    while (offset < batch.numRows) {
      const take = Math.min(rowGroupSize - pendingRows, batch.numRows - offset);
      const { end: r, bytes } = rowsWithinBudget(schema, batch, offset, take, rowGroupBytes - pendingBytes);
      pendingBytes += bytes;
      // Converted now: the producer may reuse its arrays once it is asked for the next batch.
      for (let c = 0; c < width; c++) {
        (builders[c] as ColumnBuilder).append(
          batch.columns[c],
          offset,
          r,
          rowCount + pendingRows,
          batch.codes?.[c],
        );
      }
      pendingRows += r - offset;
      offset = r;
      if (pendingRows === rowGroupSize || pendingBytes >= rowGroupBytes) await flushGroup();
    }
  }
  await flushGroup();
  await inFlight;
  const footer = new ByteWriter(1 << 16);
  writeMetadata(
    footer,
    {
      version: 2,
      created_by: CREATED_BY,
      schema: fileSchema,
      num_rows: BigInt(rowCount),
      row_groups: groups,
    } as FileMetaData,
    STATISTICS_TRUNCATE_LENGTH,
  );
  footer.appendUint32(0x31524150);
  await emit(footer.getBytes());
  return { rowCount, rowGroups: groups.length, bytes };
}

function checkBatchSchema(schema: TableSchema, batch: ReadBatch): void {
  const actual = batch.schema.columns;
  const expected = schema.columns;
  const at = actual.findIndex((c, i) => c.name !== expected[i]?.name);
  const differs = at >= 0 ? at : actual.length !== expected.length ? actual.length : -1;
  if (differs >= 0) {
    // The first difference only: the message ends up in an error's cause, and a file may have 2,000 columns.
    const name = (c: ColumnSchema | undefined) => (c ? `"${c.name.slice(0, 64)}"` : 'none');
    throw new InvalidInputError(
      `batch columns do not match the file's: ${actual.length} columns against ${expected.length}, ` +
        `column ${differs + 1} is ${name(actual[differs])} where the file has ${name(expected[differs])}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading

export interface ColumnStatistics {
  min?: CellValue;
  max?: CellValue;
  nullCount?: number;
}

export interface ParquetRowGroupInfo {
  index: number;
  numRows: number;
  /** What the footer declares the row group's uncompressed data takes (a reader holds it whole). */
  uncompressedBytes: number;
  /** Statistics of the top-level primitive columns that have them (nested columns have none). */
  columns: Record<string, ColumnStatistics>;
}

export interface ReadRowGroupsOptions {
  /** Row group indexes, read in the order given (default: all, in file order). */
  rowGroups?: number[];
  /** Column names; the batches hold these columns in this order (default: all, in schema order). */
  columns?: string[];
  /**
   * Numeric column chunks that hold no null (and no NaN) as `Float64Array`s, for consumers that only read
   * the cells (`ReadBatch`): no heap object a cell.
   */
  typed?: boolean;
}

export interface ParquetFile {
  schema: TableSchema;
  numRows: number;
  rowGroups: ParquetRowGroupInfo[];
  createdBy: string | undefined;
  /** One batch per row group; fetches only the chunks of the requested row groups and columns. */
  readRowGroups(options?: ReadRowGroupsOptions & { typed?: false }): AsyncIterable<RecordBatch>;
  readRowGroups(options?: ReadRowGroupsOptions): AsyncIterable<ReadBatch>;
}

const MS_PER_DAY = 86_400_000;

/** Division rounding toward -infinity, so a pre-1970 instant with sub-ms digits stays in its millisecond. */
function floorDiv(value: bigint, divisor: bigint): number {
  const q = value / divisor;
  return Number(value % divisor < 0n ? q - 1n : q);
}

const textDecoder = new TextDecoder();

// Timestamps as epoch-ms numbers (not Date objects), JSON left as text: the shapes CellValue wants.
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => floorDiv(v, 1000n),
  timestampFromNanoseconds: (v: bigint) => floorDiv(v, 1_000_000n),
  dateFromDays: (days: number) => days * MS_PER_DAY,
  jsonFromBytes: (bytes: Uint8Array) => bytes && textDecoder.decode(bytes),
};

/** How a top-level Parquet column becomes a strata column. */
type Decoder = 'int' | 'bigint-text' | 'float' | 'bool' | 'timestamp' | 'string' | 'bytes' | 'json';

interface ColumnPlan {
  schema: ColumnSchema;
  decoder: Decoder;
  /** Position among the file's top-level columns. */
  index: number;
  /** The leaf's schema element (primitive columns only). */
  element?: SchemaElement;
  /** Set when every chunk of the column can be decoded by the fast path. */
  fast?: FastKind;
  /** Statistics are kept for primitive columns whose min/max order is the strata value order. */
  statistics: 'value' | 'legacy-ok' | 'none';
}

const TYPED_KINDS: ReadonlySet<FastKind> = new Set([
  'int32',
  'int64',
  'float32',
  'float64',
  'date32',
  'ts-millis',
  'ts-micros',
  'ts-nanos',
]);

/**
 * Whether a column chunk is read into a Float64Array when typed columns are asked for: a numeric one the
 * fast path decodes, with no null (REQUIRED, or a null count of 0), and no dictionary (its values would
 * be the dictionary's own, shared, objects anyway). A NaN found on the way makes it an array again.
 */
function typedChunk(plan: ColumnPlan, meta: ColumnMetaData | undefined): boolean {
  if (!plan.fast || !TYPED_KINDS.has(plan.fast) || !meta) return false;
  if (meta.dictionary_page_offset !== undefined && meta.dictionary_page_offset > 0n) return false;
  if (meta.encodings.some((e) => e === 'PLAIN_DICTIONARY' || e === 'RLE_DICTIONARY')) return false;
  return plan.element?.repetition_type === 'REQUIRED' || meta.statistics?.null_count === 0n;
}

function is64BitInteger(e: SchemaElement): boolean {
  return e.type === 'INT64' || (e.logical_type?.type === 'INTEGER' && e.logical_type.bitWidth === 64);
}

function isUnsigned(e: SchemaElement): boolean {
  return (
    e.converted_type?.startsWith('UINT_') === true ||
    (e.logical_type?.type === 'INTEGER' && !e.logical_type.isSigned)
  );
}

function primitiveType(e: SchemaElement): { type: ColumnType; decoder: Decoder } {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  if (converted === 'DECIMAL' || logical === 'DECIMAL' || logical === 'FLOAT16') {
    return { type: 'float', decoder: 'float' };
  }
  if (
    e.type === 'INT96' ||
    logical === 'TIMESTAMP' ||
    logical === 'DATE' ||
    converted === 'DATE' ||
    converted === 'TIMESTAMP_MILLIS' ||
    converted === 'TIMESTAMP_MICROS'
  ) {
    return { type: 'timestamp', decoder: 'timestamp' };
  }
  switch (e.type) {
    case 'BOOLEAN':
      return { type: 'bool', decoder: 'bool' };
    case 'INT32':
    case 'INT64':
      return { type: 'int', decoder: 'int' };
    case 'FLOAT':
    case 'DOUBLE':
      return { type: 'float', decoder: 'float' };
    case 'FIXED_LEN_BYTE_ARRAY':
      return { type: 'string', decoder: logical === 'UUID' ? 'string' : 'bytes' };
    default:
      return { type: 'string', decoder: 'string' };
  }
}

function planColumn(node: SchemaTree, metadata: FileMetaData, index: number): ColumnPlan {
  const e = node.element;
  const name = e.name;
  if (node.children.length > 0) {
    const nullable = e.repetition_type !== 'REQUIRED';
    return { schema: { name, type: 'string', nullable }, decoder: 'json', statistics: 'none', index: -1 };
  }
  let { type, decoder } = primitiveType(e);
  const chunks = metadata.row_groups.map((g) => g.columns[index]?.meta_data);
  if (type === 'int' && is64BitInteger(e)) {
    // Integers beyond ±2^53 cannot be numbers without rounding; the statistics tell us before reading.
    const unsafe = chunks.some((m) => {
      const s = m?.statistics;
      return [s?.min_value, s?.max_value, s?.min, s?.max].some(
        (v) =>
          typeof v === 'bigint' &&
          (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)),
      );
    });
    if (unsafe) {
      type = 'string';
      decoder = 'bigint-text';
    }
  }
  // The declared repetition, not the null counts: a file reads back with the schema it was written with.
  const nullable = e.repetition_type !== 'REQUIRED';
  // Legacy min/max were written with signed comparison: right for signed numbers, wrong for strings.
  const legacyOk =
    (type === 'int' || type === 'float' || type === 'timestamp' || type === 'bool') && !isUnsigned(e);
  const statistics =
    decoder === 'bytes' || decoder === 'bigint-text' ? 'none' : legacyOk ? 'legacy-ok' : 'value';
  const metas = metadata.row_groups.map((g) => g.columns[index]?.meta_data);
  const fast =
    decoder === 'int' ||
    decoder === 'float' ||
    decoder === 'bool' ||
    decoder === 'timestamp' ||
    decoder === 'string'
      ? fastKind(e, decoder, metas, readCompressors)
      : undefined;
  return { schema: { name, type, nullable }, decoder, statistics, index: -1, element: e, fast };
}

function statisticValue(plan: ColumnPlan, value: unknown): CellValue | undefined {
  if (value === undefined || value === null) return undefined;
  switch (plan.schema.type) {
    case 'int':
    case 'timestamp':
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'float':
      return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
  }
}

function columnStatistics(plan: ColumnPlan, stats: Statistics | undefined): ColumnStatistics {
  const out: ColumnStatistics = {};
  if (!stats) return out;
  if (stats.null_count !== undefined) out.nullCount = Number(stats.null_count);
  if (plan.statistics === 'none') return out;
  const legacy = plan.statistics === 'legacy-ok';
  const min = statisticValue(plan, stats.min_value ?? (legacy ? stats.min : undefined));
  const max = statisticValue(plan, stats.max_value ?? (legacy ? stats.max : undefined));
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return out;
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  });
}

function decodeValue(plan: ColumnPlan, v: unknown, row: number): CellValue {
  if (v === null || v === undefined) return null;
  switch (plan.decoder) {
    case 'int':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') {
        const n = Number(v);
        if (Number.isSafeInteger(n)) return n;
        throw new ParseError(`column "${plan.schema.name}" holds ${v}, beyond the safe integer range`, {
          record: row + 1,
        });
      }
      break;
    case 'bigint-text':
      return String(v);
    case 'float':
      if (typeof v === 'number') return Number.isNaN(v) ? null : v;
      if (typeof v === 'bigint') return Number(v);
      break;
    case 'bool':
      if (typeof v === 'boolean') return v;
      break;
    case 'timestamp':
      if (typeof v === 'number') return v;
      if (v instanceof Date) return v.getTime();
      break;
    case 'string':
      if (typeof v === 'string') return v;
      if (v instanceof Uint8Array) return textDecoder.decode(v);
      break;
    case 'bytes':
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (typeof v === 'string') return v;
      break;
    case 'json':
      return jsonText(v);
  }
  throw new ParseError(`column "${plan.schema.name}" holds an unexpected value of type ${typeof v}`, {
    record: row + 1,
  });
}

/**
 * The bytes `[start, end)` of a view in an ArrayBuffer of their own. Not `view.slice(...).buffer`: on a
 * Node Buffer `slice` is a view too (of a pooled allocation, often), and its `.buffer` holds other bytes
 * around it, which the Parquet decoder would then read as the file.
 */
function copyOf(view: Uint8Array, start = 0, end = view.byteLength): ArrayBuffer {
  const copy = new Uint8Array(end - start);
  copy.set(view.subarray(start, end));
  return copy.buffer;
}

/**
 * Opens a Parquet file from a byte-range source: reads the footer only (one ranged read of up to 64 KiB,
 * a second when the footer is larger) and maps its schema and row-group statistics. A source that is not
 * Parquet throws ParseError.
 */
export async function openParquet(source: ByteRangeSource): Promise<ParquetFile> {
  // The footer read is kept: for a small file it already holds every column chunk, so no second request.
  let tail: { start: number; bytes: Uint8Array } | undefined;
  const file = {
    byteLength: source.size,
    async slice(start: number, end: number = source.size): Promise<ArrayBuffer> {
      if (tail && start >= tail.start && end <= source.size) {
        return copyOf(tail.bytes, start - tail.start, end - tail.start);
      }
      const bytes = await source.read(start, end);
      if (bytes.byteLength !== end - start) {
        throw new ParseError(`the source returned ${bytes.byteLength} bytes for range ${start}-${end}`);
      }
      if (end === source.size && tail === undefined) {
        tail = { start, bytes };
        return copyOf(bytes);
      }
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return whole ? (bytes.buffer as ArrayBuffer) : copyOf(bytes);
    },
  };
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { parsers: PARSERS, initialFetchSize: FOOTER_FETCH_SIZE });
  } catch (error) {
    // The source's own errors (a throttled S3 read is a TransientError) keep their meaning.
    if (isStrataError(error)) throw error;
    throw new ParseError(`not a readable Parquet file (${(error as Error).message})`, {}, { cause: error });
  }
  const tree = parquetSchema(metadata);
  // Leaf index of each top-level column's first chunk (a nested column spans several leaves).
  const plans: ColumnPlan[] = [];
  const firstLeaf: number[] = [];
  let leaf = 0;
  for (const node of tree.children) {
    plans.push({ ...planColumn(node, metadata, leaf), index: plans.length });
    firstLeaf.push(leaf);
    leaf += countLeaves(node);
  }
  const schema: TableSchema = { columns: plans.map((p) => p.schema) };
  const byName = new Map(plans.map((p, i) => [p.schema.name, i]));
  const groupStarts: number[] = [];
  let start = 0;
  const rowGroups = metadata.row_groups.map((group, index) => {
    groupStarts.push(start);
    const numRows = Number(group.num_rows);
    start += numRows;
    const columns: Record<string, ColumnStatistics> = {};
    plans.forEach((plan, i) => {
      if (plan.decoder === 'json') return;
      columns[plan.schema.name] = columnStatistics(
        plan,
        group.columns[firstLeaf[i] ?? -1]?.meta_data?.statistics,
      );
    });
    return { index, numRows, uncompressedBytes: Number(group.total_byte_size), columns };
  });

  /**
   * Decodes the fast columns (indexes into `selected`) of a row group into `columns`, fetching their
   * chunks in ranges merged across small gaps; answers the columns that need the generic path after all.
   * A string column whose chunk has a dictionary page gets its rows' codes in it (`codes`).
   */
  async function readFast(
    groupIndex: number,
    fastColumns: number[],
    columns: CellValue[][],
    codes: (ColumnCodes | undefined)[],
    groupStart: number,
    selectedPlans: ColumnPlan[],
  ): Promise<number[]> {
    const group = metadata.row_groups[groupIndex];
    if (!group || fastColumns.length === 0) return [];
    const numRows = Number(group.num_rows);
    const chunks = fastColumns.map((i) => {
      const plan = selectedPlans[i] as ColumnPlan;
      const leaf = firstLeaf[plan.index] ?? -1;
      const meta = group.columns[leaf]?.meta_data as ColumnMetaData;
      const dictionary = meta.dictionary_page_offset;
      const start = Number(
        dictionary !== undefined && dictionary > 0n && dictionary < meta.data_page_offset
          ? dictionary
          : meta.data_page_offset,
      );
      return { i, plan, meta, start, end: start + Number(meta.total_compressed_size) };
    });
    const ordered = [...chunks].sort((a, b) => a.start - b.start);
    const fetched = new Map<(typeof chunks)[number], Uint8Array>();
    for (let k = 0; k < ordered.length; ) {
      const first = ordered[k] as (typeof chunks)[number];
      let end = first.end;
      let last = k + 1;
      while (last < ordered.length && (ordered[last]?.start ?? 0) - end <= MERGE_GAP) {
        end = Math.max(end, ordered[last]?.end ?? 0);
        last++;
      }
      const bytes = new Uint8Array(await file.slice(first.start, end));
      for (let j = k; j < last; j++) {
        const c = ordered[j] as (typeof chunks)[number];
        fetched.set(c, bytes.subarray(c.start - first.start, c.end - first.start));
      }
      k = last;
    }
    const fallback: number[] = [];
    for (const c of chunks) {
      const target = columns[c.i] as CellValue[];
      const typed =
        (target as unknown) instanceof Float64Array ? (target as unknown as Float64Array) : undefined;
      const rowCodes = c.plan.fast === 'string' ? new Int32Array(numRows) : undefined;
      try {
        const strings = decodeChunk(
          fetched.get(c) as Uint8Array,
          c.plan.fast as NonNullable<ColumnPlan['fast']>,
          c.plan.element as SchemaElement,
          c.meta,
          readCompressors,
          numRows,
          groupStart,
          target,
          rowCodes,
        );
        if (rowCodes && strings) codes[c.i] = { codes: rowCodes, strings };
        // A NaN is a null to strata: such a chunk is an array after all.
        const float = c.plan.fast === 'float32' || c.plan.fast === 'float64';
        if (float && typed?.some(Number.isNaN)) {
          columns[c.i] = Array.from(typed, (v) => (Number.isNaN(v) ? null : v));
        }
      } catch (error) {
        if (!(error instanceof NotFastError)) throw error;
        // The generic path writes nulls, which a Float64Array cannot hold.
        if (typed) columns[c.i] = new Array<CellValue>(numRows).fill(null);
        fallback.push(c.i);
      }
    }
    return fallback;
  }

  /** Reads `names` of a row group through hyparquet's generic reader into `columns`. */
  async function readGeneric(
    names: string[],
    slot: Map<string, number>,
    columns: CellValue[][],
    groupStart: number,
    numRows: number,
    selectedPlans: ColumnPlan[],
  ): Promise<void> {
    const chunks: ColumnData[] = [];
    await parquetRead({
      file,
      metadata,
      rowStart: groupStart,
      rowEnd: groupStart + numRows,
      columns: names,
      parsers: PARSERS,
      compressors: readCompressors,
      onChunk: (chunk) => chunks.push(chunk),
    });
    for (const chunk of chunks) {
      const i = slot.get(chunk.columnName);
      const plan = selectedPlans[i ?? -1];
      const target = columns[i ?? -1];
      if (!plan || !target) continue;
      const data = chunk.columnData;
      for (let k = 0; k < data.length; k++) {
        const row = chunk.rowStart + k - groupStart;
        if (row < 0 || row >= numRows) continue;
        target[row] = decodeValue(plan, data[k], groupStart + row);
      }
    }
  }

  async function* readRowGroups(options: ReadRowGroupsOptions = {}): AsyncIterable<RecordBatch & ReadBatch> {
    const indexes = options.rowGroups ?? rowGroups.map((g) => g.index);
    for (const i of indexes) {
      if (!Number.isInteger(i) || i < 0 || i >= rowGroups.length) {
        throw new InvalidInputError(`row group ${i} does not exist (the file has ${rowGroups.length})`);
      }
    }
    const names = options.columns ?? schema.columns.map((c) => c.name);
    const selected = names.map((name) => {
      const index = byName.get(name);
      if (index === undefined) throw new InvalidInputError(`column "${name}" is not in the file`);
      return plans[index] as ColumnPlan;
    });
    const batchSchema: TableSchema = { columns: selected.map((p) => p.schema) };
    for (const index of indexes) {
      const group = rowGroups[index] as ParquetRowGroupInfo;
      const groupStart = groupStarts[index] ?? 0;
      const columns: CellValue[][] = selected.map((p) =>
        options.typed &&
        typedChunk(p, metadata.row_groups[index]?.columns[firstLeaf[p.index] ?? -1]?.meta_data)
          ? (new Float64Array(group.numRows) as unknown as CellValue[])
          : new Array<CellValue>(group.numRows).fill(null),
      );
      const codes: (ColumnCodes | undefined)[] = selected.map(() => undefined);
      const slot = new Map(selected.map((p, i) => [p.schema.name, i]));
      const fast: number[] = [];
      const slow: string[] = [];
      selected.forEach((p, i) => {
        if (p.fast) fast.push(i);
        else slow.push(p.schema.name);
      });
      if (selected.length > 0 && group.numRows > 0) {
        try {
          const fallback = await readFast(index, fast, columns, codes, groupStart, selected);
          for (const i of fallback) {
            slow.push((selected[i] as ColumnPlan).schema.name);
            codes[i] = undefined;
          }
          if (slow.length > 0) await readGeneric(slow, slot, columns, groupStart, group.numRows, selected);
        } catch (error) {
          if (isStrataError(error)) throw error;
          const reason = `cannot decode row group ${index} (${(error as Error).message})`;
          throw new ParseError(reason, { record: groupStart + 1 }, { cause: error });
        }
      }
      const batch: RecordBatch & ReadBatch = { schema: batchSchema, numRows: group.numRows, columns };
      if (codes.some((c) => c !== undefined)) batch.codes = codes;
      yield batch;
    }
  }

  return {
    schema,
    numRows: Number(metadata.num_rows),
    rowGroups,
    createdBy: metadata.created_by,
    readRowGroups,
  };
}

function countLeaves(node: SchemaTree): number {
  if (node.children.length === 0) return 1;
  let n = 0;
  for (const child of node.children) n += countLeaves(child);
  return n;
}

/**
 * Exact histogram bins need each numeric column's range before the scan; the staged file's row-group
 * statistics have it, so the profile needs one pass, not two.
 */
export function numericRanges(
  schema: TableSchema,
  rowGroups: ReadonlyArray<{ columns: Record<string, { min?: unknown; max?: unknown }> }>,
): Record<string, { min: number; max: number }> {
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const column of schema.columns) {
    if (column.type !== 'int' && column.type !== 'float' && column.type !== 'timestamp') continue;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let complete = true;
    for (const group of rowGroups) {
      const stats = group.columns[column.name];
      if (typeof stats?.min !== 'number' || typeof stats.max !== 'number') {
        complete = false;
        break;
      }
      min = Math.min(min, stats.min);
      max = Math.max(max, stats.max);
    }
    if (complete && Number.isFinite(min) && Number.isFinite(max)) ranges[column.name] = { min, max };
  }
  return ranges;
}
