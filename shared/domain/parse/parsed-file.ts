/** What a parse takes (the input, the dataset's options) and gives (schema, batches, metrics). */
import type { ByteRangeSource } from '../../formats/parquet.js';
import type { ColumnType, ReadBatch, TableSchema, ValueRange } from '../table.js';
import type { ColumnRename, CsvDialect, CsvOptions } from './csv.js';
import type { LineEnding } from './csv-tokenizer.js';
import type { DetectedEncoding, SingleByteEncoding, TextEncoding } from './encoding.js';

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

/** A range's second pass: its batches, what it counted, and where the record after its last one starts. */
export interface RangeRead {
  batches: AsyncIterable<ReadBatch>;
  metrics(): ParseMetrics;
  /** In the file; known once the batches are read. */
  nextOffset(): number | undefined;
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
