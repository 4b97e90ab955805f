import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CYCLICAL_TIME_PARTS,
  cyclicalTimePart,
  DftPlan,
  dft,
  diff,
  EXPANDING_STATS,
  ewmMean,
  ewmStd,
  expanding,
  IMPUTATIONS,
  imputeSeries,
  lag,
  logReturns,
  parseDuration,
  pctChange,
  ROLLING_STATS,
  type RollingStat,
  rateOfChange,
  rolling,
  rollingStd,
  rollingVolatility,
  spectralFeatures,
  TIME_PARTS,
  timePart,
  trailingWindowAggregate,
  WINDOW_AGGREGATE_STATS,
} from '../../../shared/domain/features/index.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { normal } from '../../support/random.js';

// ---------------------------------------------------------------------------------------------------
// Naive references: the direct definitions, O(n·w), written independently of the kernels.

/** A missing value, as pandas prints it. */
const NA = Number.NaN;

function present(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v));
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NA : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample std (ddof = 1), two-pass. */
function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return NA;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NA;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NA) : ((s[mid - 1] ?? NA) + (s[mid] ?? NA)) / 2;
}

function statOf(stat: RollingStat | 'mean' | 'std' | 'min' | 'max', values: readonly number[]): number {
  if (values.length === 0) return NA;
  switch (stat) {
    case 'mean':
      return mean(values);
    case 'std':
      return sampleStd(values);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'median':
      return median(values);
    case 'range':
      return Math.max(...values) - Math.min(...values);
  }
}

function naiveRolling(
  x: readonly number[],
  window: number,
  stat: RollingStat,
  minPeriods = window,
): number[] {
  return x.map((_, i) => {
    const values = present(x.slice(Math.max(0, i - window + 1), i + 1));
    return values.length < minPeriods ? NA : statOf(stat, values);
  });
}

/**
 * pandas' ewm(adjust=True, ignore_na=False): weights (1 − α)^(t − j) by row distance. At α = 1 a
 * missing row has no weight left (0^k); pandas then repeats the last value, the limit as α → 1.
 */
function naiveEwm(x: readonly number[], alpha: number, stat: 'mean' | 'std'): number[] {
  return x.map((_, t) => {
    if (alpha === 1 && stat === 'mean') return present(x.slice(0, t + 1)).at(-1) ?? NA;
    let v1 = 0;
    let v2 = 0;
    let weightedSum = 0;
    for (let j = 0; j <= t; j++) {
      const v = x[j] ?? NA;
      if (Number.isNaN(v)) continue;
      const w = (1 - alpha) ** (t - j);
      v1 += w;
      v2 += w * w;
      weightedSum += w * v;
    }
    if (v1 === 0) return NA;
    const m = weightedSum / v1;
    if (stat === 'mean') return m;
    let s = 0;
    for (let j = 0; j <= t; j++) {
      const v = x[j] ?? NA;
      if (!Number.isNaN(v)) s += (1 - alpha) ** (t - j) * (v - m) ** 2;
    }
    const denominator = v1 * v1 - v2;
    return denominator > 0 ? Math.sqrt((s * v1) / denominator) : NA;
  });
}

function naiveDft(x: readonly number[]): { re: number[]; im: number[] } {
  const n = x.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < n; k++) {
    let r = 0;
    let i = 0;
    for (let j = 0; j < n; j++) {
      const angle = (-2 * Math.PI * ((j * k) % n)) / n;
      r += (x[j] ?? 0) * Math.cos(angle);
      i += (x[j] ?? 0) * Math.sin(angle);
    }
    re.push(r);
    im.push(i);
  }
  return { re, im };
}

// ---------------------------------------------------------------------------------------------------
// Comparison and generators

/** First index where `actual` differs from `expected` beyond rel·max(1, |e|, scale); null when none. */
function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { rel?: number; scale?: number } = {},
): string | null {
  const rel = options.rel ?? 1e-9;
  const scale = options.scale ?? 0;
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] ?? NA;
    const e = expected[i] ?? NA;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return `[${i}]: got ${a}, expected ${e}`;
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= rel * Math.max(1, Math.abs(e), scale))) return `[${i}]: got ${a}, expected ${e}`;
  }
  return null;
}

