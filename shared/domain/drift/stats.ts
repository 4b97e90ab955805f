/**
 * Pure two-sample statistics for drift detection. No dependencies; every test here is checked against
 * SciPy 1.14 (test/drift-vectors/make_vectors.py makes the committed reference values).
 *
 * What matches which SciPy call:
 * - `ksTwoSample`          ≡ `scipy.stats.ks_2samp(a, b, alternative='two-sided', method=...)`, with
 *                            'auto' (exact when max(n1, n2) ≤ 10 000, else asymptotic), 'exact', 'asymp'.
 * - `mannWhitneyU`         ≡ `scipy.stats.mannwhitneyu(a, b, alternative='two-sided',
 *                            method='asymptotic', use_continuity=True)`.
 * - `chiSquareHomogeneity` ≡ `scipy.stats.chi2_contingency([a, b], correction=False)`.
 * - `jensenShannon`        ≡ `scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2` (SciPy returns the
 *                            distance, the square root of the divergence).
 * - `quantile`             ≡ `numpy.quantile(x, p)` (linear interpolation, "type 7").
 * PSI has no SciPy counterpart; its formula and epsilon are documented on `psi`.
 */

// ---------------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------------

// Lanczos (g = 7, n = 9): ~1e-15 relative, far below the 1e-6 the p-values are held to.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection keeps the Lanczos sum in its accurate range.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const GAMMA_EPS = 1e-16;
const GAMMA_MAX_ITER = 100_000;
const TINY = 1e-300;

/** P(a, x) by its power series; converges fast for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < GAMMA_MAX_ITER; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * GAMMA_EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < GAMMA_EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly so tails keep precision. */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** Complementary error function, via erfc(x) = Q(1/2, x²) so that the far tail keeps relative precision. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const q = regularizedGammaQ(0.5, x * x);
  return x >= 0 ? q : 2 - q;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal survival function 1 − Φ(z), accurate in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Survival function of the χ² distribution with `dof` degrees of freedom (`scipy.stats.chi2.sf`). */
export function chiSquareSf(x: number, dof: number): number {
  return regularizedGammaQ(dof / 2, x / 2);
}

const clip01 = (p: number): number => Math.min(1, Math.max(0, p));

/**
 * Exact one-sided Smirnov survival function P(D⁺ₙ ≥ x) (`scipy.special.smirnov`), by the
 * Birnbaum–Tingey sum; the terms are positive, so summing them in log space loses nothing to
 * cancellation.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const jMax = Math.floor(n * (1 - x));
  let logBinom = 0; // ln C(n, j), updated incrementally
  let sum = 0;
  for (let j = 0; j <= jMax; j++) {
    if (j > 0) logBinom += Math.log((n - j + 1) / j);
    const left = 1 - x - j / n;
    const right = x + j / n;
    // (1 − x − j/n)^(n−j) with 0^0 = 1 when j = n.
    const leftLog = n - j === 0 ? 0 : left <= 0 ? Number.NEGATIVE_INFINITY : (n - j) * Math.log(left);
    sum += Math.exp(logBinom + leftLog + (j - 1) * Math.log(right));
  }
  return clip01(x * sum);
}

// Stirling series coefficients B_2j / (2j(2j−1)), highest order first (as SciPy's _ksstats).
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

/** ln(n! / nⁿ) without forming n·ln n (which would cancel). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++)
        out[i * m + j] = (out[i * m + j] as number) + aik * (b[k * m + j] as number);
    }
  }
  return out;
}

/** P(Dₙ ≤ d) by the Durbin matrix (Marsaglia–Tsang–Wang), exact up to rounding for any n and d. */
function kolmogorovCdfDurbin(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let base: Float64Array = H;
  let exponent = 0;
  let baseExponent = 0;
  let nn = n;
  // Square-and-multiply with a separate binary exponent: the entries overflow doubles otherwise.
  while (nn > 0) {
    if (nn % 2 === 1) {
      power = matmul(power, base, m);
      exponent += baseExponent;
    }
    base = matmul(base, base, m);
    baseExponent *= 2;
    if (Math.abs(base[(k - 1) * m + (k - 1)] as number) > E128) {
      for (let i = 0; i < base.length; i++) base[i] = (base[i] as number) / E128;
      baseExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return p * 2 ** exponent;
}

/** Pelz–Good asymptotic series for P(Dₙ ≤ x), as SciPy uses it for large n and small n·x². */
function kolmogorovCdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const pi2 = Math.PI ** 2;
  const pi4 = Math.PI ** 4;
  const pi6 = Math.PI ** 6;
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number);
  }
  const denominators = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * sqrt2pi) / (denominators[i] as number);
  q = Math.exp(-pi2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qp;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2] = (K[2] as number) + (k2extra * pi2 * sqrt2pi) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * pi2 * sqrt2pi) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2);
  return sum;
}

