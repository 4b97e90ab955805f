/**
 * The drift case's baseline: DuckDB (in-memory, default settings) reading the same two Parquet files and
 * computing what it can of our drift report, in its own child process. Phases:
 * - load: `CREATE TABLE ref/cur AS SELECT * FROM read_parquet(...)`;
 * - stats: per side one aggregate scan (rows, per numeric column count, min, max, avg, stddev_samp and
 *   quantile_cont at the report's 7 percentiles, per categorical column count), then per side the 20-bin
 *   equal-width histograms over the union range [min(both), max(both)] with our bin formula
 *   (bin = least(floor((x − lo) / w), 19), w = (hi − lo) / 20), then per side and categorical column the
 *   category counts (GROUP BY).
 * DuckDB has no two-sample tests: KS, Mann–Whitney, PSI, Jensen–Shannon and chi-square are ours only.
 */
import { DRIFT_PERCENTILES, HISTOGRAM_BINS } from '../../shared/domain/drift/index.js';
import type { ColumnType } from '../../shared/domain/table.js';
import { DRIFT_SCHEMA } from './drift-data.js';
import type { PhaseResult } from './ours.js';

export interface DuckDriftArgs {
  reference: string;
  current: string;
}

export interface DuckNumericSide {
  rows: number;
  nulls: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  /** quantile_cont at DRIFT_PERCENTILES. */
  quantiles: number[] | null;
  histogram: number[] | null;
}

export interface DuckCategoricalSide {
  rows: number;
  nulls: number;
  counts: [string, number][];
}

export interface DuckDriftResult {
  version: string;
  threads: string;
  phases: PhaseResult[];
  numeric: Record<
    string,
    { lo: number | null; hi: number | null; reference: DuckNumericSide; current: DuckNumericSide }
  >;
  categorical: Record<string, { reference: DuckCategoricalSide; current: DuckCategoricalSide }>;
}

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const lit = (value: string): string => `'${value.replaceAll("'", "''")}'`;
/** A double literal exactly as JavaScript holds it (a bare `0.1` would be a DECIMAL in DuckDB). */
const double = (value: number): string => `CAST('${String(value)}' AS DOUBLE)`;

/** The collector's split: int and float are numeric, timestamps are not compared, the rest categorical. */
export function driftKind(type: ColumnType): 'numeric' | 'categorical' | 'skipped' {
  if (type === 'int' || type === 'float') return 'numeric';
  return type === 'timestamp' ? 'skipped' : 'categorical';
}

function num(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  throw new Error(`expected a number, got ${String(value)}`);
}

const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : num(value);