function scaleOf(x: readonly number[]): number {
  return present(x).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
}

/** Series with missing values, repeated small integers (ties, constant runs) and wide-ranging doubles. */
const series = (maxLength = 60) =>
  fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true }) },
      { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
      { weight: 2, arbitrary: fc.constant(NA) },
    ),
    { maxLength },
  );

/** Positive series (prices) with missing values and occasional zeros. */
const positiveSeries = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: 0.01, max: 1000, noNaN: true }) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(NA) },
  ),
  { maxLength: 60 },
);

// ---------------------------------------------------------------------------------------------------

describe('rolling window kernels', () => {
  it.each(ROLLING_STATS)(
    'computes rolling %s like its direct definition, with min_periods = window or 1',
    (stat) => {
      fc.assert(
        fc.property(series(), fc.integer({ min: 1, max: 12 }), fc.boolean(), (x, window, one) => {
          // Prepare
          const minPeriods = one ? 1 : window;

          // Act
          const actual = rolling(x, window, stat, { minPeriods });

          // Assess
          expect(
            mismatch(actual, naiveRolling(x, window, stat, minPeriods), { scale: scaleOf(x) }),
          ).toBeNull();
        }),
      );
    },
  );

  it('defaults min_periods to the window, so a window holding a missing value is missing', () => {
    // Prepare
    const x = [1, 2, NA, 4, 5, 6];

    // Act
    const actual = rolling(x, 2, 'mean');

    // Assess: pandas.Series(x).rolling(2).mean()
    expect(Array.from(actual)).toEqual([NA, 1.5, NA, NA, 4.5, 5.5]);
  });

  it('gives exactly 0 std and the value itself as mean for a constant window', () => {
    // Prepare
    const x = [0.1, 0.7, 0.3, 0.3, 0.3, 0.3];

    // Act
    const std = rolling(x, 3, 'std');
    const mean = rolling(x, 3, 'mean');

    // Assess
    expect(std[4]).toBe(0);
    expect(std[5]).toBe(0);
    expect(mean[5]).toBe(0.3);
  });

  it('leaves no residue when a large value leaves a window of small ones', () => {
    // Prepare: once 1e8 has left, the window is [1, 2, 1, 2] (std √(1/3)); a running Welford state would
    // keep an error of ε·1e16 ≈ 1 here.
    const x = [1e8, 1, 2, 1, 2, 1];

    // Act
    const std = rolling(x, 4, 'std');
    const range = rolling(x, 4, 'range');

    // Assess
    expect(Math.abs((std[4] ?? NA) - Math.sqrt(1 / 3))).toBeLessThan(1e-14);
    expect(Math.abs((std[5] ?? NA) - Math.sqrt(1 / 3))).toBeLessThan(1e-14);
    expect(range[4]).toBe(1);
  });

  it('stays accurate over a long series with a large offset (rounding errors do not pile up)', () => {
    // Prepare: 200k values around 1e6 with unit noise; Σx² − n·mean² would lose every digit here.
    const next = normal(7);
    const x = Array.from({ length: 200_000 }, () => 1e6 + next());
    const window = 50;

    // Act
    const actual = rollingStd(x, window);

    // Assess
    for (let i = window - 1; i < x.length; i += 997) {
      const expected = sampleStd(x.slice(i - window + 1, i + 1));
      expect(Math.abs((actual[i] ?? NA) - expected) / expected).toBeLessThan(1e-9);
    }
  });

  it('refuses a window below 1 or min_periods above the window', () => {
    // Act / Assess
    expect(() => rolling([1, 2], 0, 'mean')).toThrow(InvalidInputError);
    expect(() => rolling([1, 2], 2, 'max', { minPeriods: 3 })).toThrow(InvalidInputError);
  });
});

