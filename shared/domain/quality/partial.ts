/**
 * Quality of a file cut into chunks. Each chunk is assessed (with `mergeable: true`) against the whole
 * file's profile, which the merge of the chunks' profiles gives first, so the outlier fences and `minRun`
 * are the file's; `mergeQuality` then folds the chunks' states in file order. What merges exactly:
 * - missing counts, outlier counts, constant columns (each chunk's first value and whether it varied);
 * - duplicate rows: chunks keep the 64-bit hashes of their distinct rows, replayed into one set, so the
 *   count is the single pass's (same hashes, same collision odds). 8 bytes a distinct row; a file with
 *   more rows than one set holds (`rowsPerSet`) is counted one partition of the hashes at a time, each
 *   partition a pass over the states (`DistinctRows`), the first also folding everything else;
 * - constant periods in file order: a chunk reports the run at its first row, the run at its last row and
 *   the runs in between, and a run crossing a boundary is joined when the rows either side are equal;
 * - whether the file is in time order (every chunk in order, each starting no earlier than the last time
 *   before it, no time after a missing one).
 * What does not: the noise estimate (a median of the whole file's successive differences) and reordering
 * an out-of-order file by time, both needing every row in memory. A merged report is the single pass's
 * when that pass did not buffer (more rows than `maxBufferedRows`, 5M by default, as any file big enough
 * to be chunked in production), note included: no noise estimates, constant periods in time order when
 * the file was in time order, else in file order. A smaller file with a time column (a test forcing a
 * small chunk threshold) gets the same report with a note saying it was assessed in chunks, where one
 * pass would have buffered it and estimated noise.
 */
import { InvalidInputError } from '../../errors.js';
import { FixedHashSet } from '../hash-set.js';
import type { DatasetProfile } from '../profile/profiler.js';
import type { TableSchema } from '../table.js';
import { decodeState, encodeState } from '../validation/state-codec.js';
import { columnAssessors, reportOf } from './assess.js';
import type { ColumnPartial } from './columns.js';
import { type QualityOptions, resolveOptions } from './thresholds.js';
import type { QualityReport } from './types.js';

export const QUALITY_PARTIAL_FORMAT = 'strata.quality-partial/1';

/**
 * Distinct rows one set holds in the quality function's 3 GB: 9 bytes a slot at most 70% full, so 2.4 GB
 * for 188M rows.
 */
export const MAX_ROWS_PER_SET = 188_000_000;

/** One share of the distinct-row count: the hashes whose second word is `index` modulo `count`. */
export interface RowPartition {
  index: number;
  count: number;
}

/** How many partitions the distinct rows of a file of `rows` rows are counted in, one set at a time. */
export function rowPartitions(rows: number, rowsPerSet = MAX_ROWS_PER_SET): number {
  if (!(Number.isSafeInteger(rowsPerSet) && rowsPerSet >= 1)) {
    throw new InvalidInputError(`rowsPerSet must be a positive integer, got ${rowsPerSet}`);
  }
  return Math.max(1, Math.ceil(rows / rowsPerSet));
}

/**
 * The distinct row hashes of one partition, across chunks' states added in any order. Partitioned by the
 * second word: the set places a hash by its first word's top bits, which one partition must not share.
 */
export class DistinctRows {
  private readonly set: FixedHashSet;

  constructor(
    expectedRows: number,
    private readonly partition: RowPartition = { index: 0, count: 1 },
  ) {
    const { index, count } = partition;
    if (
      !(
        Number.isSafeInteger(count) &&
        count >= 1 &&
        Number.isSafeInteger(index) &&
        index >= 0 &&
        index < count
      )
    ) {
      throw new InvalidInputError(`not a row partition: ${index} of ${count}`);
    }
    // A partition's share is binomial around rows / count: a little room keeps the set from growing.
    this.set = new FixedHashSet(
      2,
      count === 1 ? expectedRows : Math.ceil((expectedRows / count) * 1.02) + 1024,
    );
  }

  /** Adds a state's row hashes (two words each) that fall in this partition. */
  add(hashes: Uint32Array): void {
    const { index, count } = this.partition;
    const set = this.set;
    for (let h = 0; h + 1 < hashes.length; h += 2) {
      const w1 = hashes[h + 1] ?? 0;
      if (count === 1 || (w1 >>> 0) % count === index) set.add(hashes[h] ?? 0, w1);
    }
  }

  get size(): number {
    return this.set.size;
  }
}

export interface QualityPartial {
  format: typeof QUALITY_PARTIAL_FORMAT;
  rows: number;
  /** The chunk's distinct row hashes, two words each. */
  rowHashes: Uint32Array;
  /** The time column's order in the chunk: first and last non-missing times (NaN, -Infinity: none). */
  time: { inOrder: boolean; first: number; last: number; sawMissing: boolean };
  /** The column the chunk took for time (-1: none): states made with another one do not merge. */
  timeIndex: number;
  columns: ColumnPartial[];
}

export function encodeQualityPartial(partial: QualityPartial): Uint8Array {
  return encodeState(partial);
}

