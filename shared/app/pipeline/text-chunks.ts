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
 * Files in UTF-8 or a single-byte encoding (Latin-1, Windows-1252: read in their own bytes) are chunked;
 * anything the head cannot decide (a head ending inside a quoted field,
 * UTF-16) is parsed whole, which is always right, only slower.
 */
import {
  type CsvChunking,
  type CsvChunkScan,
  decideCsvChunking,
  fromOffset,
  inferCsvFrom,
  overrideTypes,
  scanCsvRange,
  settleCsvScans,
} from '../../domain/chunks/csv-scan.js';
import { MAX_CHUNKS, planChunks } from '../../domain/chunks/plan.js';
import type { DatasetConfig } from '../../domain/dataset.js';
import {
  chunkConvertPlanKey,
  chunkLayoutKey,
  chunkPlanKey,
  chunkScanKey,
  chunkSchemaKey,
} from '../../domain/object-key.js';
import { ColumnInference, type ColumnInferenceState } from '../../domain/parse/infer.js';
import { readCsvRange } from '../../domain/parse/parse-file.js';
import type { TableSchema, ValueRange } from '../../domain/table.js';
import { InternalError } from '../../errors.js';
import type { ByteRangeSource } from '../../formats/parquet.js';
import type { Chunk, SplitOutput } from '../../schemas/ingestion.js';
import type { FileState, StageDeps } from './artifacts.js';

export type TextFile = Pick<FileState, 'tenant' | 'dataset' | 'fileId' | 'object' | 'size'>;

function sourceOf(file: TextFile) {
  return { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
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
  const chunking = await decideCsvChunking(source, config);
  if (!chunking) return undefined;
  const plan = planChunks({
    format: 'csv',
    size: source.size,
    targetBytes: chunkBytes,
    maxChunks: MAX_CHUNKS,
    dataStart: chunking.layout.dataStart,
  });
  if (plan.kind !== 'byte-ranges' || plan.chunks.length < 2) return undefined;
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

/** One range's first pass (domain/chunks/csv-scan.ts), over the file in S3. */
export async function scanCsvChunk(
  deps: StageDeps,
  file: TextFile,
  chunk: Chunk,
  config: DatasetConfig,
): Promise<CsvChunkScan> {
  const { start, end } = rangeOf(chunk);
  const chunking = await chunkingOf(deps, file);
  const source = await deps.store.openRange(sourceOf(file));
  return scanCsvRange(
    source,
    { index: chunk.index, start, end },
    chunking,
    overrideTypes(chunking.names, config),
  );
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
  const types = overrideTypes(chunking.names, config);
  let source: ByteRangeSource | undefined;
  const { starts, schema, records, rescanned } = await settleCsvScans(
    scans,
    chunking,
    config,
    async (start, end) => {
      source ??= await deps.store.openRange(sourceOf(file));
      return inferCsvFrom(source, chunking.layout, start, end, types);
    },
  );
  for (const i of rescanned) {
    deps.logger.info('chunk rescanned from its first record', {
      fileId,
      chunk: i,
      guessed: scans[i]?.assumedStart,
      trueStart: starts[i],
    });
  }
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
    rescanned: rescanned.length,
  });
  return { chunked: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}

/**
 * A chunk's second pass: its records converted to the settled schema, with the ranges its own scan saw
 * (the hint of its profile's histograms: see profileAlong; a scan that guessed its first record wrong
 * may give a wrong one, which the profile then does not use).
 */
export async function readCsvChunk(deps: StageDeps, file: TextFile, chunk: Chunk) {
  const { start, end } = rangeOf(chunk);
  const { tenant, dataset, fileId } = file;
  const [{ layout }, schema, scan] = await Promise.all([
    chunkingOf(deps, file),
    deps.store.getJson(chunkSchemaKey(tenant, dataset, fileId)) as Promise<TableSchema | undefined>,
    deps.store.getJson(chunkScanKey(tenant, dataset, fileId, chunk.index)) as Promise<
      CsvChunkScan | undefined
    >,
  ]);
  if (!schema) throw new InternalError(`file ${fileId} has no settled chunk schema`);
  const source = await deps.store.openRange(sourceOf(file));
  return {
    schema,
    ranges: scanRanges(schema, scan?.inference?.inference ?? []),
    ...readCsvRange({ open: () => fromOffset(source, start), start, end, layout }, schema),
  };
}

/**
 * The numeric columns' ranges a scan's inference states hold (one per column of the settled schema, in
 * order; undefined: none), by the schema's names and types.
 */
export function scanRanges(
  schema: TableSchema,
  states: readonly (ColumnInferenceState | undefined)[],
): Record<string, ValueRange> {
  const ranges: Record<string, ValueRange> = {};
  schema.columns.forEach((column, i) => {
    const state = states[i];
    const range = state && ColumnInference.fromJSON(state).range(column.type);
    if (range) Object.defineProperty(ranges, column.name, { value: range, enumerable: true });
  });
  return ranges;
}
