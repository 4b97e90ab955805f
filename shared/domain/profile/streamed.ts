/**
 * The profile of batches on their way to be written, instead of a second read of what was written: the
 * cells are the same, in the same order, so every count, moment and sketch is the one a read of the
 * written file makes. Histograms are the exception: counted while streaming, their edges must be known
 * before the first value, so they come from range hints (what the writer's source saw first: a text
 * file's first pass, a Parquet file's statistics), and a hint may be wider than the written values (rows
 * that failed or were dropped) or missing. `histogramsSpanValues` tells when it held for every column.
 */
import { type ReadBatch, type TableSchema, tapBatches, type ValueRange } from '../table.js';
import { createProfiler, type DatasetProfile, type ProfileOptions } from './profiler.js';

export interface StreamedProfile {
  /** The batches, unchanged, each profiled as it passes. Single use. */
  batches: AsyncIterable<ReadBatch>;
  /**
   * Once the batches are consumed: the profile, when its histograms are what a profiler hinted with the
   * written values' true ranges makes (histogramsSpanValues); else undefined, and the written file is to
   * be profiled by a read of it.
   */
  final(): DatasetProfile | undefined;
}

export function profileAlong(
  schema: TableSchema,
  batches: AsyncIterable<ReadBatch>,
  ranges: Readonly<Record<string, ValueRange>>,
  options: Omit<ProfileOptions, 'ranges'> = {},
): StreamedProfile {
  const profiler = createProfiler(schema, { ...options, ranges });
  let done = false;
  async function* profiled(): AsyncIterable<ReadBatch> {
    yield* tapBatches(batches, (batch) => profiler.add(batch));
    done = true;
  }
  return {
    batches: profiled(),
    final() {
      if (!done) return undefined;
      const profile = profiler.result();
      return histogramsSpanValues(profile) ? profile : undefined;
    },
  };
}

/**
 * Whether every numeric column's histogram is exact and its edges span exactly the column's [min, max]:
 * the histogram a profiler makes when hinted with the column's true range (as the profile of a written
 * Parquet file is, from its statistics), or from an exact quantile sketch.
 */
export function histogramsSpanValues(profile: DatasetProfile): boolean {
  return profile.columns.every((column) => {
    if (column.type !== 'int' && column.type !== 'float' && column.type !== 'timestamp') return true;
    const { histogram } = column;
    if (histogram === null) return column.min === null;
    return histogram.exact && histogram.edges[0] === column.min && histogram.edges.at(-1) === column.max;
  });
}
