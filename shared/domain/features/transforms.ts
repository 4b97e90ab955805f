/**
 * Numeric kernels of time-series feature engineering: each takes one series (one entity, ordered by
 * time; `NaN` = missing) and returns a `Float64Array` of the same length whose element `i` depends only
 * on elements `0..i` (causal: no kernel looks ahead, so a feature never leaks the future into training).
 *
 * Every kernel states the pandas call it reproduces, with pandas' defaults unless said otherwise, so a
 * feature computed here can be checked against (or replaced by) a notebook's. Element-wise results follow
 * IEEE arithmetic as pandas does: a division by zero gives ±Infinity or NaN here; the table layer
 * (`applyFeatureSpec`) writes any non-finite value as null.
 *
 * The kernels are incremental (running sums, monotonic deques, a sorted window, a two-heap median);
 * the direct O(n·w) definitions they are checked against live in the tests.
 */
import { InvalidInputError } from '../../errors.js';

/** A numeric series; `NaN` (or a hole) is a missing value. */
export type Series = ArrayLike<number>;

function at(x: Series, i: number): number {
  return x[i] ?? Number.NaN;
}

function requireInt(value: number, min: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new InvalidInputError(`${what} must be an integer ≥ ${min}, got ${value}`);
}

// ---------------------------------------------------------------------------------------------------
// Rolling windows of N rows

export const ROLLING_STATS = ['mean', 'std', 'min', 'max', 'median', 'range'] as const;
export type RollingStat = (typeof ROLLING_STATS)[number];

export interface RollingOptions {
  /**
   * Non-missing values the window needs for a result, as pandas' `min_periods`: default `window`, so a
   * window with any missing value (or the first `window - 1` rows) gives NaN; 1 gives a result as soon
   * as one value is there (`std` still needs two).
   */
  minPeriods?: number;
}

function minPeriodsOf(window: number, options: RollingOptions | undefined): number {
  requireInt(window, 1, 'a rolling window');
  const minPeriods = options?.minPeriods ?? window;
  requireInt(minPeriods, 1, 'minPeriods');
  if (minPeriods > window)
    throw new InvalidInputError(`minPeriods (${minPeriods}) must not exceed the window (${window})`);
  return minPeriods;
}

/**
 * Neumaier-compensated running sum: adding and later subtracting the same values leaves an error of a
 * few ulps of the largest partial sum, instead of one that grows with the number of updates.
 */
class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(v: number): void {
    const t = this.sum + v;
    this.compensation += Math.abs(this.sum) >= Math.abs(v) ? this.sum - t + v : v - t + this.sum;
    this.sum = t;
  }

  reset(): void {
    this.sum = 0;
    this.compensation = 0;
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}

/**
 * Tracks how many of the most recently added values are equal, as pandas does: a window whose
 * observations are all the same value gets that value as its mean and exactly 0 as its std, instead of
 * the rounding residue of the running sums.
 */
class SameValueRun {
  private previous = Number.NaN;
  length = 0;

  add(v: number): void {
    this.length = v === this.previous ? this.length + 1 : 1;
    this.previous = v;
  }

  /** True when the last `count` added values all equal the last one. */
  covers(count: number): boolean {
    return count > 0 && this.length >= count;
  }

  get value(): number {
    return this.previous;
  }
}

/** `s.rolling(window, min_periods=minPeriods).mean()`: mean of the non-missing values of the window. */
export function rollingMean(x: Series, window: number, options?: RollingOptions): Float64Array {
  const minPeriods = minPeriodsOf(window, options);
  const n = x.length;
  const out = new Float64Array(n);
  const sum = new CompensatedSum();
  const run = new SameValueRun();
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      sum.add(v);
      run.add(v);
      count++;
    }
    if (i >= window) {
      const old = at(x, i - window);
      if (!Number.isNaN(old)) {
        count--;
        // An empty window restarts from an exact zero rather than from the residue of its sums.
        if (count === 0) sum.reset();
        else sum.add(-old);
      }
    }
    if (count < minPeriods) out[i] = Number.NaN;
    else out[i] = run.covers(count) ? run.value : sum.value / count;
  }
  return out;
}

/**
 * `s.rolling(window, min_periods=minPeriods).std()`: the sample standard deviation (ddof = 1) of the
 * non-missing values of the window; NaN below `minPeriods` values or below 2.
 *
 * Running sums of d = x − K and d² around a shift K, both Neumaier-compensated, so that adding a value
 * and later removing it cancels to within a few ulps of the current sums: a large value leaving a window
 * of nearly equal values leaves no residue (plain Welford removal leaves one of ε·x², i.e. √ε·x in the
 * std). var = (Σd² − (Σd)²/n) / (n − 1) is accurate while the window mean stays within about one std of
 * K; when it drifts further (Σd)²/n > Σd²/2, the sums are rebuilt from the window around its mean, O(w).
 * That happens after the level moved by a standard deviation, so the total stays about O(n) on real
 * series (a pathological one could force O(n·w)).
 */
