import { InvalidInputError } from '../../errors.js';
import { HASH_OUT, hashString } from '../hashing.js';
import {
  type ColumnCells,
  type ColumnCodes,
  type ColumnType,
  checkBatchShape,
  type ReadBatch,
  type TableSchema,
  type ValueRange,
} from '../table.js';
import { HyperLogLog, MAX_HLL_PRECISION, MIN_HLL_PRECISION, type SerializedHll } from './hyperloglog.js';
import { KllSketch, MAX_KLL_K, MIN_KLL_K, type SerializedKll } from './quantiles.js';
import { byCountThenValue, SpaceSaving } from './topk.js';

/**
 * Streaming column statistics for the "profile" stage. `createProfiler(schema)` consumes record
 * batches one at a time and keeps, per column, state whose size does not depend on the row count:
 * moments, a KLL quantile sketch, histogram counters and, until a column has more than
 * `exactDistinctLimit` distinct values, the exact set of them (strings: with their frequencies);
 * beyond it a HyperLogLog and a Space-Saving summary take over.
 *
 * Every value is processed one at a time, in order, and every sketch is deterministic, so the profile
 * does not depend on how the rows were split into batches: the same rows give the same profile.
 */

export const PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;
/** Defaults of `ProfileOptions.topK` and `.histogramBins`: a merge of profiles needs the same ones. */
export const DEFAULT_TOP_K = 10;
export const DEFAULT_HISTOGRAM_BINS = 20;
export type QuantileKey = `p${(typeof PERCENTILES)[number]}`;
export type Quantiles = Record<QuantileKey, number>;

export type { ValueRange };

export interface ProfileOptions {
  /** Distinct values (and string frequencies) are counted exactly up to this many. Default 10 000. */
  exactDistinctLimit?: number;
  /** HyperLogLog precision beyond the exact limit: 2^p registers, error 1.04/√2^p. Default 14. */
  hllPrecision?: number;
  /** KLL accuracy parameter of the quantile sketch. Default 200 (rank error ≤ 1.65%). */
  quantileK?: number;
  /** Quantiles, and histograms without a range hint, are exact up to this many values. Default 10 000. */
  exactQuantileLimit?: number;
  /** Equal-width histogram bins. Default 20. */
  histogramBins?: number;
  /**
   * Per numeric column, the range of its values (from Parquet column statistics): the histogram is
   * then counted exactly while streaming, with edges spanning this range. A hint that turns out too
   * narrow (a value outside it) or is not a finite, ordered pair is ignored.
   */
  ranges?: Readonly<Record<string, ValueRange>>;
  /** Most frequent values reported for string and bool columns. Default 10. */
  topK?: number;
  /** Space-Saving counters once a string column has too many distinct values. Default 1000. */
  topKCapacity?: number;
  /** Include serialized sketches (for merging and drift) in the result. Default true. */
  includeSketches?: boolean;
  /**
   * HyperLogLog precision of the stored sketches (folded from `hllPrecision`). Default 10: 1.4 KB of
   * JSON, 3.3% standard error once merged. The profile's own `distinct` keeps `hllPrecision`.
   */
  sketchPrecision?: number;
  /**
   * KLL k of the stored quantile sketches (reduced from `quantileK`). Default 64: about 2.3 KB of
   * JSON, rank error ≤ 4.8% (`rankErrorBound(64)`, 2–3% in practice). With the defaults, a column
   * costs ~1 KB of summary plus, when it has many distinct values, ~1.4 KB (string) or ~3.4 KB
   * (numeric) of sketches: a 20-column profile is ~50 KB for a typical mix, up to ~90 KB when every
   * column is a high-cardinality number.
   */
  sketchK?: number;
}

export interface DistinctCount {
  value: number;
  /** False when `value` is a HyperLogLog estimate (relative standard error 1.04/√2^hllPrecision). */
  exact: boolean;
}