export function decodeQualityPartial(bytes: Uint8Array): QualityPartial {
  const state = decodeState(bytes) as Partial<QualityPartial> | null;
  if (state?.format !== QUALITY_PARTIAL_FORMAT || !(state.rowHashes instanceof Uint32Array)) {
    throw new InvalidInputError(`not a ${QUALITY_PARTIAL_FORMAT} state`);
  }
  return state as QualityPartial;
}

/**
 * Whether folding chunks' states gives the report one pass over the whole file gives: when one pass would
 * not buffer the rows either (no time column, or more rows than `maxBufferedRows`). A smaller file with a
 * time column is better assessed in one pass, which buffers it and estimates noise.
 */
export function mergesAsOnePass(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
): boolean {
  const resolved = resolveOptions(schema, profile, options);
  return resolved.timeIndex < 0 || profile.rowCount > resolved.maxBufferedRows;
}

/**
 * The file's quality report from its chunks' states (in file order), each assessed with `profile` (the
 * whole file's) and the same `options`: one fold, then a pass per further partition of the distinct rows
 * when the profile has more rows than `rowsPerSet`.
 */
export function mergeQuality(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
  partials: readonly QualityPartial[],
  rowsPerSet = MAX_ROWS_PER_SET,
): QualityReport {
  const count = rowPartitions(profile.rowCount, rowsPerSet);
  const merge = createQualityMerge(schema, profile, options, { index: 0, count });
  for (const partial of partials) merge.add(partial);
  let elsewhere = 0;
  for (let index = 1; index < count; index++) {
    const rows = new DistinctRows(profile.rowCount, { index, count });
    for (const partial of partials) rows.add(partial.rowHashes);
    elsewhere += rows.size;
  }
  return merge.result(elsewhere);
}

/** Folds chunks' states one at a time (in file order), so that only one is held besides the merged state. */
export interface QualityMerge {
  /** Throws InvalidInputError for a state of another schema. */
  add(partial: QualityPartial): void;
  /**
   * Throws InvalidInputError when the states' rows are not the profile's. `distinctElsewhere`: the other
   * partitions' distinct rows, when this merge counts one partition of several.
   */
  result(distinctElsewhere?: number): QualityReport;
}

/**
 * Folds chunks' states into the file's report. With a `partition` of several, only that partition's
 * distinct rows are counted here: `result` then takes the other partitions' counts (DistinctRows passes).
 */
export function createQualityMerge(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
  partition: RowPartition = { index: 0, count: 1 },
): QualityMerge {
  const resolved = resolveOptions(schema, profile, options);
  const columns = columnAssessors(schema, profile, resolved, false);
  // The profile's row count bounds the distinct rows: the set never grows while the states fold in.
  const rowSet = new DistinctRows(profile.rowCount, partition);
  let rows = 0;
  let chunks = 0;
  let inOrder = true;
  let lastTime = Number.NEGATIVE_INFINITY;
  let sawMissing = false;
  return {
    add(partial) {
      if (partial.format !== QUALITY_PARTIAL_FORMAT || partial.columns.length !== columns.length) {
        throw new InvalidInputError(`chunk ${chunks}: not a quality state of this schema`);
      }
      if (partial.timeIndex !== resolved.timeIndex) {
        throw new InvalidInputError(`chunk ${chunks}: assessed with another time column`);
      }
      rowSet.add(partial.rowHashes);
      for (const [c, column] of columns.entries()) {
        const state = partial.columns[c];
        if (state) column.absorb(state);
      }
      const time = partial.time;
      if (!time.inOrder) inOrder = false;
      if (!Number.isNaN(time.first) && (sawMissing || time.first < lastTime)) inOrder = false;
      if (time.last > lastTime) lastTime = time.last;
      sawMissing ||= time.sawMissing;
      rows += partial.rows;
      chunks++;
    },
    result(distinctElsewhere = 0) {
      if (rows !== profile.rowCount) {
        throw new InvalidInputError(
          `the profile describes ${profile.rowCount} rows but the chunks hold ${rows}`,
        );
      }
      const timeName = schema.columns[resolved.timeIndex]?.name;
      const notes: string[] = [];
      let order: 'time' | 'file' = 'file';
      if (timeName !== undefined) {
        // Past the buffer's cap, one pass would not have buffered either: the same report, note included.
        const why =
          rows > resolved.maxBufferedRows
            ? `more than ${resolved.maxBufferedRows} rows`
            : `assessed in ${chunks} chunks`;
        if (inOrder) {
          order = 'time';
          notes.push(
            `${why}: no noise estimates (the rows were in order of "${timeName}", so constant periods are ` +
              'in time order)',
          );
        } else {
          notes.push(
            `${why}, not in order of "${timeName}": constant periods measured in file order, no noise ` +
              'estimates',
          );
        }
      }
      const context = { order: null, rerun: false, noise: false, diffs: null, rows };
      const measured = columns.map((column) => ({ column, measures: column.finish(context) }));
      return reportOf(schema, profile, resolved, measured, {
        rows,
        duplicateRows: rows - rowSet.size - distinctElsewhere,
        order,
        notes,
      });
    },
  };
}