describe('lags and differences', () => {
  it('shifts by k rows like pandas shift(k)', () => {
    fc.assert(
      fc.property(series(), fc.integer({ min: 1, max: 10 }), (x, k) => {
        // Act
        const actual = lag(x, k);

        // Assess
        expect(
          mismatch(
            actual,
            x.map((_, i) => (i >= k ? (x[i - k] ?? NA) : NA)),
          ),
        ).toBeNull();
      }),
    );
  });

  it('refuses a lag that would read a later row', () => {
    // Act / Assess
    expect(() => lag([1, 2, 3], 0)).toThrow(InvalidInputError);
    expect(() => lag([1, 2, 3], -1)).toThrow(InvalidInputError);
  });

  it('computes the first difference (diff()) and the second difference (diff().diff())', () => {
    fc.assert(
      fc.property(series(), (x) => {
        // Prepare
        const first = x.map((v, i) => (i >= 1 ? v - (x[i - 1] ?? NA) : NA));
        const second = first.map((v, i) => (i >= 1 ? v - (first[i - 1] ?? NA) : NA));

        // Act / Assess
        expect(mismatch(diff(x, 1), first)).toBeNull();
        expect(mismatch(diff(x, 2), second, { scale: scaleOf(x) })).toBeNull();
      }),
    );
  });

  it('computes the percent change over `periods` rows like pct_change(periods, fill_method=None)', () => {
    fc.assert(
      fc.property(series(), fc.integer({ min: 1, max: 5 }), (x, periods) => {
        // Prepare
        const expected = x.map((v, i) => (i >= periods ? v / (x[i - periods] ?? NA) - 1 : NA));

        // Act
        const actual = pctChange(x, periods);

        // Assess: infinities (a change from 0) are kept as pandas keeps them
        expect(mismatch(actual, expected)).toBeNull();
      }),
    );
  });

  it('divides each difference by the seconds elapsed since the previous row', () => {
    fc.assert(
      fc.property(
        series(),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 60, maxLength: 60 }),
        (x, steps) => {
          // Prepare
          const ts = steps.slice(0, x.length).map((_, i) => steps.slice(0, i + 1).reduce((a, b) => a + b, 0));
          const expected = x.map((v, i) =>
            i >= 1 ? (v - (x[i - 1] ?? NA)) / (((ts[i] ?? NA) - (ts[i - 1] ?? NA)) / 1000) : NA,
          );

          // Act
          const actual = rateOfChange(x, ts);

          // Assess
          expect(mismatch(actual, expected)).toBeNull();
        },
      ),
    );
  });
});

