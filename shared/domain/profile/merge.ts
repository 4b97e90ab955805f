import { InvalidInputError, SchemaMismatchError } from '../../errors.js';
import { HyperLogLog } from './hyperloglog.js';
import {
  type BoolColumnProfile,
  type ColumnProfile,
  type ColumnSketches,
  type DatasetProfile,
  DEFAULT_HISTOGRAM_BINS,
  DEFAULT_TOP_K,
  type DistinctCount,
  type Histogram,
  type NumericColumnProfile,
  PERCENTILES,
  type Quantiles,
  type StringColumnProfile,
  sketchHistogram,
  type TopKEntry,
  topEntries,
} from './profiler.js';
import { KllSketch } from './quantiles.js';
import { compareStrings } from './topk.js';

/**
 * `mergeProfiles(a, b)`: the profile of the rows of both, from the two profiles alone — what a table
 * version's profile becomes after an append (previous version's profile + the new file's), or a big
 * file's profile from its chunks'. Nothing is rescanned: the cost is O(columns × sketch size) (a few
 * thousand sketch items per column at the default sketch sizes), independent of the row count.
 *
 * What comes out, per column (matched by name):
 * - exact: rowCount, count, nulls, nullFraction, nonFinite, min, max, trueCount, string min/max/mean
 *   length; mean and std from the moments (Chan, Golub & LeVeque's parallel combination of n, mean
 *   and M2, read from `sketches[column].moments`, else derived as M2 = std²·(n - 1)), exact up to
 *   rounding;
 * - from the merged sketches (`sketches`, which must be present): distinct counts (HyperLogLog at the
 *   lower of the two precisions, `exact: false`) and quantiles (KLL at the lower k, rank error
 *   `rankErrorBound(k)`). Exact answers survive where they can be proven: a side without values
 *   contributes nothing, bool columns are counts, and a string column whose top-k lists hold every
 *   value on both sides has its distinct count and frequencies known exactly;
 * - top-k of strings: Space-Saving's merge of two summaries (counts stay upper bounds; see `mergeTopK`);
 * - histograms: bins summed when both sides have the same edges, else rebuilt from the merged KLL over
 *   the merged [min, max] (see `mergeHistogram` for why not re-binning proportionally).
 *
 * A column only one side has (added by schema evolution) is all nulls on the other side. `int` and
 * `float` merge as `float`; any other type change throws `SchemaMismatchError`. The merged profile
 * keeps its sketches, so it merges again: merge(merge(a, b), c) and merge(a, merge(b, c)) agree
 * exactly on the exact fields and within the sketches' bounds on the others.
 */

export interface MergeOptions {
  /**
   * `ProfileOptions.topK` the profiles were made with. Default: the length of a side's truncated list,
   * else the profiler's default (or a longer complete list).
   */
  topK?: number;
  /** `ProfileOptions.histogramBins`. Default: a side's bin count, else the profiler's default. */
  histogramBins?: number;
}

export function mergeProfiles(
  a: DatasetProfile,
  b: DatasetProfile,
  options: MergeOptions = {},
): DatasetProfile {
  for (const key of ['topK', 'histogramBins'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < (key === 'topK' ? 0 : 1))) {
      throw new InvalidInputError('invalid merge options', [{ path: key, message: 'out of range' }]);
    }
  }
  const byName = (profile: DatasetProfile) => new Map(profile.columns.map((c) => [c.name, c]));
  const left = byName(a);
  const right = byName(b);
  const names = [...left.keys(), ...[...right.keys()].filter((name) => !left.has(name))];
  const columns: ColumnProfile[] = [];
  const sketches: [string, ColumnSketches][] = [];
  for (const name of names) {
    const ca = left.get(name);
    const cb = right.get(name);
    // A column one side lacks is that side's rows, all null; its sketches are the other side's.
    const x: Side = ca
      ? { column: ca, sketches: sketchesOf(a, name) }
      : { column: absentColumn(cb as ColumnProfile, a.rowCount), sketches: null };
    const y: Side = cb
      ? { column: cb, sketches: sketchesOf(b, name) }
      : { column: absentColumn(ca as ColumnProfile, b.rowCount), sketches: null };
    const [column, sketch] = mergeColumn(x, y, options);
    columns.push(column);
    sketches.push([name, sketch]);
  }
  // fromEntries defines own properties: a column named __proto__ stays a column.
  return { rowCount: a.rowCount + b.rowCount, columns, sketches: Object.fromEntries(sketches) };
}

