/**
 * Train / validation / test splits of a table, as row indexes. Pure and deterministic: the same table,
 * ratios and seed give the same split on every machine, so a feature version can be rebuilt and audited.
 * The data hash of each split (sha256 of the split's Parquet bytes) is computed by the app layer after
 * writing it, not here: it depends on the encoding, which the domain does not know.
 */
import { InvalidInputError } from '../../errors.js';
import type { CellValue, RecordBatch } from '../table.js';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Fractions of the rows for each split: each ≥ 0, summing to 1 (± 1e-9). */
export type SplitRatios = Record<SplitName, number>;
export type SplitSizes = Record<SplitName, number>;
export type SplitIndexes = Record<SplitName, Int32Array>;

export interface SplitOptions {
  ratios: SplitRatios;
  /**
   * A `timestamp`, `int` or `float` column: split by time instead of at random, the earliest rows to
   * train, the latest to test, so the model is evaluated on a future it has not seen.
   */
  timeColumn?: string;
  /** Seed of the random split, an integer in [0, 2³²); default 0. Ignored with `timeColumn`. */
  seed?: number;
}

const RATIO_TOLERANCE = 1e-9;
const DEFAULT_SEED = 0;

function assertRatios(ratios: SplitRatios): void {
  for (const name of SPLIT_NAMES) {
    const r = ratios[name];
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0)
      throw new InvalidInputError(`ratios.${name} must be a finite number ≥ 0`, [
        { path: `ratios.${name}`, message: 'must be a finite number ≥ 0' },
      ]);
  }
  const sum = ratios.train + ratios.validation + ratios.test;
  if (Math.abs(sum - 1) > RATIO_TOLERANCE)
    throw new InvalidInputError(`ratios must sum to 1 (they sum to ${sum})`, [
      { path: 'ratios', message: 'must sum to 1' },
    ]);
}

/**
 * Split sizes for n rows by largest-remainder (Hamilton) rounding: each split gets ⌊ratio·n⌋ rows, and the
 * rows left over go one each to the splits with the largest fractional parts (ties: train, then
 * validation, then test). The sizes sum to n, each is within one row of ratio·n, and a ratio of 0 gets no
 * rows. The ratios are divided by their sum first, so the 1e-9 tolerance cannot add or lose a row.
 */
export function splitSizes(n: number, ratios: SplitRatios): SplitSizes {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidInputError(`row count ${n} is not an integer ≥ 0`);
  assertRatios(ratios);
  const total = ratios.train + ratios.validation + ratios.test;
  const parts = SPLIT_NAMES.map((name, order) => {
    const quota = (ratios[name] / total) * n;
    const size = Math.floor(quota);
    return { name, order, size, remainder: quota - size, positive: ratios[name] > 0 };
  });
  let left = n - parts.reduce((sum, p) => sum + p.size, 0);
  const byRemainder = [...parts].sort((a, b) => b.remainder - a.remainder || a.order - b.order);
  // In exact arithmetic 0 ≤ left < 3; floating rounding of the quotas can push it one step either way.
  for (const p of byRemainder) {
    if (left <= 0) break;
    if (!p.positive) continue;
    p.size++;
    left--;
  }
  for (const p of byRemainder.reverse()) {
    if (left >= 0) break;
    if (p.size === 0) continue;
    p.size--;
    left++;
  }
  return { train: parts[0]?.size ?? 0, validation: parts[1]?.size ?? 0, test: parts[2]?.size ?? 0 };
}

/**
 * The PRNG of the random split, specified so another implementation (a notebook, another language) can
 * reproduce a split: xoshiro128** (Blackman & Vigna), its 128-bit state seeded with four outputs of
 * splitmix32 started at the seed. splitmix32 step: a = (a + 0x9e3779b9) mod 2³²; t = a ^ (a >>> 16);
 * t = t · 0x21f0aaad mod 2³²; t ^= t >>> 15; t = t · 0x735a2d97 mod 2³²; output t ^ (t >>> 15).
 */
function xoshiro128ss(seed: number): () => number {
  let a = seed | 0;
  const splitmix32 = () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) | 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  // The all-zero state is xoshiro's one fixed point; splitmix32 never yields it for four steps in a row,
  // but a guard costs nothing.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}

