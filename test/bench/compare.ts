/**
 * Sanity check of the benchmark: our profile and validation report against DuckDB's on the same file.
 * Exact where ours is exact (row and null counts, min/max, exact distinct counts, exact histograms and
 * top-K), within the documented error where ours is a sketch: quantiles within the KLL rank error
 * (`rankErrorBound(quantileK)`), HyperLogLog distinct counts within 4 standard errors (1.04/√2^p).
 * A disagreement is a warning, never a failure: the benchmark measures speed.
 */
import type { ColumnProfile, DatasetProfile } from '../../shared/domain/profile/index.js';
import { rankErrorBound } from '../../shared/domain/profile/index.js';
import type { ValidationReport } from '../../shared/domain/validation/index.js';
import type { DuckResult } from './duckdb.js';

/** The profiler's defaults (`createProfiler` without options): KLL k 200, HLL precision 14. */
const QUANTILE_K = 200;
const HLL_PRECISION = 14;

export interface Agreement {
  checked: number;
  warnings: string[];
}

function close(a: number | null | undefined, b: number | null | undefined, relative: number): boolean {
  if (a == null || b == null) return (a ?? null) === (b ?? null);
  return Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
}

export function compareResults(ours: DatasetProfile, report: ValidationReport, duck: DuckResult): Agreement {
  const warnings: string[] = [];
  let checked = 0;
  const expect = (ok: boolean, message: () => string): void => {
    checked++;
    if (!ok) warnings.push(message());
  };
  const verification = duck.verification;
  const rankError = rankErrorBound(QUANTILE_K);
  const hllError = 4 * (1.04 / Math.sqrt(2 ** HLL_PRECISION));

  expect(ours.rowCount === duck.rowCount, () => `row count: ours ${ours.rowCount}, DuckDB ${duck.rowCount}`);
  for (const d of duck.columns) {
    const o = ours.columns.find((c) => c.name === d.name) as ColumnProfile | undefined;
    if (!o) {
      warnings.push(`column ${d.name}: missing from our profile`);
      continue;
    }
    const at = (what: string, a: unknown, b: unknown) => `${d.name}.${what}: ours ${a}, DuckDB ${b}`;
    expect(o.count === d.count, () => at('count', o.count, d.count));
    expect(o.nulls === d.nulls, () => at('nulls', o.nulls, d.nulls));

    // Distinct: exact when ours is exact; within HLL error of the exact count otherwise.
    const truth = verification?.distinct[d.name] ?? d.exactDistinct;
    if (truth !== undefined) {
      if (o.distinct.exact) {
        expect(o.distinct.value === truth, () => at('distinct (exact)', o.distinct.value, truth));
      } else {
        expect(
          Math.abs(o.distinct.value - truth) <= hllError * truth,
          () => `${at('distinct (HLL)', o.distinct.value, truth)}, beyond ±${(hllError * 100).toFixed(1)}%`,
        );
      }
    }

    if (o.type === 'int' || o.type === 'float' || o.type === 'timestamp') {
      expect(o.min === d.min, () => at('min', o.min, d.min));
      expect(o.max === d.max, () => at('max', o.max, d.max));
      expect(close(o.mean, d.mean, 1e-9), () => at('mean', o.mean, d.mean));
      expect(close(o.std, d.std, 1e-6), () => at('std', o.std, d.std));
      const ranks = verification?.ranks[d.name];
      if (ranks && o.quantiles) {
        for (const [key, [lt, le, n]] of Object.entries(ranks)) {
          const p = Number(key.slice(1)) / 100;
          // Our value's rank interval [lt, le] must come within the rank error of p·n.
          const ok = le >= (p - rankError) * n && lt <= (p + rankError) * n;
          expect(
            ok,
            () =>
              `${d.name}.${key}: ours ${o.quantiles?.[key as keyof typeof o.quantiles]} has rank ` +
              `${(lt / n).toFixed(4)}–${(le / n).toFixed(4)}, beyond ${p} ± ${rankError.toFixed(4)}`,
          );
        }
      }
      if (o.histogram?.exact && d.histogram) {
        const counts = o.histogram.counts;
        const off = counts.reduce((sum, c, i) => sum + Math.abs(c - (d.histogram?.[i] ?? 0)), 0);
        // Bin edges are computed in floating point on both sides: a value on an edge may land one bin off.
        expect(
          counts.length === d.histogram.length && off <= 1e-5 * o.count,
          () => `${d.name}.histogram: ${off} values in other bins (ours ${counts}, DuckDB ${d.histogram})`,
        );
      }
    } else if (o.type === 'string') {
      expect(o.minLength === d.minLength, () => at('minLength', o.minLength, d.minLength));
      expect(o.maxLength === d.maxLength, () => at('maxLength', o.maxLength, d.maxLength));
      expect(close(o.meanLength, d.meanLength, 1e-9), () => at('meanLength', o.meanLength, d.meanLength));
      const theirs = d.topK ?? [];
      if (o.topKExact) {
        const same =
          o.topK.length === theirs.length &&
          o.topK.every((e, i) => e.value === theirs[i]?.value && e.count === theirs[i]?.count);
        expect(same, () => at('topK', JSON.stringify(o.topK), JSON.stringify(theirs)));
      } else {
        // Space-Saving: each count is an upper bound at most topKError too high, and nothing that beats
        // our last entry by more than the error is missing.
        const trueCounts = verification?.topKCounts[d.name] ?? {};
        for (const e of o.topK) {
          const trueCount = trueCounts[e.value] ?? 0;
          expect(
            e.count >= trueCount && e.count - trueCount <= o.topKError,
            () => `${d.name}.topK "${e.value}": ours ${e.count} ± ${o.topKError}, true ${trueCount}`,
          );
        }
        const last = o.topK[o.topK.length - 1]?.count ?? 0;
        for (const e of theirs) {
          expect(
            o.topK.some((x) => x.value === e.value) || e.count <= last + o.topKError,
            () => `${d.name}.topK: "${e.value}" (${e.count}) is missing from ours`,
          );
        }
      }
    } else if (o.type === 'bool') {
      expect(o.trueCount === d.trueCount, () => at('trueCount', o.trueCount, d.trueCount));
    }
  }

  // Validation: the same failed-row counts per check.
  for (const d of duck.checks) {
    const o = report.checks.find((c) => c.name === d.name);
    expect(
      o !== undefined && o.failedRows === d.failedRows,
      () => `check ${d.name}: ours ${o?.failedRows ?? 'missing'} failed rows, DuckDB ${d.failedRows}`,
    );
  }
  return { checked, warnings };
}
