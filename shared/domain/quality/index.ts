/**
 * Data-quality assessment (pure) for the "quality" stage and the report it produces; the stage, the
 * quality gate and the API that use them live elsewhere.
 */
export { createQualityAssessor } from './assess.js';
export {
  createQualityMerge,
  DistinctRows,
  decodeQualityPartial,
  encodeQualityPartial,
  MAX_ROWS_PER_SET,
  mergeQuality,
  mergesAsOnePass,
  QUALITY_PARTIAL_FORMAT,
  type QualityPartial,
  type RowPartition,
  rowPartitions,
} from './partial.js';
export { qualityStatusAtLeast, qualityStatusOf } from './status.js';
export {
  DEFAULT_QUALITY_THRESHOLDS,
  type QualityAssessor,
  type QualityOptions,
  type QualityThresholdOverrides,
  type QualityThresholds,
  resolveQualityThresholds,
  type SeverityCuts,
} from './thresholds.js';
export * from './types.js';
