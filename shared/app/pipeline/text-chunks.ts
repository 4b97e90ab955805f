/**
 * A CSV file in chunks: the two passes of the single parse (infer, then convert) spread over byte ranges.
 *
 * 1. split (`planCsvChunks`): the file's layout — dialect, header, line ending, width, where the data
 *    starts, column names — is decided from its head by the same parse that reads a whole file (the
 *    dialect is sniffed from the first 64 Ki characters and the header from the first records, so a head of
 *    a few MiB decides as the whole file would), and the data is cut into raw byte ranges.
 * 2. scan (one chunk function per range, `scanCsvChunk`): a raw cut may fall inside a quoted field, so a
 *    range guesses its first record (domain/chunks/csv-boundaries.ts), summarizes its bytes for every quote
 *    state it could start in, and runs the first pass from its guess: per-column inference states, records,
 *    override failures.
 * 3. settle (`settleCsvChunks`): the summaries, composed from the data's start, give every range's true first
 *    record; a range that guessed wrong is scanned again from it (here, in one function: it is rare). The
 *    merged inference settles the schema as one pass over the whole file would, and the error budget is
 *    judged over all records. The convert plan holds each chunk's true start.
 * 4. convert (`readCsvChunk`): each chunk's records converted to that schema, written like a Parquet chunk.
 *
 * Only UTF-8 files without dedup keys are chunked (split.ts); anything the head cannot decide (a head
 * ending inside a quoted field, another encoding) is parsed whole, which is always right, only slower.
 */
import type { CsvByteDialect, CsvRangeSummary } from '../../domain/chunks/csv-boundaries.js';
import {
  csvChunkStarts,
  discoverRecordDelimiter,
  guessCsvRecordStart,
  summarizeCsvRange,
} from '../../domain/chunks/csv-boundaries.js';
import { planChunks } from '../../domain/chunks/plan.js';
import { type DatasetConfig, parseOptionsOf } from '../../domain/dataset.js';
import {
  chunkConvertPlanKey,
  chunkLayoutKey,
  chunkPlanKey,
  chunkScanKey,
  chunkSchemaKey,
} from '../../domain/object-key.js';
import { ColumnInference, type ColumnInferenceState } from '../../domain/parse/infer.js';
import {
  type CsvLayout,
  type CsvRangeInference,
  inferCsvRange,
  parseFile,
  readCsvRange,
} from '../../domain/parse/parse-file.js';
import type { ColumnType, TableSchema } from '../../domain/table.js';
import { ChunkFailedError, EmptyFileError, InternalError, isStrataError, ParseError } from '../../errors.js';
import type { ByteRangeSource } from '../../formats/parquet.js';
import type { Chunk, SplitOutput } from '../../schemas/ingestion.js';
import type { FileState, StageDeps } from './artifacts.js';

/** Head read to decide the layout: holds the 64 Ki characters sniffed and the records the header is judged by. */
const HEAD_BYTES = 4 * 1024 * 1024;
/** Bytes after a raw cut in which a chunk looks for its first record. */
const GUESS_WINDOW_BYTES = 1024 * 1024;
/** Piece size of a range read from S3 (ranged GETs). */
const READ_BYTES = 8 * 1024 * 1024;

export type TextFile = Pick<FileState, 'tenant' | 'dataset' | 'fileId' | 'object' | 'size'>;

/** What split leaves for the scans and the settle: the layout and the file's column names. */
export interface CsvChunking {
  layout: CsvLayout & { dataStart: number };
  /** Column names as the file's parse gives them (mapped, renamed). */
  names: string[];
  size: number;
}