export function rollingStd(x: Series, window: number, options?: RollingOptions): Float64Array {
  const minPeriods = minPeriodsOf(window, options);
  const n = x.length;
  const out = new Float64Array(n);
  const run = new SameValueRun();
  const s1 = new CompensatedSum();
  const s2 = new CompensatedSum();
  let shift = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      run.add(v);
      if (count === 0) shift = v;
      count++;
      const d = v - shift;
      s1.add(d);
      s2.add(d * d);
    }
    if (i >= window) {
      const old = at(x, i - window);
      if (!Number.isNaN(old)) {
        count--;
        if (count === 0) {
          s1.reset();
          s2.reset();
        } else {
          const d = old - shift;
          s1.add(-d);
          s2.add(-(d * d));
        }
      }
    }
    if (count < minPeriods || count < 2) {
      out[i] = Number.NaN;
      continue;
    }
    if (run.covers(count)) {
      out[i] = 0;
      continue;
    }
    if (s1.value * s1.value > 0.5 * count * s2.value) {
      // Rebuild around the window's mean (two passes), so (Σd)² is again small next to Σd².
      let sum = 0;
      for (let j = i + 1 - Math.min(window, i + 1); j <= i; j++) {
        const w = at(x, j);
        if (!Number.isNaN(w)) sum += w;
      }
      shift = sum / count;
      s1.reset();
      s2.reset();
      for (let j = i + 1 - Math.min(window, i + 1); j <= i; j++) {
        const w = at(x, j);
        if (Number.isNaN(w)) continue;
        s1.add(w - shift);
        s2.add((w - shift) * (w - shift));
      }
    }
    const sum1 = s1.value;
    out[i] = Math.sqrt(Math.max(0, s2.value - (sum1 * sum1) / count) / (count - 1));
  }
  return out;
}

/**
 * Rolling extreme with a monotonic deque of row indices: each index enters and leaves once, so O(n).
 * `better(a, b)` is true when `a` dominates `b` (a < b for min).
 */
function rollingExtreme(
  x: Series,
  window: number,
  options: RollingOptions | undefined,
  better: (a: number, b: number) => boolean,
): Float64Array {
  const minPeriods = minPeriodsOf(window, options);
  const n = x.length;
  const out = new Float64Array(n);
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      // Values the new one dominates can never be the extreme again while it is in the window.
      while (tail > head && !better(at(x, deque[tail - 1] ?? 0), v)) tail--;
      deque[tail++] = i;
      count++;
    }
    if (i >= window && !Number.isNaN(at(x, i - window))) count--;
    while (tail > head && (deque[head] ?? 0) <= i - window) head++;
    out[i] = count >= minPeriods && tail > head ? at(x, deque[head] ?? 0) : Number.NaN;
  }
  return out;
}

/** `s.rolling(window, min_periods=minPeriods).min()`. */
export function rollingMin(x: Series, window: number, options?: RollingOptions): Float64Array {
  return rollingExtreme(x, window, options, (a, b) => a < b);
}

/** `s.rolling(window, min_periods=minPeriods).max()`. */
export function rollingMax(x: Series, window: number, options?: RollingOptions): Float64Array {
  return rollingExtreme(x, window, options, (a, b) => a > b);
}

/** Rolling max − rolling min (pandas has no rolling range; this is `r.max() - r.min()`). */
export function rollingRange(x: Series, window: number, options?: RollingOptions): Float64Array {
  const max = rollingMax(x, window, options);
  const min = rollingMin(x, window, options);
  for (let i = 0; i < max.length; i++) max[i] = (max[i] ?? Number.NaN) - (min[i] ?? Number.NaN);
  return max;
}

/** Index of the first element of `sorted[0..size)` that is ≥ v. */
function lowerBound(sorted: Float64Array, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `s.rolling(window, min_periods=minPeriods).median()` (the mean of the two middle values for an even
 * count). The non-missing window values are kept sorted; an insert or removal is a binary search plus a
 * shift, O(w), so O(n·w) overall, which is cheap for the windows features use.
 */
export function rollingMedian(x: Series, window: number, options?: RollingOptions): Float64Array {
  const minPeriods = minPeriodsOf(window, options);
  const n = x.length;
  const out = new Float64Array(n);
  const sorted = new Float64Array(window);
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (i >= window) {
      const old = at(x, i - window);
      if (!Number.isNaN(old)) {
        const pos = lowerBound(sorted, size, old);
        sorted.copyWithin(pos, pos + 1, size);
        size--;
      }
    }
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      const pos = lowerBound(sorted, size, v);
      sorted.copyWithin(pos + 1, pos, size);
      sorted[pos] = v;
      size++;
    }
    if (size < minPeriods || size === 0) out[i] = Number.NaN;
    else {
      const mid = size >>> 1;
      out[i] =
        size % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    }
  }
  return out;
}

