/** Per-column assessors (numeric, string, bool): missing values, outliers, runs, buffers for reordering. */
import { InvalidInputError } from '../../errors.js';
import { HASH_OUT, hashNumber, hashString } from '../hashing.js';
import type { ColumnProfile } from '../profile/profiler.js';
import type { ColumnCells, ColumnSchema, ColumnType } from '../table.js';
import { noiseOf } from './noise.js';
import { FALSE_X, FALSE_Y, mixCell, NULL_X, NULL_Y, TRUE_X, TRUE_Y } from './row-hash.js';
import { type RunPartial, RunTracker } from './runs.js';
import type { Resolved } from './thresholds.js';
import type { ConstantPeriods, NoiseEstimate, OutlierCounts } from './types.js';

/** String columns with at most this many distinct values (exactly known) are buffered as 32-bit ids. */
const MAX_STRING_IDS = 1 << 20;

export interface Measures {
  missing: number;
  nonMissing: number;
  /** One value in every non-missing row, with at least two of them. */
  constant: boolean;
  outliers?: OutlierCounts;
  constantPeriods?: ConstantPeriods;
  noise?: NoiseEstimate;
}

export interface FinishContext {
  /** Row positions in time order; null: the rows' own order is the assessment order. */
  order: Uint32Array | null;
  /** Recompute runs from the buffers in `order` (else the streamed runs are in assessment order). */
  rerun: boolean;
  /** Estimate noise (numeric, non-time columns); `diffs` holds at least `rows` values then. */
  noise: boolean;
  diffs: Float64Array | null;
  rows: number;
}

/**
 * A column's state over a chunk, for the merge: counters, outlier counts (against the file's profile),
 * the first non-missing value and the last row's value (null: missing), which decide whether the column
 * is constant and whether a run goes on across the boundary, and the chunk's runs.
 */
export interface ColumnPartial {
  missing: number;
  nonMissing: number;
  first: number | string | null;
  varies: boolean;
  last: number | string | null;
  zCount: number;
  iqrCount: number;
  /** Bool columns: bit 0 set when a false was seen, bit 1 when a true was. */
  seen: number;
  runs: RunPartial;
}

export interface ColumnAssessor {
  readonly schema: ColumnSchema;
  partial(): ColumnPartial;
  /** Folds in the next chunk's state, as if its rows were consumed here (no buffers: no reordering). */
  absorb(partial: ColumnPartial): void;
  consume(cells: ColumnCells, rows: number, la: Int32Array, lb: Int32Array): void;
  /** Makes room for `rows` buffered rows in all; `false` drops the buffer for good. */
  reserve(rows: number | false): void;
  finish(context: FinishContext): Measures;
}

