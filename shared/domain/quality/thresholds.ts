/** Quality thresholds and options: the defaults, their overrides, and what the assessor resolves them to. */
import { InvalidInputError } from '../../errors.js';
import type { DatasetProfile } from '../profile/profiler.js';
import type { ColumnType, ReadBatch, TableSchema } from '../table.js';
import type { QualityPartial } from './partial.js';
import {
  QUALITY_ISSUE_SEVERITIES,
  type QualityIssueSeverity,
  type QualityReport,
  type QualityStatus,
} from './types.js';

/**
 * Lower bounds (inclusive) of MINOR, MAJOR and CRITICAL for one measured fraction; null: that level is
 * never reached. A measured 0 never raises an issue, whatever the cuts.
 */
export interface SeverityCuts {
  minor: number | null;
  major: number | null;
  critical: number | null;
}

export interface QualityThresholds {
  /** Missing cells (null; NaN in numeric columns) / rows. */
  missingFraction: SeverityCuts;
  /** Values beyond the z-score threshold / the column's non-missing values. */
  zscoreOutlierFraction: SeverityCuts;
  /** Values outside the IQR fences / the column's non-missing values. */
  iqrOutlierFraction: SeverityCuts;
  /** Non-missing values inside runs of at least `minRun` equal values / non-missing values. */
  constantPeriodFraction: SeverityCuts;
  /** Rows repeating an earlier row / rows. */
  duplicateFraction: SeverityCuts;
  /** Severity of a column holding one value in every non-missing row (≥ 2 rows); null: no issue. */
  constantColumn: QualityIssueSeverity | null;
  /** Noise ratio from which a numeric column gets an (INFO by default) issue; null: never. */
  noiseRatio: number | null;
  noiseSeverity: QualityIssueSeverity;
  /** Points an issue of each severity takes off the score. */
  penalties: Record<QualityIssueSeverity, number>;
  /** Lowest score of each status; below `POOR` the status is CRITICAL. */
  statusMinimum: Record<Exclude<QualityStatus, 'CRITICAL'>, number>;
}

/**
 * The defaults. Rates of clean data stay below MINOR: a normal sample has 0.27% of its values beyond
 * 3 standard deviations and 0.7% outside the 1.5·IQR fences, so the outlier cuts start above those.
 * INFO costs nothing, MINOR a little, MAJOR enough that two of them leave GOOD, and one CRITICAL issue
 * leaves at most FAIR by score (and POOR by the cap in `statusOf`).
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  missingFraction: { minor: 0.01, major: 0.1, critical: 0.5 },
  zscoreOutlierFraction: { minor: 0.01, major: 0.05, critical: null },
  iqrOutlierFraction: { minor: 0.05, major: 0.15, critical: null },
  constantPeriodFraction: { minor: 0.05, major: 0.2, critical: null },
  duplicateFraction: { minor: 0.01, major: 0.1, critical: 0.5 },
  constantColumn: 'MAJOR',
  noiseRatio: 0.9,
  noiseSeverity: 'INFO',
  penalties: { INFO: 0, MINOR: 5, MAJOR: 15, CRITICAL: 40 },
  statusMinimum: { EXCELLENT: 90, GOOD: 75, FAIR: 60, POOR: 40 },
};

/** `QualityThresholds` with every group optional and every group's fields optional. */
export type QualityThresholdOverrides = {
  [K in keyof QualityThresholds]?: QualityThresholds[K] extends object
    ? Partial<QualityThresholds[K]>
    : QualityThresholds[K];
};

export interface QualityOptions {
  /**
   * The column (timestamp, int or float) giving the rows' time order. Default: the schema's first
   * timestamp column; with none, runs are measured in file order and there is no noise estimate.
   */
  timeColumn?: string;
  /** A value is a z-score outlier when |x − mean| / std exceeds this. Default 3. */
  zThreshold?: number;
  /** IQR fences at Q1 − k·IQR and Q3 + k·IQR. Default 1.5. */
  iqrK?: number;
  /**
   * Shortest run of one repeated value that counts as a constant period. Default max(10, ⌈rows/1000⌉):
   * ten equal readings in a row are rare for a live signal even when quantised, and scaling with the
   * file keeps sub-0.1% blips out of large files while still catching many short stalls, which a 1%
   * minimum (10 000 rows of a 1M-row file) would ignore.
   */
  minRun?: number;
  /**
   * Rows buffered to reorder an out-of-order file by time. Default 5 000 000. Beyond it runs are
   * measured in file order (or in time order when the file turns out to be ordered), without noise
   * estimates, and the report's `notes` says so.
   */
  maxBufferedRows?: number;
  /**
   * Column types whose constant periods are issues. Default int and float: long runs of one value are
   * normal in a flag or a category, a symptom of a stuck source in a measurement. Runs are reported
   * for every column either way.
   */
  constantPeriodTypes?: readonly ColumnType[];
  thresholds?: QualityThresholdOverrides;
  /**
   * The assessor reads one chunk of a file, with the whole file's profile, and `partial()` hands its
   * state to `mergeQuality` (partial.ts). Nothing is buffered: a merged report has no noise estimates
   * and no reordering by time. Default false.
   */
  mergeable?: boolean;
}

export interface QualityAssessor {
  /**
   * Consumes one batch. Throws `InvalidInputError` when the batch does not match the schema or a cell
   * does not match its column's type; the assessor is then in an undefined state.
   */
  add(batch: ReadBatch): void;
  /**
   * The report over every row added; does not disturb the assessor. Throws `InvalidInputError` when
   * the row count differs from the profile's: the outlier bounds came from the profile, so they would
   * describe other data.
   */
  result(): QualityReport;
  /** The state over every row added, for `mergeQuality`; only when made `mergeable`. */
  partial(): QualityPartial;
}

