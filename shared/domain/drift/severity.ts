/** Severity levels of drift, the thresholds that map a column's metrics to one, and the gate's comparison. */
export const SEVERITIES = ['NONE', 'LOW', 'MODERATE', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower bounds (inclusive) of LOW, MODERATE, HIGH and CRITICAL for one metric; ascending. */
export interface SeverityCuts {
  low: number;
  moderate: number;
  high: number;
  critical: number;
}

export interface DriftThresholds {
  psi: SeverityCuts;
  /** Jensen–Shannon divergence in bits. */
  jsDivergence: SeverityCuts;
  /** KS statistic D; counts only when the KS p-value is below `alpha` (small samples make D noisy). */
  ksStatistic: SeverityCuts;
  /** |mean shift| in reference standard deviations. */
  meanShiftSd: SeverityCuts;
  /** |ln(std ratio)|, so halving and doubling the spread weigh the same. */
  logStdRatio: SeverityCuts;
  /** |current − reference| share of missing values. */
  nullFractionDelta: SeverityCuts;
  /** Share of current (non-null) rows whose category the reference never had. Any new category is LOW. */
  newCategoryFraction: SeverityCuts;
  /** Significance level for the tests' p-values. */
  alpha: number;
  /**
   * Relative degradation of the prediction metric (accuracy or MAE of a configured prediction/label pair)
   * from which the report calls it concept drift.
   */
  performanceDegradation: number;
}

/** Defaults: PSI's customary 0.1 / 0.2 / 0.25 rule of thumb, the others scaled to comparable effects. */
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = {
  psi: { low: 0.1, moderate: 0.2, high: 0.25, critical: 0.5 },
  jsDivergence: { low: 0.02, moderate: 0.05, high: 0.1, critical: 0.2 },
  ksStatistic: { low: 0.1, moderate: 0.2, high: 0.3, critical: 0.5 },
  meanShiftSd: { low: 0.25, moderate: 0.5, high: 1, critical: 2 },
  logStdRatio: { low: 0.1, moderate: 0.25, high: 0.5, critical: 1 },
  nullFractionDelta: { low: 0.02, moderate: 0.05, high: 0.1, critical: 0.25 },
  newCategoryFraction: { low: 0, moderate: 0.01, high: 0.05, critical: 0.2 },
  alpha: 0.05,
  performanceDegradation: 0.1,
};

/** Defaults overlaid with a dataset's partial settings (each metric's cuts replaced whole). */
export function resolveThresholds(partial: Partial<DriftThresholds> | undefined): DriftThresholds {
  const set = Object.entries(partial ?? {}).filter(([, v]) => v !== undefined);
  return { ...DEFAULT_DRIFT_THRESHOLDS, ...Object.fromEntries(set) };
}

/** Whether `severity` is above `max` (a drift gate holds a version then). */
export function severityExceeds(severity: Severity, max: Severity): boolean {
  return SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(max);
}

/** The metric values `severityOf` reads; absent metrics do not count. */
export interface DriftMetricValues {
  psi?: number;
  jsDivergence?: number;
  ksStatistic?: number;
  ksPValue?: number;
  meanShiftSd?: number;
  stdRatio?: number;
  nullFractionDelta?: number;
  newCategoryFraction?: number;
}

function levelOf(value: number, cuts: SeverityCuts): number {
  if (Number.isNaN(value)) return 0;
  if (value >= cuts.critical) return 4;
  if (value >= cuts.high) return 3;
  if (value >= cuts.moderate) return 2;
  if (value >= cuts.low) return 1;
  return 0;
}

/**
 * A column's severity: the highest level any of its metrics reaches. Effect sizes, not p-values, set the
 * level, because with the row counts of real datasets every difference is significant; the KS statistic
 * only counts when its p-value says it is more than sampling noise.
 */
export function severityOf(
  metrics: DriftMetricValues,
  thresholds: DriftThresholds = DEFAULT_DRIFT_THRESHOLDS,
): Severity {
  let level = 0;
  if (metrics.psi !== undefined) level = Math.max(level, levelOf(metrics.psi, thresholds.psi));
  if (metrics.jsDivergence !== undefined) {
    level = Math.max(level, levelOf(metrics.jsDivergence, thresholds.jsDivergence));
  }
  if (metrics.ksStatistic !== undefined && (metrics.ksPValue ?? 0) < thresholds.alpha) {
    level = Math.max(level, levelOf(metrics.ksStatistic, thresholds.ksStatistic));
  }
  if (metrics.meanShiftSd !== undefined) {
    level = Math.max(level, levelOf(Math.abs(metrics.meanShiftSd), thresholds.meanShiftSd));
  }
  if (metrics.stdRatio !== undefined) {
    const r = metrics.stdRatio;
    const logRatio = r > 0 ? Math.abs(Math.log(r)) : Number.POSITIVE_INFINITY;
    level = Math.max(level, levelOf(logRatio, thresholds.logStdRatio));
  }
  if (metrics.nullFractionDelta !== undefined) {
    level = Math.max(level, levelOf(Math.abs(metrics.nullFractionDelta), thresholds.nullFractionDelta));
  }
  if (metrics.newCategoryFraction !== undefined && metrics.newCategoryFraction > 0) {
    level = Math.max(level, 1, levelOf(metrics.newCategoryFraction, thresholds.newCategoryFraction));
  }
  return SEVERITIES[level] as Severity;
}