interface Side {
  column: ColumnProfile;
  /** Null only for a column the profile lacks (and so has no values). */
  sketches: ColumnSketches | null;
}

/** A side's sketches, or for a column it lacks (so without values) the other side's. */
function ownSketches(side: Side, other: Side): ColumnSketches {
  const sketches = side.sketches ?? other.sketches;
  // mergeProfiles builds a Side without sketches only opposite one with them.
  if (!sketches) throw new InvalidInputError(`column ${side.column.name} has no sketches on either side`);
  return sketches;
}

function sketchesOf(profile: DatasetProfile, name: string): ColumnSketches {
  const sketches = profile.sketches;
  const found = sketches && Object.hasOwn(sketches, name) ? sketches[name] : undefined;
  if (!found) {
    throw new InvalidInputError(`profile has no sketches for column ${name}: it cannot be merged`, [
      { path: `sketches.${name}`, message: 'required to merge profiles' },
    ]);
  }
  return found;
}

/** What the profiler reports for a column of `rows` nulls. */
function absentColumn(like: ColumnProfile, rows: number): ColumnProfile {
  const base = {
    name: like.name,
    count: rows,
    nulls: rows,
    nullFraction: rows === 0 ? 0 : 1,
    distinct: { value: 0, exact: true },
  };
  switch (like.type) {
    case 'string':
      return {
        ...base,
        type: 'string',
        topK: [],
        topKExact: true,
        topKError: 0,
        minLength: null,
        maxLength: null,
        meanLength: null,
      };
    case 'bool':
      return { ...base, type: 'bool', trueCount: 0, topK: [], topKExact: true, topKError: 0 };
    default:
      return {
        ...base,
        type: like.type,
        nonFinite: 0,
        min: null,
        max: null,
        mean: null,
        std: null,
        quantiles: null,
        quantilesExact: true,
        histogram: null,
      };
  }
}

function mergeColumn(x: Side, y: Side, options: MergeOptions): [ColumnProfile, ColumnSketches] {
  const a = x.column;
  const b = y.column;
  if (a.type === 'string' && b.type === 'string') return mergeStrings(a, b, x, y, options);
  if (a.type === 'bool' && b.type === 'bool') return mergeBools(a, b, x, y, options);
  if (a.type !== 'string' && a.type !== 'bool' && b.type !== 'string' && b.type !== 'bool') {
    const widened = a.type === b.type ? a.type : widen(a.type, b.type);
    if (widened !== null) return mergeNumbers(a, b, widened, x, y, options);
  }
  throw new SchemaMismatchError(`column ${a.name} is ${a.type} in one profile and ${b.type} in the other`, {
    differences: [`${a.name}: ${a.type} vs ${b.type}`],
  });
}

/** Every int is a float (the reverse loses the fraction); timestamps are their own kind. */
function widen(a: NumericColumnProfile['type'], b: NumericColumnProfile['type']): 'float' | null {
  return (a === 'int' && b === 'float') || (a === 'float' && b === 'int') ? 'float' : null;
}

function values(column: ColumnProfile): number {
  return column.count - column.nulls;
}

function base(a: ColumnProfile, b: ColumnProfile) {
  const count = a.count + b.count;
  const nulls = a.nulls + b.nulls;
  return { name: a.name, count, nulls, nullFraction: count === 0 ? 0 : nulls / count };
}

/**
 * Distinct values and their merged sketch. Two exact counts cannot be unioned without the values, so
 * the result is the merged HyperLogLog's estimate, kept within what is certain: at least the larger
 * exact count, at most the sum of two exact counts. A side without values changes nothing.
 */
function mergeDistinct(x: Side, y: Side): { distinct: DistinctCount; sketch: ColumnSketches['distinct'] } {
  const a = x.column;
  const b = y.column;
  if (values(a) === 0 || !x.sketches) return { distinct: b.distinct, sketch: ownSketches(y, x).distinct };
  if (values(b) === 0 || !y.sketches) return { distinct: a.distinct, sketch: x.sketches.distinct };
  const hll = HyperLogLog.deserialize(x.sketches.distinct).merge(
    HyperLogLog.deserialize(y.sketches.distinct),
  );
  let estimate = Math.round(hll.estimate());
  const lower = Math.max(a.distinct.exact ? a.distinct.value : 0, b.distinct.exact ? b.distinct.value : 0);
  if (estimate < lower) estimate = lower;
  if (a.distinct.exact && b.distinct.exact)
    estimate = Math.min(estimate, a.distinct.value + b.distinct.value);
  return { distinct: { value: estimate, exact: false }, sketch: hll.serialize() };
}

