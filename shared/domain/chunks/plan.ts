/**
 * Splitting one big file into chunks that separate functions process in parallel: when to split, how
 * (byte ranges for CSV and JSON Lines, runs of row groups for Parquet, a streaming re-cut into JSON Lines
 * for a JSON array), each chunk's id and data file name, and each chunk's first row number once the
 * chunks' row counts are known. Pure: the caller reads the bytes and the Parquet footer.
 *
 * The defaults are parameters with named constants so that measurement can move them without touching
 * the rules.
 */
import { InvalidInputError } from '../../errors.js';
import type { TextEncoding } from '../parse/encoding.js';

export type ChunkFormat = 'csv' | 'jsonl' | 'json' | 'parquet';

/**
 * A file at least this big is split. A parse stage reads text at a few MB/s to tens of MB/s, so below
 * this one function finishes well inside its time limit and the extra invocations and the merge would
 * cost more than they save.
 */
export const DEFAULT_CHUNK_THRESHOLD_BYTES = 256 * 1024 * 1024;
/** What one chunk holds: small enough for a function's memory and time limit, big enough to amortize its start. */
export const DEFAULT_CHUNK_TARGET_BYTES = 128 * 1024 * 1024;
/** How many chunks a file may become; past it the chunks grow instead (a Map's item list stays bounded). */
export const DEFAULT_MAX_CHUNKS = 1_000;
/** The most a config may raise `maxChunks` to: chunk ids are five digits wide. */
export const MAX_CHUNKS_LIMIT = 99_999;

export interface ChunkingConfig {
  thresholdBytes: number;
  targetBytes: number;
  maxChunks: number;
}

export const DEFAULT_CHUNKING: ChunkingConfig = {
  thresholdBytes: DEFAULT_CHUNK_THRESHOLD_BYTES,
  targetBytes: DEFAULT_CHUNK_TARGET_BYTES,
  maxChunks: DEFAULT_MAX_CHUNKS,
};

/** A Parquet row group as its footer describes it. */
export interface RowGroupInfo {
  rows: number;
  /** The row group's compressed bytes (the sum of its column chunks' total_compressed_size). */
  compressedBytes: number;
}

export interface ChunkSubject {
  format: ChunkFormat;
  /** The file's size in bytes. */
  size: number;
  /** Parquet only: the footer's row groups, in file order. */
  rowGroups?: readonly RowGroupInfo[];
  /** Text only: the encoding the file is read as, when known (a UTF-16 byte-order mark or the config). */
  encoding?: TextEncoding;
}

/**
 * Whether a file goes the chunked path: at least `thresholdBytes` big, and for Parquet more than one row
 * group (a row group is never split, so a one-row-group file is one chunk whatever its size). UTF-16 text
 * is read whole: the boundary rules look for delimiter, quote and line-break bytes, which in UTF-16 are
 * halves of characters (UTF-8, Latin-1 and Windows-1252 never put them inside another character).
 */
export function shouldChunk(subject: ChunkSubject, config: Pick<ChunkingConfig, 'thresholdBytes'>): boolean {
  if (subject.size < config.thresholdBytes) return false;
  if (subject.encoding === 'utf-16le' || subject.encoding === 'utf-16be') return false;
  if (subject.format === 'parquet') return (subject.rowGroups?.length ?? 0) > 1;
  return true;
}

/** The `index`-th chunk's id: fixed width, so ids sort as the chunks do, and safe in an object key. */
export function chunkId(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHUNKS_LIMIT) {
    throw new InvalidInputError(`chunk index ${index} is not an integer from 0 to ${MAX_CHUNKS_LIMIT}`);
  }
  return `chunk-${String(index).padStart(5, '0')}`;
}

/** A byte range [start, end) of a text file; its records are those that start in it (see the boundary rules). */
export interface ByteRangeChunk {
  index: number;
  id: string;
  start: number;
  end: number;
}

/** Consecutive row groups [firstRowGroup, firstRowGroup + rowGroupCount) of a Parquet file. */
export interface RowGroupChunk {
  index: number;
  id: string;
  firstRowGroup: number;
  rowGroupCount: number;
  rows: number;
  compressedBytes: number;
}

export type ChunkPlan =
  | { kind: 'byte-ranges'; chunks: ByteRangeChunk[] }
  | { kind: 'row-groups'; chunks: RowGroupChunk[] }
  /**
   * A JSON array's elements can only be found by reading it from the start, so it is re-cut while streamed
   * (json-split.ts) into JSON Lines pieces of about `targetBytes`, each then one chunk read whole.
   */
  | { kind: 'json-stream'; targetBytes: number };

export interface PlanInput extends ChunkSubject {
  targetBytes: number;
  maxChunks: number;
  /** Text formats: where the records begin (after a byte-order mark and a CSV header); default 0. */
  dataStart?: number;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidInputError(`${what} must be a positive integer, got ${value}`);
  }
}