/** Uniform integer in [0, m) for 1 ≤ m ≤ 2³², without modulo bias: draws ≥ the last multiple of m are redrawn. */
function uniformBelow(next: () => number, m: number): number {
  const limit = 2 ** 32 - (2 ** 32 % m);
  for (;;) {
    const r = next();
    if (r < limit) return r % m;
  }
}

function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new InvalidInputError(`seed must be an integer in [0, 2^32), got ${seed}`, [
      { path: 'seed', message: 'must be an integer in [0, 2^32)' },
    ]);
}

/** The times of the time column, validated: every row needs one, or it could not be placed in time. */
function timesOf(table: RecordBatch, timeColumn: string): Float64Array {
  const index = table.schema.columns.findIndex((c) => c.name === timeColumn);
  const column = table.schema.columns[index];
  if (column === undefined) throw new InvalidInputError(`time column "${timeColumn}" is not in the table`);
  if (column.type !== 'timestamp' && column.type !== 'int' && column.type !== 'float')
    throw new InvalidInputError(
      `time column "${timeColumn}" is ${column.type}; it must be a timestamp, int or float column`,
    );
  const cells = table.columns[index] ?? [];
  const times = new Float64Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const t: CellValue = cells[r] ?? null;
    if (typeof t !== 'number' || Number.isNaN(t))
      throw new InvalidInputError(
        `time column "${timeColumn}" has no time at row ${r}; a time split needs a time on every row`,
      );
    times[r] = t;
  }
  return times;
}

/**
 * Splits the rows of a table into train, validation and test row indexes: disjoint, together every row.
 *
 * With `timeColumn`, rows are ordered by time (stable: equal times keep table order) and cut in that order,
 * train first, so every train time ≤ every validation time ≤ every test time. The cuts start at the
 * `splitSizes` boundaries; where rows on both sides of a cut share a time, the cut moves forward past them
 * (the earlier split grows), so no time appears in two splits: a model must not be tested on the same
 * instant it was trained on. The sizes can then differ from `splitSizes` by more than a row, and a later
 * split can end up empty when the table holds few distinct times. Indexes come in time order.
 *
 * Without `timeColumn`, the rows are shuffled with a seeded Fisher–Yates (for i from n − 1 down to 1, swap
 * i with a uniform j in [0, i] drawn from the PRNG described at `xoshiro128ss`), then cut at the
 * `splitSizes` boundaries. Each split's indexes are returned ascending, so a split keeps the table's row
 * order (shuffling for training is the trainer's job, per epoch).
 */
export function splitRows(table: RecordBatch, options: SplitOptions): SplitIndexes {
  const n = table.numRows;
  const sizes = splitSizes(n, options.ratios);
  let trainEnd = sizes.train;
  let validationEnd = sizes.train + sizes.validation;
  let order: Int32Array;

  if (options.timeColumn !== undefined) {
    const times = timesOf(table, options.timeColumn);
    order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => {
      const ta = times[a] ?? 0;
      const tb = times[b] ?? 0;
      return ta < tb ? -1 : ta > tb ? 1 : a - b;
    });
    const timeAt = (position: number) => times[order[position] ?? 0];
    const pastTies = (cut: number) => {
      let c = cut;
      while (c > 0 && c < n && timeAt(c) === timeAt(c - 1)) c++;
      return c;
    };
    trainEnd = pastTies(trainEnd);
    validationEnd = pastTies(Math.max(validationEnd, trainEnd));
  } else {
    const seed = options.seed ?? DEFAULT_SEED;
    assertSeed(seed);
    const next = xoshiro128ss(seed);
    order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = uniformBelow(next, i + 1);
      const swap = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = swap;
    }
  }

  const train = order.slice(0, trainEnd);
  const validation = order.slice(trainEnd, validationEnd);
  const test = order.slice(validationEnd);
  if (options.timeColumn === undefined) {
    train.sort();
    validation.sort();
    test.sort();
  }
  return { train, validation, test };
}

/** The rows at `indexes`, in that order (an index may repeat). */
export function takeRows(table: RecordBatch, indexes: Int32Array): RecordBatch {
  for (const i of indexes)
    if (i < 0 || i >= table.numRows)
      throw new InvalidInputError(`row index ${i} is outside the table's ${table.numRows} rows`);
  return {
    schema: table.schema,
    numRows: indexes.length,
    columns: table.columns.map((cells) => Array.from(indexes, (i) => cells[i] ?? null)),
  };
}