// ---------------------------------------------------------------------------------------------------
// Numbers

function finite(column: NumericColumnProfile): number {
  return column.count - column.nulls - column.nonFinite;
}

function mergeNumbers(
  a: NumericColumnProfile,
  b: NumericColumnProfile,
  type: NumericColumnProfile['type'],
  x: Side,
  y: Side,
  options: MergeOptions,
): [NumericColumnProfile, ColumnSketches] {
  const { distinct, sketch } = mergeDistinct(x, y);
  const na = finite(a);
  const nb = finite(b);
  const moments = combineMoments(momentsOf(a, x.sketches), momentsOf(b, y.sketches));
  const summary = {
    ...base(a, b),
    distinct,
    type,
    nonFinite: a.nonFinite + b.nonFinite,
    min: minOf(a.min, b.min),
    max: maxOf(a.max, b.max),
    mean: moments.n > 0 ? moments.shift + moments.mean : null,
    std: moments.n > 1 ? Math.sqrt(moments.m2 / (moments.n - 1)) : null,
  };
  const stored = { shift: moments.shift, mean: moments.mean, m2: moments.m2 };
  // A side without finite values adds nothing: the other's quantiles and histogram stand, exact or not.
  if (na === 0 || nb === 0) {
    const only = na === 0 ? b : a;
    const quantileSketch = (na === 0 ? ownSketches(y, x) : ownSketches(x, y)).quantiles;
    return [
      {
        ...summary,
        quantiles: only.quantiles,
        quantilesExact: only.quantilesExact,
        histogram: only.histogram,
      },
      quantileSketch
        ? { distinct: sketch, quantiles: quantileSketch, moments: stored }
        : { distinct: sketch, moments: stored },
    ];
  }
  const qa = x.sketches?.quantiles;
  const qb = y.sketches?.quantiles;
  if (!qa || !qb) {
    throw new InvalidInputError(`profile has no quantile sketch for column ${a.name}: it cannot be merged`, [
      { path: `sketches.${a.name}.quantiles`, message: 'required to merge profiles' },
    ]);
  }
  const ka = KllSketch.deserialize(qa);
  const kb = KllSketch.deserialize(qb);
  // KLL's merge keeps the receiver's k: the coarser sketch receives, so the result is no finer than it.
  const kll = ka.k <= kb.k ? ka.merge(kb) : kb.merge(ka);
  const q: Partial<Quantiles> = {};
  for (const p of PERCENTILES) q[`p${p}`] = kll.quantile(p / 100);
  return [
    {
      ...summary,
      quantiles: q as Quantiles,
      quantilesExact: kll.isExact,
      histogram: mergeHistogram(a.histogram, b.histogram, kll, options),
    },
    { distinct: sketch, quantiles: kll.serialize(), moments: stored },
  ];
}

interface Moments {
  n: number;
  /** Mean and M2 of `value - shift`. */
  shift: number;
  mean: number;
  m2: number;
}

/**
 * Chan, Golub & LeVeque's pairwise update: with δ = mean_b - mean_a (both relative to a's shift),
 * mean = mean_a + δ·n_b/n and M2 = M2_a + M2_b + δ²·n_a·n_b/n. The sides' stored moments are relative
 * to a value of their own, so δ is computed at the scale of the values' spread, not of their offset;
 * a profile without them (made before they were stored) falls back to M2 = std²·(n - 1) around its
 * rounded mean, which is as exact unless the values are a large offset plus small spread.
 */
function combineMoments(left: Moments, right: Moments): Moments {
  if (left.n === 0) return right;
  if (right.n === 0) return left;
  const n = left.n + right.n;
  const delta = right.mean + (right.shift - left.shift) - left.mean;
  // δ overflows only for values near ±MAX_VALUE of opposite signs; the weighted absolute means stay finite.
  if (!Number.isFinite(delta)) {
    const mean = (left.shift + left.mean) * (left.n / n) + (right.shift + right.mean) * (right.n / n);
    return { n, shift: 0, mean, m2: Number.POSITIVE_INFINITY };
  }
  const mean = left.mean + delta * (right.n / n);
  const m2 = left.m2 + right.m2 + delta * delta * ((left.n * right.n) / n);
  return { n, shift: left.shift, mean, m2 };
}