export async function runDuckDrift(args: DuckDriftArgs): Promise<DuckDriftResult> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const all = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  const [settings] = await all("SELECT version() AS v, current_setting('threads')::VARCHAR AS t");
  const numericColumns = DRIFT_SCHEMA.columns
    .filter((c) => driftKind(c.type) === 'numeric')
    .map((c) => c.name);
  const categoricalColumns = DRIFT_SCHEMA.columns
    .filter((c) => driftKind(c.type) === 'categorical')
    .map((c) => c.name);
  const phases: PhaseResult[] = [];
  const rssAtStart = process.memoryUsage.rss();
  let clock = performance.now();
  const endPhase = (phase: string, rows: number): void => {
    const now = performance.now();
    phases.push({
      phase,
      ms: now - clock,
      rows,
      maxRss: process.resourceUsage().maxRSS * 1024,
      startRss: rssAtStart,
    });
    clock = performance.now();
  };

  // Load.
  await connection.run(`CREATE TABLE ref AS SELECT * FROM read_parquet(${lit(args.reference)})`);
  await connection.run(`CREATE TABLE cur AS SELECT * FROM read_parquet(${lit(args.current)})`);
  const [counted] = await all(
    'SELECT (SELECT count(*) FROM ref)::DOUBLE AS r, (SELECT count(*) FROM cur)::DOUBLE AS c',
  );
  const totalRows = num(counted?.r) + num(counted?.c);
  endPhase('load', totalRows);

  // Stats: one aggregate scan per side.
  const percentiles = `[${DRIFT_PERCENTILES.join(', ')}]`;
  const select1 = ['count(*)::DOUBLE AS "rows"'];
  for (const name of numericColumns) {
    const x = `${q(name)}::DOUBLE`;
    select1.push(
      `count(${q(name)})::DOUBLE AS "${name}:n"`,
      `min(${x}) AS "${name}:min"`,
      `max(${x}) AS "${name}:max"`,
      `avg(${x}) AS "${name}:mean"`,
      `stddev_samp(${x}) AS "${name}:std"`,
      `quantile_cont(${x}, ${percentiles})::DOUBLE[] AS "${name}:q"`,
    );
  }
  for (const name of categoricalColumns) select1.push(`count(${q(name)})::DOUBLE AS "${name}:n"`);
  const sides = ['ref', 'cur'] as const;
  const stats: Record<string, unknown>[] = [];
  for (const side of sides) stats.push((await all(`SELECT ${select1.join(', ')} FROM ${side}`))[0] ?? {});

  const numeric: DuckDriftResult['numeric'] = {};
  for (const name of numericColumns) {
    const sideOf = (row: Record<string, unknown>): DuckNumericSide => {
      const rows = num(row.rows);
      const quantiles = row[`${name}:q`];
      return {
        rows,
        nulls: rows - num(row[`${name}:n`]),
        min: numOrNull(row[`${name}:min`]),
        max: numOrNull(row[`${name}:max`]),
        mean: numOrNull(row[`${name}:mean`]),
        std: numOrNull(row[`${name}:std`]),
        quantiles: Array.isArray(quantiles) ? quantiles.map(num) : null,
        histogram: null,
      };
    };
    const reference = sideOf(stats[0] ?? {});
    const current = sideOf(stats[1] ?? {});
    const mins = [reference.min, current.min].filter((v): v is number => v !== null);
    const maxs = [reference.max, current.max].filter((v): v is number => v !== null);
    numeric[name] = {
      lo: mins.length > 0 ? Math.min(...mins) : null,
      hi: maxs.length > 0 ? Math.max(...maxs) : null,
      reference,
      current,
    };
  }

  // Histograms over the union range, one scan per side (they need both sides' min and max first).
  const select2: string[] = [];
  for (const name of numericColumns) {
    const { lo, hi } = numeric[name] as { lo: number | null; hi: number | null };
    if (lo === null || hi === null || !(hi > lo)) continue;
    const width = (hi - lo) / HISTOGRAM_BINS;
    const bin = `least(floor((${q(name)}::DOUBLE - ${double(lo)}) / ${double(width)}), ${HISTOGRAM_BINS - 1})::INTEGER`;
    select2.push(
      `list_transform(map_entries(histogram(${bin}) FILTER (WHERE ${q(name)} IS NOT NULL)), ` +
        `e -> [e.key::DOUBLE, e.value::DOUBLE]) AS ${q(name)}`,
    );
  }
  for (const [s, side] of sides.entries()) {
    const [row = {}] = select2.length > 0 ? await all(`SELECT ${select2.join(', ')} FROM ${side}`) : [];
    for (const name of numericColumns) {
      const column = numeric[name];
      if (!column) continue;
      const target = s === 0 ? column.reference : column.current;
      const entries = row[name];
      if (Array.isArray(entries)) {
        const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
        for (const entry of entries as number[][]) counts[entry[0] ?? 0] = entry[1] ?? 0;
        target.histogram = counts;
      } else if (column.lo !== null && column.lo === column.hi) {
        // One value on both sides: ours reports a single bin holding everything.
        target.histogram = [target.rows - target.nulls];
      }
    }
  }

  // Category counts.
  const categorical: DuckDriftResult['categorical'] = {};
  for (const name of categoricalColumns) {
    const sideOf = async (s: number): Promise<DuckCategoricalSide> => {
      const row = stats[s] ?? {};
      const rows = num(row.rows);
      const counts = await all(
        `SELECT ${q(name)}::VARCHAR AS v, count(*)::DOUBLE AS n FROM ${sides[s]} ` +
          `WHERE ${q(name)} IS NOT NULL GROUP BY ALL`,
      );
      return {
        rows,
        nulls: rows - num(row[`${name}:n`]),
        counts: counts.map((r) => [String(r.v), num(r.n)]),
      };
    };
    categorical[name] = { reference: await sideOf(0), current: await sideOf(1) };
  }
  endPhase('stats', totalRows);

  connection.closeSync();
  instance.closeSync();
  return {
    version: String(settings?.v),
    threads: String(settings?.t),
    phases,
    numeric,
    categorical,
  };
}
