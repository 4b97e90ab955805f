/**
 * Splitting one big file into chunks that separate functions process in parallel: how (byte ranges for
 * CSV and JSON Lines, runs of whole row groups for Parquet, a streaming re-cut into JSON Lines for a JSON
 * array) and each chunk's id. When a file is split, and the target size of a chunk, is its dataset's
 * `chunkBytes` (domain/dataset.ts). Pure: the caller reads the bytes and the Parquet footer.
 */
import { InvalidInputError } from '../../errors.js';

export type ChunkFormat = 'csv' | 'jsonl' | 'json' | 'parquet';

/** Most chunks one file is split into; past it the chunks grow instead (a Map's item list stays bounded). */
export const MAX_CHUNKS = 1_000;
/** The most a plan may ask for: chunk ids are five digits wide. */
export const MAX_CHUNKS_LIMIT = 99_999;

/** A Parquet row group as its footer describes it. */
export interface RowGroupInfo {
  rows: number;
  /**
   * The row group's uncompressed bytes (the footer's total_byte_size): what a chunk decodes, so what its
   * function's time and memory follow; compressed sizes differ from them by the codec's ratio.
   */
  uncompressedBytes: number;
}

export interface ChunkSubject {
  format: ChunkFormat;
  /** The file's size in bytes. */
  size: number;
  /** Parquet only: the footer's row groups, in file order. */
  rowGroups?: readonly RowGroupInfo[];
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
  uncompressedBytes: number;
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
 * Runs of consecutive row groups of at most the target's uncompressed bytes (a row group is never split: a
 * bigger one is a chunk of its own). When that makes more than `maxChunks` runs, the capacity grows to the
 * smallest one (found by bisection; the greedy count only falls as capacity grows) that fits the cap.
 */
function planRowGroups(
  rowGroups: readonly RowGroupInfo[],
  targetBytes: number,
  maxChunks: number,
): RowGroupChunk[] {
  const sizes = rowGroups.map((g) => Math.max(0, g.uncompressedBytes));
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
      uncompressedBytes: groups.reduce((n, g) => n + g.uncompressedBytes, 0),
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