export interface Histogram {
  /** `counts.length + 1` ascending edges; bin i is [edges[i], edges[i+1]), the last one closed. */
  edges: number[];
  /** Sums to the column's finite value count. */
  counts: number[];
  /**
   * True when the counts are exact: counted while streaming (a `ranges` hint) or derived from an
   * exact quantile sketch. Otherwise derived from the sketch: each cumulative count is within the
   * sketch's rank error (`quantileK`) of the truth.
   */
  exact: boolean;
}

export interface TopKEntry {
  value: string;
  count: number;
}

interface ColumnProfileBase {
  name: string;
  type: ColumnType;
  /** Rows, nulls included. */
  count: number;
  nulls: number;
  /** nulls / count (0 for an empty column). */
  nullFraction: number;
  /** Distinct non-null values. For numbers, NaN, Infinity and -Infinity count as values; 0 and -0 alike. */
  distinct: DistinctCount;
}

export interface NumericColumnProfile extends ColumnProfileBase {
  type: 'int' | 'float' | 'timestamp';
  /** NaN and ±Infinity cells: excluded from everything below. */
  nonFinite: number;
  /** Statistics below are over the finite values; null when there are none. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation (n - 1 denominator); null with fewer than two finite values. */
  std: number | null;
  /**
   * pX is the smallest value v with at least ⌈X·n/100⌉ values ≤ v (the inverse empirical CDF, no
   * interpolation). Exact when `quantilesExact`, else within the KLL rank error of `quantileK`.
   */
  quantiles: Quantiles | null;
  quantilesExact: boolean;
  histogram: Histogram | null;
}

export interface StringColumnProfile extends ColumnProfileBase {
  type: 'string';
  /** Most frequent values by count (descending), then value. */
  topK: TopKEntry[];
  /** True when the counts are exact; else upper bounds at most `topKError` too high. */
  topKExact: boolean;
  topKError: number;
  /** Lengths in UTF-16 code units (JavaScript `length`); null when the column has no values. */
  minLength: number | null;
  maxLength: number | null;
  meanLength: number | null;
}

export interface BoolColumnProfile extends ColumnProfileBase {
  type: 'bool';
  trueCount: number;
  /** `{ value: 'true' | 'false', count }`, most frequent first; always exact. */
  topK: TopKEntry[];
  topKExact: true;
  topKError: 0;
}

export type ColumnProfile = NumericColumnProfile | StringColumnProfile | BoolColumnProfile;

/** What a drift or merge step needs beyond the summary: mergeable sketches of one column. */
export interface ColumnSketches {
  /** Distinct values (built from the exact set while there is one). */
  distinct: SerializedHll;
  /** Finite values of a numeric column. */
  quantiles?: SerializedKll;
  /** Moments of a numeric column's finite values, as the profiler keeps them. */
  moments?: SerializedMoments;
}

/**
 * Mean and sum of squared deviations (M2) of `value - shift` over a numeric column's finite values;
 * `shift` is one of the values (0 when there are none). A merge combines these rather than the
 * profile's rounded `mean` and `std`: epoch-millisecond timestamps have a mean of ~1.7e12 whose last
 * bit is 2.4e-4 ms, which would otherwise cost the merged std ~1e-9 of its value.
 */
export interface SerializedMoments {
  shift: number;
  mean: number;
  m2: number;
}

export interface DatasetProfile {
  rowCount: number;
  columns: ColumnProfile[];
  /** Keyed by column name. */
  sketches?: Record<string, ColumnSketches>;
}

export interface Profiler {
  /**
   * Consumes one batch. Throws `InvalidInputError` when the batch does not match the schema or a
   * cell does not match its column's type; the profiler is then in an undefined state.
   */
  add(batch: ReadBatch): void;
  /** The profile so far; does not disturb the profiler, which may keep consuming batches. */
  result(): DatasetProfile;
}

interface ResolvedOptions {
  exactDistinctLimit: number;
  hllPrecision: number;
  quantileK: number;
  exactQuantileLimit: number;
  histogramBins: number;
  topK: number;
  topKCapacity: number;
  sketchPrecision: number;
  sketchK: number;
}

