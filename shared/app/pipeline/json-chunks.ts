/**
 * JSON Lines files and JSON arrays in chunks: the two passes of the single parse (infer, then convert)
 * spread over chunks, through the same stages as a CSV file (text-chunks.ts): split → scan Map → settle →
 * convert Map.
 *
 * JSON Lines. JSON text escapes line breaks inside strings, so every LF ends a line and a raw byte range's
 * first line is exact from its own bytes (domain/chunks/jsonl-boundaries.ts): split only cuts the data
 * (after a UTF-8 byte-order mark) into ranges of about `chunkBytes`; each scan finds its range's first line
 * and runs the first pass from it (`inferJsonlRange`); the settle never rescans, it checks that every range
 * read on to the next one's first line, merges the keys (first-seen order over the file) and inference into
 * the schema and judges the error budget (`settleJsonRanges`); each convert reads its range's lines.
 *
 * JSON arrays. An element can only be found by reading the array from its start, so the split stage reads
 * the file once, streaming, and re-cuts it into JSON Lines pieces of about `chunkBytes`
 * (domain/chunks/json-split.ts: one element per line, line breaks outside strings swapped for spaces, so
 * every element reads as it would in the array), written under the file's staging prefix (jsonPieceKey).
 * Each piece is then one chunk, scanned and converted whole as a JSON Lines range. The array's own syntax
 * errors are found by that pass and fail the split stage with the single parse's ParseError.
 *
 * Only UTF-8 files (by their byte-order mark, else the dataset's encoding, else the default) are chunked;
 * others are parsed whole.
 */
import { fromOffset } from '../../domain/chunks/csv-scan.js';
import { type JsonPiece, splitJsonArray } from '../../domain/chunks/json-split.js';
import { jsonlLineStart } from '../../domain/chunks/jsonl-boundaries.js';
import { MAX_CHUNKS, planChunks } from '../../domain/chunks/plan.js';
import { type DatasetConfig, parseOptionsOf } from '../../domain/dataset.js';
import {
  chunkConvertPlanKey,
  chunkPlanKey,
  chunkScanKey,
  chunkSchemaKey,
  chunkSuffix,
} from '../../domain/object-key.js';
import { detectBom } from '../../domain/parse/encoding.js';
import {
  inferJsonlRange,
  type JsonlRangeInference,
  type JsonlRangeInput,
  readJsonlRange,
  type SettledJson,
  settleJsonRanges,
} from '../../domain/parse/parse-file.js';
import type { ValueRange } from '../../domain/table.js';
import { ChunkFailedError, InternalError, isStrataError, ParseError } from '../../errors.js';
import type { ByteRangeSource } from '../../formats/parquet.js';
import type { Chunk, SplitOutput } from '../../schemas/ingestion.js';
import type { StageDeps } from './artifacts.js';
import { readScans, scanRanges, type TextFile } from './text-chunks.js';

/** Bytes read at a time while a range looks for its first line (a line longer than this takes more reads). */
const LINE_START_WINDOW_BYTES = 1024 * 1024;

type JsonFormat = 'jsonl' | 'json';

