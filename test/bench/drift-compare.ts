/**
 * The drift case's agreement check: our drift report (and the category counts our collectors kept)
 * against what DuckDB computed from the same two files. Exact where both are exact: row and null counts,
 * min/max, the category counts (full maps, the report's chart rows, `other`, distinct/new/missing
 * counts). Within 1e-9 relative: means and standard deviations (streaming Welford against DuckDB's
 * aggregates) and the 7 quantiles (numpy's 'linear' against quantile_cont: the same interpolation, so
 * they differ by rounding at most while every value is kept). Histograms: bin counts equal, except that
 * a value on a bin edge may land one bin off if the two sides rounded (x − lo) / w differently; up to
 * `EDGE_SLACK` such values per histogram are reported, not counted as a disagreement.
 */
import type { CategoricalColumnDrift, NumericColumnDrift } from '../../shared/domain/drift/index.js';
import { DRIFT_PERCENTILES } from '../../shared/domain/drift/index.js';
import { DRIFT_SCHEMA } from './drift-data.js';
import { type DuckDriftResult, type DuckNumericSide, driftKind } from './drift-duckdb.js';
import type { OurDriftOutput } from './drift-ours.js';

/** Values per histogram allowed in a neighbouring bin (floating-point edge placement). */
export const EDGE_SLACK = 5;

export interface DriftAgreement {
  checked: number;
  mismatches: string[];
  /** Values counted one bin off (within EDGE_SLACK), summed over all histograms. */
  edgeMoves: number;
  /** Largest relative difference seen in a quantile, mean and std. */
  maxRelative: { quantile: number; mean: number; std: number };
}

const relative = (a: number, b: number): number =>
  a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