interface ColumnAccumulator {
  readonly name: string;
  /** `codes`: the cells' codes, when the reader numbered the (string) column. */
  consume(cells: ColumnCells, rows: number, codes?: ColumnCodes): void;
  profile(): ColumnProfile;
  sketches(): ColumnSketches;
}

export function createProfiler(schema: TableSchema, options: ProfileOptions = {}): Profiler {
  const resolved = resolveOptions(options);
  const accumulators: ColumnAccumulator[] = schema.columns.map((column) => {
    switch (column.type) {
      case 'int':
      case 'float':
      case 'timestamp':
        return new NumericAccumulator(
          column.name,
          column.type,
          resolved,
          usableRange(options.ranges, column.name),
        );
      case 'string':
        return new StringAccumulator(column.name, resolved);
      case 'bool':
        return new BoolAccumulator(column.name, resolved);
      default:
        throw new InvalidInputError(`column ${column.name} has unknown type ${String(column.type)}`);
    }
  });
  let rowCount = 0;
  return {
    add(batch) {
      checkBatchShape(schema, batch, 'profiled');
      for (let c = 0; c < accumulators.length; c++) {
        accumulators[c]?.consume(batch.columns[c] ?? [], batch.numRows, batch.codes?.[c]);
      }
      rowCount += batch.numRows;
    },
    result() {
      const columns = accumulators.map((a) => a.profile());
      if (options.includeSketches === false) return { rowCount, columns };
      // fromEntries defines own properties: a column named __proto__ stays a column.
      const sketches = Object.fromEntries(accumulators.map((a) => [a.name, a.sketches()]));
      return { rowCount, columns, sketches };
    },
  };
}

function resolveOptions(options: ProfileOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    exactDistinctLimit: options.exactDistinctLimit ?? 10_000,
    hllPrecision: options.hllPrecision ?? 14,
    quantileK: options.quantileK ?? 200,
    exactQuantileLimit: options.exactQuantileLimit ?? 10_000,
    histogramBins: options.histogramBins ?? DEFAULT_HISTOGRAM_BINS,
    topK: options.topK ?? DEFAULT_TOP_K,
    topKCapacity: options.topKCapacity ?? 1000,
    sketchPrecision: options.sketchPrecision ?? 10,
    sketchK: options.sketchK ?? 64,
  };
  const issues: { path: string; message: string }[] = [];
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      issues.push({ path: key, message: 'must be a non-negative integer' });
    }
  }
  if (resolved.histogramBins < 1) issues.push({ path: 'histogramBins', message: 'must be at least 1' });
  if (resolved.topKCapacity < resolved.topK) {
    issues.push({ path: 'topKCapacity', message: 'must be at least topK' });
  }
  if (resolved.sketchPrecision > resolved.hllPrecision) {
    issues.push({ path: 'sketchPrecision', message: 'must not exceed hllPrecision' });
  }
  if (resolved.sketchK > resolved.quantileK) {
    issues.push({ path: 'sketchK', message: 'must not exceed quantileK' });
  }
  for (const key of ['hllPrecision', 'sketchPrecision'] as const) {
    if (resolved[key] < MIN_HLL_PRECISION || resolved[key] > MAX_HLL_PRECISION) {
      issues.push({ path: key, message: `must be in ${MIN_HLL_PRECISION}..${MAX_HLL_PRECISION}` });
    }
  }
  for (const key of ['quantileK', 'sketchK'] as const) {
    if (resolved[key] < MIN_KLL_K || resolved[key] > MAX_KLL_K) {
      issues.push({ path: key, message: `must be in ${MIN_KLL_K}..${MAX_KLL_K}` });
    }
  }
  if (issues.length > 0) throw new InvalidInputError('invalid profile options', issues);
  return resolved;
}

function usableRange(ranges: ProfileOptions['ranges'], name: string): ValueRange | null {
  const range = ranges && Object.hasOwn(ranges, name) ? ranges[name] : undefined;
  if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    return null;
  }
  return range;
}