/** Where a JSON array's piece `index` is written by the split and read by its chunk's scan and convert. */
export function jsonPieceKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/pieces/part-${chunkSuffix(index)}.jsonl`;
}

function sourceOf(file: TextFile) {
  return { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
}

/** Where the data starts when the file is read as UTF-8 (after its byte-order mark); undefined when it is not. */
async function utf8DataStart(source: ByteRangeSource, config: DatasetConfig): Promise<number | undefined> {
  const bom = detectBom(await source.read(0, Math.min(source.size, 4)));
  if (bom) return bom.name === 'utf-8' && (config.encoding ?? 'utf-8') === 'utf-8' ? bom.length : undefined;
  return (config.encoding ?? 'utf-8') === 'utf-8' ? 0 : undefined;
}

/**
 * Split for JSON Lines: the data cut into raw byte ranges; undefined when the file is read whole (not
 * UTF-8, or one range).
 */
export async function planJsonlChunks(
  deps: StageDeps,
  file: TextFile,
  config: DatasetConfig,
  chunkBytes: number,
): Promise<SplitOutput | undefined> {
  const source = await deps.store.openRange(sourceOf(file));
  const dataStart = await utf8DataStart(source, config);
  if (dataStart === undefined) return undefined;
  const plan = planChunks({
    format: 'jsonl',
    size: source.size,
    targetBytes: chunkBytes,
    maxChunks: MAX_CHUNKS,
    dataStart,
  });
  if (plan.kind !== 'byte-ranges' || plan.chunks.length < 2) return undefined;
  const chunks: Chunk[] = plan.chunks.map((c) => ({
    index: c.index,
    step: 'scan',
    start: c.start,
    end: c.end,
  }));
  return writePlan(deps, file, chunks);
}

async function writePlan(deps: StageDeps, file: TextFile, chunks: Chunk[]): Promise<SplitOutput> {
  const planKey = chunkPlanKey(file.tenant, file.dataset, file.fileId);
  await deps.store.putJson(planKey, chunks);
  return { chunked: true, scan: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}

/**
 * Split for a JSON array: one streaming pass re-cuts it into JSON Lines pieces written to S3 (see the
 * module's comment); undefined when the file is read whole (not UTF-8, or one piece). A piece is written
 * while the next is being cut, so memory holds about two pieces.
 */
export async function planJsonArrayChunks(
  deps: StageDeps,
  file: TextFile,
  config: DatasetConfig,
  chunkBytes: number,
): Promise<SplitOutput | undefined> {
  const source = await deps.store.openRange(sourceOf(file));
  if ((await utf8DataStart(source, config)) === undefined) return undefined;
  const plan = planChunks({
    format: 'json',
    size: source.size,
    targetBytes: chunkBytes,
    maxChunks: MAX_CHUNKS,
  });
  if (plan.kind !== 'json-stream') return undefined;
  const started = performance.now();
  const { tenant, dataset, fileId } = file;
  const put = async (piece: JsonPiece): Promise<void> => {
    await deps.store.put(jsonPieceKey(tenant, dataset, fileId, piece.index), piece.bytes, {
      contentType: 'application/x-ndjson',
    });
  };
  // The first piece waits for a second: a file that makes one piece is parsed whole, and leaves none.
  let first: JsonPiece | undefined;
  // A failed write is held as a value until awaited, so that it is never an unhandled rejection.
  let writing: Promise<unknown> = Promise.resolve();
  const wait = async (): Promise<void> => {
    const failure = await writing;
    if (failure !== undefined) throw failure;
  };
  const chunks: Chunk[] = [];
  for await (const piece of splitJsonArray(fromOffset(source, 0), { targetBytes: plan.targetBytes })) {
    chunks.push({ index: piece.index, step: 'scan', start: 0, end: piece.bytes.length });
    if (piece.index === 0) {
      first = piece;
      continue;
    }
    await wait();
    const pending = first;
    first = undefined;
    writing = (pending ? put(pending) : Promise.resolve())
      .then(() => put(piece))
      .then(
        () => undefined,
        (error: unknown) => error ?? new Error('piece write failed'),
      );
  }
  await wait();
  if (chunks.length < 2) return undefined;
  const seconds = (performance.now() - started) / 1000;
  deps.logger.info('JSON array re-cut into JSON Lines pieces', {
    fileId,
    pieces: chunks.length,
    bytes: source.size,
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: Math.round(source.size / 1e6 / Math.max(seconds, 1e-3)),
  });
  return writePlan(deps, file, chunks);
}

/** What a chunk's scan leaves for the settle. */
export interface JsonChunkScan {
  index: number;
  /** Where the chunk's first line starts (`end` or past it: the chunk owns no line). */
  start: number;
  end: number;
  inference?: JsonlRangeInference;
  /** Bad input met by the first pass (a ParseError's reason and line within the range, to renumber). */
  error?: { name: string; message: string; reason?: string; line?: number };
}

async function chunkSource(deps: StageDeps, file: TextFile & { format: string }, index: number) {
  return file.format === 'json'
    ? deps.store.openRange({
        bucket: deps.store.bucket,
        key: jsonPieceKey(file.tenant, file.dataset, file.fileId, index),
      })
    : deps.store.openRange(sourceOf(file));
}

function rangeOf(chunk: Chunk): { start: number; end: number } {
  if (chunk.start === undefined || chunk.end === undefined) {
    throw new InternalError(`text chunk ${chunk.index} has no byte range`);
  }
  return { start: chunk.start, end: chunk.end };
}

/** The first line start at or after a raw cut, found within the range; `end` when none starts before it. */
async function firstLineStart(source: ByteRangeSource, start: number, end: number): Promise<number> {
  for (let from = start; from < end; ) {
    const to = Math.min(end, from + LINE_START_WINDOW_BYTES);
    const base = from - 1;
    const found = jsonlLineStart(await source.read(base, to), { base, start: from, size: source.size });
    if (found !== undefined) return found;
    from = to;
  }
  return end;
}

function rangeInput(source: ByteRangeSource, start: number, end: number): JsonlRangeInput {
  return { open: () => fromOffset(source, start), start, end };
}

/** One chunk's first pass (see the module's comment). */
export async function scanJsonChunk(
  deps: StageDeps,
  file: TextFile & { format: string },
  chunk: Chunk,
  config: DatasetConfig,
): Promise<JsonChunkScan> {
  const range = rangeOf(chunk);
  const source = await chunkSource(deps, file, chunk.index);
  // The first range starts at the data; a piece is whole lines.
  const start =
    file.format === 'json' || chunk.index === 0
      ? range.start
      : await firstLineStart(source, range.start, range.end);
  const scan: JsonChunkScan = { index: chunk.index, start, end: range.end };
  try {
    scan.inference = await inferJsonlRange(rangeInput(source, start, range.end), parseOptionsOf(config));
  } catch (error) {
    if (!isStrataError(error) || error.retryable) throw error;
    scan.error = {
      name: error.name,
      message: error.message,
      ...(error instanceof ParseError &&
        error.line !== undefined && { reason: error.reason, line: error.line }),
    };
  }
  return scan;
}

/**
 * After the scans: the first chunk error (renumbered in the file), the ranges' chaining checked, the
 * inference settled into the schema (with each column's source key), the error budget judged; writes the
 * settled schema and the convert plan and answers the split output the convert Map reads.
 */
export async function settleJsonChunks(
  deps: StageDeps,
  file: TextFile & { format: string },
  chunkCount: number,
  config: DatasetConfig,
): Promise<SplitOutput> {
  const { tenant, dataset, fileId } = file;
  const format: JsonFormat = file.format === 'json' ? 'json' : 'jsonl';
  const scans = await readScans<JsonChunkScan>(deps, file, chunkCount);
  const inferences: JsonlRangeInference[] = [];
  let lines = 0;
  for (const [i, scan] of scans.entries()) {
    const { error, inference } = scan;
    if (error) {
      // A JSON Lines range numbers its lines from its start; a piece's are not the file's, so left out.
      if (error.reason !== undefined && error.line !== undefined && format === 'jsonl') {
        throw new ParseError(error.reason, { line: lines + error.line });
      }
      throw new ChunkFailedError(error.name, error.message, i);
    }
    if (!inference) throw new InternalError(`chunk ${i} of file ${fileId} has no first pass`);
    inferences.push(inference);
    lines += inference.lines;
  }
  // Each range that owns lines read on to the next such range's first line (a piece: to its end).
  const owning = scans.filter((s) => s.start < s.end);
  for (const [k, scan] of owning.entries()) {
    const next = format === 'json' ? scan.end : (owning[k + 1]?.start ?? file.size);
    const nextOffset = scan.inference?.nextOffset;
    if (nextOffset !== next) {
      throw new InternalError(
        `chunk ${scan.index} of file ${fileId} read on to ${nextOffset}, but the next line starts at ${next}`,
      );
    }
  }

  const settled = settleJsonRanges(format, inferences, parseOptionsOf(config), file.size);
  await deps.store.putJson(chunkSchemaKey(tenant, dataset, fileId), settled);
  const chunks: Chunk[] = scans.map((scan, i) => ({
    index: i,
    step: 'convert',
    start: scan.start,
    end: scan.end,
  }));
  const planKey = chunkConvertPlanKey(tenant, dataset, fileId);
  await deps.store.putJson(planKey, chunks);
  deps.logger.info('chunks settled', {
    fileId,
    format,
    chunks: chunks.length,
    records: inferences.reduce((n, r) => n + r.records, 0),
    columns: settled.schema.columns.length,
  });
  return { chunked: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}

/**
 * A chunk's second pass: its lines converted to the settled schema, with the ranges its own first pass saw
 * (the hint of its profile's histograms, as a CSV chunk's: see readCsvChunk).
 */
export async function readJsonChunk(deps: StageDeps, file: TextFile & { format: string }, chunk: Chunk) {
  const { start, end } = rangeOf(chunk);
  const { tenant, dataset, fileId } = file;
  const [settled, scan] = await Promise.all([
    deps.store.getJson(chunkSchemaKey(tenant, dataset, fileId)) as Promise<SettledJson | undefined>,
    deps.store.getJson(chunkScanKey(tenant, dataset, fileId, chunk.index)) as Promise<
      JsonChunkScan | undefined
    >,
  ]);
  if (!settled) throw new InternalError(`file ${fileId} has no settled chunk schema`);
  const source = await chunkSource(deps, file, chunk.index);
  return {
    schema: settled.schema,
    ranges: jsonRangeHints(settled, scan?.inference),
    ...readJsonlRange(rangeInput(source, start, end), settled),
  };
}

/**
 * The numeric columns' ranges a range's first pass saw, by the settled schema's names and types: each
 * column's source key's inference. A hint, as the single parse's (values of records that fail count too).
 */
export function jsonRangeHints(
  settled: SettledJson,
  inference: JsonlRangeInference | undefined,
): Record<string, ValueRange> {
  if (!inference) return {};
  const byKey = new Map(inference.keys.map((key, i) => [key, inference.inference[i]]));
  return scanRanges(
    settled.schema,
    settled.keys.map((key) => byKey.get(key)),
  );
}