/** One rolling statistic by name. */
export function rolling(
  x: Series,
  window: number,
  stat: RollingStat,
  options?: RollingOptions,
): Float64Array {
  switch (stat) {
    case 'mean':
      return rollingMean(x, window, options);
    case 'std':
      return rollingStd(x, window, options);
    case 'min':
      return rollingMin(x, window, options);
    case 'max':
      return rollingMax(x, window, options);
    case 'median':
      return rollingMedian(x, window, options);
    case 'range':
      return rollingRange(x, window, options);
  }
}

// ---------------------------------------------------------------------------------------------------
// Lags and differences

/** `s.shift(k)` for k ≥ 1: the value `k` rows earlier (NaN for the first `k` rows). */
export function lag(x: Series, k: number): Float64Array {
  // A negative shift would read the future, so it is not offered.
  requireInt(k, 1, 'a lag');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = i >= k ? at(x, i - k) : Number.NaN;
  return out;
}

/**
 * Order 1: `s.diff()`, x[i] − x[i−1]. Order 2: `s.diff().diff()`, the second difference
 * x[i] − 2·x[i−1] + x[i−2] (note: not `s.diff(2)`, which is x[i] − x[i−2]). A missing input makes
 * every difference that uses it missing.
 */
export function diff(x: Series, order: 1 | 2 = 1): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (order === 1) out[i] = i >= 1 ? at(x, i) - at(x, i - 1) : Number.NaN;
    else out[i] = i >= 2 ? at(x, i) - at(x, i - 1) - (at(x, i - 1) - at(x, i - 2)) : Number.NaN;
  }
  return out;
}

/**
 * `s.pct_change(periods, fill_method=None)` (pandas 3's default; pandas 2 forward-filled first):
 * x[i] / x[i − periods] − 1; ±Infinity when the earlier value is 0.
 */
export function pctChange(x: Series, periods = 1): Float64Array {
  requireInt(periods, 1, 'periods');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = i >= periods ? at(x, i) / at(x, i - periods) - 1 : Number.NaN;
  return out;
}

/**
 * Change per second: `s.diff() / t.diff().dt.total_seconds()` with `t` the row timestamps in epoch
 * milliseconds. Two rows at the same instant give ±Infinity (or NaN when the value did not change).
 */
export function rateOfChange(x: Series, timestampsMs: Series): Float64Array {
  if (timestampsMs.length !== x.length)
    throw new InvalidInputError('rate of change: values and timestamps differ in length');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] =
      i >= 1
        ? (at(x, i) - at(x, i - 1)) / ((at(timestampsMs, i) - at(timestampsMs, i - 1)) / 1000)
        : Number.NaN;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Exponentially weighted moments

/** Exactly one of `span` (α = 2 / (span + 1), span ≥ 1) or `alpha` (0 < α ≤ 1), as in `s.ewm(…)`. */
export interface EwmOptions {
  span?: number;
  alpha?: number;
}

export function ewmAlpha(options: EwmOptions): number {
  const { span, alpha } = options;
  if ((span === undefined) === (alpha === undefined))
    throw new InvalidInputError('an ewm needs exactly one of span or alpha');
  if (span !== undefined && !(span >= 1 && Number.isFinite(span)))
    throw new InvalidInputError(`span must be ≥ 1, got ${span}`);
  if (alpha !== undefined && !(alpha > 0 && alpha <= 1))
    throw new InvalidInputError(`alpha must be in (0, 1], got ${alpha}`);
  // pandas turns span and alpha into a centre of mass and back (α = 1 / (1 + com)); doing the same keeps
  // the last bit of α, and so of every result, equal to pandas'.
  const com = span !== undefined ? (span - 1) / 2 : 1 / (alpha ?? 1) - 1;
  return 1 / (1 + com);
}

/**
 * `s.ewm(span=…|alpha=…).mean()` with pandas' defaults `adjust=True, ignore_na=False, min_periods=0`:
 * y[t] = Σ w[j]·x[j] / Σ w[j] over the non-missing x[j], j ≤ t, with w[j] = (1 − α)^(t − j). Weights
 * decay with the row distance even across missing rows (ignore_na=False); a missing row repeats the
 * previous result; rows before the first value are NaN. Computed with pandas' own recurrence.
 */
