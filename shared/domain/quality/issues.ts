/** Measures → issues with severities and penalties, the score, and the recommendations with stable codes. */
import type { ColumnSchema } from '../table.js';
import type { Measures } from './columns.js';
import { severityFor } from './status.js';
import type { Resolved } from './thresholds.js';
import {
  type ColumnQuality,
  QUALITY_ISSUE_KINDS,
  QUALITY_ISSUE_SEVERITIES,
  type QualityIssue,
  type QualityIssueKind,
  type QualityIssueSeverity,
  type QualityRecommendation,
} from './types.js';

export function issuesOf(
  column: ColumnSchema,
  m: Measures,
  isTime: boolean,
  order: 'time' | 'file',
  timeName: string | undefined,
  resolved: Resolved,
): QualityIssue[] {
  const t = resolved.thresholds;
  const name = column.name;
  const rows = m.missing + m.nonMissing;
  const issues: QualityIssue[] = [];
  const push = (kind: QualityIssueKind, severity: QualityIssueSeverity, value: number, message: string) =>
    issues.push({ kind, column: name, severity, value, penalty: t.penalties[severity], message });

  const missingFraction = rows > 0 ? m.missing / rows : 0;
  const missing = severityFor(missingFraction, t.missingFraction);
  if (missing !== null) {
    push(
      'missing_values',
      missing,
      missingFraction,
      `column "${name}" is missing ${m.missing} of ${rows} values (${percent(missingFraction)})`,
    );
  }
  if (m.outliers) {
    const { zscore, iqr } = m.outliers;
    const zSeverity = severityFor(zscore.fraction, t.zscoreOutlierFraction);
    if (zSeverity !== null) {
      push(
        'outliers_zscore',
        zSeverity,
        zscore.fraction,
        `column "${name}" has ${zscore.count} values (${percent(zscore.fraction)}) more than ` +
          `${zscore.threshold} standard deviations from its mean`,
      );
    }
    const iqrSeverity = severityFor(iqr.fraction, t.iqrOutlierFraction);
    if (iqrSeverity !== null) {
      push(
        'outliers_iqr',
        iqrSeverity,
        iqr.fraction,
        `column "${name}" has ${iqr.count} values (${percent(iqr.fraction)}) outside the IQR fences ` +
          `[${num(iqr.lower)}, ${num(iqr.upper)}] (k = ${iqr.k})`,
      );
    }
  }
  if (m.constant) {
    if (t.constantColumn !== null) {
      push(
        'constant_column',
        t.constantColumn,
        m.nonMissing,
        `column "${name}" holds a single value in all ${m.nonMissing} non-missing rows`,
      );
    }
  } else if (m.constantPeriods && !isTime && resolved.constantPeriodTypes.has(column.type)) {
    // A constant column is one long constant period: reported once, as the column.
    const p = m.constantPeriods;
    const severity = severityFor(p.fractionInRuns, t.constantPeriodFraction);
    if (severity !== null) {
      push(
        'constant_period',
        severity,
        p.fractionInRuns,
        `column "${name}" repeats one value in ${p.runs} run${p.runs === 1 ? '' : 's'} of at least ` +
          `${p.minRun} rows covering ${percent(p.fractionInRuns)} of its values; the longest is ` +
          `${p.longestRun} rows from row ${p.longestRunStart} (${orderName(order, timeName)})`,
      );
    }
  }
  if (m.noise && t.noiseRatio !== null && m.noise.ratio >= t.noiseRatio) {
    push(
      'noise',
      t.noiseSeverity,
      m.noise.ratio,
      `column "${name}" changes like white noise from row to row: noise ratio ${num(m.noise.ratio)} ` +
        `(sigma ${num(m.noise.sigma)} of consecutive differences over its standard deviation)`,
    );
  }
  return issues;
}

export function scoreOf(issues: readonly QualityIssue[]): number {
  let penalty = 0;
  for (const issue of issues) penalty += issue.penalty;
  return Math.max(0, 100 - penalty);
}

export function hasCritical(issues: readonly QualityIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'CRITICAL');
}