function momentsOf(column: NumericColumnProfile, sketches: ColumnSketches | null): Moments {
  const n = finite(column);
  const stored = sketches?.moments;
  if (n === 0) return { n, shift: 0, mean: 0, m2: 0 };
  if (stored && Number.isFinite(stored.shift) && Number.isFinite(stored.mean) && Number.isFinite(stored.m2)) {
    return { n, ...stored };
  }
  const std = column.std ?? 0;
  return { n, shift: 0, mean: column.mean ?? 0, m2: n > 1 ? std * std * (n - 1) : 0 };
}

// Ties keep the left side's value, as the profiler keeps the first of 0 and -0 it sees.
function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : b < a ? b : a;
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : b > a ? b : a;
}

/**
 * Same edges (the same range hint, or the same observed range): the bins add up, exact when both are.
 * Otherwise the bins are rebuilt from the merged KLL over the merged [min, max], as the profiler does
 * without a hint. Re-binning the two histograms proportionally (spreading each old bin uniformly over
 * the new ones it overlaps) was the alternative: its error at a new edge is up to the whole old bin
 * that straddles it — unbounded in the data, since one bin can hold nearly every value — and it
 * compounds with every further merge. The sketch's cumulative counts are each within its rank error
 * (ε·n, `rankErrorBound(k)`) of the truth however the values are distributed and however often
 * profiles are merged, which is also the guarantee `Histogram.exact: false` promises its readers.
 */
function mergeHistogram(
  a: Histogram | null,
  b: Histogram | null,
  kll: KllSketch,
  options: MergeOptions,
): Histogram {
  if (a && b && sameEdges(a.edges, b.edges) && a.counts.length === b.counts.length) {
    return {
      edges: [...a.edges],
      counts: a.counts.map((count, i) => count + (b.counts[i] ?? 0)),
      exact: a.exact && b.exact,
    };
  }
  // A single-value column has one bin whatever the option was; a wider side shows the bin count.
  const shown = Math.max(
    a && a.counts.length > 1 ? a.counts.length : 0,
    b && b.counts.length > 1 ? b.counts.length : 0,
  );
  return sketchHistogram(kll, options.histogramBins ?? (shown > 0 ? shown : DEFAULT_HISTOGRAM_BINS));
}

function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((edge, i) => edge === b[i]);
}

// ---------------------------------------------------------------------------------------------------
// Strings

function mergeStrings(
  a: StringColumnProfile,
  b: StringColumnProfile,
  x: Side,
  y: Side,
  options: MergeOptions,
): [StringColumnProfile, ColumnSketches] {
  let { distinct, sketch } = mergeDistinct(x, y);
  const va = values(a);
  const vb = values(b);
  // A side without values adds nothing: the other's list stands, exact or not.
  const top =
    va === 0 || vb === 0 ? { ...pickTopK(va === 0 ? b : a), union: null } : mergeTopK(a, b, options);
  // Both lists hold every value of their side: the union is known, and with it the distinct count.
  if (top.union !== null && va > 0 && vb > 0) distinct = { value: top.union, exact: true };
  // The total length is an integer; mean·values recovers it exactly for any realistic total.
  const total = Math.round((a.meanLength ?? 0) * va) + Math.round((b.meanLength ?? 0) * vb);
  return [
    {
      ...base(a, b),
      distinct,
      type: 'string',
      topK: top.entries,
      topKExact: top.exact,
      topKError: top.error,
      minLength: minOf(a.minLength, b.minLength),
      maxLength: maxOf(a.maxLength, b.maxLength),
      meanLength: va + vb > 0 ? total / (va + vb) : null,
    },
    { distinct: sketch },
  ];
}

function pickTopK(column: StringColumnProfile): { entries: TopKEntry[]; exact: boolean; error: number } {
  return { entries: column.topK, exact: column.topKExact, error: column.topKError };
}

interface TopKSide {
  counts: Map<string, number>;
  /** Upper bound of the count of a value its list leaves out: 0 when the list holds every value. */
  missing: number;
  /** Upper bound of how far a listed count is above the truth. */
  error: number;
  exact: boolean;
  complete: boolean;
}