function typeMismatch(name: string, type: ColumnType, value: unknown): InvalidInputError {
  return new InvalidInputError(`column ${name} is ${type} but holds a ${typeof value}`, [
    { path: name, message: `expected ${type}` },
  ]);
}

/** Equal-width edges over [lo, hi]; one bin when the range is a single value. */
function equalWidthEdges(lo: number, hi: number, bins: number): Float64Array {
  const n = lo === hi ? 1 : bins;
  const edges = new Float64Array(n + 1);
  const width = hi - lo;
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    // hi - lo overflows for ranges wider than MAX_VALUE; interpolating stays finite.
    edges[i] = Number.isFinite(width) ? lo + width * t : lo * (1 - t) + hi * t;
  }
  edges[n] = hi;
  return edges;
}

/**
 * Equal-width bins over the sketch's [min, max], counted from its ranks: each cumulative count is within
 * the sketch's rank error of the truth (exact while the sketch is). The sketch must not be empty.
 */
export function sketchHistogram(kll: KllSketch, histogramBins: number): Histogram {
  const edges = equalWidthEdges(kll.min, kll.max, histogramBins);
  const bins = edges.length - 1;
  const counts: number[] = [];
  let below = 0;
  for (let i = 1; i <= bins; i++) {
    const cumulative = i === bins ? kll.count : kll.rank(edges[i] ?? 0, false);
    counts.push(cumulative - below);
    below = cumulative;
  }
  return { edges: [...edges], counts, exact: kll.isExact };
}

class NumericAccumulator implements ColumnAccumulator {
  #count = 0;
  #nulls = 0;
  #nonFinite = 0;
  // Welford's running mean and sum of squared deviations, of the values minus the first one: stable
  // when they share a large offset (1e9 + noise, epoch milliseconds), unlike Σx² - (Σx)²/n, and the
  // shift keeps the mean's rounding errors at the scale of the spread rather than of the offset.
  #n = 0;
  #shift = 0;
  #mean = 0;
  #m2 = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #exact: Set<number> | null = new Set();
  #hll: HyperLogLog | null = null;
  readonly #kll: KllSketch;
  // Streaming histogram over a hinted range; dropped (set to null) at the first value outside it.
  #edges: Float64Array | null = null;
  #bins: Float64Array | null = null;

  constructor(
    readonly name: string,
    readonly type: 'int' | 'float' | 'timestamp',
    readonly options: ResolvedOptions,
    range: ValueRange | null,
  ) {
    this.#kll = new KllSketch({ k: options.quantileK, exactLimit: options.exactQuantileLimit });
    if (range) {
      this.#edges = equalWidthEdges(range.min, range.max, options.histogramBins);
      this.#bins = new Float64Array(this.#edges.length - 1);
    }
  }

