/**
 * The two passes of a CSV parse spread over byte ranges, without storage: what one range's first pass
 * finds (`scanCsvRange`), and how the ranges' findings settle into the whole file's record starts, error
 * budget and schema (`settleCsvScans`). Storage is the caller's: the chunk functions keep the scans in S3
 * (app/pipeline/text-chunks.ts).
 */

import { ChunkFailedError, EmptyFileError, InternalError, isStrataError, ParseError } from '../../errors.js';
import type { ByteRangeSource } from '../../formats/parquet.js';
import { type DatasetConfig, parseOptionsOf } from '../dataset.js';
import { ColumnInference, type ColumnInferenceState } from '../parse/infer.js';
import { type CsvLayout, type CsvRangeInference, inferCsvRange, parseFile } from '../parse/parse-file.js';
import type { ColumnType, TableSchema } from '../table.js';
import {
  type CsvByteDialect,
  type CsvRangeSummary,
  csvChunkStarts,
  discoverRecordDelimiter,
  guessCsvRecordStart,
  summarizeCsvRange,
} from './csv-boundaries.js';

/** Head read to decide the layout: holds the 64 Ki characters sniffed and the records the header is judged by. */
const HEAD_BYTES = 4 * 1024 * 1024;
/** Bytes after a raw cut in which a range looks for its first record. */
const GUESS_WINDOW_BYTES = 1024 * 1024;
/** Piece size a range is read in (ranged GETs, or views of bytes in memory). */
const READ_BYTES = 8 * 1024 * 1024;

/** The file from `start` on, read in pieces as the consumer asks (a tokenizer stops once its range is read). */
export async function* fromOffset(source: ByteRangeSource, start: number): AsyncIterable<Uint8Array> {
  for (let at = start; at < source.size; at += READ_BYTES) {
    yield await source.read(at, Math.min(source.size, at + READ_BYTES));
  }
}

/** The boundary scanner's dialect for a layout; undefined when the file has no line ending outside quotes. */
export function byteDialect(layout: CsvLayout): CsvByteDialect | undefined {
  if (!layout.lineEnding) return undefined;
  const recordDelimiter = layout.lineEnding === 'crlf' ? '\r\n' : layout.lineEnding === 'cr' ? '\r' : '\n';
  return { delimiter: layout.delimiter, quote: layout.quote, recordDelimiter };
}

/** Override types by column position, for the first pass's failure count. */
export function overrideTypes(
  names: readonly string[],
  config: Pick<DatasetConfig, 'typeOverrides'>,
): (ColumnType | undefined)[] {
  const overrides = config.typeOverrides ?? {};
  return names.map((name) => (Object.hasOwn(overrides, name) ? overrides[name] : undefined));
}

/** A file's layout and column names, as decided from its head; what every range is read with. */
export interface CsvChunking {
  layout: CsvLayout & { dataStart: number };
  /** Column names as the file's parse gives them (mapped, renamed). */
  names: string[];
  size: number;
}

/**
 * The file's layout — dialect, header, line ending, width, where the data starts, column names — decided
 * from its head by the same parse that reads a whole file (the dialect is sniffed from the first 64 Ki
 * characters and the header from the first records, so a head of a few MiB decides as the whole file
 * would). Undefined when the file must be read whole: a head without a whole line, UTF-16 (re-encoded, so
 * its offsets are not the file's), no line ending outside quotes, or one the boundary scanner would find
 * otherwise.
 */
export async function decideCsvChunking(
  source: ByteRangeSource,
  config: DatasetConfig,
): Promise<CsvChunking | undefined> {
  const headEnd = Math.min(source.size, HEAD_BYTES);
  let head = await source.read(0, headEnd);
  if (headEnd < source.size) {
    // Whole lines only: a record cut in two would read as ragged.
    const lastBreak = head.lastIndexOf(10);
    if (lastBreak < 0) return undefined;
    head = head.subarray(0, lastBreak + 1);
  }
  const parsed = await parseFile(
    {
      format: 'csv',
      open: async function* () {
        yield head;
      },
    },
    { ...parseOptionsOf(config), allowEmptyBatches: true, maxErrorRate: 1 },
  ).catch(() => undefined);
  const layout = parsed?.csvLayout;
  if (!parsed || !layout || layout.dataStart === undefined || !layout.lineEnding) return undefined;
  const dialect = byteDialect(layout);
  // The tokenizer's line ending must be the one the boundary scanner finds (csv-parse's discovery).
  if (!dialect || discoverRecordDelimiter(head, dialect, false) !== dialect.recordDelimiter) return undefined;
  return {
    layout: { ...layout, dataStart: layout.dataStart },
    names: parsed.schema.columns.map((c) => c.name),
    size: source.size,
  };
}

/** What a range's first pass leaves for the settle. */
export interface CsvChunkScan {
  index: number;
  /** The raw range. */
  start: number;
  end: number;
  /** Where the scan read from (its guess of the first record); undefined when it found none. */
  assumedStart: number | undefined;
  summary: CsvRangeSummary;
  inference: CsvRangeInference | undefined;
  /**
   * Bad input met reading from the guess. Only the file's error if the guess was the range's true first
   * record (a wrong guess, inside a quoted field, reads ragged records): the settle decides.
   */
  error?: { name: string; message: string };
}

/**
 * One range's first pass: a raw cut may fall inside a quoted field, so the range guesses its first record
 * (the first range starts at the data), summarizes its bytes for every quote state it could start in, and
 * runs the first pass from its guess.
 */