/**
 * Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic Dₙ (`scipy.stats.kstwo.sf`),
 * following SciPy's choice of method by region (Simard & L'Ecuyer 2011). One deviation: where SciPy uses
 * Pomeranz's recursion (n ≤ 140, 0.754693 < n·x² ≤ 4) this uses the Durbin matrix, which computes the
 * same exact probability.
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const cdf =
      n <= 140
        ? Array.from({ length: n }, (_, i) => ((i + 1) / n) * (2 * t - 1)).reduce((a, b) => a * b, 1)
        : Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return clip01(1 - kolmogorovCdfDurbin(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? kolmogorovCdfDurbin(n, x) : kolmogorovCdfPelzGood(n, x);
  return clip01(1 - cdf);
}

// ---------------------------------------------------------------------------------------------------
// Two-sample Kolmogorov–Smirnov
// ---------------------------------------------------------------------------------------------------

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  /** sup |F₁ − F₂|. */
  statistic: number;
  pValue: number;
  /** The method actually used ('auto' resolved; 'exact' may fall back to 'asymp' like SciPy does). */
  method: 'exact' | 'asymp';
}

/** SciPy's cut-off: 'auto' is exact while both samples have at most this many values. */
export const KS_MAX_EXACT_N = 10_000;

/** A sorted Float64Array copy: typed-array sort is numeric and several times faster than Array's. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return sortFloat64(Float64Array.from(values));
}

/** Below this many values the built-in sort wins over the radix sort's fixed cost (4 × 64 K counters). */
const RADIX_MIN = 4096;

/**
 * Sorts in place, in the built-in `Float64Array.prototype.sort` order (−0 before +0; the drift path has
 * no NaN), by an LSD radix sort over four 16-bit digits: 4–6× faster than the built-in sort on a
 * million values, which is most of a drift comparison's time. The bits are mapped so that unsigned
 * order is numeric order (negative: all bits flipped; otherwise the sign bit set), sorted as 32-bit word
 * pairs (moving them as doubles could canonicalize the NaN patterns the mapping creates), mapped back.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN) return values.sort();
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) return values.sort();
  }
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  // Every platform we run on is little-endian: word 2i is the low half of value i.
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1] as number;
    if (hi & 0x80000000) {
      words[2 * i] = ~(words[2 * i] as number);
      words[2 * i + 1] = ~hi;
    } else {
      words[2 * i + 1] = hi | 0x80000000;
    }
  }
  const counts = new Uint32Array(4 * 65536);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i] as number;
    const hi = words[2 * i + 1] as number;
    counts[lo & 0xffff] = (counts[lo & 0xffff] as number) + 1;
    counts[65536 + (lo >>> 16)] = (counts[65536 + (lo >>> 16)] as number) + 1;
    counts[131072 + (hi & 0xffff)] = (counts[131072 + (hi & 0xffff)] as number) + 1;
    counts[196608 + (hi >>> 16)] = (counts[196608 + (hi >>> 16)] as number) + 1;
  }
  let source: Uint32Array = words;
  let target: Uint32Array = new Uint32Array(n * 2);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 65536;
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    // A digit every value shares leaves the order as it is: skip the pass.
    let skip = false;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[base + d] as number;
      if (c === n) skip = true;
      counts[base + d] = sum;
      sum += c;
    }
    if (skip) continue;
    for (let i = 0; i < n; i++) {
      const digit = ((source[2 * i + word] as number) >>> shift) & 0xffff;
      const at = counts[base + digit] as number;
      counts[base + digit] = at + 1;
      target[2 * at] = source[2 * i] as number;
      target[2 * at + 1] = source[2 * i + 1] as number;
    }
    [source, target] = [target, source];
  }
  if (source !== words) words.set(source);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1] as number;
    if (hi & 0x80000000) {
      words[2 * i + 1] = hi & 0x7fffffff;
    } else {
      words[2 * i] = ~(words[2 * i] as number);
      words[2 * i + 1] = ~hi;
    }
  }
  return values;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** P(D_{n,n} ≥ h/n): alternating series in Horner form (SciPy's `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D_{m,n} ≥ h/lcm) by Hodges' inside method, recursing on 1 − p directly (Viehmann 2021), as SciPy's
 * `_compute_outer_prob_inside_method`.
 */
function probOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      for (let x = maxj - minj; x < maxj - minj + (lastlen - curlen) && x < lenA; x++) A[x] = 1;
    }
  }
  return A[maxj - minj - 1] as number;
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(a, b, method=method)`.
 * 'exact' counts lattice paths (Hodges; equal sizes by the closed-form series); 'asymp' is SciPy's
 * asymptotic: the one-sample distribution `kstwo.sf(d, round(n₁n₂ / (n₁ + n₂)))`. NaN values are the
 * caller's to drop. Throws on an empty sample.
 */
export function ksTwoSample(a: readonly number[], b: readonly number[], method: KsMethod = 'auto'): KsResult {
  return ksTwoSampleSorted(sortedCopy(a), sortedCopy(b), method);
}

/** `ksTwoSample` over samples the caller already sorted ascending (no copy: the drift stage's 1M-row path). */
export function ksTwoSampleSorted(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  method: KsMethod = 'auto',
): KsResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ksTwoSample needs two non-empty samples');
  // Walk both sorted samples; after each distinct value both ECDFs are exact counts over n.
  let i = 0;
  let j = 0;
  let maxS = Number.NEGATIVE_INFINITY;
  let minS = Number.POSITIVE_INFINITY;
  while (i < n1 || j < n2) {
    const v =
      j >= n2 || (i < n1 && (x[i] as number) <= (y[j] as number)) ? (x[i] as number) : (y[j] as number);
    while (i < n1 && x[i] === v) i++;
    while (j < n2 && y[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  let d = Math.max(maxS, clip01(-minS));
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' =
    method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp') : method;
  if (mode === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  let p = Number.NaN;
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h);
    // SciPy falls back to the asymptotic value when the exact recursion leaves [0, 1].
    if (!(p >= 0 && p <= 1)) mode = 'asymp';
  }
  if (mode === 'asymp') {
    const en = (n1 * n2) / (n1 + n2);
    p = kolmogorovSf(roundHalfEven(en), d);
  }
  return { statistic: d, pValue: clip01(p), method: mode };
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---------------------------------------------------------------------------------------------------
// Mann–Whitney U
// ---------------------------------------------------------------------------------------------------

export interface MannWhitneyResult {
  /** U of the first sample (SciPy's `statistic`). */
  statistic: number;
  pValue: number;
  /** The standardized statistic the p-value comes from (continuity-corrected, tie-corrected). */
  z: number;
}

/**
 * Two-sided Mann–Whitney U with average ranks for ties, tie-corrected variance and continuity correction,
 * p-value from the normal approximation: `mannwhitneyu(a, b, method='asymptotic')`. When every value is
 * tied the variance is 0 and, as in SciPy, the p-value is NaN.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  return mannWhitneyUSorted(sortedCopy(a), sortedCopy(b));
}

/**
 * `mannWhitneyU` over samples the caller already sorted ascending: ranks come from one merge walk, so
 * no combined array is built.
 */
export function mannWhitneyUSorted(x: ArrayLike<number>, y: ArrayLike<number>): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs two non-empty samples');
  const n = n1 + n2;
  let r1 = 0;
  let tieTerm = 0;
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const v =
      j >= n2 || (i < n1 && (x[i] as number) <= (y[j] as number)) ? (x[i] as number) : (y[j] as number);
    const start = i + j;
    let tx = 0;
    while (i < n1 && x[i] === v) {
      i++;
      tx++;
    }
    while (j < n2 && y[j] === v) j++;
    const t = i + j - start;
    // The tied values share the average of ranks start+1 … start+t.
    r1 += tx * (start + (t + 1) / 2);
    tieTerm += t ** 3 - t;
  }
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.max(u1, n1 * n2 - u1);
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u - (n1 * n2) / 2 - 0.5) / s;
  return { statistic: u1, pValue: clip01(2 * normalSf(z)), z };
}

// ---------------------------------------------------------------------------------------------------
// Chi-square test of homogeneity
// ---------------------------------------------------------------------------------------------------

export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * χ² test that two count vectors over the same categories come from one distribution: the 2×k
 * contingency table, `chi2_contingency([a, b], correction=False)`. Categories with no count on either
 * side carry no information and are dropped first (SciPy rejects zero expected frequencies), so dof is
 * (number of categories seen) − 1. A single category gives statistic 0, dof 0, p-value 1.
 */
export function chiSquareHomogeneity(a: readonly number[], b: readonly number[]): ChiSquareResult {
  if (a.length !== b.length) throw new RangeError('chiSquareHomogeneity needs count vectors of equal length');
  const cols: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x < 0 || y < 0 || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new RangeError('counts must be finite and non-negative');
    }
    if (x + y > 0) cols.push([x, y]);
  }
  const rowA = cols.reduce((s, c) => s + c[0], 0);
  const rowB = cols.reduce((s, c) => s + c[1], 0);
  const total = rowA + rowB;
  const dof = cols.length - 1;
  if (dof <= 0 || rowA === 0 || rowB === 0) return { statistic: 0, dof: Math.max(dof, 0), pValue: 1 };
  let statistic = 0;
  for (const [x, y] of cols) {
    const colTotal = x + y;
    const ea = (rowA * colTotal) / total;
    const eb = (rowB * colTotal) / total;
    statistic += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb;
  }
  return { statistic, dof, pValue: clip01(chiSquareSf(statistic, dof)) };
}

// ---------------------------------------------------------------------------------------------------
// Distribution distances over shared bins / categories
// ---------------------------------------------------------------------------------------------------

/**
 * Proportion substituted for an empty bin in PSI: ln(0) is undefined, and 1e-4 is the customary choice
 * (a bin empty on one side contributes about (p − 1e-4)·ln(p / 1e-4), large but finite).
 */
export const PSI_EPSILON = 1e-4;

function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  if (!(total > 0)) throw new RangeError('a count vector must have a positive total');
  return counts.map((c) => c / total);
}

/**
 * Population stability index Σ (qᵢ − pᵢ)·ln(qᵢ / pᵢ) of `actual` (q) against `expected` (p), both counts
 * over the same bins, each proportion floored at `epsilon`. Every term is ≥ 0, so PSI ≥ 0, and it is 0
 * exactly when the proportions agree.
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) throw new RangeError('psi needs count vectors of equal length');
  const p = proportions(expected);
  const q = proportions(actual);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const e = Math.max(p[i] as number, epsilon);
    const o = Math.max(q[i] as number, epsilon);
    sum += (o - e) * Math.log(o / e);
  }
  return sum;
}

/**
 * Jensen–Shannon divergence in bits (base 2, so in [0, 1]) between two count vectors over the same bins.
 * This is the square of SciPy's `jensenshannon(p, q, base=2)`, which is the distance. Computed
 * term-wise symmetrically, so swapping the arguments gives the identical float.
 */
export function jensenShannon(p0: readonly number[], q0: readonly number[]): number {
  if (p0.length !== q0.length) throw new RangeError('jensenShannon needs count vectors of equal length');
  const p = proportions(p0);
  const q = proportions(q0);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    const qi = q[i] as number;
    const m = (pi + qi) / 2;
    const left = pi > 0 ? pi * Math.log(pi / m) : 0;
    const right = qi > 0 ? qi * Math.log(qi / m) : 0;
    sum += left + right;
  }
  return Math.min(1, Math.max(0, sum / 2 / Math.LN2));
}

// ---------------------------------------------------------------------------------------------------
// Binning and moments for numeric columns
// ---------------------------------------------------------------------------------------------------

/** The percentiles whose deltas a drift report shows. */
export const DRIFT_PERCENTILES = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95] as const;

/** `numpy.quantile(sorted, p)` with linear interpolation; `sorted` must be ascending and non-empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  // numpy's lerp: from the nearer end, so the result is monotone and exact at t = 1.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * Interior bin edges at the reference's quantiles i/bins (i = 1 … bins−1), duplicates removed, so that
 * each bin holds about 1/bins of the reference. Bins are right-closed: (−∞, e₁], (e₁, e₂], …, (e_k, ∞).
 */
export function referenceBinEdges(reference: readonly number[], bins = 10): number[] {
  return referenceBinEdgesSorted(sortedCopy(reference), bins);
}

/** `referenceBinEdges` of an already ascending sample. */
export function referenceBinEdgesSorted(sorted: ArrayLike<number>, bins = 10): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Counts of `values` in the bins `referenceBinEdges` defines (edges.length + 1 counts). */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    // First edge ≥ v: a value equal to an edge belongs to the bin it closes.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return counts;
}

/** `binCounts` of an ascending sample, in one walk instead of a search per value. */
export function binCountsSorted(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  let start = 0;
  for (let i = 0; i < sorted.length; i++) {
    // Right-closed bins: move on while the value lies past the current bin's upper edge.
    while (bin < edges.length && (sorted[i] as number) > (edges[bin] as number)) {
      counts[bin] = i - start;
      start = i;
      bin++;
    }
  }
  counts[bin] = sorted.length - start;
  return counts;
}

export interface Moments {
  n: number;
  mean: number;
  /** Sample standard deviation (ddof = 1); 0 for a single value. */
  std: number;
}

export function moments(values: ArrayLike<number>): Moments {
  const n = values.length;
  if (n === 0) throw new RangeError('moments of an empty sample');
  let mean = 0;
  let m2 = 0;
  // Welford: no catastrophic cancellation for large offsets.
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const delta = v - mean;
    mean += delta / (i + 1);
    m2 += delta * (v - mean);
  }
  return { n, mean, std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
}

/**
 * (current mean − reference mean) in reference standard deviations. A constant reference has no scale:
 * then 0 when the means agree and ±Infinity when they do not.
 */
export function meanShift(reference: Moments, current: Moments): number {
  const diff = current.mean - reference.mean;
  if (reference.std === 0)
    return diff === 0 ? 0 : diff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return diff / reference.std;
}

/** current std / reference std; 1 when both are constant, Infinity when only the reference is. */
export function stdRatio(reference: Moments, current: Moments): number {
  if (reference.std === 0) return current.std === 0 ? 1 : Number.POSITIVE_INFINITY;
  return current.std / reference.std;
}

/** Quantile deltas current − reference at `DRIFT_PERCENTILES` (or the given levels). */
export function quantileDeltas(
  reference: readonly number[],
  current: readonly number[],
  levels: readonly number[] = DRIFT_PERCENTILES,
): Array<{ p: number; reference: number; current: number; delta: number }> {
  return quantileDeltasSorted(sortedCopy(reference), sortedCopy(current), levels);
}

/** `quantileDeltas` of already ascending samples. */
export function quantileDeltasSorted(
  r: ArrayLike<number>,
  c: ArrayLike<number>,
  levels: readonly number[] = DRIFT_PERCENTILES,
): Array<{ p: number; reference: number; current: number; delta: number }> {
  return levels.map((p) => {
    const rv = quantileSorted(r, p);
    const cv = quantileSorted(c, p);
    return { p, reference: rv, current: cv, delta: cv - rv };
  });
}

/** Categories present in `current` but not `reference` (new) and the reverse (missing), sorted. */
export function categoryChanges(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): { newCategories: string[]; missingCategories: string[] } {
  const present = (m: ReadonlyMap<string, number>, k: string): boolean => (m.get(k) ?? 0) > 0;
  const newCategories = [...current.keys()].filter((k) => present(current, k) && !present(reference, k));
  const missingCategories = [...reference.keys()].filter(
    (k) => present(reference, k) && !present(current, k),
  );
  return { newCategories: newCategories.sort(), missingCategories: missingCategories.sort() };
}

/** Aligns two category → count maps on the union of their keys (sorted), for chi-square, PSI and JS. */
export function alignCategories(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): { categories: string[]; reference: number[]; current: number[] } {
  const categories = [...new Set([...reference.keys(), ...current.keys()])].sort();
  return {
    categories,
    reference: categories.map((c) => reference.get(c) ?? 0),
    current: categories.map((c) => current.get(c) ?? 0),
  };
}