function typeMismatch(name: string, type: ColumnType, value: unknown): InvalidInputError {
  return new InvalidInputError(`column ${name} is ${type} but holds a ${typeof value}`, [
    { path: name, message: `expected ${type}` },
  ]);
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(
  buffer: T,
  needed: number,
  make: (n: number) => T,
): T {
  if (needed <= buffer.length) return buffer;
  const next = make(Math.max(needed, buffer.length * 2));
  next.set(buffer);
  return next;
}

export class NumericColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #first = Number.NaN;
  #varies = false;
  #previous = Number.NaN;
  #zCount = 0;
  #iqrCount = 0;
  #runs: RunTracker;
  #buffer: Float64Array | null;
  #buffered = 0;
  /** Outlier bounds from the profile; absent for timestamps and for columns without finite values. */
  /** The profile's sample std of the finite values; 0 when unknown. */
  readonly std: number;
  readonly #bounds: {
    mean: number;
    std: number;
    z: number;
    lower: number;
    upper: number;
    k: number;
  } | null;

  constructor(
    readonly schema: ColumnSchema,
    profile: ColumnProfile,
    resolved: Resolved,
    buffered: boolean,
    readonly isTime: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Float64Array(0) : null;
    const numeric = profile.type === 'int' || profile.type === 'float' ? profile : null;
    const q = numeric?.quantiles;
    if (numeric && q && numeric.mean !== null) {
      const iqr = q.p75 - q.p25;
      this.#bounds = {
        mean: numeric.mean,
        // A std of 0 or null (fewer than two finite values) makes every z-score undefined: no outliers.
        std: numeric.std ?? 0,
        z: resolved.z,
        lower: q.p25 - resolved.k * iqr,
        upper: q.p75 + resolved.k * iqr,
        k: resolved.k,
      };
    } else {
      this.#bounds = null;
    }
    this.std = numeric?.std ?? 0;
  }

  /** The buffered values in file order (NaN: missing), or null when not buffering. */
  bufferedValues(): Float64Array | null {
    return this.#buffer;
  }

  partial(): ColumnPartial {
    return {
      missing: this.#missing,
      nonMissing: this.#nonMissing,
      first: this.#nonMissing > 0 ? this.#first : null,
      varies: this.#varies,
      last: Number.isNaN(this.#previous) ? null : this.#previous,
      zCount: this.#zCount,
      iqrCount: this.#iqrCount,
      seen: 0,
      runs: this.#runs.partial(),
    };
  }

  absorb(p: ColumnPartial): void {
    const first = typeof p.first === 'number' ? p.first : Number.NaN;
    // NaN (missing) equals nothing, as in consume.
    this.#runs.absorb(p.runs, p.runs.head > 0 && first === this.#previous);
    if (p.nonMissing > 0) {
      if (this.#nonMissing === 0) this.#first = first;
      else if (first !== this.#first) this.#varies = true;
    }
    this.#varies ||= p.varies;
    this.#missing += p.missing;
    this.#nonMissing += p.nonMissing;
    this.#zCount += p.zCount;
    this.#iqrCount += p.iqrCount;
    if (p.runs.rows > 0) this.#previous = typeof p.last === 'number' ? p.last : Number.NaN;
  }

  reserve(rows: number | false): void {
    if (rows === false) this.#buffer = null;
    else if (this.#buffer) this.#buffer = grown(this.#buffer, rows, (n) => new Float64Array(n));
  }

  consume(cells: ColumnCells, rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    let first = this.#first;
    let varies = this.#varies;
    let previous = this.#previous;
    let zCount = this.#zCount;
    let iqrCount = this.#iqrCount;
    const runs = this.#runs;
    const buffer = this.#buffer;
    let at = this.#buffered;
    const bounds = this.#bounds;
    const mean = bounds?.mean ?? 0;
    const std = bounds?.std ?? 0;
    const z = bounds?.z ?? Number.POSITIVE_INFINITY;
    const lower = bounds?.lower ?? Number.NEGATIVE_INFINITY;
    const upper = bounds?.upper ?? Number.POSITIVE_INFINITY;
    const zActive = std > 0;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        missing++;
        runs.gap();
        previous = Number.NaN;
        mixCell(la, lb, r, NULL_X, NULL_Y);
        if (buffer !== null) buffer[at++] = Number.NaN;
        continue;
      }
      if (typeof v !== 'number') throw typeMismatch(this.schema.name, this.schema.type, v);
      hashNumber(v);
      mixCell(la, lb, r, HASH_OUT[0] as number, HASH_OUT[1] as number);
      if (buffer !== null) buffer[at++] = v;
      if (Number.isNaN(v)) {
        missing++;
        runs.gap();
        previous = Number.NaN;
        continue;
      }
      nonMissing++;
      // previous is NaN after a gap, and NaN equals nothing: a missing row ends the run.
      runs.value(v === previous);
      previous = v;
      if (nonMissing === 1) first = v;
      else if (v !== first) varies = true;
      // ±Infinity is beyond every bound: an outlier by both rules.
      if (zActive && Math.abs(v - mean) / std > z) zCount++;
      if (v < lower || v > upper) iqrCount++;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#first = first;
    this.#varies = varies;
    this.#previous = previous;
    this.#zCount = zCount;
    this.#iqrCount = iqrCount;
    this.#buffered = at;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && !this.#varies,
    };
    const bounds = this.#bounds;
    if (bounds) {
      const fraction = (count: number): number => (nonMissing > 0 ? count / nonMissing : 0);
      measures.outliers = {
        zscore: { count: this.#zCount, fraction: fraction(this.#zCount), threshold: bounds.z },
        iqr: {
          count: this.#iqrCount,
          fraction: fraction(this.#iqrCount),
          lower: bounds.lower,
          upper: bounds.upper,
          k: bounds.k,
        },
      };
    }
    const buffer = this.#buffer;
    if (nonMissing >= 2) {
      if (context.rerun && buffer !== null) {
        const runs = new RunTracker(this.#runs.minRun);
        const order = context.order;
        let previous = Number.NaN;
        for (let r = 0; r < context.rows; r++) {
          const v = buffer[order === null ? r : (order[r] as number)] as number;
          if (Number.isNaN(v)) runs.gap();
          else runs.value(v === previous);
          previous = v;
        }
        measures.constantPeriods = runs.summary(nonMissing);
      } else {
        measures.constantPeriods = this.#runs.summary(nonMissing);
      }
    }
    const numericType = this.schema.type === 'int' || this.schema.type === 'float';
    const d = context.diffs;
    if (context.noise && numericType && !this.isTime && buffer !== null && d !== null && this.std > 0) {
      const order = context.order;
      let n = 0;
      let last = 0;
      let started = false;
      for (let r = 0; r < context.rows; r++) {
        const v = buffer[order === null ? r : (order[r] as number)] as number;
        // Differences between consecutive finite values: missing rows and ±Infinity are stepped over.
        if (v - v !== 0) continue;
        if (started) d[n++] = v - last;
        last = v;
        started = true;
      }
      if (n >= 2) measures.noise = noiseOf(d, n, this.std);
    }
    return measures;
  }
}

/** Strings buffered as ids (0 = missing) while the profile knows they are few, else as 64-bit hashes. */
export class StringColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #first: string | null = null;
  #varies = false;
  #previous: string | null = null;
  #runs: RunTracker;
  #ids: Map<string, number> | null;
  /** One word a row (ids) or two (hashes, (0, 0) = missing). */
  #buffer: Uint32Array | null;
  #buffered = 0;

  constructor(
    readonly schema: ColumnSchema,
    profile: ColumnProfile,
    resolved: Resolved,
    buffered: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Uint32Array(0) : null;
    // The profile only chooses the representation; the ids stay exact if it turns out wrong.
    this.#ids = profile.distinct.exact && profile.distinct.value <= MAX_STRING_IDS ? new Map() : null;
  }

  get #words(): number {
    return this.#ids === null ? 2 : 1;
  }

  partial(): ColumnPartial {
    return {
      missing: this.#missing,
      nonMissing: this.#nonMissing,
      first: this.#first,
      varies: this.#varies,
      last: this.#previous,
      zCount: 0,
      iqrCount: 0,
      seen: 0,
      runs: this.#runs.partial(),
    };
  }

  absorb(p: ColumnPartial): void {
    const first = typeof p.first === 'string' ? p.first : null;
    this.#runs.absorb(p.runs, p.runs.head > 0 && first !== null && first === this.#previous);
    if (first !== null) {
      if (this.#first === null) this.#first = first;
      else if (first !== this.#first) this.#varies = true;
    }
    this.#varies ||= p.varies;
    this.#missing += p.missing;
    this.#nonMissing += p.nonMissing;
    if (p.runs.rows > 0) this.#previous = typeof p.last === 'string' ? p.last : null;
  }

  reserve(rows: number | false): void {
    if (rows === false) {
      this.#buffer = null;
      this.#ids = null;
    } else if (this.#buffer) {
      this.#buffer = grown(this.#buffer, rows * this.#words, (n) => new Uint32Array(n));
    }
  }

  consume(cells: ColumnCells, rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    let first = this.#first;
    let varies = this.#varies;
    let previous = this.#previous;
    const runs = this.#runs;
    const buffer = this.#buffer;
    const ids = this.#ids;
    let at = this.#buffered * this.#words;
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      if (v === null || v === undefined) {
        missing++;
        runs.gap();
        previous = null;
        mixCell(la, lb, r, NULL_X, NULL_Y);
        if (buffer !== null) {
          buffer[at++] = 0;
          if (ids === null) buffer[at++] = 0;
        }
        continue;
      }
      if (typeof v !== 'string') throw typeMismatch(this.schema.name, 'string', v);
      hashString(v);
      const hi = HASH_OUT[0] as number;
      const lo = HASH_OUT[1] as number;
      mixCell(la, lb, r, hi, lo);
      if (buffer !== null) {
        if (ids !== null) {
          let id = ids.get(v);
          if (id === undefined) {
            id = ids.size + 1;
            ids.set(v, id);
          }
          buffer[at++] = id;
        } else {
          buffer[at++] = hi;
          // (0, 0) means missing; a real (0, 0) hash shares (0, 1) with another, at 2⁻⁶⁴ odds.
          buffer[at++] = hi === 0 && lo === 0 ? 1 : lo;
        }
      }
      nonMissing++;
      runs.value(v === previous);
      previous = v;
      if (first === null) first = v;
      else if (v !== first) varies = true;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#first = first;
    this.#varies = varies;
    this.#previous = previous;
    this.#buffered += rows;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && !this.#varies,
    };
    if (nonMissing < 2) return measures;
    const buffer = this.#buffer;
    if (!context.rerun || buffer === null) {
      measures.constantPeriods = this.#runs.summary(nonMissing);
      return measures;
    }
    const runs = new RunTracker(this.#runs.minRun);
    const order = context.order;
    if (this.#ids !== null) {
      let previous = 0;
      for (let r = 0; r < context.rows; r++) {
        const id = buffer[order === null ? r : (order[r] as number)] as number;
        if (id === 0) runs.gap();
        else runs.value(id === previous);
        previous = id;
      }
    } else {
      let previousHi = 0;
      let previousLo = 0;
      for (let r = 0; r < context.rows; r++) {
        const i = 2 * (order === null ? r : (order[r] as number));
        const hi = buffer[i] as number;
        const lo = buffer[i + 1] as number;
        if (hi === 0 && lo === 0) runs.gap();
        else runs.value(hi === previousHi && lo === previousLo);
        previousHi = hi;
        previousLo = lo;
      }
    }
    measures.constantPeriods = runs.summary(nonMissing);
    return measures;
  }
}

/** Bools buffered as one byte a row: 0 missing, 1 false, 2 true. */
export class BoolColumn implements ColumnAssessor {
  #missing = 0;
  #nonMissing = 0;
  #seen = 0;
  #previous = 0;
  /** The code of the first row (0: missing; -1: no row yet). */
  #headCode = -1;
  #runs: RunTracker;
  #buffer: Uint8Array | null;
  #buffered = 0;

  constructor(
    readonly schema: ColumnSchema,
    resolved: Resolved,
    buffered: boolean,
  ) {
    this.#runs = new RunTracker(resolved.minRun);
    this.#buffer = buffered ? new Uint8Array(0) : null;
  }

  reserve(rows: number | false): void {
    if (rows === false) this.#buffer = null;
    else if (this.#buffer) this.#buffer = grown(this.#buffer, rows, (n) => new Uint8Array(n));
  }

  /** Codes stand in for values: `first` is the first row's, `last` the last row's (1 false, 2 true). */
  partial(): ColumnPartial {
    return {
      missing: this.#missing,
      nonMissing: this.#nonMissing,
      first: this.#headCode,
      varies: false,
      last: this.#previous === 0 ? null : this.#previous,
      zCount: 0,
      iqrCount: 0,
      seen: this.#seen,
      runs: this.#runs.partial(),
    };
  }

  absorb(p: ColumnPartial): void {
    const head = typeof p.first === 'number' ? p.first : 0;
    this.#runs.absorb(p.runs, p.runs.head > 0 && head !== 0 && head === this.#previous);
    this.#seen |= p.seen;
    this.#missing += p.missing;
    this.#nonMissing += p.nonMissing;
    if (p.runs.rows > 0) this.#previous = typeof p.last === 'number' ? p.last : 0;
  }

  consume(cells: ColumnCells, rows: number, la: Int32Array, lb: Int32Array): void {
    let missing = this.#missing;
    let nonMissing = this.#nonMissing;
    // Bit 0: a false was seen, bit 1: a true.
    let seen = this.#seen;
    let previous = this.#previous;
    const runs = this.#runs;
    const buffer = this.#buffer;
    let at = this.#buffered;
    if (this.#headCode < 0 && rows > 0) {
      const v = cells[0];
      this.#headCode = v === true ? 2 : v === false ? 1 : 0;
    }
    for (let r = 0; r < rows; r++) {
      const v = cells[r];
      let code: number;
      if (v === true) {
        code = 2;
        mixCell(la, lb, r, TRUE_X, TRUE_Y);
      } else if (v === false) {
        code = 1;
        mixCell(la, lb, r, FALSE_X, FALSE_Y);
      } else if (v === null || v === undefined) {
        code = 0;
        mixCell(la, lb, r, NULL_X, NULL_Y);
      } else {
        throw typeMismatch(this.schema.name, 'bool', v);
      }
      if (buffer !== null) buffer[at++] = code;
      if (code === 0) {
        missing++;
        runs.gap();
      } else {
        nonMissing++;
        runs.value(code === previous);
        seen |= code;
      }
      previous = code;
    }
    this.#missing = missing;
    this.#nonMissing = nonMissing;
    this.#seen = seen;
    this.#previous = previous;
    this.#buffered = at;
  }

  finish(context: FinishContext): Measures {
    const nonMissing = this.#nonMissing;
    const measures: Measures = {
      missing: this.#missing,
      nonMissing,
      constant: nonMissing >= 2 && this.#seen !== 3,
    };
    if (nonMissing < 2) return measures;
    const buffer = this.#buffer;
    if (!context.rerun || buffer === null) {
      measures.constantPeriods = this.#runs.summary(nonMissing);
      return measures;
    }
    const runs = new RunTracker(this.#runs.minRun);
    const order = context.order;
    let previous = 0;
    for (let r = 0; r < context.rows; r++) {
      const code = buffer[order === null ? r : (order[r] as number)] as number;
      if (code === 0) runs.gap();
      else runs.value(code === previous);
      previous = code;
    }
    measures.constantPeriods = runs.summary(nonMissing);
    return measures;
  }
}
