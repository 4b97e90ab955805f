/**
 * The benchmark's data set: a deterministic (seeded) table of mixed columns, written once as CSV and as
 * Parquet (with our writeParquet) and cached under `.strata/bench/data/<key>/`, plus the validation suite
 * run over it. Values are generated so that both files hold exactly the same values (floats are rounded
 * to a few decimals, so their CSV text round-trips), and DuckDB reads the same types we infer.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch, TableSchema } from '../../shared/domain/table.js';
import type { ValidationSuiteInput } from '../../shared/domain/validation/index.js';
import { writeParquet } from '../../shared/formats/parquet.js';

/** Bump when the generator changes, so a cached data set is not reused. */
const GENERATOR_VERSION = 1;
const BATCH_ROWS = 100_000;

export const SCHEMA: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'user', type: 'string', nullable: false },
    { name: 'category', type: 'string', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'score', type: 'float', nullable: false },
    { name: 'flag', type: 'bool', nullable: false },
    { name: 'note', type: 'string', nullable: true },
  ],
};

export const CATEGORIES = [
  'electronics',
  'books',
  'clothing',
  'home',
  'garden',
  'toys',
  'sports',
  'beauty',
  'grocery',
  'automotive',
  'health',
  'music',
  'movies',
  'office',
  'pets',
  'baby',
  'jewelry',
  'tools',
  'shoes',
  'travel',
] as const;

const USERS = 10_000;
const NOTE_TEMPLATES = Array.from({ length: 50 }, (_, i) => `template note ${i}: ${'x'.repeat(i % 7)}status`);
/** Start of the ts column: 2026-01-01T00:00:00Z; one row every ~30 s. */
const TS_START = Date.UTC(2026, 0, 1);
const TS_STEP_MS = 30_000;

export interface DataSet {
  rows: number;
  seed: number;
  dir: string;
  csv: { path: string; bytes: number };
  parquet: { path: string; bytes: number; rowGroups: number };
  /** The newest ts (for the freshness check's clock). */
  maxTs: number;
}