function topKSide(column: StringColumnProfile): TopKSide {
  const complete = column.topKExact && column.distinct.exact && column.distinct.value === column.topK.length;
  // A left-out value is no more frequent than the smallest listed count: the list is the top of
  // exact counts, or of Space-Saving counters, each an upper bound, every unmonitored value below the
  // smallest counter. An empty list (topK 0) bounds nothing better than the value count.
  const last = column.topK[column.topK.length - 1];
  return {
    counts: new Map(column.topK.map((e) => [e.value, e.count])),
    missing: complete ? 0 : (last?.count ?? values(column)),
    error: column.topKExact ? 0 : column.topKError,
    exact: column.topKExact,
    complete,
  };
}

/**
 * The merge of two Space-Saving summaries (Agarwal et al., "Mergeable Summaries", 2012), applied to
 * the lists the profiles keep: each value's count is the sum of its counts on both sides, a side that
 * does not list it contributing its bound for left-out values (its smallest listed count, or 0 when
 * its list is complete). Every merged count is an upper bound of the truth, at most the sum of the
 * two sides' errors too high, where a side's error for a value it leaves out is that bound; the
 * reported `topKError` is the largest over the reported values. Exact only when both sides are and
 * every value of the union has its exact count on both: each side lists it or lists every value. A
 * value neither lists is then no more frequent than any listed one on each side (0 on a side that
 * lists every value), so no more frequent than any of the union, and it sorts after them on a tie
 * (a side that cut it off at an equal count put the listed value first): the kept list is the top k.
 *
 * The merged list keeps the invariant the next merge relies on: every value it leaves out is bounded
 * by its smallest count, since every value of the union is counted at least the sum of the two
 * bounds.
 */
function mergeTopK(
  a: StringColumnProfile,
  b: StringColumnProfile,
  options: MergeOptions,
): { entries: TopKEntry[]; exact: boolean; error: number; union: number | null } {
  const left = topKSide(a);
  const right = topKSide(b);
  const k = options.topK ?? inferTopK([left, right]);
  const merged: { value: string; count: number; error: number }[] = [];
  for (const value of new Set([...left.counts.keys(), ...right.counts.keys()])) {
    const inLeft = left.counts.get(value);
    const inRight = right.counts.get(value);
    merged.push({
      value,
      count: (inLeft ?? left.missing) + (inRight ?? right.missing),
      error:
        (inLeft === undefined ? left.missing : left.error) +
        (inRight === undefined ? right.missing : right.error),
    });
  }
  merged.sort((p, q) => q.count - p.count || compareStrings(p.value, q.value));
  const kept = merged.slice(0, k);
  const exact = left.exact && right.exact && merged.every((e) => e.error === 0);
  return {
    entries: kept.map(({ value, count }) => ({ value, count })),
    exact,
    error: exact ? 0 : kept.reduce((worst, e) => Math.max(worst, e.error), 0),
    union: left.complete && right.complete ? merged.length : null,
  };
}

/** A side whose list was cut off shows k; complete lists only show that k is at least their length. */
function inferTopK(sides: readonly TopKSide[]): number {
  const cut = sides.filter((side) => !side.complete).map((side) => side.counts.size);
  if (cut.length > 0) return Math.max(...cut);
  return Math.max(DEFAULT_TOP_K, ...sides.map((side) => side.counts.size));
}

// ---------------------------------------------------------------------------------------------------
// Bools

function mergeBools(
  a: BoolColumnProfile,
  b: BoolColumnProfile,
  x: Side,
  y: Side,
  options: MergeOptions,
): [BoolColumnProfile, ColumnSketches] {
  const { sketch } = mergeDistinct(x, y);
  const trueCount = a.trueCount + b.trueCount;
  const falseCount = values(a) + values(b) - trueCount;
  const counts = new Map<string, number>();
  if (trueCount > 0) counts.set('true', trueCount);
  if (falseCount > 0) counts.set('false', falseCount);
  // A list shorter than the values it could show was cut at k.
  const cut = [a, b].filter((c) => c.topK.length < c.distinct.value).map((c) => c.topK.length);
  const k = options.topK ?? (cut.length > 0 ? Math.max(...cut) : DEFAULT_TOP_K);
  return [
    {
      ...base(a, b),
      distinct: { value: counts.size, exact: true },
      type: 'bool',
      trueCount,
      topK: topEntries(counts, k),
      topKExact: true,
      topKError: 0,
    },
    { distinct: sketch },
  ];
}