describe('exponentially weighted moments', () => {
  // pandas 3.1.1: s = pd.Series([1.0, nan, 3.0, 2.0, nan, nan, 5.0, 4.0])
  const s = [1, NA, 3, 2, NA, NA, 5, 4];

  it('matches pandas ewm(span=3).mean() and .std() on a series with gaps', () => {
    // Prepare: s.ewm(span=3).mean(), s.ewm(span=3).std(). By hand, α = 0.5 and row 2 weighs row 0
    // by 0.5² (two rows back, the gap still decays it): (0.25·1 + 1·3) / 1.25 = 2.6.
    const expectedMean = [
      1, 1, 2.6, 2.230769230769231, 2.230769230769231, 2.230769230769231, 4.532467532467533, 4.2,
    ];
    // (pandas prints √2 for row 2, to the last digit here and one ulp below in the next test.)
    const expectedStd = [
      NA,
      NA,
      Math.SQRT2,
      0.7977240352174656,
      0.7977240352174656,
      0.7977240352174656,
      1.9573068814855021,
      0.981187183583477,
    ];

    // Act
    const actualMean = ewmMean(s, { span: 3 });
    const actualStd = ewmStd(s, { span: 3 });

    // Assess
    expect(mismatch(actualMean, expectedMean, { rel: 1e-12 })).toBeNull();
    expect(mismatch(actualStd, expectedStd, { rel: 1e-12 })).toBeNull();
  });

  it('matches pandas ewm(alpha=0.3).mean() and .std()', () => {
    // Prepare: s.ewm(alpha=0.3).mean(), s.ewm(alpha=0.3).std()
    const expectedMean = [
      1, 1, 2.3422818791946307, 2.174743024963289, 2.174743024963289, 2.174743024963289, 3.8359269945182977,
      3.9108282432657786,
    ];
    const expectedStd = [
      NA,
      NA,
      Math.SQRT2,
      0.883565163249816,
      0.883565163249816,
      0.883565163249816,
      1.9024973737069923,
      1.318547548108898,
    ];

    // Act / Assess
    expect(mismatch(ewmMean(s, { alpha: 0.3 }), expectedMean, { rel: 1e-12 })).toBeNull();
    expect(mismatch(ewmStd(s, { alpha: 0.3 }), expectedStd, { rel: 1e-12 })).toBeNull();
  });

  it('equals the directly weighted mean and unbiased std on random series (adjust=True)', () => {
    fc.assert(
      fc.property(
        series(40),
        // Just below α = 1 the unbiasing factor (Σw)² / ((Σw)² − Σw²) divides two nearly equal numbers in
        // any formulation, so α stays ≤ 0.99 there; α = 1 itself (span 1) is exact.
        fc.oneof(
          fc.record({ span: fc.oneof(fc.constant(1), fc.double({ min: 1.03, max: 30, noNaN: true })) }),
          fc.record({ alpha: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 0.99, noNaN: true })) }),
        ),
        (x, options) => {
          // Prepare
          const alpha = 'span' in options ? 2 / (options.span + 1) : options.alpha;

          // Act
          const actualMean = ewmMean(x, options);
          const actualStd = ewmStd(x, options);

          // Assess
          expect(mismatch(actualMean, naiveEwm(x, alpha, 'mean'), { scale: scaleOf(x) })).toBeNull();
          expect(mismatch(actualStd, naiveEwm(x, alpha, 'std'), { rel: 1e-7, scale: scaleOf(x) })).toBeNull();
        },
      ),
    );
  });

  it('gives no std after a single observation, however many missing rows follow', () => {
    // Prepare: pandas returns 0 or NaN here depending on rounding (the unbiasing factor is 0/0)
    const x = [0, NA, NA, NA, 1];

    // Act
    const std = ewmStd(x, { alpha: 0.47653023842995157 });

    // Assess
    expect(Array.from(std.subarray(0, 4))).toEqual([NA, NA, NA, NA]);
    expect(std[4]).toBeGreaterThan(0);
  });

  it('refuses both or neither of span and alpha, and out-of-range values', () => {
    // Act / Assess
    expect(() => ewmMean([1], {})).toThrow(InvalidInputError);
    expect(() => ewmMean([1], { span: 3, alpha: 0.5 })).toThrow(InvalidInputError);
    expect(() => ewmMean([1], { span: 0.5 })).toThrow(InvalidInputError);
    expect(() => ewmStd([1], { alpha: 0 })).toThrow(InvalidInputError);
  });
});

describe('expanding windows', () => {
  it.each(EXPANDING_STATS)('computes expanding %s over every earlier value', (stat) => {
    fc.assert(
      fc.property(series(), (x) => {
        // Prepare
        const expected = x.map((_, i) => statOf(stat, present(x.slice(0, i + 1))));

        // Act
        const actual = expanding(x, stat);

        // Assess
        expect(mismatch(actual, expected, { scale: scaleOf(x) })).toBeNull();
      }),
    );
  });
});

describe('rolling volatility', () => {
  it('is the rolling sample std of log returns, missing where a return is undefined', () => {
    fc.assert(
      fc.property(positiveSeries, fc.integer({ min: 2, max: 8 }), (x, window) => {
        // Prepare
        const returns = x.map((v, i) => {
          const r = i >= 1 ? Math.log(v / (x[i - 1] ?? NA)) : NA;
          return Number.isFinite(r) ? r : NA;
        });

        // Act
        const actual = rollingVolatility(x, window);

        // Assess
        expect(mismatch(logReturns(x), returns)).toBeNull();
        expect(mismatch(actual, naiveRolling(returns, window, 'std'))).toBeNull();
      }),
    );
  });
});