function sourceOf(file: TextFile) {
  return { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
}

/** The file from `start` on, read in pieces as the consumer asks (a tokenizer stops once its range is read). */
export async function* fromOffset(source: ByteRangeSource, start: number): AsyncIterable<Uint8Array> {
  for (let at = start; at < source.size; at += READ_BYTES) {
    yield await source.read(at, Math.min(source.size, at + READ_BYTES));
  }
}

function byteDialect(layout: CsvLayout): CsvByteDialect | undefined {
  if (!layout.lineEnding) return undefined;
  const recordDelimiter = layout.lineEnding === 'crlf' ? '\r\n' : layout.lineEnding === 'cr' ? '\r' : '\n';
  return { delimiter: layout.delimiter, quote: layout.quote, recordDelimiter };
}

/**
 * Split for CSV: the layout from the head, the raw ranges planned; undefined when the file is read whole
 * (see the module's comment).
 */
export async function planCsvChunks(
  deps: StageDeps,
  file: TextFile,
  config: DatasetConfig,
  chunkBytes: number,
): Promise<SplitOutput | undefined> {
  const source = await deps.store.openRange(sourceOf(file));
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

  const plan = planChunks({
    format: 'csv',
    size: source.size,
    targetBytes: chunkBytes,
    maxChunks: 1_000,
    dataStart: layout.dataStart,
  });
  if (plan.kind !== 'byte-ranges' || plan.chunks.length < 2) return undefined;
  const chunking: CsvChunking = {
    layout: { ...layout, dataStart: layout.dataStart },
    names: parsed.schema.columns.map((c) => c.name),
    size: source.size,
  };
  const { tenant, dataset, fileId } = file;
  await deps.store.putJson(chunkLayoutKey(tenant, dataset, fileId), chunking);
  const chunks: Chunk[] = plan.chunks.map((c) => ({
    index: c.index,
    step: 'scan',
    start: c.start,
    end: c.end,
  }));
  const planKey = chunkPlanKey(tenant, dataset, fileId);
  await deps.store.putJson(planKey, chunks);
  return { chunked: true, scan: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}

async function chunkingOf(deps: StageDeps, file: TextFile): Promise<CsvChunking> {
  const chunking = (await deps.store.getJson(chunkLayoutKey(file.tenant, file.dataset, file.fileId))) as
    | CsvChunking
    | undefined;
  if (!chunking) throw new InternalError(`file ${file.fileId} has no chunk layout`);
  return chunking;
}

/** Override types by column position, for the first pass's failure count. */
function overrideTypes(names: readonly string[], config: DatasetConfig): (ColumnType | undefined)[] {
  const overrides = config.typeOverrides ?? {};
  return names.map((name) => (Object.hasOwn(overrides, name) ? overrides[name] : undefined));
}

/** What a chunk's scan leaves for the settle. */
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
   * Bad input met reading from the guess. Only the file's error if the guess was the chunk's true first
   * record (a wrong guess, inside a quoted field, reads ragged records): the settle decides.
   */
  error?: { name: string; message: string };
}

/** One range's first pass (see the module's comment). */
export async function scanCsvChunk(
  deps: StageDeps,
  file: TextFile,
  chunk: Chunk,
  config: DatasetConfig,
): Promise<CsvChunkScan> {
  const { start, end } = rangeOf(chunk);
  const chunking = await chunkingOf(deps, file);
  const { layout, size } = chunking;
  const dialect = byteDialect(layout);
  if (!dialect) throw new InternalError(`file ${file.fileId}: a chunked CSV layout has a line ending`);
  const source = await deps.store.openRange(sourceOf(file));
  // The range and the byte after it (a CR at its end needs the next byte), and the byte before it (it
  // rules some quote states out for the guess).
  const base = Math.max(0, start - 1);
  const bytes = await source.read(base, Math.min(size, end + 1));
  const summary = summarizeCsvRange(bytes, { base, start, end, size }, dialect);
  let assumedStart: number | undefined = start;
  if (chunk.index > 0) {
    const window = bytes.subarray(0, Math.min(bytes.length, start - base + GUESS_WINDOW_BYTES));
    assumedStart = guessCsvRecordStart(window, { base, start, size }, dialect, { fields: layout.width });
  }
  const scan: CsvChunkScan = { index: chunk.index, start, end, assumedStart, summary, inference: undefined };
  if (assumedStart === undefined) return scan;
  try {
    scan.inference = await inferRange(
      source,
      layout,
      assumedStart,
      end,
      overrideTypes(chunking.names, config),
    );
  } catch (error) {
    if (!isStrataError(error) || error.retryable) throw error;
    scan.error = { name: error.name, message: error.message };
  }
  return scan;
}

function inferRange(
  source: ByteRangeSource,
  layout: CsvLayout,
  start: number,
  end: number,
  types: (ColumnType | undefined)[],
): Promise<CsvRangeInference> {
  return inferCsvRange({ open: () => fromOffset(source, start), start, end, layout }, types);
}

function rangeOf(chunk: Chunk): { start: number; end: number } {
  if (chunk.start === undefined || chunk.end === undefined) {
    throw new InternalError(`text chunk ${chunk.index} has no byte range`);
  }
  return { start: chunk.start, end: chunk.end };
}

/**
 * After the scans: every chunk's true first record, a rescan of the ranges that guessed wrong, the merged
 * inference settled into the schema, the error budget judged; writes the schema and the convert plan and
 * answers the split output the convert Map reads.
 */
/** What every chunk's scan left, in chunk order (a text file's settle reads them all). */
export async function readScans<T>(deps: StageDeps, file: TextFile, chunkCount: number): Promise<T[]> {
  const { tenant, dataset, fileId } = file;
  return Promise.all(
    Array.from({ length: chunkCount }, async (_, i) => {
      const scan = (await deps.store.getJson(chunkScanKey(tenant, dataset, fileId, i))) as T | undefined;
      if (!scan) throw new InternalError(`chunk ${i} of file ${fileId} left no scan`);
      return scan;
    }),
  );
}

export async function settleCsvChunks(
  deps: StageDeps,
  file: TextFile,
  chunkCount: number,
  config: DatasetConfig,
): Promise<SplitOutput> {
  const { tenant, dataset, fileId } = file;
  const chunking = await chunkingOf(deps, file);
  const scans = await readScans<CsvChunkScan>(deps, file, chunkCount);
  const starts = csvChunkStarts(
    scans.map((s) => s.summary),
    chunking.size,
  );
  const types = overrideTypes(chunking.names, config);
  let source: ByteRangeSource | undefined;
  const inferences: CsvRangeInference[] = [];
  for (const [i, scan] of scans.entries()) {
    const trueStart = starts[i] as number;
    if (scan.assumedStart === trueStart) {
      if (scan.error) throw new ChunkFailedError(scan.error.name, scan.error.message, i);
      if (scan.inference) {
        inferences.push(scan.inference);
        continue;
      }
    }
    source ??= await deps.store.openRange(sourceOf(file));
    deps.logger.info('chunk rescanned from its first record', {
      fileId,
      chunk: i,
      guessed: scan.assumedStart,
      trueStart,
    });
    inferences.push(await inferRange(source, chunking.layout, trueStart, scan.end, types));
  }
  // Each range read on to its next record start: it must be the next range's first record.
  for (const [i, inference] of inferences.entries()) {
    const next = starts[i + 1] ?? chunking.size;
    if (inference.nextOffset !== next && !(inference.records === 0 && inference.nextOffset >= next)) {
      throw new InternalError(
        `chunk ${i} of file ${fileId} read on to ${inference.nextOffset}, but the next record starts at ${next}`,
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
  const schema = settledSchema(chunking.names, inferences, records, config);
  await deps.store.putJson(chunkSchemaKey(tenant, dataset, fileId), schema);
  const chunks: Chunk[] = scans.map((scan, i) => ({
    index: i,
    step: 'convert',
    start: starts[i] as number,
    end: scan.end,
  }));
  const planKey = chunkConvertPlanKey(tenant, dataset, fileId);
  await deps.store.putJson(planKey, chunks);
  deps.logger.info('chunks settled', {
    fileId,
    chunks: chunks.length,
    records,
    rescanned: chunks.length - scans.filter((s, i) => s.inference && s.assumedStart === starts[i]).length,
  });
  return { chunked: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}

/** The schema one pass over the whole file settles: the override's type, else the merged inference's. */
function settledSchema(
  names: readonly string[],
  inferences: readonly CsvRangeInference[],
  records: number,
  config: DatasetConfig,
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

/** A chunk's second pass: its records converted to the settled schema. */
export async function readCsvChunk(deps: StageDeps, file: TextFile, chunk: Chunk) {
  const { start, end } = rangeOf(chunk);
  const { layout } = await chunkingOf(deps, file);
  const schema = (await deps.store.getJson(chunkSchemaKey(file.tenant, file.dataset, file.fileId))) as
    | TableSchema
    | undefined;
  if (!schema) throw new InternalError(`file ${file.fileId} has no settled chunk schema`);
  const source = await deps.store.openRange(sourceOf(file));
  return { schema, ...readCsvRange({ open: () => fromOffset(source, start), start, end, layout }, schema) };
}
