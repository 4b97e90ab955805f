/**
 * Data-quality assessment for the "quality" stage. `createQualityAssessor(schema, profile)` reads a
 * file's record batches once, after the profile stage, and reports per column missing values, outliers
 * (z-score and IQR fences, from the profile's mean, std and quartiles), constant periods (runs of one
 * repeated value), constant columns and, with a time column, a noise estimate; per file, exactly
 * duplicated rows. Each finding becomes a scored issue and a recommendation.
 *
 * Constant periods and noise are measured in time order. Whether a file is in time order is only known
 * at its end, so with a time column every column is buffered compactly (8 bytes a numeric cell, 4 or 8
 * a string cell, 1 a bool cell), up to `maxBufferedRows`; at `result()` an out-of-order file is reordered
 * by a stable sort on the time column, while for an ordered one the runs measured while streaming
 * already are in time order and the buffers only serve the noise estimates. Duplicates cost one 64-bit
 * hash per distinct row (~16 bytes a row).
 *
 * The result depends only on the rows and their order, not on how they were split into batches.
 */
import { InvalidInputError } from '../../errors.js';
import { fmix32, HASH_OUT, hashNumber, hashString } from '../hashing.js';
import type { ColumnProfile, DatasetProfile } from '../profile/profiler.js';
import {
  type CellValue,
  type ColumnSchema,
  type ColumnType,
  checkBatchShape,
  type RecordBatch,
  type TableSchema,
} from '../table.js';
import {
  type ColumnQuality,
  type ConstantPeriods,
  type NoiseEstimate,
  type OutlierCounts,
  QUALITY_ISSUE_KINDS,
  QUALITY_ISSUE_SEVERITIES,
  QUALITY_STATUSES,
  type QualityIssue,
  type QualityIssueKind,
  type QualityIssueSeverity,
  type QualityRecommendation,
  type QualityReport,
  type QualityStatus,
} from './types.js';

// ---------------------------------------------------------------------------------------------------
// Thresholds and options
// ---------------------------------------------------------------------------------------------------

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
}

export interface QualityAssessor {
  /**
   * Consumes one batch. Throws `InvalidInputError` when the batch does not match the schema or a cell
   * does not match its column's type; the assessor is then in an undefined state.
   */
  add(batch: RecordBatch): void;
  /**
   * The report over every row added; does not disturb the assessor. Throws `InvalidInputError` when
   * the row count differs from the profile's: the outlier bounds came from the profile, so they would
   * describe other data.
   */
  result(): QualityReport;
}

const DEFAULT_MAX_BUFFERED_ROWS = 5_000_000;
const DEFAULT_CONSTANT_PERIOD_TYPES: readonly ColumnType[] = ['int', 'float'];
/** Φ⁻¹(0.75): MAD / 0.6745 estimates a normal standard deviation; √2 undoes the differencing. */
const MAD_TO_SIGMA = 0.6745 * Math.SQRT2;
/** String columns with at most this many distinct values (exactly known) are buffered as 32-bit ids. */
const MAX_STRING_IDS = 1 << 20;

