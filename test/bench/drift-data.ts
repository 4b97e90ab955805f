/**
 * The drift case's data: a reference and a current file of the same 8 columns, seeded, written as Parquet
 * with our writeParquet (row groups of 100 000, as the parse stage stages files) and cached under
 * `.strata/bench/data/drift-v<N>-rows<rows>-seed<seed>/`. The current file comes from a shifted
 * distribution, so the comparison has real drift to find:
 *
 * | column   | type      | reference                              | current                                  |
 * | -------- | --------- | -------------------------------------- | ---------------------------------------- |
 * | ts       | timestamp | one row every ~30 s                    | the following period (not compared)      |
 * | user     | string    | 5 000 users, skewed                    | 5 500 users: 500 new ones in the tail    |
 * | category | string    | 20 categories, geometric-ish           | flatter, plus 2 new categories (~4%)     |
 * | age      | int       | N(40, 12) clamped to 18–90             | mean +0.5σ (+6)                          |
 * | items    | int       | geometric, mean ~2.5                   | unchanged                                |
 * | amount   | float     | lognormal e^(3+N), cents, 5% nulls     | e^(3.5+N) (+0.5σ in log space), 8% nulls |
 * | score    | float     | N(50, 15) in [0, 100], 4 decimals      | mean +0.5σ (+7.5)                        |
 * | latency  | float     | exponential, mean 120, full precision  | mean ×1.1                                |
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch, TableSchema } from '../../shared/domain/table.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import { CATEGORIES, normal, random } from './data.js';

/** Bump when the generator changes, so cached files are not reused. */
const GENERATOR_VERSION = 1;
const BATCH_ROWS = 100_000;

export const DRIFT_SCHEMA: TableSchema = {
  columns: [
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'user', type: 'string', nullable: false },
    { name: 'category', type: 'string', nullable: false },
    { name: 'age', type: 'int', nullable: false },
    { name: 'items', type: 'int', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'score', type: 'float', nullable: false },
    { name: 'latency', type: 'float', nullable: false },
  ],
};

const NEW_CATEGORIES = ['vr_headsets', 'smart_home'] as const;
const TS_START = Date.UTC(2026, 0, 1);
const TS_STEP_MS = 30_000;

export interface DriftFile {
  path: string;
  bytes: number;
  rowGroups: number;
}

export interface DriftDataSet {
  rows: number;
  seed: number;
  dir: string;
  reference: DriftFile;
  current: DriftFile;
}

function* batches(rows: number, seed: number, shifted: boolean): Generator<RecordBatch> {
  const rand = random(seed);
  const users = shifted ? 5_500 : 5_000;
  const tsStart = shifted ? TS_START + rows * TS_STEP_MS : TS_START;
  for (let start = 0; start < rows; start += BATCH_ROWS) {
    const n = Math.min(BATCH_ROWS, rows - start);
    const ts: number[] = new Array(n);
    const user: string[] = new Array(n);
    const category: string[] = new Array(n);
    const age: number[] = new Array(n);
    const items: number[] = new Array(n);
    const amount: (number | null)[] = new Array(n);
    const score: number[] = new Array(n);
    const latency: number[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const i = start + r;
      ts[r] = tsStart + i * TS_STEP_MS + Math.floor(rand() * TS_STEP_MS);
      user[r] = `user_${String(Math.floor(users * rand() ** 2)).padStart(5, '0')}`;
      const c = rand();
      category[r] =
        shifted && c < 0.04
          ? (NEW_CATEGORIES[c < 0.025 ? 0 : 1] as string)
          : (CATEGORIES[Math.min(19, Math.floor(-Math.log(1 - rand()) * (shifted ? 5 : 4)))] as string);
      age[r] = Math.min(90, Math.max(18, Math.round((shifted ? 46 : 40) + 12 * normal(rand))));
      items[r] = Math.floor(-Math.log(1 - rand()) * 2.5);
      amount[r] =
        rand() < (shifted ? 0.08 : 0.05)
          ? null
          : Math.round(Math.exp((shifted ? 3.5 : 3) + normal(rand)) * 100) / 100;
      score[r] =
        Math.round(Math.min(100, Math.max(0, (shifted ? 57.5 : 50) + 15 * normal(rand))) * 10_000) / 10_000;
      latency[r] = -Math.log(1 - rand()) * (shifted ? 132 : 120);
    }
    yield {
      schema: DRIFT_SCHEMA,
      numRows: n,
      columns: [ts, user, category, age, items, amount, score, latency],
    };
  }
}

async function writeSide(path: string, rows: number, seed: number, shifted: boolean): Promise<number> {
  const fd = openSync(`${path}.tmp`, 'w');
  const written = await writeParquet(
    DRIFT_SCHEMA,
    (async function* () {
      yield* batches(rows, seed, shifted);
    })(),
    async (chunk) => {
      writeSync(fd, chunk);
    },
  );
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
  return written.rowGroups;
}

/** Generates the two Parquet files, or reuses them when this seed and size were generated before. */
export async function ensureDriftData(root: string, rows: number, seed: number): Promise<DriftDataSet> {
  const dir = join(root, `drift-v${GENERATOR_VERSION}-rows${rows}-seed${seed}`);
  const reference = join(dir, 'reference.parquet');
  const current = join(dir, 'current.parquet');
  const done = join(dir, 'complete');
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true });
    await writeSide(reference, rows, seed, false);
    // Another seed: the current file is an independent sample, not the reference's rows moved.
    await writeSide(current, rows, seed + 1_000_003, true);
    closeSync(openSync(done, 'w'));
  }
  const rowGroups = Math.ceil(rows / BATCH_ROWS);
  return {
    rows,
    seed,
    dir,
    reference: { path: reference, bytes: statSync(reference).size, rowGroups },
    current: { path: current, bytes: statSync(current).size, rowGroups },
  };
}
