/**
 * The drift case of `npm run bench` (`--case drift`): our drift stage's work on a reference and a current
 * file of N rows each (test/bench/drift-data.ts) against DuckDB computing the same quantities from the
 * same two Parquet files, in the same run, as ratios; then the agreement of the two (drift-compare.ts).
 * Each run: ours in one child process (the stage is one Lambda), then DuckDB in another.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtMb, fmtMs, fmtRate, fmtRatio, MB, median, runChild, table } from './common.js';
import { compareDrift, type DriftAgreement, EDGE_SLACK } from './drift-compare.js';
import { DRIFT_SCHEMA, type DriftDataSet, ensureDriftData } from './drift-data.js';
import { type DuckDriftArgs, type DuckDriftResult, driftKind } from './drift-duckdb.js';
import type { OurDriftArgs, OurDriftOutput, OurDriftResult } from './drift-ours.js';

export interface DriftCaseOptions {
  rows: number;
  seed: number;
  runs: number;
  cpuProf: boolean;
  out: string;
}

interface Row {
  phase: string;
  ms: number;
  maxRss: number;
}

export interface DriftCaseResult {
  rows: number;
  files: { reference: DriftDataSet['reference']; current: DriftDataSet['current'] };
  ours: Row[];
  duckdb: Row[];
  ratio: { phase: string; time: number; rss: number }[];
  /** Medians of our time splits (ms). */
  splits: { read: number; collect: number; compare: number; serialize: number };
  runs: { ours: OurDriftResult[]; duckdb: { phases: { phase: string; ms: number; maxRss: number }[] }[] };
  startRss: { ours: number; duckdb: number };
  severity: string;
  agreement: DriftAgreement;
  duckdbVersion: string;
  duckdbThreads: string;
}