export function ewmMean(x: Series, options: EwmOptions): Float64Array {
  const alpha = ewmAlpha(options);
  const decay = 1 - alpha;
  const n = x.length;
  const out = new Float64Array(n);
  let weighted = Number.NaN;
  let oldWeight = 1;
  for (let i = 0; i < n; i++) {
    const cur = at(x, i);
    if (i === 0 || Number.isNaN(weighted)) {
      weighted = cur;
    } else {
      oldWeight *= decay;
      if (!Number.isNaN(cur)) {
        // Unchanged value: skip the division so a constant series stays exactly constant (as pandas).
        if (weighted !== cur) weighted = (oldWeight * weighted + cur) / (oldWeight + 1);
        oldWeight += 1;
      }
    }
    out[i] = weighted;
  }
  return out;
}

/**
 * `s.ewm(span=…|alpha=…).std()` (pandas' `bias=False`, `adjust=True`, `ignore_na=False`): the square
 * root of the weighted variance Σ w[j]·(x[j] − ȳ[t])² / Σ w[j], with the weights of `ewmMean`, times
 * the unbiasing factor (Σw)² / ((Σw)² − Σw²), with pandas' recurrence. NaN before the second
 * observation, where that factor is 0/0: pandas there returns NaN or 0 depending on the rounding of
 * (Σw)² − Σw² (e.g. for `[0, nan, nan]`), this always returns NaN.
 */
export function ewmStd(x: Series, options: EwmOptions): Float64Array {
  const alpha = ewmAlpha(options);
  const decay = 1 - alpha;
  const n = x.length;
  const out = new Float64Array(n);
  let mean = Number.NaN;
  let cov = 0;
  let sumWeight = 1;
  let sumWeight2 = 1;
  let oldWeight = 1;
  let observations = 0;
  for (let i = 0; i < n; i++) {
    const cur = at(x, i);
    const isObservation = !Number.isNaN(cur);
    if (isObservation) observations++;
    if (i === 0 || Number.isNaN(mean)) {
      mean = cur;
    } else {
      sumWeight *= decay;
      sumWeight2 *= decay * decay;
      oldWeight *= decay;
      if (isObservation) {
        const oldMean = mean;
        if (mean !== cur) mean = (oldWeight * oldMean + cur) / (oldWeight + 1);
        cov =
          (oldWeight * (cov + (oldMean - mean) * (oldMean - mean)) + (cur - mean) * (cur - mean)) /
          (oldWeight + 1);
        sumWeight += 1;
        sumWeight2 += 1;
        oldWeight += 1;
      }
    }
    if (observations < 2) out[i] = Number.NaN;
    else {
      const numerator = sumWeight * sumWeight;
      const denominator = numerator - sumWeight2;
      out[i] = denominator > 0 ? Math.sqrt((numerator / denominator) * cov) : Number.NaN;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Expanding windows

export const EXPANDING_STATS = ['mean', 'std', 'min', 'max'] as const;
export type ExpandingStat = (typeof EXPANDING_STATS)[number];

/**
 * `s.expanding().mean()|std()|min()|max()` (pandas' `min_periods=1`): over every non-missing value so
 * far; NaN before the first value, and `std` (ddof = 1, Welford's update) NaN before the second.
 */
export function expanding(x: Series, stat: ExpandingStat): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      count++;
      const delta = v - mean;
      mean += delta / count;
      m2 += delta * (v - mean);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (count === 0) out[i] = Number.NaN;
    else if (stat === 'mean') out[i] = mean;
    else if (stat === 'std') out[i] = count >= 2 ? Math.sqrt(Math.max(0, m2) / (count - 1)) : Number.NaN;
    else out[i] = stat === 'min' ? min : max;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Volatility

/**
 * ln(x[i] / x[i−1]): `np.log(s / s.shift())`, with any non-finite result (a ratio ≤ 0, a zero
 * denominator, a missing value) as NaN.
 */
export function logReturns(x: Series): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const r = i >= 1 ? Math.log(at(x, i) / at(x, i - 1)) : Number.NaN;
    out[i] = Number.isFinite(r) ? r : Number.NaN;
  }
  return out;
}

/**
 * Rolling sample std (ddof = 1, min_periods = window) of `window` log returns:
 * `np.log(s / s.shift()).rolling(window).std()`. Log returns rather than percent changes because they add
 * up over time and treat a rise and the fall back symmetrically. Not annualised (rows need not be evenly
 * spaced). The first `window` rows are NaN (a return needs two values); so is any window that holds a
 * non-finite return, as in pandas, where an infinite return makes the window's std NaN.
 */
export function rollingVolatility(x: Series, window: number): Float64Array {
  requireInt(window, 2, 'a volatility window');
  return rollingStd(logReturns(x), window);
}

// ---------------------------------------------------------------------------------------------------
// Spectral features over a trailing window

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Iterative radix-2 Cooley–Tukey FFT in place; `n` a power of two; `sign` −1 forward, +1 inverse. */
class Radix2 {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  constructor(readonly n: number) {
    this.cos = new Float64Array(n >>> 1);
    this.sin = new Float64Array(n >>> 1);
    for (let k = 0; k < n >>> 1; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.reversed = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  transform(re: Float64Array, im: Float64Array, sign: -1 | 1): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i] ?? i;
      if (j > i) {
        const tr = re[i] ?? 0;
        re[i] = re[j] ?? 0;
        re[j] = tr;
        const ti = im[i] ?? 0;
        im[i] = im[j] ?? 0;
        im[j] = ti;
      }
    }
    for (let size = 2; size <= n; size *= 2) {
      const half = size >>> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step] ?? 1;
          const wi = sign * (this.sin[k * step] ?? 0);
          const a = start + k;
          const b = a + half;
          const br = re[b] ?? 0;
          const bi = im[b] ?? 0;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          const ar = re[a] ?? 0;
          const ai = im[a] ?? 0;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
  }
}

