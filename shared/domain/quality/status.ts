/** A report's status from its score and issues, and an issue's severity from a measure and its cuts. */
import { DEFAULT_QUALITY_THRESHOLDS, type QualityThresholds, type SeverityCuts } from './thresholds.js';
import { QUALITY_STATUSES, type QualityIssueSeverity, type QualityStatus } from './types.js';

/** True when `status` is `minimum` or better (QUALITY_STATUSES runs worst to best). */
export function qualityStatusAtLeast(status: QualityStatus, minimum: QualityStatus): boolean {
  return QUALITY_STATUSES.indexOf(status) >= QUALITY_STATUSES.indexOf(minimum);
}

/** The status a score earns; any CRITICAL issue holds it at POOR, however few points it cost. */
export function qualityStatusOf(
  score: number,
  hasCriticalIssue: boolean,
  thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
): QualityStatus {
  const m = thresholds.statusMinimum;
  const status: QualityStatus =
    score >= m.EXCELLENT
      ? 'EXCELLENT'
      : score >= m.GOOD
        ? 'GOOD'
        : score >= m.FAIR
          ? 'FAIR'
          : score >= m.POOR
            ? 'POOR'
            : 'CRITICAL';
  return hasCriticalIssue && qualityStatusAtLeast(status, 'FAIR') ? 'POOR' : status;
}

export function severityFor(value: number, cuts: SeverityCuts): QualityIssueSeverity | null {
  if (!(value > 0)) return null;
  if (cuts.critical !== null && value >= cuts.critical) return 'CRITICAL';
  if (cuts.major !== null && value >= cuts.major) return 'MAJOR';
  if (cuts.minor !== null && value >= cuts.minor) return 'MINOR';
  return null;
}