export function compareDrift(ours: OurDriftOutput, duck: DuckDriftResult): DriftAgreement {
  const mismatches: string[] = [];
  const maxRelative = { quantile: 0, mean: 0, std: 0 };
  let checked = 0;
  let edgeMoves = 0;
  const expect = (ok: boolean, message: () => string): void => {
    checked++;
    if (!ok) mismatches.push(message());
  };
  const close = (kind: keyof typeof maxRelative, a: number | null, b: number | null, what: () => string) => {
    if (a === null || b === null) {
      expect(a === b, what);
      return;
    }
    const r = relative(a, b);
    maxRelative[kind] = Math.max(maxRelative[kind], r);
    expect(r <= 1e-9, () => `${what()} (relative ${r.toExponential(2)})`);
  };
  const report = ours.report;
  const columns = new Map(report.columns.map((c) => [c.column, c]));

  for (const c of DRIFT_SCHEMA.columns) {
    const o = columns.get(c.name);
    const kind = driftKind(c.type);
    expect(o?.kind === kind, () => `${c.name}: ours ${o?.kind ?? 'missing'}, expected ${kind}`);
    if (!o || o.kind !== kind) continue;
    if (kind === 'numeric') {
      const d = duck.numeric[c.name];
      if (!d) continue;
      const n = o as NumericColumnDrift;
      const sides = [
        ['reference', n.reference, d.reference],
        ['current', n.current, d.current],
      ] as const;
      for (const [side, mine, theirs] of sides) {
        const at = (what: string, a: unknown, b: unknown) =>
          `${c.name}.${side}.${what}: ours ${a}, DuckDB ${b}`;
        expect(mine.rows === theirs.rows, () => at('rows', mine.rows, theirs.rows));
        expect(mine.nulls === theirs.nulls, () => at('nulls', mine.nulls, theirs.nulls));
        expect(mine.min === theirs.min, () => at('min', mine.min, theirs.min));
        expect(mine.max === theirs.max, () => at('max', mine.max, theirs.max));
        close('mean', mine.mean, theirs.mean, () => at('mean', mine.mean, theirs.mean));
        close('std', mine.std, theirs.std, () => at('std', mine.std, theirs.std));
        DRIFT_PERCENTILES.forEach((p, i) => {
          const q = n.quantiles.find((x) => x.p === p)?.[side] ?? null;
          const t = theirs.quantiles?.[i] ?? null;
          close('quantile', q, t, () => at(`p${Math.round(p * 100)}`, q, t));
        });
        edgeMoves += compareHistogram(`${c.name}.${side}.histogram`, n.histogram[side], theirs, expect);
      }
      expect(
        n.histogram.edges[0] === d.lo && n.histogram.edges.at(-1) === d.hi,
        () =>
          `${c.name}.histogram range: ours [${n.histogram.edges[0]}, ${n.histogram.edges.at(-1)}], DuckDB [${d.lo}, ${d.hi}]`,
      );
    } else if (kind === 'categorical') {
      const d = duck.categorical[c.name];
      if (!d) continue;
      const k = o as CategoricalColumnDrift;
      const full = ours.counts[c.name];
      const maps = {
        reference: new Map(d.reference.counts),
        current: new Map(d.current.counts),
      };
      for (const side of ['reference', 'current'] as const) {
        const at = (what: string, a: unknown, b: unknown) =>
          `${c.name}.${side}.${what}: ours ${a}, DuckDB ${b}`;
        const theirs = d[side];
        expect(k[side].rows === theirs.rows, () => at('rows', k[side].rows, theirs.rows));
        expect(k[side].nulls === theirs.nulls, () => at('nulls', k[side].nulls, theirs.nulls));
        expect(k[side].distinct === theirs.counts.length, () =>
          at('distinct', k[side].distinct, theirs.counts.length),
        );
        // Every category count the collector kept, against GROUP BY.
        const mine = new Map(full?.[side] ?? []);
        const wrong = [...new Set([...mine.keys(), ...maps[side].keys()])].filter(
          (v) => mine.get(v) !== maps[side].get(v),
        );
        expect(
          wrong.length === 0,
          () =>
            `${c.name}.${side}.counts: ${wrong.length} categories differ, e.g. ` +
            wrong
              .slice(0, 3)
              .map((v) => `"${v}" ours ${mine.get(v)}, DuckDB ${maps[side].get(v)}`)
              .join('; '),
        );
        // The report's chart rows and its "other" sum.
        const shown = k.categories.reduce((s, e) => s + e[side], 0);
        const total = theirs.rows - theirs.nulls;
        expect(k.other[side] === total - shown, () => at('other', k.other[side], total - shown));
        for (const e of k.categories) {
          expect(e[side] === (maps[side].get(e.value) ?? 0), () =>
            at(`categories["${e.value}"]`, e[side], maps[side].get(e.value) ?? 0),
          );
        }
      }
      const added = [...maps.current.keys()].filter((v) => !maps.reference.has(v));
      const removed = [...maps.reference.keys()].filter((v) => !maps.current.has(v));
      expect(
        k.newCategoryCount === added.length,
        () => `${c.name}.newCategoryCount: ours ${k.newCategoryCount}, DuckDB ${added.length}`,
      );
      expect(
        k.missingCategoryCount === removed.length,
        () => `${c.name}.missingCategoryCount: ours ${k.missingCategoryCount}, DuckDB ${removed.length}`,
      );
    }
  }
  return { checked, mismatches, edgeMoves, maxRelative };
}

/** Compares one side's histogram; returns the values found one bin off (within the slack). */
function compareHistogram(
  what: string,
  mine: number[],
  theirs: DuckNumericSide,
  expect: (ok: boolean, message: () => string) => void,
): number {
  const counts = theirs.histogram ?? [];
  if (mine.length !== counts.length) {
    expect(false, () => `${what}: ours ${mine.length} bins, DuckDB ${counts.length}`);
    return 0;
  }
  // A value moved one bin changes two counts by one: half the total absolute difference, if every
  // difference sits next to an opposite one.
  let diff = 0;
  let adjacentOnly = true;
  mine.forEach((c, i) => {
    const delta = c - (counts[i] ?? 0);
    diff += Math.abs(delta);
    if (
      delta !== 0 &&
      (mine[i - 1] ?? 0) === (counts[i - 1] ?? 0) &&
      (mine[i + 1] ?? 0) === (counts[i + 1] ?? 0)
    )
      adjacentOnly = false;
  });
  const moved = diff / 2;
  expect(
    moved === 0 || (adjacentOnly && moved <= EDGE_SLACK),
    () => `${what}: ${moved} values in other bins (ours ${mine}, DuckDB ${counts})`,
  );
  return moved <= EDGE_SLACK ? moved : 0;
}