export async function benchDrift(
  self: string,
  options: DriftCaseOptions,
  log: (line: string) => void,
): Promise<DriftCaseResult> {
  const generating = performance.now();
  const data = await ensureDriftData(join(options.out, 'data'), options.rows, options.seed);
  log(`drift data: ${data.dir} (${fmtMs(performance.now() - generating)}; cached by seed and size)`);
  const output = join(options.out, 'work', 'drift.ours-report.json');
  const profDir = join(options.out, 'prof');
  const ours: OurDriftResult[] = [];
  const duck: DuckDriftResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    const args: OurDriftArgs = {
      reference: data.reference.path,
      current: data.current.path,
      output,
      rows: data.rows,
    };
    const flags = options.cpuProf
      ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=drift-${run}.cpuprofile`]
      : [];
    const o = await runChild<OurDriftResult>(self, 'drift-ours', args, flags);
    log(
      `  drift run ${run + 1}: ours ${fmtMs(o.ms)} (read ${fmtMs(o.readMs)}, collect ${fmtMs(o.collectMs)}, ` +
        `compare ${fmtMs(o.compareMs)}, JSON ${fmtMs(o.serializeMs)}), peak RSS ${fmtMb(o.maxRss)}`,
    );
    ours.push(o);
    const duckArgs: DuckDriftArgs = { reference: data.reference.path, current: data.current.path };
    const d = await runChild<DuckDriftResult>(self, 'drift-duckdb', duckArgs);
    log(
      `  drift run ${run + 1}: DuckDB ${d.phases.map((p) => `${p.phase} ${fmtMs(p.ms)}`).join(', ')}, ` +
        `peak RSS ${fmtMb(d.phases.at(-1)?.maxRss ?? 0)}`,
    );
    duck.push(d);
  }

  const oursRows: Row[] = [
    {
      phase: 'read+collect',
      ms: median(ours.map((o) => o.readMs + o.collectMs)),
      maxRss: median(ours.map((o) => o.collectMaxRss)),
    },
    {
      phase: 'compare',
      ms: median(ours.map((o) => o.compareMs + o.serializeMs)),
      maxRss: median(ours.map((o) => o.maxRss)),
    },
    { phase: 'total', ms: median(ours.map((o) => o.ms)), maxRss: median(ours.map((o) => o.maxRss)) },
  ];
  const duckPhase = (i: number) => ({
    ms: median(duck.map((d) => d.phases[i]?.ms ?? Number.NaN)),
    maxRss: median(duck.map((d) => d.phases[i]?.maxRss ?? Number.NaN)),
  });
  const duckRows: Row[] = [
    { phase: 'load', ...duckPhase(0) },
    { phase: 'stats', ...duckPhase(1) },
    {
      phase: 'total',
      ms: median(duck.map((d) => d.phases.reduce((s, p) => s + p.ms, 0))),
      maxRss: median(duck.map((d) => d.phases.at(-1)?.maxRss ?? Number.NaN)),
    },
  ];
  const first = duck[0] as DuckDriftResult;
  const ourOutput = JSON.parse(readFileSync(output, 'utf8')) as OurDriftOutput;
  return {
    rows: data.rows,
    files: { reference: data.reference, current: data.current },
    ours: oursRows,
    duckdb: duckRows,
    ratio: oursRows.map((o, i) => ({
      phase: o.phase,
      time: o.ms / (duckRows[i]?.ms ?? Number.NaN),
      rss: o.maxRss / (duckRows[i]?.maxRss ?? Number.NaN),
    })),
    splits: {
      read: median(ours.map((o) => o.readMs)),
      collect: median(ours.map((o) => o.collectMs)),
      compare: median(ours.map((o) => o.compareMs)),
      serialize: median(ours.map((o) => o.serializeMs)),
    },
    runs: {
      ours,
      duckdb: duck.map((d) => ({
        phases: d.phases.map((p) => ({ phase: p.phase, ms: p.ms, maxRss: p.maxRss })),
      })),
    },
    startRss: {
      ours: median(ours.map((o) => o.startRss)),
      duckdb: median(duck.map((d) => d.phases[0]?.startRss ?? 0)),
    },
    severity: ourOutput.report.severity,
    // Ours is deterministic: the last run's report stands for all; DuckDB's first run is compared.
    agreement: compareDrift(ourOutput, first),
    duckdbVersion: first.version,
    duckdbThreads: first.threads,
  };
}

export function printDrift(r: DriftCaseResult): string {
  const kinds = DRIFT_SCHEMA.columns.map((c) => driftKind(c.type));
  const count = (k: string) => kinds.filter((x) => x === k).length;
  const bothRows = 2 * r.rows;
  const head =
    `DRIFT: reference ${r.rows.toLocaleString('en-US')} rows × ${DRIFT_SCHEMA.columns.length} columns ` +
    `(${(r.files.reference.bytes / MB).toFixed(1)} MB Parquet) vs current ${r.rows.toLocaleString('en-US')} rows ` +
    `(${(r.files.current.bytes / MB).toFixed(1)} MB); ${count('numeric')} numeric, ${count('categorical')} ` +
    `categorical, ${count('skipped')} timestamp (not compared); our report's severity: ${r.severity}`;
  const rows: string[][] = [
    [
      'phase (ours / DuckDB)',
      'ours',
      'rows/s',
      'peak RSS',
      'DuckDB',
      'rows/s',
      'peak RSS',
      'time ×',
      'RSS ×',
    ],
  ];
  r.ours.forEach((o, i) => {
    const d = r.duckdb[i] as Row;
    const x = r.ratio[i] as { time: number; rss: number };
    const label =
      o.phase === 'read+collect'
        ? 'read+collect / load'
        : o.phase === 'compare'
          ? 'compare+JSON / stats'
          : 'total';
    rows.push([
      label,
      fmtMs(o.ms),
      fmtRate(bothRows / (o.ms / 1000)),
      fmtMb(o.maxRss),
      fmtMs(d.ms),
      fmtRate(bothRows / (d.ms / 1000)),
      fmtMb(d.maxRss),
      fmtRatio(x.time),
      fmtRatio(x.rss),
    ]);
  });
  const s = r.splits;
  const a = r.agreement;
  const agree =
    `drift agree: ${a.checked} comparisons, ${a.mismatches.length} mismatches ` +
    `(histogram values one bin off: ${a.edgeMoves}, ≤ ${EDGE_SLACK} per histogram allowed; largest relative ` +
    `difference: quantile ${a.maxRelative.quantile.toExponential(1)}, mean ${a.maxRelative.mean.toExponential(1)}, ` +
    `std ${a.maxRelative.std.toExponential(1)})` +
    (a.mismatches.length > 0 ? `\n${a.mismatches.map((m) => `  - ${m}`).join('\n')}` : '');
  return [
    head,
    table(rows),
    `(rows/s over both sides, ${bothRows.toLocaleString('en-US')} rows. Ours: one process, as the drift ` +
      `stage is one Lambda; both files in memory first (RSS then ${fmtMb(r.startRss.ours)}), read ` +
      `concurrently through two collectors. Splits: read (Parquet decode) ${fmtMs(s.read)}, collect ` +
      `${fmtMs(s.collect)}, compare ${fmtMs(s.compare)}, JSON ${fmtMs(s.serialize)}. DuckDB ` +
      `${r.duckdbVersion}: load = CREATE TABLE × 2 from read_parquet; stats = per side min/max/avg/` +
      `stddev_samp and quantile_cont ×7 per numeric column, 20-bin histograms over the union range, ` +
      `category counts; one process, RSS cumulative, ${fmtMb(r.startRss.duckdb)} before loading. DuckDB ` +
      `has no KS, Mann–Whitney, PSI, Jensen–Shannon or chi-square: ours computes strictly more.)`,
    agree,
  ].join('\n');
}
