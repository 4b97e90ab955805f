/**
 * The baseline: DuckDB (`@duckdb/node-api`, in-memory database, default settings: as many threads as
 * cores) loading the same file and computing the same validation and profile in SQL, in its own child
 * process. Phases:
 * - load: `CREATE TABLE t AS SELECT * FROM read_csv(...)` / `read_parquet(...)` (DuckDB's own type
 *   detection: a sample of the file, not a full first pass as ours does);
 * - validate: the benchmark suite as one aggregate query (+ DESCRIBE for the schema check);
 * - profile: one aggregate query (count, nulls, approx_count_distinct, count(DISTINCT) where our profile
 *   is exact, min/max/avg/stddev_samp, quantile_disc at our percentiles, string lengths, true counts),
 *   then the 20-bin equal-width histograms over [min, max] (a second scan: it needs the range), then the
 *   top-10 of every string column.
 * After the timed phases (and the RSS reading), `verify` computes what the comparison needs from the same
 * table: exact distinct counts, the rank of each of our quantiles, the true counts of our approximate
 * top-K values.
 */
import { readFileSync } from 'node:fs';
import type { ColumnProfile, DatasetProfile } from '../../shared/domain/profile/index.js';
import { PERCENTILES } from '../../shared/domain/profile/index.js';
import type { ColumnType } from '../../shared/domain/table.js';
import {
  boundValue,
  type Check,
  checkName,
  validationSuiteSchema,
} from '../../shared/domain/validation/index.js';
import { SCHEMA, SUITE } from './data.js';
import type { PhaseResult } from './ours.js';

export interface DuckArgs {
  format: 'csv' | 'parquet';
  input: string;
  /** Epoch ms of the freshness check's clock. */
  now: number;
  /** Columns whose distinct count our profile reports exactly: DuckDB counts those exactly too. */
  exactDistinct: string[];
  /** Our profile (JSON file), for the untimed verification queries. */
  verify?: string;
}

export interface DuckColumn {
  name: string;
  count: number;
  nulls: number;
  approxDistinct: number;
  exactDistinct?: number;
  min?: number | null;
  max?: number | null;
  mean?: number | null;
  std?: number | null;
  quantiles?: number[] | null;
  histogram?: number[] | null;
  topK?: { value: string; count: number }[];
  minLength?: number | null;
  maxLength?: number | null;
  meanLength?: number | null;
  trueCount?: number;
}

export interface DuckCheck {
  name: string;
  failedRows: number;
  observed?: Record<string, unknown>;
}

export interface Verification {
  /** Exact count(DISTINCT) per column. */
  distinct: Record<string, number>;
  /** Per numeric column, per percentile of ours: [values < ours, values <= ours, non-null values]. */
  ranks: Record<string, Record<string, [number, number, number]>>;
  /** True counts of the values in our approximate top-K lists. */
  topKCounts: Record<string, Record<string, number>>;
}

export interface DuckResult {
  version: string;
  threads: string;
  types: Record<string, string>;
  phases: PhaseResult[];
  rowCount: number;
  columns: DuckColumn[];
  checks: DuckCheck[];
  verification?: Verification;
}

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const lit = (value: string | number | boolean): string =>
  typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value);

