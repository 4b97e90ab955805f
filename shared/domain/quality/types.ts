/**
 * The quality assessment's result: what the "quality" stage writes to reports/ (JSON and HTML), what the
 * quality gate reads and what GET …/versions/{v}/quality serves.
 */
import type { ColumnType } from '../table.js';

/** Worst first, so `QUALITY_STATUSES.indexOf` orders them: a gate holds a version below its minimum. */
export const QUALITY_STATUSES = ['CRITICAL', 'POOR', 'FAIR', 'GOOD', 'EXCELLENT'] as const;
export type QualityStatus = (typeof QUALITY_STATUSES)[number];

export const QUALITY_ISSUE_KINDS = [
  'missing_values',
  'outliers_zscore',
  'outliers_iqr',
  'constant_period',
  'constant_column',
  'noise',
  'duplicate_rows',
] as const;
export type QualityIssueKind = (typeof QUALITY_ISSUE_KINDS)[number];

export const QUALITY_ISSUE_SEVERITIES = ['INFO', 'MINOR', 'MAJOR', 'CRITICAL'] as const;
export type QualityIssueSeverity = (typeof QUALITY_ISSUE_SEVERITIES)[number];

export interface QualityIssue {
  kind: QualityIssueKind;
  /** Absent for file-level issues (duplicated rows). */
  column?: string;
  severity: QualityIssueSeverity;
  /** The measured quantity the severity came from (a fraction for rates, a row count for runs). */
  value: number;
  /** Points this issue took off the score (0…100). */
  penalty: number;
  message: string;
}

export interface QualityRecommendation {
  /** Stable machine-readable code, e.g. IMPUTE_MISSING, CHECK_SENSOR, DEDUPLICATE. */
  code: string;
  column?: string;
  message: string;
}

export interface OutlierCounts {
  /** |x − mean| / std above `threshold` (default 3). */
  zscore: { count: number; fraction: number; threshold: number };
  /** Outside [Q1 − k·IQR, Q3 + k·IQR] (k default 1.5). */
  iqr: { count: number; fraction: number; lower: number; upper: number; k: number };
}

export interface ConstantPeriods {
  /** Longest run of one repeated value, in rows of the assessment order. */
  longestRun: number;
  /** 0-based position (in assessment order) where that run starts. */
  longestRunStart: number;
  /** Runs at least `minRun` long, and the fraction of non-null rows they cover. */
  runs: number;
  fractionInRuns: number;
  minRun: number;
}

export interface NoiseEstimate {
  /**
   * Noise standard deviation from successive differences (MAD of first differences / (0.6745·√2)),
   * robust to level shifts and trends.
   */
  sigma: number;
  /** sigma / the column's std: ≈ 1 for white noise, near 0 for a smooth signal. */
  ratio: number;
}

export interface ColumnQuality {
  column: string;
  type: ColumnType;
  rows: number;
  missing: { count: number; fraction: number };
  /** Numeric columns (int, float) only. */
  outliers?: OutlierCounts;
  /** Columns with at least 2 non-null values; in time order when the report has a time column. */
  constantPeriods?: ConstantPeriods;
  /** Numeric columns in time order only (no time column: no noise estimate). */
  noise?: NoiseEstimate;
  distinct: number;
  score: number;
  status: QualityStatus;
}

export interface QualityReport {
  kind: 'quality';
  rows: number;
  /** The column rows were ordered by for constant periods and noise; absent: file order. */
  timeColumn?: string;
  order: 'time' | 'file';
  /**
   * Why the assessment did less than it could, e.g. too many out-of-order rows to reorder in memory
   * (constant periods then in file order, no noise estimates). Absent when there is nothing to say.
   */
  notes?: string[];
  duplicates: { count: number; fraction: number };
  columns: ColumnQuality[];
  /** Most severe first. */
  issues: QualityIssue[];
  /** 100 minus the issues' penalties, floored at 0. */
  score: number;
  status: QualityStatus;
  recommendations: QualityRecommendation[];
}