/**
 * A DFT of one fixed length n, X[k] = Σ x[j]·e^(−2πi·jk/n) (numpy's `np.fft.fft` convention,
 * unnormalised). Radix-2 when n is a power of two; otherwise Bluestein's chirp-z, which rewrites the DFT as
 * a convolution computed with a radix-2 FFT of length ≥ 2n − 1. Either way O(n log n) and exact in
 * length, unlike zero padding, which would shift the frequencies and break Parseval's identity.
 */
export class DftPlan {
  private readonly radix: Radix2;
  private readonly chirpRe?: Float64Array;
  private readonly chirpIm?: Float64Array;
  private readonly kernelRe?: Float64Array;
  private readonly kernelIm?: Float64Array;
  private readonly workRe: Float64Array;
  private readonly workIm: Float64Array;

  constructor(readonly n: number) {
    requireInt(n, 1, 'a DFT length');
    if (isPowerOfTwo(n)) {
      this.radix = new Radix2(n);
      this.workRe = new Float64Array(n);
      this.workIm = new Float64Array(n);
      return;
    }
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    this.radix = new Radix2(m);
    this.workRe = new Float64Array(m);
    this.workIm = new Float64Array(m);
    const chirpRe = new Float64Array(n);
    const chirpIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // k² mod 2n keeps the angle small, so it stays exact for large k.
      const angle = (Math.PI * ((k * k) % (2 * n))) / n;
      chirpRe[k] = Math.cos(angle);
      chirpIm[k] = -Math.sin(angle);
    }
    const kernelRe = new Float64Array(m);
    const kernelIm = new Float64Array(m);
    for (let k = 0; k < n; k++) {
      const re = chirpRe[k] ?? 0;
      const im = -(chirpIm[k] ?? 0);
      kernelRe[k] = re;
      kernelIm[k] = im;
      if (k > 0) {
        kernelRe[m - k] = re;
        kernelIm[m - k] = im;
      }
    }
    this.radix.transform(kernelRe, kernelIm, -1);
    this.chirpRe = chirpRe;
    this.chirpIm = chirpIm;
    this.kernelRe = kernelRe;
    this.kernelIm = kernelIm;
  }

  /** Transforms `inRe + i·inIm` (length n; `inIm` omitted = real input) into `outRe`, `outIm`. */
  transform(inRe: Series, inIm: Series | undefined, outRe: Float64Array, outIm: Float64Array): void {
    const { n, workRe, workIm } = this;
    if (this.chirpRe === undefined || this.chirpIm === undefined) {
      for (let j = 0; j < n; j++) {
        workRe[j] = at(inRe, j);
        workIm[j] = inIm === undefined ? 0 : at(inIm, j);
      }
      this.radix.transform(workRe, workIm, -1);
      outRe.set(workRe.subarray(0, n));
      outIm.set(workIm.subarray(0, n));
      return;
    }
    const { chirpRe, chirpIm } = this;
    const kernelRe = this.kernelRe ?? workRe;
    const kernelIm = this.kernelIm ?? workIm;
    workRe.fill(0);
    workIm.fill(0);
    for (let j = 0; j < n; j++) {
      const xr = at(inRe, j);
      const xi = inIm === undefined ? 0 : at(inIm, j);
      const cr = chirpRe[j] ?? 0;
      const ci = chirpIm[j] ?? 0;
      workRe[j] = xr * cr - xi * ci;
      workIm[j] = xr * ci + xi * cr;
    }
    this.radix.transform(workRe, workIm, -1);
    const m = workRe.length;
    for (let j = 0; j < m; j++) {
      const ar = workRe[j] ?? 0;
      const ai = workIm[j] ?? 0;
      const br = kernelRe[j] ?? 0;
      const bi = kernelIm[j] ?? 0;
      workRe[j] = ar * br - ai * bi;
      workIm[j] = ar * bi + ai * br;
    }
    this.radix.transform(workRe, workIm, 1);
    for (let k = 0; k < n; k++) {
      const cr = (workRe[k] ?? 0) / m;
      const ci = (workIm[k] ?? 0) / m;
      const wr = chirpRe[k] ?? 0;
      const wi = chirpIm[k] ?? 0;
      outRe[k] = cr * wr - ci * wi;
      outIm[k] = cr * wi + ci * wr;
    }
  }
}