const DEFAULT_MAX_BUFFERED_ROWS = 5_000_000;
const DEFAULT_CONSTANT_PERIOD_TYPES: readonly ColumnType[] = ['int', 'float'];

export interface Resolved {
  timeIndex: number;
  z: number;
  k: number;
  minRun: number;
  maxBufferedRows: number;
  constantPeriodTypes: ReadonlySet<ColumnType>;
  thresholds: QualityThresholds;
}

/** `thresholds` merged group by group over the defaults, and checked. */
export function resolveQualityThresholds(overrides: QualityThresholdOverrides = {}): QualityThresholds {
  const d = DEFAULT_QUALITY_THRESHOLDS;
  const t: QualityThresholds = {
    missingFraction: { ...d.missingFraction, ...overrides.missingFraction },
    zscoreOutlierFraction: { ...d.zscoreOutlierFraction, ...overrides.zscoreOutlierFraction },
    iqrOutlierFraction: { ...d.iqrOutlierFraction, ...overrides.iqrOutlierFraction },
    constantPeriodFraction: { ...d.constantPeriodFraction, ...overrides.constantPeriodFraction },
    duplicateFraction: { ...d.duplicateFraction, ...overrides.duplicateFraction },
    constantColumn: overrides.constantColumn === undefined ? d.constantColumn : overrides.constantColumn,
    noiseRatio: overrides.noiseRatio === undefined ? d.noiseRatio : overrides.noiseRatio,
    noiseSeverity: overrides.noiseSeverity ?? d.noiseSeverity,
    penalties: { ...d.penalties, ...overrides.penalties },
    statusMinimum: { ...d.statusMinimum, ...overrides.statusMinimum },
  };
  const issues: { path: string; message: string }[] = [];
  const nonNegative = (path: string, value: unknown): void => {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      issues.push({ path, message: 'must be a finite non-negative number' });
    }
  };
  for (const key of [
    'missingFraction',
    'zscoreOutlierFraction',
    'iqrOutlierFraction',
    'constantPeriodFraction',
    'duplicateFraction',
  ] as const) {
    for (const level of ['minor', 'major', 'critical'] as const) {
      const cut = t[key][level];
      if (cut !== null) nonNegative(`thresholds.${key}.${level}`, cut);
    }
  }
  if (t.noiseRatio !== null) nonNegative('thresholds.noiseRatio', t.noiseRatio);
  for (const severity of QUALITY_ISSUE_SEVERITIES) {
    nonNegative(`thresholds.penalties.${severity}`, t.penalties[severity]);
  }
  for (const [key, severity] of [
    ['constantColumn', t.constantColumn],
    ['noiseSeverity', t.noiseSeverity],
  ] as const) {
    if (severity !== null && !QUALITY_ISSUE_SEVERITIES.includes(severity)) {
      issues.push({ path: `thresholds.${key}`, message: 'must be a quality issue severity' });
    }
  }
  const m = t.statusMinimum;
  for (const status of ['EXCELLENT', 'GOOD', 'FAIR', 'POOR'] as const) {
    nonNegative(`thresholds.statusMinimum.${status}`, m[status]);
  }
  if (!(m.EXCELLENT >= m.GOOD && m.GOOD >= m.FAIR && m.FAIR >= m.POOR)) {
    issues.push({ path: 'thresholds.statusMinimum', message: 'must not increase from EXCELLENT to POOR' });
  }
  if (issues.length > 0) throw new InvalidInputError('invalid quality thresholds', issues);
  return t;
}

export function resolveOptions(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
): Resolved {
  const issues: { path: string; message: string }[] = [];
  let timeIndex: number;
  if (options.timeColumn !== undefined) {
    timeIndex = schema.columns.findIndex((c) => c.name === options.timeColumn);
    const type = schema.columns[timeIndex]?.type;
    if (type !== 'timestamp' && type !== 'int' && type !== 'float') {
      issues.push({ path: 'timeColumn', message: 'must name a timestamp, int or float column' });
    }
  } else {
    timeIndex = schema.columns.findIndex((c) => c.type === 'timestamp');
  }
  const z = options.zThreshold ?? 3;
  const k = options.iqrK ?? 1.5;
  const minRun = options.minRun ?? Math.max(10, Math.ceil(profile.rowCount / 1000));
  const maxBufferedRows = options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS;
  if (!(z > 0 && Number.isFinite(z))) issues.push({ path: 'zThreshold', message: 'must be positive' });
  if (!(k >= 0 && Number.isFinite(k))) issues.push({ path: 'iqrK', message: 'must be non-negative' });
  if (!(Number.isSafeInteger(minRun) && minRun >= 2)) {
    issues.push({ path: 'minRun', message: 'must be an integer of at least 2' });
  }
  if (!(Number.isSafeInteger(maxBufferedRows) && maxBufferedRows >= 0)) {
    issues.push({ path: 'maxBufferedRows', message: 'must be a non-negative integer' });
  }
  if (issues.length > 0) throw new InvalidInputError('invalid quality options', issues);
  return {
    timeIndex,
    z,
    k,
    minRun,
    maxBufferedRows,
    constantPeriodTypes: new Set(options.constantPeriodTypes ?? DEFAULT_CONSTANT_PERIOD_TYPES),
    thresholds: resolveQualityThresholds(options.thresholds),
  };
}
