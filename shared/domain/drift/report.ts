/**
 * The drift report: what the "drift" stage writes to reports/ (JSON and HTML), what the drift gate reads
 * and what GET …/versions/{v}/drift serves.
 */
import type { ColumnType } from '../table.js';
import type { DriftThresholds, Severity } from './severity.js';
import type { ChiSquareResult, KsResult, MannWhitneyResult } from './stats.js';

export interface SideSummary {
  rows: number;
  nulls: number;
  nullFraction: number;
}

export interface NumericSideSummary extends SideSummary {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Equal-width bins over the union of both sides' ranges: what the report's overlaid chart draws. */
export interface HistogramPair {
  /** counts.length + 1 ascending edges. */
  edges: number[];
  reference: number[];
  current: number[];
}

export interface QuantileDelta {
  p: number;
  reference: number;
  current: number;
  delta: number;
}

export interface NumericColumnDrift {
  column: string;
  kind: 'numeric';
  type: ColumnType;
  severity: Severity;
  /** Roles a dataset's config gave the column. */
  role: ColumnRole;
  reference: NumericSideSummary;
  current: NumericSideSummary;
  ks: KsResult;
  /**
   * Mann–Whitney U of the current file against the reference: SciPy's `mannwhitneyu(current, reference)`.
   * U depends on which sample it counts (U_current + U_reference = n_current·n_reference), so `uOf` says.
   */
  mannWhitney: MannWhitneyResult & { uOf: 'current' };
  /** Over 10 bins at the reference's deciles. */
  psi: number;
  /** Over the same bins, in bits. */
  jsDivergence: number;
  meanShiftSd: number;
  stdRatio: number;
  quantiles: QuantileDelta[];
  histogram: HistogramPair;
  /** True when a side had more values than the comparison keeps and a uniform sample was tested. */
  sampled: boolean;
}

export interface CategoryCount {
  value: string;
  reference: number;
  current: number;
}

export interface CategoricalColumnDrift {
  column: string;
  kind: 'categorical';
  type: ColumnType;
  severity: Severity;
  role: ColumnRole;
  reference: SideSummary & { distinct: number };
  current: SideSummary & { distinct: number };
  chiSquare: ChiSquareResult;
  psi: number;
  jsDivergence: number;
  /** Sorted; at most `CATEGORY_LIST_LIMIT`, the full counts in the *Count fields. */
  newCategories: string[];
  newCategoryCount: number;
  missingCategories: string[];
  missingCategoryCount: number;
  /** Share of current rows (non-null) whose category the reference never had. */
  newCategoryFraction: number;
  /** The most frequent categories over both sides (chart rows); the rest summed in `other`. */
  categories: CategoryCount[];
  other: { reference: number; current: number };
}

export interface SkippedColumn {
  column: string;
  kind: 'skipped';
  type: ColumnType | 'absent';
  severity: 'NONE';
  role: ColumnRole;
  reason: string;
}

export type ColumnDrift = NumericColumnDrift | CategoricalColumnDrift | SkippedColumn;

/**
 * A column left out of the comparison on purpose, not for want of data: an identifier (a row key, an
 * auto-increment id) has no distribution to compare, and its new values always look like drift.
 */
export interface ExcludedColumn {
  column: string;
  type: ColumnType;
  reason: 'identifier';
  /** `inferred` from the data (see identifiers.ts), or named in the dataset's drift `settings`. */
  source: 'inferred' | 'settings';
  /** The evidence, in words. */
  detail: string;
}

export type ColumnRole = 'feature' | 'label' | 'prediction' | 'time';

export const DRIFT_TYPES = ['covariate_shift', 'prior_shift', 'concept_drift', 'schema_change'] as const;
export type DriftType = (typeof DRIFT_TYPES)[number];

export interface DriftTypeHint {
  type: DriftType;
  columns: string[];
  message: string;
}

/** Prediction quality on each side, when the dataset names a label and a prediction column. */
export interface PerformanceComparison {
  label: string;
  prediction: string;
  /** accuracy (categorical label: higher is better) or mae (numeric label: lower is better). */
  metric: 'accuracy' | 'mae';
  reference: number;
  current: number;
  /** Relative degradation: (current − reference)/reference for mae, (reference − current)/reference for accuracy. */
  degradation: number;
  degraded: boolean;
}

export interface DriftRecommendation {
  /** Stable code, e.g. RETRAIN, INVESTIGATE_COLUMN, UPDATE_ENCODERS, REVIEW_LABELS, NONE. */
  code: string;
  columns?: string[];
  message: string;
}

/** Which Delta version of the dataset's table the reference was read from, and how much of it. */
export interface ReferenceTableRead {
  uri: string;
  /** null: the reference is a held version, read from its staged data file (in no table version). */
  deltaVersion: number | null;
  rowsTotal: number;
  rowsRead: number;
  filesTotal: number;
  filesRead: number;
  /** More rows than the stage compares: a seeded sample across the files, proportional to their rows. */
  sampled: boolean;
  /** What seeded the sample (the same seed and table version give the same rows). */
  seed?: string | undefined;
}

export interface DriftReport {
  kind: 'drift';
  /** NO_REFERENCE: the dataset had no version to compare with (its first file). */
  status: 'COMPARED' | 'NO_REFERENCE';
  /** `rows`: the reference rows compared (the whole table version, or its sample: see `table`). */
  reference: { version: number; pinned: boolean; rows: number; table?: ReferenceTableRead } | null;
  current: { rows: number };
  /** Highest column severity (concept drift raises it to at least HIGH). */
  severity: Severity;
  severityCounts: Record<Severity, number>;
  thresholds: DriftThresholds;
  /** Every column of either side except the excluded ones, worst severity first. */
  columns: ColumnDrift[];
  /** Columns present on both sides but not compared (identifiers), with why. */
  excludedColumns: ExcludedColumn[];
  driftTypes: DriftTypeHint[];
  performance?: PerformanceComparison;
  recommendations: DriftRecommendation[];
}
