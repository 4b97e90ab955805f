import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  chiSquareHomogeneity,
  DEFAULT_DRIFT_THRESHOLDS,
  jensenShannon,
  type KsMethod,
  kolmogorovSf,
  ksTwoSample,
  mannWhitneyU,
  meanShift,
  moments,
  psi,
  quantileDeltas,
  referenceBinEdges,
  severityOf,
  stdRatio,
} from '../../shared/domain/drift/index.js';

interface NumericCase {
  name: string;
  kind: 'numeric';
  a: number[];
  b: number[];
  ks: Partial<Record<KsMethod, { statistic: number; pValue: number }>>;
  mannWhitney: { statistic: number; pValue: number };
  binEdges: number[];
  binCountsA: number[];
  binCountsB: number[];
  psi: number;
  jsDivergence: number;
  meanShiftSd: number;
  stdRatio: number;
  quantilesA: number[];
  quantilesB: number[];
}

interface CategoricalCase {
  name: string;
  kind: 'categorical';
  a: number[];
  b: number[];
  chiSquare: { statistic: number; dof: number; pValue: number };
  psi: number;
  jsDivergence: number;
}

interface Vectors {
  cases: Array<NumericCase | CategoricalCase>;
  kolmogorovSf: Array<{ n: number; x: number; sf: number }>;
}

const vectors = JSON.parse(
  readFileSync(new URL('../drift-vectors/vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const numericCases = vectors.cases.filter((c): c is NumericCase => c.kind === 'numeric');
const categoricalCases = vectors.cases.filter((c): c is CategoricalCase => c.kind === 'categorical');

/** SciPy agreement: 1e-6 relative, or 1e-9 absolute for values near zero. */
function expectClose(actual: number, expected: number): void {
  const tolerance = Math.max(1e-9, 1e-6 * Math.abs(expected));
  expect(Math.abs(actual - expected), `${actual} vs SciPy ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe('drift statistics against SciPy vectors', () => {
  it.each(numericCases.map((c) => [c.name, c] as const))('KS matches ks_2samp for %s', (_, c) => {
    for (const [method, expected] of Object.entries(c.ks)) {
      const result = ksTwoSample(c.a, c.b, method as KsMethod);
      expectClose(result.statistic, expected.statistic);
      expectClose(result.pValue, expected.pValue);
    }
  });

  it.each(numericCases.map((c) => [c.name, c] as const))('Mann–Whitney matches for %s', (_, c) => {
    const result = mannWhitneyU(c.a, c.b);
    expectClose(result.statistic, c.mannWhitney.statistic);
    expectClose(result.pValue, c.mannWhitney.pValue);
  });

  it.each(numericCases.map((c) => [c.name, c] as const))('bins, PSI, JS and moments match for %s', (_, c) => {
    const edges = referenceBinEdges(c.a);
    expect(edges.length).toBe(c.binEdges.length);
    for (const [i, e] of edges.entries()) expectClose(e, c.binEdges[i] as number);
    const countsA = binCounts(c.a, edges);
    const countsB = binCounts(c.b, edges);
    expect(countsA).toEqual(c.binCountsA);
    expect(countsB).toEqual(c.binCountsB);
    expectClose(psi(countsA, countsB), c.psi);
    expectClose(jensenShannon(countsA, countsB), c.jsDivergence);
    const ma = moments(c.a);
    const mb = moments(c.b);
    expectClose(meanShift(ma, mb), c.meanShiftSd);
    expectClose(stdRatio(ma, mb), c.stdRatio);
    for (const [i, q] of quantileDeltas(c.a, c.b).entries()) {
      expectClose(q.reference, c.quantilesA[i] as number);
      expectClose(q.current, c.quantilesB[i] as number);
    }
  });

  it.each(categoricalCases.map((c) => [c.name, c] as const))('chi-square, PSI, JS match for %s', (_, c) => {
    const result = chiSquareHomogeneity(c.a, c.b);
    expectClose(result.statistic, c.chiSquare.statistic);
    expect(result.dof).toBe(c.chiSquare.dof);
    expectClose(result.pValue, c.chiSquare.pValue);
    expectClose(psi(c.a, c.b), c.psi);
    expectClose(jensenShannon(c.a, c.b), c.jsDivergence);
  });

  it.each(vectors.kolmogorovSf.map((v) => [v.n, v.x, v] as const))(
    'Kolmogorov survival function matches kstwo.sf at n=%i, x=%d',
    (_, __, v) => {
      expectClose(kolmogorovSf(v.n, v.x), v.sf);
    },
  );
});

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });
const counts = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 1000 }), { minLength: length, maxLength: length })
    .filter((c) => c.some((v) => v > 0));
const countPair = fc.integer({ min: 1, max: 12 }).chain((k) => fc.tuple(counts(k), counts(k)));

describe('drift statistics properties', () => {
  it('finds no drift between identical samples', () => {
    fc.assert(
      fc.property(sample, (a) => {
        const ks = ksTwoSample(a, [...a]);
        expect(ks.statistic).toBe(0);
        expect(ks.pValue).toBe(1);
        const edges = referenceBinEdges(a);
        const c = binCounts(a, edges);
        expect(psi(c, c)).toBe(0);
        expect(jensenShannon(c, c)).toBe(0);
      }),
    );
  });

  it('keeps PSI non-negative', () => {
    fc.assert(
      fc.property(countPair, ([a, b]) => {
        expect(psi(a, b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('keeps JS divergence symmetric and within [0, 1]', () => {
    fc.assert(
      fc.property(countPair, ([a, b]) => {
        const js = jensenShannon(a, b);
        expect(js).toBe(jensenShannon(b, a));
        expect(js).toBeGreaterThanOrEqual(0);
        expect(js).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives chi-square k − 1 degrees of freedom over the categories seen', () => {
    fc.assert(
      fc.property(countPair, ([a, b]) => {
        const seen = a.filter((v, i) => v + (b[i] as number) > 0).length;
        expect(chiSquareHomogeneity(a, b).dof).toBe(Math.max(seen - 1, 0));
      }),
    );
  });

  it('keeps every p-value within [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ks = ksTwoSample(a, b);
        expect(ks.pValue).toBeGreaterThanOrEqual(0);
        expect(ks.pValue).toBeLessThanOrEqual(1);
        const mw = mannWhitneyU(a, b);
        if (!Number.isNaN(mw.pValue)) expect(mw.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('severityOf', () => {
  it('is NONE without drift and follows the PSI thresholds', () => {
    expect(severityOf({ psi: 0 })).toBe('NONE');
    expect(severityOf({ psi: 0.1 })).toBe('LOW');
    expect(severityOf({ psi: 0.2 })).toBe('MODERATE');
    expect(severityOf({ psi: 0.25 })).toBe('HIGH');
    expect(severityOf({ psi: 0.9 })).toBe('CRITICAL');
  });

  it('takes the worst metric and ignores a KS statistic that is not significant', () => {
    expect(severityOf({ psi: 0.01, meanShiftSd: -1.2 })).toBe('HIGH');
    expect(severityOf({ ksStatistic: 0.6, ksPValue: 0.4 })).toBe('NONE');
    expect(severityOf({ ksStatistic: 0.6, ksPValue: 0.001 })).toBe('CRITICAL');
  });

  it('honours custom thresholds', () => {
    const strict = {
      ...DEFAULT_DRIFT_THRESHOLDS,
      psi: { low: 0.01, moderate: 0.02, high: 0.03, critical: 0.04 },
    };
    expect(severityOf({ psi: 0.035 }, strict)).toBe('HIGH');
  });
});