export async function scanCsvRange(
  source: ByteRangeSource,
  range: { index: number; start: number; end: number },
  chunking: CsvChunking,
  types: readonly (ColumnType | undefined)[],
): Promise<CsvChunkScan> {
  const { index, start, end } = range;
  const { layout, size } = chunking;
  const dialect = byteDialect(layout);
  if (!dialect) throw new InternalError('a CSV file read in ranges has a line ending');
  // The range and the byte after it (a CR at its end needs the next byte), and the byte before it (it
  // rules some quote states out for the guess).
  const base = Math.max(0, start - 1);
  const bytes = await source.read(base, Math.min(size, end + 1));
  const summary = summarizeCsvRange(bytes, { base, start, end, size }, dialect);
  let assumedStart: number | undefined = start;
  if (index > 0) {
    const window = bytes.subarray(0, Math.min(bytes.length, start - base + GUESS_WINDOW_BYTES));
    assumedStart = guessCsvRecordStart(window, { base, start, size }, dialect, { fields: layout.width });
  }
  const scan: CsvChunkScan = { index, start, end, assumedStart, summary, inference: undefined };
  if (assumedStart === undefined) return scan;
  try {
    scan.inference = await inferCsvFrom(source, layout, assumedStart, end, types);
  } catch (error) {
    if (!isStrataError(error) || error.retryable) throw error;
    scan.error = { name: error.name, message: error.message };
  }
  return scan;
}

/** The first pass over [start, end) of the file, read on to the next record start. */
export function inferCsvFrom(
  source: ByteRangeSource,
  layout: CsvLayout,
  start: number,
  end: number,
  types: readonly (ColumnType | undefined)[],
): Promise<CsvRangeInference> {
  return inferCsvRange({ open: () => fromOffset(source, start), start, end, layout }, types);
}

/** The ranges settled: where each one's records truly start, and the schema and counts of the whole file. */
export interface SettledCsv {
  /** Per range, its first record's offset. */
  starts: number[];
  schema: TableSchema;
  records: number;
  /** Per range, the records its first pass read (from its true start). */
  recordsPerRange: number[];
  /** The ranges whose guess was wrong and that were scanned again. */
  rescanned: number[];
}

/**
 * The scans (in range order) settled: the summaries, composed from the data's start, give every range's
 * true first record; a range that guessed wrong is scanned again from it through `rescan` (it is rare).
 * The merged inference settles the schema as one pass over the whole file would, and the error budget
 * (`maxErrorRate`) is judged over all records: ParseError names the first failed record in the file;
 * a header without rows is EmptyFileError unless the dataset allows empty batches. A range's own bad input
 * is re-raised under its own name (ChunkFailedError).
 */
export async function settleCsvScans(
  scans: readonly CsvChunkScan[],
  chunking: CsvChunking,
  config: Pick<DatasetConfig, 'typeOverrides' | 'maxErrorRate' | 'allowEmptyBatches'>,
  rescan: (start: number, end: number) => Promise<CsvRangeInference>,
): Promise<SettledCsv> {
  const starts = csvChunkStarts(
    scans.map((s) => s.summary),
    chunking.size,
  );
  const inferences: CsvRangeInference[] = [];
  const rescanned: number[] = [];
  for (const [i, scan] of scans.entries()) {
    const trueStart = starts[i] as number;
    if (scan.assumedStart === trueStart) {
      if (scan.error) throw new ChunkFailedError(scan.error.name, scan.error.message, i);
      if (scan.inference) {
        inferences.push(scan.inference);
        continue;
      }
    }
    rescanned.push(i);
    inferences.push(await rescan(trueStart, scan.end));
  }
  // Each range read on to its next record start: it must be the next range's first record.
  for (const [i, inference] of inferences.entries()) {
    const next = starts[i + 1] ?? chunking.size;
    if (inference.nextOffset !== next && !(inference.records === 0 && inference.nextOffset >= next)) {
      throw new InternalError(
        `range ${i} read on to ${inference.nextOffset}, but the next record starts at ${next}`,
      );
    }
  }

  const records = inferences.reduce((n, r) => n + r.records, 0);
  const failed = inferences.reduce((n, r) => n + r.recordsFailed, 0);
  const maxErrorRate = config.maxErrorRate ?? 0;
  if (failed > 0 && failed > maxErrorRate * records) {
    let before = 0;
    const first = inferences.find((r) => {
      if (r.firstFailure) return true;
      before += r.records;
      return false;
    })?.firstFailure;
    throw new ParseError(
      `${failed} of ${records} records failed, above the allowed error rate ${maxErrorRate}; first: ${first?.reason ?? '?'}`,
      first ? { record: before + first.record } : {},
    );
  }
  if (records === 0 && config.allowEmptyBatches !== true) {
    throw new EmptyFileError('header only, 0 rows');
  }
  return {
    starts,
    schema: settledSchema(chunking.names, inferences, records, config),
    records,
    recordsPerRange: inferences.map((r) => r.records),
    rescanned,
  };
}

/** The schema one pass over the whole file settles: the override's type, else the merged inference's. */
function settledSchema(
  names: readonly string[],
  inferences: readonly CsvRangeInference[],
  records: number,
  config: Pick<DatasetConfig, 'typeOverrides'>,
): TableSchema {
  const overrides = overrideTypes(names, config);
  return {
    columns: names.map((name, i) => {
      const merged = inferences.reduce(
        (acc, r) => acc.merge(r.inference[i] as ColumnInferenceState),
        new ColumnInference(),
      );
      const type = overrides[i] ?? merged.type();
      return { name, type, nullable: merged.nullable(type, records) };
    }),
  };
}