/** mulberry32: small, fast, deterministic. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(rand: () => number): number {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function maxTsOf(rows: number): number {
  // ts of row i is TS_START + i * step + jitter, jitter < step: the newest row is the last one.
  return TS_START + rows * TS_STEP_MS;
}

/** Column-major batches of the data set, generated on the fly. */
export function* batches(rows: number, seed: number): Generator<RecordBatch> {
  const rand = random(seed);
  for (let start = 0; start < rows; start += BATCH_ROWS) {
    const n = Math.min(BATCH_ROWS, rows - start);
    const id: number[] = new Array(n);
    const ts: number[] = new Array(n);
    const user: string[] = new Array(n);
    const category: string[] = new Array(n);
    const amount: (number | null)[] = new Array(n);
    const score: number[] = new Array(n);
    const flag: boolean[] = new Array(n);
    const note: (string | null)[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const i = start + r;
      id[r] = i + 1;
      ts[r] = TS_START + i * TS_STEP_MS + Math.floor(rand() * TS_STEP_MS);
      // Skewed: low user numbers are frequent; all 10,000 occur in 1M rows.
      user[r] = `user_${String(Math.floor(USERS * rand() ** 2)).padStart(5, '0')}`;
      // Geometric-ish over 20 categories.
      category[r] = CATEGORIES[Math.min(19, Math.floor(-Math.log(1 - rand()) * 4))] as string;
      amount[r] = rand() < 0.05 ? null : Math.round(Math.exp(3 + normal(rand)) * 100) / 100;
      score[r] = Math.round(Math.min(100, Math.max(0, 50 + 15 * normal(rand))) * 10_000) / 10_000;
      flag[r] = rand() < 0.3;
      const u = rand();
      note[r] =
        u < 0.02
          ? null
          : u < 0.32
            ? (NOTE_TEMPLATES[Math.floor(rand() * NOTE_TEMPLATES.length)] as string)
            : u < 0.35
              ? `customer said "call me, later" about order ${i + 1}`
              : `order ${i + 1} ref ${Math.floor(rand() * 0xffffffff)
                  .toString(16)
                  .padStart(8, '0')}`;
    }
    yield {
      schema: SCHEMA,
      numRows: n,
      columns: [id, ts, user, category, amount, score, flag, note],
    };
  }
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLines(batch: RecordBatch): string {
  const [id, ts, user, category, amount, score, flag, note] = batch.columns as [
    number[],
    number[],
    string[],
    string[],
    (number | null)[],
    number[],
    boolean[],
    (string | null)[],
  ];
  const lines: string[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const a = amount[r];
    const nt = note[r];
    lines[r] =
      `${id[r]},${new Date(ts[r] as number).toISOString()},${user[r]},${category[r]},` +
      `${a === null ? '' : a},${score[r]},${flag[r]},${nt === null ? '' : csvField(nt as string)}\n`;
  }
  return lines.join('');
}

/** Generates the CSV and Parquet files, or reuses them when this seed and size were generated before. */
export async function ensureDataSet(root: string, rows: number, seed: number): Promise<DataSet> {
  const dir = join(root, `v${GENERATOR_VERSION}-rows${rows}-seed${seed}`);
  const csvPath = join(dir, 'data.csv');
  const parquetPath = join(dir, 'data.parquet');
  const done = join(dir, 'complete');
  let rowGroups = Math.ceil(rows / 100_000);
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true });
    const csvFd = openSync(`${csvPath}.tmp`, 'w');
    const parquetFd = openSync(`${parquetPath}.tmp`, 'w');
    writeSync(csvFd, `${SCHEMA.columns.map((c) => c.name).join(',')}\n`);
    async function* withCsv(): AsyncIterable<RecordBatch> {
      for (const batch of batches(rows, seed)) {
        writeSync(csvFd, csvLines(batch));
        yield batch;
      }
    }
    const written = await writeParquet(SCHEMA, withCsv(), async (chunk) => {
      writeSync(parquetFd, chunk);
    });
    rowGroups = written.rowGroups;
    closeSync(csvFd);
    closeSync(parquetFd);
    renameSync(`${csvPath}.tmp`, csvPath);
    renameSync(`${parquetPath}.tmp`, parquetPath);
    closeSync(openSync(done, 'w'));
  }
  return {
    rows,
    seed,
    dir,
    csv: { path: csvPath, bytes: statSync(csvPath).size },
    parquet: { path: parquetPath, bytes: statSync(parquetPath).size, rowGroups },
    maxTs: maxTsOf(rows),
  };
}

/** The clock the freshness check judges by: an hour after the newest row. */
export function benchNow(data: Pick<DataSet, 'maxTs'>): Date {
  return new Date(data.maxTs + 3_600_000);
}

/**
 * A realistic suite: every check type the validate stage knows except required_columns (schema covers
 * it). All pass on the generated data.
 */
export const SUITE: ValidationSuiteInput = {
  version: 1,
  checks: [
    {
      type: 'schema',
      columns: SCHEMA.columns.map((c) => ({ name: c.name, type: c.type })),
      allowExtraColumns: false,
    },
    { type: 'completeness', column: 'id', maxNullFraction: 0 },
    { type: 'completeness', column: 'user', maxNullFraction: 0 },
    { type: 'completeness', column: 'amount', maxNullFraction: 0.1 },
    { type: 'uniqueness', columns: ['id'] },
    { type: 'range', column: 'score', min: 0, max: 100 },
    { type: 'range', column: 'amount', min: 0 },
    { type: 'range', column: 'ts', min: '2025-01-01T00:00:00Z', max: '2030-01-01T00:00:00Z' },
    { type: 'allowed_values', column: 'category', values: [...CATEGORIES] },
    { type: 'freshness', column: 'ts', maxAgeSeconds: 86_400 },
    { type: 'distribution', column: 'score', mean: { min: 45, max: 55 }, std: { min: 10, max: 20 } },
  ],
};