/** `np.fft.fft(re + 1j·im)`: the unnormalised DFT of any length. */
export function dft(re: Series, im?: Series): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  if (n > 0) new DftPlan(n).transform(re, im, out.re, out.im);
  return out;
}

export interface SpectralFeatures {
  /** `magnitudes[r]`: the (r+1)-th largest |X[k]| of each row's window (r < topK). */
  magnitudes: Float64Array[];
  /** `frequencies[r]`: the frequency k / window of that component, in cycles per row. */
  frequencies: Float64Array[];
  /** Σ|X[k]|² / window over all k, which by Parseval's identity is Σ x² over the window. */
  energy: Float64Array;
  /** Normalised entropy of the power spectrum of bins 1..⌊window/2⌋, in [0, 1]. */
  entropy: Float64Array;
}

/**
 * Spectral features of the trailing `window` rows (the row and the `window − 1` before it), from the
 * exact-length DFT of the raw window (no detrending, no taper):
 * - top-K components among the one-sided bins k = 1..⌊window/2⌋ (`np.fft.rfft` without bin 0: the DC bin
 *   is just window·mean, which a rolling mean already gives and which would otherwise dominate), by
 *   magnitude |X[k]| (unnormalised, as `np.abs(np.fft.rfft(w))`), ties to the lower frequency, with
 *   their frequencies k / window (`np.fft.rfftfreq(window)`: cycles per row, since rows need not be
 *   evenly spaced in time);
 * - spectral energy Σ_{k<window} |X[k]|² / window = Σ x² (Parseval; DC included: the window's energy);
 * - spectral entropy −Σ p[k]·ln p[k] / ln(⌊window/2⌋) with p[k] = |X[k]|² / Σ|X|² over the same
 *   one-sided bins as top-K: 0 for a pure tone on a bin, 1 for a flat spectrum; NaN when that power
 *   is 0 (a constant window has no spectrum to spread).
 * Rows whose window is incomplete (the first window − 1) or holds a missing value get NaN throughout.
 */