/** Most severe first, then the larger penalty, then by column (file-level first) and kind. */
export function bySeverity(a: QualityIssue, b: QualityIssue): number {
  const severity =
    QUALITY_ISSUE_SEVERITIES.indexOf(b.severity) - QUALITY_ISSUE_SEVERITIES.indexOf(a.severity);
  if (severity !== 0) return severity;
  if (a.penalty !== b.penalty) return b.penalty - a.penalty;
  // Code-unit order, not localeCompare: the report must not depend on the machine's locale.
  const ca = a.column ?? '';
  const cb = b.column ?? '';
  if (ca !== cb) return ca < cb ? -1 : 1;
  return QUALITY_ISSUE_KINDS.indexOf(a.kind) - QUALITY_ISSUE_KINDS.indexOf(b.kind);
}

const RECOMMENDATION_CODES: Record<QualityIssueKind, string> = {
  missing_values: 'IMPUTE_OR_DROP_MISSING',
  outliers_zscore: 'INVESTIGATE_OUTLIERS',
  outliers_iqr: 'INVESTIGATE_OUTLIERS',
  constant_period: 'CHECK_SOURCE_FOR_STUCK_VALUES',
  constant_column: 'DROP_CONSTANT_COLUMN',
  noise: 'SMOOTH_OR_AGGREGATE',
  duplicate_rows: 'DEDUPLICATE_ROWS',
};

/** One recommendation per code and column, in the order of the issues (most severe first). */
export function recommendationsFor(
  issues: readonly QualityIssue[],
  columns: readonly ColumnQuality[],
  duplicateRows: number,
  duplicateFraction: number,
): QualityRecommendation[] {
  const seen = new Set<string>();
  const recommendations: QualityRecommendation[] = [];
  for (const issue of issues) {
    const code = RECOMMENDATION_CODES[issue.kind];
    const key = `${code}\u0000${issue.column ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const column = columns.find((c) => c.column === issue.column);
    const name = issue.column ?? '';
    let message: string;
    switch (issue.kind) {
      case 'missing_values': {
        const missing = column?.missing ?? { count: 0, fraction: 0 };
        message =
          `"${name}" is missing ${missing.count} values (${percent(missing.fraction)} of rows): impute ` +
          'them (median or mode, or interpolation in time order) or drop the column or the affected rows';
        break;
      }
      case 'outliers_zscore':
      case 'outliers_iqr': {
        const o = column?.outliers;
        message =
          `investigate the outliers of "${name}" (${o?.zscore.count ?? 0} beyond ${o?.zscore.threshold ?? 0} ` +
          `standard deviations, ${o?.iqr.count ?? 0} outside the IQR fences): correct or drop measurement ` +
          'errors, and clip or transform genuine extremes';
        break;
      }
      case 'constant_period': {
        const p = column?.constantPeriods;
        message =
          `check the source of "${name}" for stuck readings: it repeats one value for ${p?.longestRun ?? 0} ` +
          `consecutive rows from row ${p?.longestRunStart ?? 0}, and runs of at least ${p?.minRun ?? 0} ` +
          `rows cover ${percent(p?.fractionInRuns ?? 0)} of its values; mask or drop those periods`;
        break;
      }
      case 'constant_column':
        message =
          `drop "${name}": a single value in all ${issue.value} non-missing rows carries no information ` +
          'for a model';
        break;
      case 'noise':
        message =
          `"${name}" shows no temporal structure (noise ratio ${num(issue.value)}): smooth or aggregate ` +
          'it over time windows if a trend is expected, or treat its rows as independent samples';
        break;
      case 'duplicate_rows':
        message =
          `remove the ${duplicateRows} duplicated rows (${percent(duplicateFraction)}): set the dataset's ` +
          'dedupKeys in its config so that ingestion keeps the first row per key, or deduplicate upstream';
        break;
    }
    recommendations.push(issue.column === undefined ? { code, message } : { code, column: name, message });
  }
  return recommendations;
}

function orderName(order: 'time' | 'file', timeName: string | undefined): string {
  return order === 'time' && timeName !== undefined ? `in order of "${timeName}"` : 'in file order';
}

export function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function num(x: number): string {
  return String(Number(x.toPrecision(4)));
}