  consume(cells: ColumnCells, rows: number): void {
    // Locals, not fields, in the loop: V8 keeps them in registers.
    let nulls = this.#nulls;
    let nonFinite = this.#nonFinite;
    let n = this.#n;
    let shift = this.#shift;
    let mean = this.#mean;
    let m2 = this.#m2;
    let min = this.#min;
    let max = this.#max;
    let exact = this.#exact;
    let hll = this.#hll;
    const limit = this.options.exactDistinctLimit;
    const kll = this.#kll;
    let edges = this.#edges;
    let bins = this.#bins;
    const lastBin = bins ? bins.length - 1 : 0;
    const lo = edges ? (edges[0] ?? 0) : 0;
    const hi = edges ? (edges[lastBin + 1] ?? 0) : 0;
    const scale = lo === hi ? 0 : (lastBin + 1) / (hi - lo);
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        nulls++;
        continue;
      }
      if (typeof v !== 'number') throw typeMismatch(this.name, this.type, v);
      if (exact !== null) {
        exact.add(v);
        if (exact.size > limit) {
          hll = new HyperLogLog(this.options.hllPrecision);
          for (const x of exact) hll.addNumber(x);
          exact = null;
        }
      } else if (hll !== null) {
        hll.addNumber(v);
      }
      // NaN - NaN and Infinity - Infinity are NaN; every finite v gives 0.
      if (v - v !== 0) {
        nonFinite++;
        continue;
      }
      if (n === 0) shift = v;
      n++;
      const d = v - shift;
      const delta = d - mean;
      mean += delta / n;
      m2 += delta * (d - mean);
      if (v < min) min = v;
      if (v > max) max = v;
      kll.add(v);
      if (bins !== null && edges !== null) {
        if (v < lo || v > hi) {
          bins = null;
          edges = null;
          continue;
        }
        let i = Math.floor((v - lo) * scale);
        if (i > lastBin) i = lastBin;
        // The multiplication can land one bin off near an edge; the edges themselves decide.
        while (i > 0 && v < (edges[i] ?? 0)) i--;
        while (i < lastBin && v >= (edges[i + 1] ?? 0)) i++;
        bins[i] = (bins[i] ?? 0) + 1;
      }
    }
    this.#count += rows;
    this.#nulls = nulls;
    this.#nonFinite = nonFinite;
    this.#n = n;
    this.#shift = shift;
    this.#mean = mean;
    this.#m2 = m2;
    this.#min = min;
    this.#max = max;
    this.#exact = exact;
    this.#hll = hll;
    this.#edges = edges;
    this.#bins = bins;
  }

  profile(): NumericColumnProfile {
    const n = this.#n;
    const kll = this.#kll;
    let quantiles: Quantiles | null = null;
    if (n > 0) {
      const q: Partial<Quantiles> = {};
      for (const p of PERCENTILES) q[`p${p}`] = kll.quantile(p / 100);
      quantiles = q as Quantiles;
    }
    return {
      ...baseProfile(this.name, this.type, this.#count, this.#nulls, this.#exact, this.#hll),
      type: this.type,
      nonFinite: this.#nonFinite,
      min: n > 0 ? this.#min : null,
      max: n > 0 ? this.#max : null,
      mean: n > 0 ? this.#shift + this.#mean : null,
      std: n > 1 ? Math.sqrt(this.#m2 / (n - 1)) : null,
      quantiles,
      quantilesExact: kll.isExact,
      histogram: n > 0 ? this.#histogram() : null,
    };
  }

  #histogram(): Histogram {
    if (this.#edges && this.#bins) {
      return { edges: [...this.#edges], counts: [...this.#bins], exact: true };
    }
    // No (usable) hint: edges over the observed range, counts from the quantile sketch's ranks.
    return sketchHistogram(this.#kll, this.options.histogramBins);
  }

  sketches(): ColumnSketches {
    const distinct = distinctSketch(this.#exact, this.#hll, this.options, (h, x: number) => h.addNumber(x));
    return {
      distinct,
      quantiles: this.#kll.reduce(this.options.sketchK).serialize(),
      moments: { shift: this.#shift, mean: this.#mean, m2: this.#m2 },
    };
  }
}

class StringAccumulator implements ColumnAccumulator {
  #count = 0;
  #nulls = 0;
  #minLength = Number.POSITIVE_INFINITY;
  #maxLength = 0;
  #totalLength = 0;
  /**
   * Exact frequencies while distinct values ≤ the limit (then HyperLogLog + Space-Saving): each value's
   * index in `#counts`, in first-seen order, so that a value seen before costs one map lookup, not a get
   * and a set. `#exactCounts()` gives them as a value → count map, in the same order.
   */
  #exact: Map<string, number> | null = new Map();
  #counts: number[] = [];
  /**
   * With the reader's codes: code → index in `#counts` + 1 (0: not seen yet), so that a value seen before
   * costs an array read, not a map lookup. The map is still asked once per code (two codes may name equal
   * texts), so the counts are those the strings alone give.
   */
  #idOfCode = new Int32Array(0);
  #codeStrings: readonly string[] | undefined;
  #hll: HyperLogLog | null = null;
  #heavy: SpaceSaving | null = null;

  constructor(
    readonly name: string,
    readonly options: ResolvedOptions,
  ) {}

  consume(cells: ColumnCells, rows: number, coded?: ColumnCodes): void {
    let nulls = this.#nulls;
    let minLength = this.#minLength;
    let maxLength = this.#maxLength;
    let totalLength = this.#totalLength;
    let exact = this.#exact;
    let hll = this.#hll;
    let heavy = this.#heavy;
    const counts = this.#counts;
    const limit = this.options.exactDistinctLimit;
    const codes = exact !== null && coded && coded.codes.length >= rows ? coded.codes : undefined;
    const idOfCode = codes ? this.#idsFor(coded as ColumnCodes) : this.#idOfCode;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        nulls++;
        continue;
      }
      if (typeof v !== 'string') throw typeMismatch(this.name, 'string', v);
      const length = v.length;
      if (length < minLength) minLength = length;
      if (length > maxLength) maxLength = length;
      totalLength += length;
      if (exact !== null) {
        const code = codes !== undefined ? (codes[r] as number) : -1;
        if (code >= 0) {
          const known = (idOfCode[code] as number) - 1;
          if (known >= 0) {
            counts[known] = (counts[known] as number) + 1;
            continue;
          }
        }
        const id = exact.get(v);
        if (id !== undefined) {
          counts[id] = (counts[id] as number) + 1;
          if (code >= 0) idOfCode[code] = id + 1;
          continue;
        }
        if (code >= 0) idOfCode[code] = counts.length + 1;
        exact.set(v, counts.length);
        counts.push(1);
        if (exact.size > limit) {
          hll = new HyperLogLog(this.options.hllPrecision);
          for (const key of exact.keys()) hll.addString(key);
          heavy = SpaceSaving.fromCounts(exactCounts(exact, counts), this.options.topKCapacity);
          exact = null;
          counts.length = 0;
          this.#idOfCode = new Int32Array(0);
        }
      } else if (hll !== null && heavy !== null) {
        // One hash serves both sketches.
        hashString(v);
        hll.addHash(HASH_OUT[0] ?? 0, HASH_OUT[1] ?? 0);
        heavy.addHashed(v, HASH_OUT[1] ?? 0);
      }
    }
    this.#count += rows;
    this.#nulls = nulls;
    this.#minLength = minLength;
    this.#maxLength = maxLength;
    this.#totalLength = totalLength;
    this.#exact = exact;
    this.#hll = hll;
    this.#heavy = heavy;
  }

  /** `#idOfCode` for `coded`'s dictionary, with room for every code it has given so far. */
  #idsFor(coded: ColumnCodes): Int32Array {
    if (this.#codeStrings !== coded.strings) {
      // Another dictionary (a batch from another reader): its codes name other texts.
      this.#codeStrings = coded.strings;
      this.#idOfCode = new Int32Array(coded.strings.length);
    } else if (this.#idOfCode.length < coded.strings.length) {
      const grown = new Int32Array(Math.max(coded.strings.length, 2 * this.#idOfCode.length));
      grown.set(this.#idOfCode);
      this.#idOfCode = grown;
    }
    return this.#idOfCode;
  }

  profile(): StringColumnProfile {
    const values = this.#count - this.#nulls;
    const k = this.options.topK;
    let topK: TopKEntry[];
    let topKError = 0;
    if (this.#exact !== null) {
      topK = topEntries(exactCounts(this.#exact, this.#counts), k);
    } else {
      const heavy = this.#heavy?.top(k) ?? [];
      topK = heavy.map(({ value, count }) => ({ value, count }));
      topKError = heavy.reduce((worst, h) => Math.max(worst, h.error), 0);
    }
    return {
      ...baseProfile(this.name, 'string', this.#count, this.#nulls, this.#exact, this.#hll),
      type: 'string',
      topK,
      topKExact: this.#exact !== null,
      topKError,
      minLength: values > 0 ? this.#minLength : null,
      maxLength: values > 0 ? this.#maxLength : null,
      meanLength: values > 0 ? this.#totalLength / values : null,
    };
  }

  sketches(): ColumnSketches {
    const keys = this.#exact ? new Set(this.#exact.keys()) : null;
    return { distinct: distinctSketch(keys, this.#hll, this.options, (h, x: string) => h.addString(x)) };
  }
}

/** Value → count, from values' indexes into `counts` (first-seen order, kept). */
function exactCounts(ids: ReadonlyMap<string, number>, counts: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [value, id] of ids) out.set(value, counts[id] ?? 0);
  return out;
}

class BoolAccumulator implements ColumnAccumulator {
  #count = 0;
  #nulls = 0;
  #trueCount = 0;
  #falseCount = 0;

  constructor(
    readonly name: string,
    readonly options: ResolvedOptions,
  ) {}

  consume(cells: ColumnCells, rows: number): void {
    let nulls = 0;
    let trues = 0;
    let falses = 0;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === true) trues++;
      else if (v === false) falses++;
      else if (v === null || v === undefined) nulls++;
      else throw typeMismatch(this.name, 'bool', v);
    }
    this.#count += rows;
    this.#nulls += nulls;
    this.#trueCount += trues;
    this.#falseCount += falses;
  }

  profile(): BoolColumnProfile {
    const counts = new Map<string, number>();
    if (this.#trueCount > 0) counts.set('true', this.#trueCount);
    if (this.#falseCount > 0) counts.set('false', this.#falseCount);
    return {
      ...baseProfile(this.name, 'bool', this.#count, this.#nulls, null, null),
      distinct: { value: counts.size, exact: true },
      type: 'bool',
      trueCount: this.#trueCount,
      topK: topEntries(counts, this.options.topK),
      topKExact: true,
      topKError: 0,
    };
  }

  sketches(): ColumnSketches {
    const hll = new HyperLogLog(this.options.sketchPrecision);
    // Hashed as strings, the same way a string column of 'true'/'false' would be.
    if (this.#trueCount > 0) hll.addString('true');
    if (this.#falseCount > 0) hll.addString('false');
    return { distinct: hll.serialize() };
  }
}

function baseProfile(
  name: string,
  type: ColumnType,
  count: number,
  nulls: number,
  exact: ReadonlySet<unknown> | ReadonlyMap<unknown, unknown> | null,
  hll: HyperLogLog | null,
): ColumnProfileBase {
  return {
    name,
    type,
    count,
    nulls,
    nullFraction: count === 0 ? 0 : nulls / count,
    distinct:
      exact !== null
        ? { value: exact.size, exact: true }
        : { value: Math.round(hll?.estimate() ?? 0), exact: false },
  };
}

function distinctSketch<T>(
  exact: ReadonlySet<T> | null,
  hll: HyperLogLog | null,
  options: ResolvedOptions,
  add: (hll: HyperLogLog, value: T) => void,
): SerializedHll {
  if (hll !== null) return hll.fold(options.sketchPrecision).serialize();
  const built = new HyperLogLog(options.sketchPrecision);
  if (exact !== null) for (const value of exact) add(built, value);
  return built.serialize();
}

/** The k most frequent entries of an exact frequency map, by count then value. */
export function topEntries(counts: ReadonlyMap<string, number>, k: number): TopKEntry[] {
  // A bounded insertion list: k is small, the map may hold thousands of values.
  const top: [string, number][] = [];
  for (const entry of counts) {
    if (top.length === k) {
      const last = top[k - 1];
      if (k === 0 || (last !== undefined && byCountThenValue(entry, last) >= 0)) continue;
      top.pop();
    }
    let i = top.length;
    while (i > 0) {
      const previous = top[i - 1];
      if (previous === undefined || byCountThenValue(entry, previous) >= 0) break;
      i--;
    }
    top.splice(i, 0, entry);
  }
  return top.map(([value, count]) => ({ value, count }));
}