export function spectralFeatures(x: Series, window: number, topK: number): SpectralFeatures {
  requireInt(window, 4, 'an FFT window');
  const bins = Math.floor(window / 2);
  requireInt(topK, 1, 'topK');
  if (topK > bins)
    throw new InvalidInputError(`topK (${topK}) exceeds the ${bins} frequencies of a ${window}-row window`);
  const n = x.length;
  const result: SpectralFeatures = {
    magnitudes: Array.from({ length: topK }, () => new Float64Array(n).fill(Number.NaN)),
    frequencies: Array.from({ length: topK }, () => new Float64Array(n).fill(Number.NaN)),
    energy: new Float64Array(n).fill(Number.NaN),
    entropy: new Float64Array(n).fill(Number.NaN),
  };
  const plan = new DftPlan(window);
  const re = new Float64Array(window);
  const im = new Float64Array(window);
  const magnitude = new Float64Array(bins + 1);
  const taken = new Uint8Array(bins + 1);
  const frame = new Float64Array(window);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(at(x, i))) missing++;
    if (i >= window && Number.isNaN(at(x, i - window))) missing--;
    if (i < window - 1 || missing > 0) continue;
    for (let j = 0; j < window; j++) frame[j] = at(x, i + 1 - window + j);
    plan.transform(frame, undefined, re, im);
    let energy = 0;
    for (let k = 0; k < window; k++) energy += (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
    result.energy[i] = energy / window;
    let power = 0;
    for (let k = 1; k <= bins; k++) {
      const p = (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
      magnitude[k] = Math.sqrt(p);
      power += p;
    }
    if (power > 0) {
      let h = 0;
      for (let k = 1; k <= bins; k++) {
        const p = ((re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2) / power;
        if (p > 0) h -= p * Math.log(p);
      }
      result.entropy[i] = Math.max(0, h / Math.log(bins));
    }
    // Selection by repeated scans, O(bins·topK): topK is small, and a strict `>` keeps the lower bin on ties.
    taken.fill(0);
    for (let r = 0; r < topK; r++) {
      let best = -1;
      for (let k = 1; k <= bins; k++) {
        if (taken[k] === 0 && (best < 0 || (magnitude[k] ?? 0) > (magnitude[best] ?? 0))) best = k;
      }
      taken[best] = 1;
      const mags = result.magnitudes[r];
      const freqs = result.frequencies[r];
      if (mags !== undefined) mags[i] = magnitude[best] ?? Number.NaN;
      if (freqs !== undefined) freqs[i] = best / window;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Calendar parts of a timestamp

export const TIME_PARTS = ['hour', 'day_of_week', 'day_of_month', 'month', 'is_weekend'] as const;
export type TimePart = (typeof TIME_PARTS)[number];
/** The parts with a cyclical (sin/cos) encoding; `is_weekend` is already a flag. */
export const CYCLICAL_TIME_PARTS = ['hour', 'day_of_week', 'day_of_month', 'month'] as const;
export type CyclicalTimePart = (typeof CYCLICAL_TIME_PARTS)[number];

const MS_PER_DAY = 86_400_000;

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/**
 * Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`):
 * integer arithmetic only, so it does not depend on a Date implementation or a time zone.
 */
function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * One calendar part of each epoch-millisecond timestamp, in UTC, as pandas' `dt` accessor on a UTC
 * series: `hour` 0–23, `day_of_week` 0 = Monday … 6 = Sunday (`dt.dayofweek`), `day_of_month` 1–31,
 * `month` 1–12, `is_weekend` 1 on Saturday and Sunday else 0. NaN for a missing timestamp.
 */
export function timePart(timestampsMs: Series, part: TimePart): Float64Array {
  const out = new Float64Array(timestampsMs.length);
  for (let i = 0; i < timestampsMs.length; i++) {
    const ms = at(timestampsMs, i);
    if (!Number.isFinite(ms)) {
      out[i] = Number.NaN;
      continue;
    }
    const days = Math.floor(ms / MS_PER_DAY);
    // 1970-01-01 was a Thursday, day 3 when Monday is 0.
    const dayOfWeek = (((days + 3) % 7) + 7) % 7;
    switch (part) {
      case 'hour':
        out[i] = Math.floor((ms - days * MS_PER_DAY) / 3_600_000);
        break;
      case 'day_of_week':
        out[i] = dayOfWeek;
        break;
      case 'is_weekend':
        out[i] = dayOfWeek >= 5 ? 1 : 0;
        break;
      case 'day_of_month':
        out[i] = civilFromDays(days).day;
        break;
      case 'month':
        out[i] = civilFromDays(days).month;
        break;
    }
  }
  return out;
}

/**
 * sin and cos of 2π·value/period, so that the end of a cycle sits next to its start (23 h next to 0 h):
 * hour/24, day_of_week/7, month/12 (month 1–12) and day_of_month/(days in that month).
 */
export function cyclicalTimePart(
  timestampsMs: Series,
  part: CyclicalTimePart,
): { sin: Float64Array; cos: Float64Array } {
  const values = timePart(timestampsMs, part);
  const sin = new Float64Array(values.length);
  const cos = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    let period: number;
    if (part === 'hour') period = 24;
    else if (part === 'day_of_week') period = 7;
    else if (part === 'month') period = 12;
    else {
      const ms = at(timestampsMs, i);
      const { year, month } = civilFromDays(Math.floor(ms / MS_PER_DAY));
      period = Number.isFinite(ms) ? daysInMonth(year, month) : Number.NaN;
    }
    const angle = (2 * Math.PI * v) / period;
    sin[i] = Math.sin(angle);
    cos[i] = Math.cos(angle);
  }
  return { sin, cos };
}

// ---------------------------------------------------------------------------------------------------
// Aggregates over a trailing time window

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** A positive whole number and a unit: `30m`, `12h`, `7d`, `2w`, `500ms`, `90s`. */
export const DURATION_PATTERN = /^([1-9][0-9]*)(ms|s|m|h|d|w)$/;

/** Milliseconds of a duration string such as "7d"; InvalidInputError for anything else. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  const unit = match?.[2] as keyof typeof DURATION_UNITS_MS | undefined;
  if (match === null || unit === undefined)
    throw new InvalidInputError(`"${text}" is not a duration such as 30m, 12h, 7d (units ms, s, m, h, d, w)`);
  const ms = Number(match[1]) * DURATION_UNITS_MS[unit];
  if (!Number.isSafeInteger(ms)) throw new InvalidInputError(`duration "${text}" is too long`);
  return ms;
}

export const WINDOW_AGGREGATE_STATS = ['count', 'sum', 'mean'] as const;
export type WindowAggregateStat = (typeof WINDOW_AGGREGATE_STATS)[number];

/**
 * Aggregate of the rows in the trailing time window (t[i] − windowMs, t[i]] of one entity's series, in
 * order: row i and the earlier rows j < i with t[j] > t[i] − windowMs. The current row is included;
 * a row at exactly t − windowMs is not; rows sharing t[i] that come after i are not (as pandas'
 * `df.rolling('7d', on='ts')`, which is row-based too, and which keeps the feature causal).
 * `count`: non-missing values (0 when none); `sum`, `mean`: over them, NaN when there are none (pandas'
 * `min_periods=1`). `timestampsMs` must be non-decreasing. Two pointers and a compensated running sum: O(n).
 */
export function trailingWindowAggregate(
  values: Series,
  timestampsMs: Series,
  windowMs: number,
  stat: WindowAggregateStat,
): Float64Array {
  const n = values.length;
  if (timestampsMs.length !== n)
    throw new InvalidInputError('window aggregate: values and timestamps differ in length');
  if (!(windowMs > 0))
    throw new InvalidInputError(`a window must be a positive duration, got ${windowMs} ms`);
  const out = new Float64Array(n);
  const sum = new CompensatedSum();
  let count = 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const t = at(timestampsMs, i);
    if (i > 0 && !(t >= at(timestampsMs, i - 1)))
      throw new InvalidInputError(`window aggregate: timestamps must be non-decreasing (row ${i})`);
    const v = at(values, i);
    if (!Number.isNaN(v)) {
      sum.add(v);
      count++;
    }
    while (at(timestampsMs, start) <= t - windowMs) {
      const old = at(values, start);
      if (!Number.isNaN(old)) {
        count--;
        if (count === 0) sum.reset();
        else sum.add(-old);
      }
      start++;
    }
    if (stat === 'count') out[i] = count;
    else if (count === 0) out[i] = Number.NaN;
    else out[i] = stat === 'sum' ? sum.value : sum.value / count;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Missing values

/** What `imputeSeries` fills a missing value with; dropping rows is the table's business (`applyFeatureSpec`). */
export const IMPUTATIONS = ['mean', 'median', 'ffill', 'zero'] as const;
export type Imputation = (typeof IMPUTATIONS)[number];

/** Binary heap of numbers; `before(a, b)` true when a belongs above b. */
class Heap {
  private readonly items: number[] = [];
  constructor(private readonly before: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0] ?? Number.NaN;
  }

  push(v: number): void {
    const items = this.items;
    items.push(v);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const p = items[parent] ?? 0;
      if (!this.before(v, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = v;
  }

  pop(): number {
    const items = this.items;
    const top = items[0] ?? Number.NaN;
    const last = items.pop();
    if (last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && this.before(items[right] ?? 0, items[left] ?? 0) ? right : left;
      const c = items[child] ?? 0;
      if (!this.before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Fills the missing values of one entity's series without looking ahead:
 * - `mean` / `median`: the mean / median of the earlier non-missing values, i.e.
 *   `s.fillna(s.expanding().mean())` (`.median()`); a whole-column statistic would feed later values
 *   into earlier rows' features. Missing values before the first value stay missing.
 * - `ffill`: the last earlier value, `s.ffill()`; leading missing values stay missing.
 * - `zero`: 0, `s.fillna(0)`.
 */
export function imputeSeries(x: Series, strategy: Imputation): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let last = Number.NaN;
  let count = 0;
  let mean = 0;
  const lower = new Heap((a, b) => a > b);
  const upper = new Heap((a, b) => a < b);
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    if (!Number.isNaN(v)) {
      out[i] = v;
      last = v;
      count++;
      mean += (v - mean) / count;
      if (strategy === 'median') {
        // Two heaps: `lower` holds the smaller half (one extra when odd), `upper` the larger.
        if (lower.size === 0 || v <= lower.peek()) lower.push(v);
        else upper.push(v);
        if (lower.size > upper.size + 1) upper.push(lower.pop());
        else if (upper.size > lower.size) lower.push(upper.pop());
      }
      continue;
    }
    switch (strategy) {
      case 'zero':
        out[i] = 0;
        break;
      case 'ffill':
        out[i] = last;
        break;
      case 'mean':
        out[i] = count > 0 ? mean : Number.NaN;
        break;
      case 'median':
        if (count === 0) out[i] = Number.NaN;
        else out[i] = lower.size > upper.size ? lower.peek() : (lower.peek() + upper.peek()) / 2;
        break;
    }
  }
  return out;
}