describe('spectral features', () => {
  it('computes the DFT of any length like the direct sum (radix-2 and Bluestein)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 70 }),
        (x) => {
          // Prepare
          const expected = naiveDft(x);
          const scale = x.reduce((a, v) => a + Math.abs(v), 0);

          // Act
          const actual = dft(x);

          // Assess
          expect(mismatch(actual.re, expected.re, { scale })).toBeNull();
          expect(mismatch(actual.im, expected.im, { scale })).toBeNull();
        },
      ),
    );
  });

  it('transforms complex input too (a DFT plan is reusable)', () => {
    // Prepare: the DFT of e^(2πi·3j/12) is 12 at bin 3 and 0 elsewhere.
    const n = 12;
    const re = Array.from({ length: n }, (_, j) => Math.cos((2 * Math.PI * 3 * j) / n));
    const im = Array.from({ length: n }, (_, j) => Math.sin((2 * Math.PI * 3 * j) / n));
    const plan = new DftPlan(n);
    const outRe = new Float64Array(n);
    const outIm = new Float64Array(n);

    // Act
    plan.transform(re, im, outRe, outIm);
    plan.transform(re, im, outRe, outIm);

    // Assess
    outRe.forEach((v, k) => {
      expect(v).toBeCloseTo(k === 3 ? n : 0, 9);
      expect(outIm[k]).toBeCloseTo(0, 9);
    });
  });

  it.each([64, 60])(
    'finds the frequency of a pure sine as the top component, with ~0 entropy (window %i)',
    (window) => {
      // Prepare: amplitude 3 at bin 5 (5/window cycles per row), phase 0.4
      const bin = 5;
      const x = Array.from(
        { length: window + 10 },
        (_, j) => 3 * Math.sin((2 * Math.PI * bin * j) / window + 0.4),
      );

      // Act
      const f = spectralFeatures(x, window, 3);

      // Assess: |X[k]| = amplitude · window / 2 at the tone's bin
      for (let i = window - 1; i < x.length; i++) {
        expect(f.frequencies[0]?.[i]).toBeCloseTo(bin / window, 12);
        expect(f.magnitudes[0]?.[i]).toBeCloseTo((3 * window) / 2, 9);
        expect(f.magnitudes[1]?.[i]).toBeLessThan(1e-9);
        expect(f.entropy[i]).toBeLessThan(1e-12);
        expect(f.energy[i]).toBeCloseTo((9 * window) / 2, 9);
      }
      expect(f.energy[window - 2]).toBeNaN();
    },
  );

  it('gives entropy 1 for a flat spectrum (an impulse) and NA for a constant window', () => {
    // Prepare
    const impulse = [1, 0, 0, 0, 0, 0, 0, 0];
    const constant = [2, 2, 2, 2];

    // Act
    const flat = spectralFeatures(impulse, 8, 1);
    const dc = spectralFeatures(constant, 4, 1);

    // Assess: ties on magnitude resolve to the lowest frequency
    expect(flat.entropy[7]).toBeCloseTo(1, 12);
    expect(flat.frequencies[0]?.[7]).toBe(1 / 8);
    expect(dc.entropy[3]).toBeNaN();
    expect(dc.energy[3]).toBe(16);
  });

  it('matches a direct DFT of every trailing window: top-K, energy = Σx² (Parseval), entropy', () => {
    fc.assert(
      fc.property(
        series(40),
        fc
          .integer({ min: 4, max: 17 })
          .chain((window) =>
            fc.tuple(fc.constant(window), fc.integer({ min: 1, max: Math.floor(window / 2) })),
          ),
        (x, [window, topK]) => {
          // Act
          const f = spectralFeatures(x, window, topK);

          // Assess
          const bins = Math.floor(window / 2);
          for (let i = 0; i < x.length; i++) {
            const frame = x.slice(i + 1 - window, i + 1);
            if (i < window - 1 || frame.some(Number.isNaN)) {
              expect(f.energy[i]).toBeNaN();
              expect(f.magnitudes[0]?.[i]).toBeNaN();
              continue;
            }
            const { re, im } = naiveDft(frame);
            const power = re.map((r, k) => r * r + (im[k] ?? 0) ** 2);
            const sumSquares = frame.reduce((a, v) => a + v * v, 0);
            const tol = 1e-9 * Math.max(1, sumSquares);
            expect(Math.abs((f.energy[i] ?? NA) - sumSquares)).toBeLessThanOrEqual(tol);
            expect(Math.abs(power.reduce((a, b) => a + b, 0) / window - sumSquares)).toBeLessThanOrEqual(tol);

            const oneSided = power.slice(1, bins + 1);
            const total = oneSided.reduce((a, b) => a + b, 0);
            const entropy =
              total > tol
                ? -oneSided.reduce((a, p) => (p > 0 ? a + (p / total) * Math.log(p / total) : a), 0) /
                  Math.log(bins)
                : NA;
            if (total > tol) expect(Math.abs((f.entropy[i] ?? NA) - entropy)).toBeLessThan(1e-6);

            // Magnitudes may tie (then either frequency is right): compare the sorted magnitudes, and
            // check each reported frequency carries its reported magnitude.
            const sorted = oneSided.map(Math.sqrt).sort((a, b) => b - a);
            for (let r = 0; r < topK; r++) {
              const mag = f.magnitudes[r]?.[i] ?? NA;
              const k = Math.round((f.frequencies[r]?.[i] ?? NA) * window);
              expect(Math.abs(mag - (sorted[r] ?? NA))).toBeLessThanOrEqual(
                1e-9 * Math.max(1, Math.sqrt(sumSquares) * window),
              );
              expect(Math.abs(mag - Math.sqrt(power[k] ?? NA))).toBeLessThanOrEqual(
                1e-9 * Math.max(1, Math.sqrt(sumSquares) * window),
              );
              expect(k).toBeGreaterThanOrEqual(1);
              expect(k).toBeLessThanOrEqual(bins);
            }
            const ks = Array.from({ length: topK }, (_, r) => f.frequencies[r]?.[i]);
            expect(new Set(ks).size).toBe(topK);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a window below 4 or more components than frequencies', () => {
    // Act / Assess
    expect(() => spectralFeatures([1, 2, 3], 3, 1)).toThrow(InvalidInputError);
    expect(() => spectralFeatures([1, 2, 3, 4], 4, 3)).toThrow(InvalidInputError);
  });
});

describe('calendar parts', () => {
  // Date's range is ±8.64e15 ms; a month short of it so the test's month-end probe stays in range.
  const instant = fc.integer({ min: -8_600_000_000_000_000, max: 8_600_000_000_000_000 });

  function expectedPart(ms: number, part: (typeof TIME_PARTS)[number]): number {
    const d = new Date(ms);
    const dayOfWeek = (d.getUTCDay() + 6) % 7;
    switch (part) {
      case 'hour':
        return d.getUTCHours();
      case 'day_of_week':
        return dayOfWeek;
      case 'day_of_month':
        return d.getUTCDate();
      case 'month':
        return d.getUTCMonth() + 1;
      case 'is_weekend':
        return dayOfWeek >= 5 ? 1 : 0;
    }
  }

  it.each(TIME_PARTS)('extracts %s in UTC like the Date UTC getters (Monday = 0)', (part) => {
    fc.assert(
      fc.property(fc.array(instant, { maxLength: 20 }), (ts) => {
        // Act
        const actual = timePart(ts, part);

        // Assess
        expect(Array.from(actual)).toEqual(ts.map((ms) => expectedPart(ms, part)));
      }),
    );
  });

  it.each(CYCLICAL_TIME_PARTS)('encodes %s as sin/cos of its position in the cycle', (part) => {
    fc.assert(
      fc.property(fc.array(instant, { maxLength: 20 }), (ts) => {
        // Prepare
        const angles = ts.map((ms) => {
          const d = new Date(ms);
          const monthEnd = new Date(0);
          monthEnd.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + 1, 0);
          const period = { hour: 24, day_of_week: 7, month: 12, day_of_month: monthEnd.getUTCDate() }[part];
          return (2 * Math.PI * expectedPart(ms, part)) / period;
        });

        // Act
        const { sin, cos } = cyclicalTimePart(ts, part);

        // Assess
        expect(mismatch(sin, angles.map(Math.sin), { rel: 1e-12 })).toBeNull();
        expect(mismatch(cos, angles.map(Math.cos), { rel: 1e-12 })).toBeNull();
      }),
    );
  });

  it('knows leap days, month ends and weekends', () => {
    // Prepare
    const ts = [
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('2023-12-31T00:00:00Z'),
      Date.parse('2000-03-01T12:00:00Z'),
      Date.parse('1969-12-31T23:00:00Z'),
      NA,
    ];

    // Act
    const dom = timePart(ts, 'day_of_month');
    const month = timePart(ts, 'month');
    const weekend = timePart(ts, 'is_weekend');
    const hour = timePart(ts, 'hour');

    // Assess
    expect(Array.from(dom)).toEqual([29, 31, 1, 31, NA]);
    expect(Array.from(month)).toEqual([2, 12, 3, 12, NA]);
    expect(Array.from(weekend)).toEqual([0, 1, 0, 0, NA]);
    expect(Array.from(hour)).toEqual([23, 0, 12, 23, NA]);
  });
});

describe('trailing time-window aggregates', () => {
  it('parses durations and refuses anything else', () => {
    // Act / Assess
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    for (const bad of ['7', 'd', '0d', '1.5h', '-1d', '7 d', '7D', ''])
      expect(() => parseDuration(bad)).toThrow(InvalidInputError);
  });

  it.each(WINDOW_AGGREGATE_STATS)(
    'computes %s over (t − w, t] up to the current row like a direct scan',
    (stat) => {
      fc.assert(
        fc.property(
          series(50),
          fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })), {
            minLength: 50,
            maxLength: 50,
          }),
          fc.integer({ min: 1, max: 20_000 }),
          (x, steps, windowMs) => {
            // Prepare: non-decreasing timestamps with ties
            let t = 1_700_000_000_000;
            const ts = x.map((_, i) => {
              t += steps[i] ?? 0;
              return t;
            });
            const expected = x.map((_, i) => {
              const values: number[] = [];
              for (let j = 0; j <= i; j++) {
                if ((ts[j] ?? NA) > (ts[i] ?? NA) - windowMs && !Number.isNaN(x[j] ?? NA))
                  values.push(x[j] ?? NA);
              }
              if (stat === 'count') return values.length;
              return values.length === 0
                ? NA
                : stat === 'sum'
                  ? values.reduce((a, b) => a + b, 0)
                  : mean(values);
            });

            // Act
            const actual = trailingWindowAggregate(x, ts, windowMs, stat);

            // Assess
            expect(mismatch(actual, expected, { scale: scaleOf(x) * 50 })).toBeNull();
          },
        ),
      );
    },
  );

  it('includes the current row and excludes a row exactly one window older', () => {
    // Prepare
    const ts = [0, 1000, 2000, 3000];
    const x = [1, 10, 100, 1000];

    // Act
    const sum = trailingWindowAggregate(x, ts, 2000, 'sum');

    // Assess: at 3000 the window is (1000, 3000]
    expect(Array.from(sum)).toEqual([1, 11, 110, 1100]);
  });

  it('refuses timestamps that go back in time', () => {
    // Act / Assess
    expect(() => trailingWindowAggregate([1, 2], [5, 4], 10, 'sum')).toThrow(InvalidInputError);
  });
});

describe('missing-value imputation', () => {
  it.each(IMPUTATIONS)('fills with %s using only earlier values', (strategy) => {
    fc.assert(
      fc.property(series(), (x) => {
        // Prepare
        const expected = x.map((v, i) => {
          if (!Number.isNaN(v)) return v;
          const earlier = present(x.slice(0, i));
          const fill = { zero: 0, ffill: earlier.at(-1) ?? NA, mean: mean(earlier), median: median(earlier) };
          return fill[strategy];
        });

        // Act
        const actual = imputeSeries(x, strategy);

        // Assess
        expect(mismatch(actual, expected, { scale: scaleOf(x) })).toBeNull();
      }),
    );
  });
});