interface Resolved {
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

function resolveOptions(schema: TableSchema, profile: DatasetProfile, options: QualityOptions): Resolved {
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

// ---------------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------------

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

function severityFor(value: number, cuts: SeverityCuts): QualityIssueSeverity | null {
  if (!(value > 0)) return null;
  if (cuts.critical !== null && value >= cuts.critical) return 'CRITICAL';
  if (cuts.major !== null && value >= cuts.major) return 'MAJOR';
  if (cuts.minor !== null && value >= cuts.minor) return 'MINOR';
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Row hashing and the duplicate set
// ---------------------------------------------------------------------------------------------------

// MurmurHash3_x86_128's lane constants: each cell's 64-bit hash is folded into a row's two 32-bit lanes
// the way that hash folds its blocks, so both lanes depend on every cell and on the cells' order.
const M1 = 0x239b961b;
const M2 = 0xab0e9789;
const M3 = 0x38b34ae5;
// Fixed "hashes" of null, true and false: a real cell collides with one only by a 64-bit coincidence.
const NULL_X = 0x6e756c6c;
const NULL_Y = 0x9e3779b9;
const TRUE_X = 0x74727565;
const TRUE_Y = 0x7f4a7c15;
const FALSE_X = 0x66616c73;
const FALSE_Y = 0x165667b1;

function mixCell(la: Int32Array, lb: Int32Array, r: number, x: number, y: number): void {
  let a = la[r] as number;
  let b = lb[r] as number;
  let k = Math.imul(x, M1);
  k = Math.imul((k << 15) | (k >>> 17), M2);
  a ^= k;
  a = (a << 13) | (a >>> 19);
  a = (a + b) | 0;
  a = (Math.imul(a, 5) + 0x561ccd1b) | 0;
  k = Math.imul(y, M2);
  k = Math.imul((k << 16) | (k >>> 16), M3);
  b ^= k;
  b = (b << 17) | (b >>> 15);
  b = (b + a) | 0;
  b = (Math.imul(b, 5) + 0x0bcaa747) | 0;
  la[r] = a;
  lb[r] = b;
}

/**
 * The distinct rows seen so far, as 64-bit hashes in one open-addressing table (linear probing, two
 * 32-bit words a slot, (0, 0) marking an empty slot). Sized from the profile's row count at a load of
 * at most 1/2, i.e. 16 bytes a row; it only grows if more distinct rows arrive than that.
 *
 * Two different rows are taken for equal only if all 64 bits of their hashes agree: about n²/2⁶⁵ for n
 * rows (3·10⁻⁸ for a million rows, 3·10⁻⁶ for ten million), and such a collision miscounts one row. The
 * hash is not cryptographic, so rows crafted to collide are not guarded against.
 */
class RowHashSet {
  #keys: Uint32Array;
  #capacity: number;
  #size = 0;

  constructor(expectedRows: number) {
    this.#capacity = Math.max(16, Math.ceil(expectedRows * 2));
    this.#keys = new Uint32Array(this.#capacity * 2);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a hash; false when it was there already. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    if (this.#size * 4 >= this.#capacity * 3) this.#grow();
    const inserted = insert(this.#keys, this.#capacity, hi, lo);
    if (inserted) this.#size++;
    return inserted;
  }

  #grow(): void {
    const old = this.#keys;
    const capacity = this.#capacity * 2;
    const keys = new Uint32Array(capacity * 2);
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i] as number;
      const lo = old[i + 1] as number;
      if (hi !== 0 || lo !== 0) insert(keys, capacity, hi, lo);
    }
    this.#keys = keys;
    this.#capacity = capacity;
  }
}

function insert(keys: Uint32Array, capacity: number, hi: number, lo: number): boolean {
  // hi / 2³² is uniform in [0, 1); the product's rounding cannot reach `capacity`.
  let i = Math.floor(hi * capacity * 2.3283064365386963e-10);
  for (;;) {
    const h = keys[2 * i] as number;
    const l = keys[2 * i + 1] as number;
    if (h === 0 && l === 0) {
      keys[2 * i] = hi;
      keys[2 * i + 1] = lo;
      return true;
    }
    if (h === hi && l === lo) return false;
    i++;
    if (i === capacity) i = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------------

/** Runs of equal non-missing values, fed one row at a time in assessment order; a missing row ends a run. */
class RunTracker {
  #position = 0;
  #length = 0;
  #start = 0;
  #longest = 0;
  #longestStart = 0;
  #runs = 0;
  #covered = 0;

  constructor(readonly minRun: number) {}

  /** A non-missing row; `same` when it equals the row just before (which was not missing). */
  value(same: boolean): void {
    if (!same) {
      this.#close();
      this.#start = this.#position;
    }
    this.#length++;
    this.#position++;
  }

  gap(): void {
    this.#close();
    this.#position++;
  }

  #close(): void {
    const n = this.#length;
    if (n === 0) return;
    if (n >= this.minRun) {
      this.#runs++;
      this.#covered += n;
    }
    // Strictly longer: the earliest of equally long runs is the one reported.
    if (n > this.#longest) {
      this.#longest = n;
      this.#longestStart = this.#start;
    }
    this.#length = 0;
  }

  /** The summary with the open run closed, leaving the tracker as it was. */
  summary(nonMissing: number): ConstantPeriods {
    let longestRun = this.#longest;
    let longestRunStart = this.#longestStart;
    let runs = this.#runs;
    let covered = this.#covered;
    const n = this.#length;
    if (n >= this.minRun) {
      runs++;
      covered += n;
    }
    if (n > longestRun) {
      longestRun = n;
      longestRunStart = this.#start;
    }
    return {
      longestRun,
      longestRunStart,
      runs,
      fractionInRuns: nonMissing > 0 ? covered / nonMissing : 0,
      minRun: this.minRun,
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Noise
// ---------------------------------------------------------------------------------------------------

/** The k-th smallest (0-based) of a[0..n), by quickselect (Hoare partition, median-of-three pivot). */
function selectInPlace(a: Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three: sorted and constant inputs (common for differences) stay linear.
    if ((a[mid] as number) < (a[left] as number)) swap(a, mid, left);
    if ((a[right] as number) < (a[left] as number)) swap(a, right, left);
    if ((a[right] as number) < (a[mid] as number)) swap(a, right, mid);
    const pivot = a[mid] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/** Median of a[0..n), n ≥ 1; reorders a. */
function medianInPlace(a: Float64Array, n: number): number {
  const half = n >>> 1;
  if (n % 2 === 1) return selectInPlace(a, n, half);
  const lower = selectInPlace(a, n, half - 1);
  // After the selection everything from `half` on is ≥ lower; its minimum is the upper middle.
  let upper = Number.POSITIVE_INFINITY;
  for (let i = half; i < n; i++) if ((a[i] as number) < upper) upper = a[i] as number;
  return (lower + upper) / 2;
}

/** Noise from the n first differences in d (overwritten): MAD / (0.6745·√2), robust to steps and trends. */
function noiseOf(d: Float64Array, n: number, std: number): NoiseEstimate {
  const center = medianInPlace(d, n);
  for (let i = 0; i < n; i++) d[i] = Math.abs((d[i] as number) - center);
  const sigma = medianInPlace(d, n) / MAD_TO_SIGMA;
  return { sigma, ratio: sigma / std };
}

// ---------------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------------

interface Measures {
  missing: number;
  nonMissing: number;
  /** One value in every non-missing row, with at least two of them. */
  constant: boolean;
  outliers?: OutlierCounts;
  constantPeriods?: ConstantPeriods;
  noise?: NoiseEstimate;
}

interface FinishContext {
  /** Row positions in time order; null: the rows' own order is the assessment order. */
  order: Uint32Array | null;
  /** Recompute runs from the buffers in `order` (else the streamed runs are in assessment order). */
  rerun: boolean;
  /** Estimate noise (numeric, non-time columns); `diffs` holds at least `rows` values then. */
  noise: boolean;
  diffs: Float64Array | null;
  rows: number;
}

interface ColumnAssessor {
  readonly schema: ColumnSchema;
  consume(cells: readonly CellValue[], rows: number, la: Int32Array, lb: Int32Array): void;
  /** Makes room for `rows` buffered rows in all; `false` drops the buffer for good. */
  reserve(rows: number | false): void;
  finish(context: FinishContext): Measures;
}

function typeMismatch(name: string, type: ColumnType, value: unknown): InvalidInputError {
  return new InvalidInputError(`column ${name} is ${type} but holds a ${typeof value}`, [
    { path: name, message: `expected ${type}` },
  ]);
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(
  buffer: T,
  needed: number,
  make: (n: number) => T,
): T {
  if (needed <= buffer.length) return buffer;
  const next = make(Math.max(needed, buffer.length * 2));
  next.set(buffer);
  return next;
}

class NumericColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #first = Number.NaN;
  #varies = false;
  #previous = Number.NaN;
  #zCount = 0;
  #iqrCount = 0;
  #runs: RunTracker;
  #buffer: Float64Array | null;
  #buffered = 0;
  /** Outlier bounds from the profile; absent for timestamps and for columns without finite values. */
  /** The profile's sample std of the finite values; 0 when unknown. */
  readonly std: number;
  readonly #bounds: {
    mean: number;
    std: number;
    z: number;
    lower: number;
    upper: number;
    k: number;
  } | null;

  constructor(
    readonly schema: ColumnSchema,
    profile: ColumnProfile,
    resolved: Resolved,
    buffered: boolean,
    readonly isTime: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Float64Array(0) : null;
    const numeric = profile.type === 'int' || profile.type === 'float' ? profile : null;
    const q = numeric?.quantiles;
    if (numeric && q && numeric.mean !== null) {
      const iqr = q.p75 - q.p25;
      this.#bounds = {
        mean: numeric.mean,
        // A std of 0 or null (fewer than two finite values) makes every z-score undefined: no outliers.
        std: numeric.std ?? 0,
        z: resolved.z,
        lower: q.p25 - resolved.k * iqr,
        upper: q.p75 + resolved.k * iqr,
        k: resolved.k,
      };
    } else {
      this.#bounds = null;
    }
    this.std = numeric?.std ?? 0;
  }

  /** The buffered values in file order (NaN: missing), or null when not buffering. */
  bufferedValues(): Float64Array | null {
    return this.#buffer;
  }

  reserve(rows: number | false): void {
    if (rows === false) this.#buffer = null;
    else if (this.#buffer) this.#buffer = grown(this.#buffer, rows, (n) => new Float64Array(n));
  }

  consume(cells: readonly CellValue[], rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    let first = this.#first;
    let varies = this.#varies;
    let previous = this.#previous;
    let zCount = this.#zCount;
    let iqrCount = this.#iqrCount;
    const runs = this.#runs;
    const buffer = this.#buffer;
    let at = this.#buffered;
    const bounds = this.#bounds;
    const mean = bounds?.mean ?? 0;
    const std = bounds?.std ?? 0;
    const z = bounds?.z ?? Number.POSITIVE_INFINITY;
    const lower = bounds?.lower ?? Number.NEGATIVE_INFINITY;
    const upper = bounds?.upper ?? Number.POSITIVE_INFINITY;
    const zActive = std > 0;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        missing++;
        runs.gap();
        previous = Number.NaN;
        mixCell(la, lb, r, NULL_X, NULL_Y);
        if (buffer !== null) buffer[at++] = Number.NaN;
        continue;
      }
      if (typeof v !== 'number') throw typeMismatch(this.schema.name, this.schema.type, v);
      hashNumber(v);
      mixCell(la, lb, r, HASH_OUT[0] as number, HASH_OUT[1] as number);
      if (buffer !== null) buffer[at++] = v;
      if (Number.isNaN(v)) {
        missing++;
        runs.gap();
        previous = Number.NaN;
        continue;
      }
      nonMissing++;
      // previous is NaN after a gap, and NaN equals nothing: a missing row ends the run.
      runs.value(v === previous);
      previous = v;
      if (nonMissing === 1) first = v;
      else if (v !== first) varies = true;
      // ±Infinity is beyond every bound: an outlier by both rules.
      if (zActive && Math.abs(v - mean) / std > z) zCount++;
      if (v < lower || v > upper) iqrCount++;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#first = first;
    this.#varies = varies;
    this.#previous = previous;
    this.#zCount = zCount;
    this.#iqrCount = iqrCount;
    this.#buffered = at;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && !this.#varies,
    };
    const bounds = this.#bounds;
    if (bounds) {
      const fraction = (count: number): number => (nonMissing > 0 ? count / nonMissing : 0);
      measures.outliers = {
        zscore: { count: this.#zCount, fraction: fraction(this.#zCount), threshold: bounds.z },
        iqr: {
          count: this.#iqrCount,
          fraction: fraction(this.#iqrCount),
          lower: bounds.lower,
          upper: bounds.upper,
          k: bounds.k,
        },
      };
    }
    const buffer = this.#buffer;
    if (nonMissing >= 2) {
      if (context.rerun && buffer !== null) {
        const runs = new RunTracker(this.#runs.minRun);
        const order = context.order;
        let previous = Number.NaN;
        for (let r = 0; r < context.rows; r++) {
          const v = buffer[order === null ? r : (order[r] as number)] as number;
          if (Number.isNaN(v)) runs.gap();
          else runs.value(v === previous);
          previous = v;
        }
        measures.constantPeriods = runs.summary(nonMissing);
      } else {
        measures.constantPeriods = this.#runs.summary(nonMissing);
      }
    }
    const numericType = this.schema.type === 'int' || this.schema.type === 'float';
    const d = context.diffs;
    if (context.noise && numericType && !this.isTime && buffer !== null && d !== null && this.std > 0) {
      const order = context.order;
      let n = 0;
      let last = 0;
      let started = false;
      for (let r = 0; r < context.rows; r++) {
        const v = buffer[order === null ? r : (order[r] as number)] as number;
        // Differences between consecutive finite values: missing rows and ±Infinity are stepped over.
        if (v - v !== 0) continue;
        if (started) d[n++] = v - last;
        last = v;
        started = true;
      }
      if (n >= 2) measures.noise = noiseOf(d, n, this.std);
    }
    return measures;
  }
}

/** Strings buffered as ids (0 = missing) while the profile knows they are few, else as 64-bit hashes. */
class StringColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #first: string | null = null;
  #varies = false;
  #previous: string | null = null;
  #runs: RunTracker;
  #ids: Map<string, number> | null;
  /** One word a row (ids) or two (hashes, (0, 0) = missing). */
  #buffer: Uint32Array | null;
  #buffered = 0;

  constructor(
    readonly schema: ColumnSchema,
    profile: ColumnProfile,
    resolved: Resolved,
    buffered: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Uint32Array(0) : null;
    // The profile only chooses the representation; the ids stay exact if it turns out wrong.
    this.#ids = profile.distinct.exact && profile.distinct.value <= MAX_STRING_IDS ? new Map() : null;
  }

  get #words(): number {
    return this.#ids === null ? 2 : 1;
  }

  reserve(rows: number | false): void {
    if (rows === false) {
      this.#buffer = null;
      this.#ids = null;
    } else if (this.#buffer) {
      this.#buffer = grown(this.#buffer, rows * this.#words, (n) => new Uint32Array(n));
    }
  }

  consume(cells: readonly CellValue[], rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    let first = this.#first;
    let varies = this.#varies;
    let previous = this.#previous;
    const runs = this.#runs;
    const buffer = this.#buffer;
    const ids = this.#ids;
    let at = this.#buffered * this.#words;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        missing++;
        runs.gap();
        previous = null;
        mixCell(la, lb, r, NULL_X, NULL_Y);
        if (buffer !== null) {
          buffer[at++] = 0;
          if (ids === null) buffer[at++] = 0;
        }
        continue;
      }
      if (typeof v !== 'string') throw typeMismatch(this.schema.name, 'string', v);
      hashString(v);
      const hi = HASH_OUT[0] as number;
      const lo = HASH_OUT[1] as number;
      mixCell(la, lb, r, hi, lo);
      if (buffer !== null) {
        if (ids !== null) {
          let id = ids.get(v);
          if (id === undefined) {
            id = ids.size + 1;
            ids.set(v, id);
          }
          buffer[at++] = id;
        } else {
          buffer[at++] = hi;
          // (0, 0) means missing; a real (0, 0) hash shares (0, 1) with another, at 2⁻⁶⁴ odds.
          buffer[at++] = hi === 0 && lo === 0 ? 1 : lo;
        }
      }
      nonMissing++;
      runs.value(v === previous);
      previous = v;
      if (first === null) first = v;
      else if (v !== first) varies = true;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#first = first;
    this.#varies = varies;
    this.#previous = previous;
    this.#buffered += rows;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && !this.#varies,
    };
    if (nonMissing < 2) return measures;
    const buffer = this.#buffer;
    if (!context.rerun || buffer === null) {
      measures.constantPeriods = this.#runs.summary(nonMissing);
      return measures;
    }
    const runs = new RunTracker(this.#runs.minRun);
    const order = context.order;
    if (this.#ids !== null) {
      let previous = 0;
      for (let r = 0; r < context.rows; r++) {
        const id = buffer[order === null ? r : (order[r] as number)] as number;
        if (id === 0) runs.gap();
        else runs.value(id === previous);
        previous = id;
      }
    } else {
      let previousHi = 0;
      let previousLo = 0;
      for (let r = 0; r < context.rows; r++) {
        const i = 2 * (order === null ? r : (order[r] as number));
        const hi = buffer[i] as number;
        const lo = buffer[i + 1] as number;
        if (hi === 0 && lo === 0) runs.gap();
        else runs.value(hi === previousHi && lo === previousLo);
        previousHi = hi;
        previousLo = lo;
      }
    }
    measures.constantPeriods = runs.summary(nonMissing);
    return measures;
  }
}

/** Bools buffered as one byte a row: 0 missing, 1 false, 2 true. */
class BoolColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #seen = 0;
  #previous = 0;
  #runs: RunTracker;
  #buffer: Uint8Array | null;
  #buffered = 0;

  constructor(
    readonly schema: ColumnSchema,
    resolved: Resolved,
    buffered: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Uint8Array(0) : null;
  }

  reserve(rows: number | false): void {
    if (rows === false) this.#buffer = null;
    else if (this.#buffer) this.#buffer = grown(this.#buffer, rows, (n) => new Uint8Array(n));
  }

  consume(cells: readonly CellValue[], rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    // Bit 0: a false was seen, bit 1: a true.
    let seen = this.#seen;
    let previous = this.#previous;
    const runs = this.#runs;
    const buffer = this.#buffer;
    let at = this.#buffered;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      let code: number;
      if (v === true) {
        code = 2;
        mixCell(la, lb, r, TRUE_X, TRUE_Y);
      } else if (v === false) {
        code = 1;
        mixCell(la, lb, r, FALSE_X, FALSE_Y);
      } else if (v === null || v === undefined) {
        code = 0;
        mixCell(la, lb, r, NULL_X, NULL_Y);
      } else {
        throw typeMismatch(this.schema.name, 'bool', v);
      }
      if (buffer !== null) buffer[at++] = code;
      if (code === 0) {
        missing++;
        runs.gap();
      } else {
        nonMissing++;
        runs.value(code === previous);
        seen |= code;
      }
      previous = code;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#seen = seen;
    this.#previous = previous;
    this.#buffered = at;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && this.#seen !== 3,
    };
    if (nonMissing < 2) return measures;
    const buffer = this.#buffer;
    if (!context.rerun || buffer === null) {
      measures.constantPeriods = this.#runs.summary(nonMissing);
      return measures;
    }
    const runs = new RunTracker(this.#runs.minRun);
    const order = context.order;
    let previous = 0;
    for (let r = 0; r < context.rows; r++) {
      const code = buffer[order === null ? r : (order[r] as number)] as number;
      if (code === 0) runs.gap();
      else runs.value(code === previous);
      previous = code;
    }
    measures.constantPeriods = runs.summary(nonMissing);
    return measures;
  }
}

// ---------------------------------------------------------------------------------------------------
// The assessor
// ---------------------------------------------------------------------------------------------------

/**
 * Assesses the quality of the rows described by `profile` (the profile stage's result for the same
 * rows, in the same schema), reading them once through `add`.
 */
export function createQualityAssessor(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions = {},
): QualityAssessor {
  const resolved = resolveOptions(schema, profile, options);
  const { timeIndex } = resolved;
  // Buffers only serve reordering by time; a file known (from its profile) to exceed the cap skips them.
  let buffering = timeIndex >= 0 && profile.rowCount <= resolved.maxBufferedRows;
  let overflowed = timeIndex >= 0 && !buffering;
  const columns: ColumnAssessor[] = schema.columns.map((column, i) => {
    const columnProfile = profile.columns.find((c) => c.name === column.name);
    if (!columnProfile || columnProfile.type !== column.type) {
      throw new InvalidInputError(`the profile has no ${column.type} column ${column.name}`);
    }
    switch (column.type) {
      case 'int':
      case 'float':
      case 'timestamp':
        return new NumericColumn(column, columnProfile, resolved, buffering, i === timeIndex);
      case 'string':
        return new StringColumn(column, columnProfile, resolved, buffering);
      case 'bool':
        return new BoolColumn(column, resolved, buffering);
      default:
        throw new InvalidInputError(`column ${column.name} has unknown type ${String(column.type)}`);
    }
  });
  if (buffering) for (const column of columns) column.reserve(profile.rowCount);
  const duplicates = new RowHashSet(profile.rowCount);
  let la = new Int32Array(0);
  let lb = new Int32Array(0);
  let rows = 0;
  let duplicateRows = 0;
  // In time order so far: non-missing times non-decreasing, and none after a missing one.
  let inTimeOrder = true;
  let lastTime = Number.NEGATIVE_INFINITY;
  let sawMissingTime = false;

  return {
    add(batch) {
      checkBatchShape(schema, batch, 'assessed');
      const n = batch.numRows;
      if (buffering && rows + n > resolved.maxBufferedRows) {
        buffering = false;
        overflowed = true;
        for (const column of columns) column.reserve(false);
      }
      if (buffering) for (const column of columns) column.reserve(rows + n);
      if (la.length < n) {
        la = new Int32Array(n);
        lb = new Int32Array(n);
      }
      la.fill(0x9747b28c | 0, 0, n);
      lb.fill(0x5bd1e995, 0, n);
      for (let c = 0; c < columns.length; c++) columns[c]?.consume(batch.columns[c] ?? [], n, la, lb);
      const width = columns.length;
      for (let r = 0; r < n; r++) {
        let a = (la[r] as number) ^ width;
        let b = (lb[r] as number) ^ width;
        a = (a + b) | 0;
        b = (b + a) | 0;
        a = fmix32(a);
        b = fmix32(b);
        a = (a + b) | 0;
        b = (b + a) | 0;
        if (!duplicates.add(a >>> 0, b >>> 0)) duplicateRows++;
      }
      if (timeIndex >= 0 && inTimeOrder) {
        const times = batch.columns[timeIndex] ?? [];
        for (let r = 0; r < n; r++) {
          const t = times[r];
          if (typeof t !== 'number' || Number.isNaN(t)) {
            sawMissingTime = true;
          } else if (sawMissingTime || t < lastTime) {
            inTimeOrder = false;
            break;
          } else {
            lastTime = t;
          }
        }
      }
      rows += n;
    },

    result() {
      if (rows !== profile.rowCount) {
        throw new InvalidInputError(
          `the profile describes ${profile.rowCount} rows but the assessor read ${rows}`,
        );
      }
      const notes: string[] = [];
      const timeName = schema.columns[timeIndex]?.name;
      let order: 'time' | 'file' = 'file';
      const context: FinishContext = { order: null, rerun: false, noise: false, diffs: null, rows };
      if (timeName !== undefined) {
        if (!overflowed) {
          order = 'time';
          context.noise = true;
          const noisy = columns.some(
            (c) =>
              c instanceof NumericColumn &&
              !c.isTime &&
              (c.schema.type === 'int' || c.schema.type === 'float'),
          );
          context.diffs = noisy ? new Float64Array(rows) : null;
          if (!inTimeOrder) {
            context.order = timeOrder(columns[timeIndex], rows);
            context.rerun = true;
          }
        } else if (inTimeOrder) {
          order = 'time';
          notes.push(
            `more than ${resolved.maxBufferedRows} rows: no noise estimates (the rows were in order of ` +
              `"${timeName}", so constant periods are in time order)`,
          );
        } else {
          notes.push(
            `more than ${resolved.maxBufferedRows} rows, not in order of "${timeName}": constant ` +
              'periods measured in file order, no noise estimates',
          );
        }
      }
      const measured = columns.map((column) => ({ column, measures: column.finish(context) }));
      const columnIssues = measured.map(({ column, measures }) =>
        issuesOf(column.schema, measures, column.schema.name === timeName, order, timeName, resolved),
      );
      const duplicateFraction = rows > 0 ? duplicateRows / rows : 0;
      const fileIssues: QualityIssue[] = [];
      const duplicateSeverity = severityFor(duplicateFraction, resolved.thresholds.duplicateFraction);
      if (duplicateSeverity !== null) {
        fileIssues.push({
          kind: 'duplicate_rows',
          severity: duplicateSeverity,
          value: duplicateFraction,
          penalty: resolved.thresholds.penalties[duplicateSeverity],
          message: `${duplicateRows} of ${rows} rows (${percent(duplicateFraction)}) exactly repeat an earlier row`,
        });
      }
      const t = resolved.thresholds;
      const qualities: ColumnQuality[] = measured.map(({ column, measures }, i) => {
        const issues = columnIssues[i] ?? [];
        const score = scoreOf(issues);
        const quality: ColumnQuality = {
          column: column.schema.name,
          type: column.schema.type,
          rows,
          missing: { count: measures.missing, fraction: rows > 0 ? measures.missing / rows : 0 },
          ...(measures.outliers && { outliers: measures.outliers }),
          ...(measures.constantPeriods && { constantPeriods: measures.constantPeriods }),
          ...(measures.noise && { noise: measures.noise }),
          distinct: profile.columns.find((c) => c.name === column.schema.name)?.distinct.value ?? 0,
          score,
          status: qualityStatusOf(score, hasCritical(issues), t),
        };
        return quality;
      });
      const issues = [...fileIssues, ...columnIssues.flat()].sort(bySeverity);
      const score = scoreOf(issues);
      const report: QualityReport = {
        kind: 'quality',
        rows,
        ...(order === 'time' && timeName !== undefined && { timeColumn: timeName }),
        order,
        ...(notes.length > 0 && { notes }),
        duplicates: { count: duplicateRows, fraction: duplicateFraction },
        columns: qualities,
        issues,
        score,
        status: qualityStatusOf(score, hasCritical(issues), t),
        recommendations: recommendationsFor(issues, qualities, duplicateRows, duplicateFraction),
      };
      return report;
    },
  };
}

/**
 * Row positions sorted by time (stable: equal times keep file order), rows without a time last in file
 * order.
 */
function timeOrder(timeColumn: ColumnAssessor | undefined, rows: number): Uint32Array {
  const times = timeColumn instanceof NumericColumn ? timeColumn.bufferedValues() : null;
  const order = new Uint32Array(rows);
  if (times === null) {
    for (let r = 0; r < rows; r++) order[r] = r;
    return order;
  }
  let timed = 0;
  for (let r = 0; r < rows; r++) if (!Number.isNaN(times[r])) order[timed++] = r;
  let untimed = timed;
  for (let r = 0; r < rows; r++) if (Number.isNaN(times[r])) order[untimed++] = r;
  order.subarray(0, timed).sort((x, y) => {
    const tx = times[x] as number;
    const ty = times[y] as number;
    return tx < ty ? -1 : tx > ty ? 1 : x - y;
  });
  return order;
}

// ---------------------------------------------------------------------------------------------------
// Issues, scores and recommendations
// ---------------------------------------------------------------------------------------------------

function issuesOf(
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

function scoreOf(issues: readonly QualityIssue[]): number {
  let penalty = 0;
  for (const issue of issues) penalty += issue.penalty;
  return Math.max(0, 100 - penalty);
}

function hasCritical(issues: readonly QualityIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'CRITICAL');
}

/** Most severe first, then the larger penalty, then by column (file-level first) and kind. */
function bySeverity(a: QualityIssue, b: QualityIssue): number {
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
function recommendationsFor(
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

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function num(x: number): string {
  return String(Number(x.toPrecision(4)));
}