function typeOf(name: string): ColumnType {
  const column = SCHEMA.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name}`);
  return column.type;
}

/** The column as a number: timestamps as epoch milliseconds, like ours. */
function numeric(name: string): string {
  return typeOf(name) === 'timestamp' ? `epoch_ms(${q(name)})::DOUBLE` : `${q(name)}::DOUBLE`;
}

const isNumeric = (t: ColumnType) => t === 'int' || t === 'float' || t === 'timestamp';

function strataType(duckType: string): ColumnType | undefined {
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)$/.test(duckType)) return 'int';
  if (/^(DOUBLE|FLOAT|DECIMAL.*)$/.test(duckType)) return 'float';
  if (duckType === 'BOOLEAN') return 'bool';
  if (duckType === 'VARCHAR') return 'string';
  if (duckType.startsWith('TIMESTAMP') || duckType === 'DATE') return 'timestamp';
  return undefined;
}

/** Per check: an aggregate giving its failed rows (plus what it observed), as our evaluators count them. */
function checkSql(check: Check, now: number): { name: string; sql: string[] } | undefined {
  const name = checkName(check);
  switch (check.type) {
    case 'completeness':
      return { name, sql: [`count(*) - count(${q(check.column)})`] };
    case 'uniqueness': {
      const key = check.columns.map(q).join(', ');
      const notNull = check.columns.map((c) => `${q(c)} IS NOT NULL`).join(' AND ');
      return {
        name,
        sql: [`count(*) FILTER (WHERE ${notNull}) - count(DISTINCT (${key}))`],
      };
    }
    case 'range': {
      const x = numeric(check.column);
      const inclusive = check.inclusive ?? true;
      const parts: string[] = [];
      if (check.min !== undefined) parts.push(`${x} ${inclusive ? '<' : '<='} ${boundValue(check.min)}`);
      if (check.max !== undefined) parts.push(`${x} ${inclusive ? '>' : '>='} ${boundValue(check.max)}`);
      return { name, sql: [`count(*) FILTER (WHERE ${parts.join(' OR ')})`, `min(${x})`, `max(${x})`] };
    }
    case 'allowed_values':
      return {
        name,
        sql: [`count(*) FILTER (WHERE ${q(check.column)} NOT IN (${check.values.map(lit).join(', ')}))`],
      };
    case 'freshness': {
      const x = numeric(check.column);
      return {
        name,
        sql: [`count(*) FILTER (WHERE ${x} < ${now - check.maxAgeSeconds * 1000})`, `max(${x})`],
      };
    }
    case 'distribution':
      return {
        name,
        sql: ['0', `avg(${numeric(check.column)})`, `stddev_samp(${numeric(check.column)})`],
      };
    default:
      return undefined;
  }
}

function num(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  throw new Error(`expected a number, got ${String(value)}`);
}

function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export async function runDuck(args: DuckArgs): Promise<DuckResult> {
  const suite = validationSuiteSchema.parse(SUITE);
  // Loaded here, not at the top: the bench bundle is also what our phases' child processes run, and the
  // native library must not count in their RSS.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const all = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  const [settings] = await all("SELECT version() AS v, current_setting('threads')::VARCHAR AS t");
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
  const reader = args.format === 'csv' ? 'read_csv' : 'read_parquet';
  await connection.run(`CREATE TABLE t AS SELECT * FROM ${reader}(${lit(args.input)})`);
  const [counted] = await all('SELECT count(*)::DOUBLE AS n FROM t');
  const rowCount = num(counted?.n);
  endPhase('load', rowCount);

  // Validate.
  const described = await all('DESCRIBE t');
  const types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const checks: DuckCheck[] = [];
  const parts: { name: string; sql: string[] }[] = [];
  for (const check of suite.checks) {
    if (check.type === 'schema') {
      const wrong = check.columns.filter((c) => strataType(types[c.name] ?? '') !== c.type);
      const extra = Object.keys(types).filter((n) => !check.columns.some((c) => c.name === n));
      const bad = wrong.length > 0 || (check.allowExtraColumns !== true && extra.length > 0);
      checks.push({ name: checkName(check), failedRows: bad ? rowCount : 0 });
      continue;
    }
    const part = checkSql(check, args.now);
    if (part) parts.push(part);
  }
  const select = parts.flatMap((p, i) => p.sql.map((s, k) => `(${s})::DOUBLE AS c${i}_${k}`)).join(', ');
  const [validated] = await all(`SELECT ${select} FROM t`);
  parts.forEach((p, i) => {
    const observed = Object.fromEntries(
      p.sql.slice(1).map((_, k) => [`v${k + 1}`, numOrNull(validated?.[`c${i}_${k + 1}`])]),
    );
    checks.push({ name: p.name, failedRows: num(validated?.[`c${i}_0`]), observed });
  });
  endPhase('validate', rowCount);

  // Profile: one aggregate scan.
  const percentiles = `[${PERCENTILES.map((p) => p / 100).join(', ')}]`;
  const select1: string[] = [];
  for (const c of SCHEMA.columns) {
    const col = q(c.name);
    const p = c.name;
    select1.push(
      `count(${col})::DOUBLE AS "${p}:count"`,
      `approx_count_distinct(${col})::DOUBLE AS "${p}:hll"`,
    );
    if (args.exactDistinct.includes(c.name))
      select1.push(`count(DISTINCT ${col})::DOUBLE AS "${p}:distinct"`);
    if (isNumeric(c.type)) {
      const x = numeric(c.name);
      select1.push(
        `min(${x}) AS "${p}:min"`,
        `max(${x}) AS "${p}:max"`,
        `avg(${x}) AS "${p}:mean"`,
        `stddev_samp(${x}) AS "${p}:std"`,
        `quantile_disc(${x}, ${percentiles})::DOUBLE[] AS "${p}:q"`,
      );
    } else if (c.type === 'string') {
      select1.push(
        `min(length(${col}))::DOUBLE AS "${p}:minlen"`,
        `max(length(${col}))::DOUBLE AS "${p}:maxlen"`,
        `avg(length(${col})) AS "${p}:meanlen"`,
      );
    } else {
      select1.push(`count_if(${col})::DOUBLE AS "${p}:true"`);
    }
  }
  const [stats = {}] = await all(`SELECT ${select1.join(', ')} FROM t`);
  const columns: DuckColumn[] = SCHEMA.columns.map((c) => {
    const get = (key: string) => stats[`${c.name}:${key}`];
    const count = num(get('count'));
    const column: DuckColumn = {
      name: c.name,
      count: rowCount,
      nulls: rowCount - count,
      approxDistinct: num(get('hll')),
    };
    if (get('distinct') !== undefined) column.exactDistinct = num(get('distinct'));
    if (isNumeric(c.type)) {
      column.min = numOrNull(get('min'));
      column.max = numOrNull(get('max'));
      column.mean = numOrNull(get('mean'));
      column.std = numOrNull(get('std'));
      const quantiles = get('q');
      column.quantiles = Array.isArray(quantiles) ? quantiles.map(num) : null;
    } else if (c.type === 'string') {
      column.minLength = numOrNull(get('minlen'));
      column.maxLength = numOrNull(get('maxlen'));
      column.meanLength = numOrNull(get('meanlen'));
    } else {
      column.trueCount = num(get('true'));
    }
    return column;
  });

  // Histograms: 20 equal-width bins over [min, max], bin i = [lo + i·w, lo + (i+1)·w), the last closed.
  const BINS = 20;
  const select2: string[] = [];
  for (const column of columns) {
    if (!isNumeric(typeOf(column.name)) || column.min == null || column.max == null) continue;
    const lo = column.min;
    const hi = column.max;
    const bins = lo === hi ? 1 : BINS;
    const scale = lo === hi ? 0 : bins / (hi - lo);
    const bin = `least(floor((${numeric(column.name)} - ${lo}) * ${scale}), ${bins - 1})::INTEGER`;
    select2.push(
      `list_transform(map_entries(histogram(${bin}) FILTER (WHERE ${q(column.name)} IS NOT NULL)), e -> [e.key::DOUBLE, e.value::DOUBLE]) AS ${q(column.name)}`,
    );
  }
  const [histograms = {}] = select2.length > 0 ? await all(`SELECT ${select2.join(', ')} FROM t`) : [];
  for (const column of columns) {
    const entries = histograms[column.name];
    if (!Array.isArray(entries)) continue;
    const bins = column.min === column.max ? 1 : BINS;
    const counts = new Array<number>(bins).fill(0);
    for (const entry of entries as number[][]) counts[entry[0] ?? 0] = entry[1] ?? 0;
    column.histogram = counts;
  }

  // Top-10 of the string columns (by count, then value, as ours orders them).
  for (const column of columns) {
    if (typeOf(column.name) !== 'string') continue;
    const col = q(column.name);
    const rows = await all(
      `SELECT ${col} AS v, count(*)::DOUBLE AS n FROM t WHERE ${col} IS NOT NULL ` +
        'GROUP BY ALL ORDER BY n DESC, v LIMIT 10',
    );
    column.topK = rows.map((r) => ({ value: String(r.v), count: num(r.n) }));
  }
  endPhase('profile', rowCount);

  const result: DuckResult = {
    version: String(settings?.v),
    threads: String(settings?.t),
    types,
    phases,
    rowCount,
    columns,
    checks,
  };
  if (args.verify) {
    const ours = JSON.parse(readFileSync(args.verify, 'utf8')) as DatasetProfile;
    result.verification = await verify(all, ours);
  }
  connection.closeSync();
  instance.closeSync();
  return result;
}

async function verify(
  all: (sql: string) => Promise<Record<string, unknown>[]>,
  ours: DatasetProfile,
): Promise<Verification> {
  const select: string[] = [];
  for (const c of SCHEMA.columns) select.push(`count(DISTINCT ${q(c.name)})::DOUBLE AS "${c.name}:distinct"`);
  const numericColumns = ours.columns.filter(
    (c): c is Extract<ColumnProfile, { quantiles: unknown }> =>
      isNumeric(c.type) && 'quantiles' in c && c.quantiles !== null,
  );
  for (const c of numericColumns) {
    const x = numeric(c.name);
    for (const [key, value] of Object.entries(c.quantiles ?? {})) {
      select.push(
        `count(*) FILTER (WHERE ${x} < ${value})::DOUBLE AS "${c.name}:${key}:lt"`,
        `count(*) FILTER (WHERE ${x} <= ${value})::DOUBLE AS "${c.name}:${key}:le"`,
      );
    }
    select.push(`count(${q(c.name)})::DOUBLE AS "${c.name}:n"`);
  }
  const [row = {}] = await all(`SELECT ${select.join(', ')} FROM t`);
  const distinct = Object.fromEntries(SCHEMA.columns.map((c) => [c.name, num(row[`${c.name}:distinct`])]));
  const ranks: Verification['ranks'] = {};
  for (const c of numericColumns) {
    const n = num(row[`${c.name}:n`]);
    ranks[c.name] = Object.fromEntries(
      Object.keys(c.quantiles ?? {}).map((key) => [
        key,
        [num(row[`${c.name}:${key}:lt`]), num(row[`${c.name}:${key}:le`]), n],
      ]),
    );
  }
  const topKCounts: Verification['topKCounts'] = {};
  for (const c of ours.columns) {
    if (c.type !== 'string' || c.topKExact || c.topK.length === 0) continue;
    const rows = await all(
      `SELECT ${q(c.name)} AS v, count(*)::DOUBLE AS n FROM t WHERE ${q(c.name)} IN ` +
        `(${c.topK.map((e) => lit(e.value)).join(', ')}) GROUP BY ALL`,
    );
    topKCounts[c.name] = Object.fromEntries(rows.map((r) => [String(r.v), num(r.n)]));
  }
  return { distinct, ranks, topKCounts };
}