export function planChunks(input: PlanInput): ChunkPlan {
  positiveInteger(input.targetBytes, 'targetBytes');
  positiveInteger(input.maxChunks, 'maxChunks');
  if (input.maxChunks > MAX_CHUNKS_LIMIT) {
    throw new InvalidInputError(`maxChunks must be at most ${MAX_CHUNKS_LIMIT}, got ${input.maxChunks}`);
  }
  if (!Number.isSafeInteger(input.size) || input.size < 0) {
    throw new InvalidInputError(`size must be a non-negative integer, got ${input.size}`);
  }
  switch (input.format) {
    case 'csv':
    case 'jsonl':
      return { kind: 'byte-ranges', chunks: planByteRanges(input) };
    case 'parquet':
      return {
        kind: 'row-groups',
        chunks: planRowGroups(input.rowGroups ?? [], input.targetBytes, input.maxChunks),
      };
    case 'json':
      return {
        kind: 'json-stream',
        targetBytes: jsonPieceTarget(input.size, input.targetBytes, input.maxChunks),
      };
  }
}

/**
 * Ranges of about `targetBytes` over [dataStart, size), as even as whole bytes allow, each at least one
 * byte, never more than `maxChunks` of them (the ranges grow instead). No data at all is one empty range,
 * so that there is still a chunk to report the (empty) result.
 */
function planByteRanges(input: PlanInput): ByteRangeChunk[] {
  const start = input.dataStart ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || start > input.size) {
    throw new InvalidInputError(`dataStart must be an integer from 0 to the size, got ${start}`);
  }
  const length = input.size - start;
  const count = Math.max(1, Math.min(input.maxChunks, Math.ceil(length / input.targetBytes), length));
  const chunks: ByteRangeChunk[] = [];
  for (let i = 0; i < count; i++) {
    chunks.push({
      index: i,
      id: chunkId(i),
      start: start + Math.floor((length * i) / count),
      end: start + Math.floor((length * (i + 1)) / count),
    });
  }
  return chunks;
}

/** How many chunks a greedy cut at `capacity` makes: a run closes before the row group that would overflow it. */
function greedyCuts(sizes: readonly number[], capacity: number): number[] {
  const firsts: number[] = [];
  let current = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    if (firsts.length === 0 || current + size > capacity) {
      firsts.push(i);
      current = 0;
    }
    current += size;
  }
  return firsts;
}

/**
 * Runs of consecutive row groups of at most the target's compressed bytes (a row group is never split: a
 * bigger one is a chunk of its own). When that makes more than `maxChunks` runs, the capacity grows to the
 * smallest one (found by bisection; the greedy count only falls as capacity grows) that fits the cap.
 */
function planRowGroups(
  rowGroups: readonly RowGroupInfo[],
  targetBytes: number,
  maxChunks: number,
): RowGroupChunk[] {
  const sizes = rowGroups.map((g) => Math.max(0, g.compressedBytes));
  let cuts = greedyCuts(sizes, targetBytes);
  if (cuts.length > maxChunks) {
    let low = targetBytes; // too small
    let high = sizes.reduce((a, b) => a + b, 0); // one run: always fits
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (greedyCuts(sizes, middle).length <= maxChunks) high = middle;
      else low = middle;
    }
    cuts = greedyCuts(sizes, high);
  }
  return cuts.map((first, index) => {
    const next = cuts[index + 1] ?? rowGroups.length;
    const groups = rowGroups.slice(first, next);
    return {
      index,
      id: chunkId(index),
      firstRowGroup: first,
      rowGroupCount: next - first,
      rows: groups.reduce((n, g) => n + g.rows, 0),
      compressedBytes: groups.reduce((n, g) => n + g.compressedBytes, 0),
    };
  });
}

/**
 * The JSON splitter closes a piece before the element that would take it past the target, so two
 * consecutive pieces always hold more than the target between them: n pieces of a document of `size`
 * bytes satisfy n < 2·size/target + 1. The target grows so that this bound stays within `maxChunks`.
 */
function jsonPieceTarget(size: number, targetBytes: number, maxChunks: number): number {
  if (maxChunks < 2) return Math.max(targetBytes, size + 1);
  return Math.max(targetBytes, Math.ceil((2 * size) / (maxChunks - 1)));
}

/** What a verified chunk holds, for numbering: its records and, for text, its lines. */
export interface ChunkCount {
  records: number;
  lines?: number;
}

/**
 * Each chunk's first record number and first line number in the file (both 1-based), from the verified
 * chunks' counts in chunk order: validation samples and error messages name file rows, not chunk rows.
 * `first` is where the first chunk starts (record 1; line 2 after a one-line CSV header).
 */
export function chunkFirstNumbers(
  counts: readonly ChunkCount[],
  first: { record: number; line: number } = { record: 1, line: 1 },
): { record: number; line: number }[] {
  const numbers: { record: number; line: number }[] = [];
  let record = first.record;
  let line = first.line;
  for (const count of counts) {
    numbers.push({ record, line });
    record += count.records;
    line += count.lines ?? 0;
  }
  return numbers;
}
