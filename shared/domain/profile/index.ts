/**
 * Column profiles for the "profile" stage (`createProfiler`, or `profileAlong` the batches the parse stage
 * writes) and the mergeable sketches behind them,
 * which a drift or merge step can deserialize from `DatasetProfile.sketches`.
 */
export {
  HyperLogLog,
  MAX_HLL_PRECISION,
  MIN_HLL_PRECISION,
  type SerializedHll,
} from './hyperloglog.js';
export { type MergeOptions, mergeProfiles } from './merge.js';
export {
  type BoolColumnProfile,
  type ColumnProfile,
  type ColumnSketches,
  createProfiler,
  type DatasetProfile,
  type DistinctCount,
  type Histogram,
  type NumericColumnProfile,
  PERCENTILES,
  type ProfileOptions,
  type Profiler,
  type QuantileKey,
  type Quantiles,
  type SerializedMoments,
  type StringColumnProfile,
  type TopKEntry,
  type ValueRange,
} from './profiler.js';
export {
  type KllOptions,
  KllSketch,
  MAX_KLL_K,
  MIN_KLL_K,
  rankErrorBound,
  type SerializedKll,
} from './quantiles.js';
export { histogramsSpanValues, profileAlong, type StreamedProfile } from './streamed.js';
export { type HeavyHitter, SpaceSaving } from './topk.js';
