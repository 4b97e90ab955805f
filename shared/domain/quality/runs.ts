/** Constant periods: runs of one repeated value, tracked one row at a time in assessment order. */
import type { ConstantPeriods } from './types.js';

/** Closed runs' statistics: those at least `minRun` long, and the longest (the earliest of equals). */
export interface RunStats {
  runs: number;
  covered: number;
  longest: number;
  longestStart: number;
}

/**
 * A chunk's runs, for joining with its neighbours': the run at its first row (`head`, 0 when that row is
 * missing), the run at its last row (`tail`, 0 when missing; its start in the chunk), whether one run
 * covers the whole chunk, and the statistics of the runs strictly between head and tail (positions in
 * the chunk). A run crossing a chunk boundary is the previous chunk's tail joined with the next one's head.
 */
export interface RunPartial {
  rows: number;
  head: number;
  whole: boolean;
  tail: number;
  tailStart: number;
  inner: RunStats;
}

/** Runs of equal non-missing values, fed one row at a time in assessment order; a missing row ends a run. */
export class RunTracker {
  #position = 0;
  #length = 0;
  #start = 0;
  #longest = 0;
  #longestStart = 0;
  #runs = 0;
  #covered = 0;
  // The run that started at position 0 once closed (its length), and the closed runs after it.
  #head = -1;
  #inner: RunStats = { runs: 0, covered: 0, longest: 0, longestStart: 0 };

  constructor(readonly minRun: number) {}

  /** A non-missing row; `same` when it equals the row just before (which was not missing). */
  value(same: boolean): void {
    if (!same) {
      this.#close();
      this.#start = this.#position;
    }
    this.#length++;
    this.#position++;
  }

  gap(): void {
    this.#close();
    this.#position++;
  }

  #close(): void {
    const n = this.#length;
    if (n === 0) {
      // Past the first row with no run open: the first row was missing, so no run starts at 0.
      if (this.#head < 0 && this.#position > 0) this.#head = 0;
      return;
    }
    if (n >= this.minRun) {
      this.#runs++;
      this.#covered += n;
    }
    // Strictly longer: the earliest of equally long runs is the one reported.
    if (n > this.#longest) {
      this.#longest = n;
      this.#longestStart = this.#start;
    }
    if (this.#head < 0 && this.#start === 0) this.#head = n;
    else {
      if (this.#head < 0) this.#head = 0;
      addRun(this.#inner, n, this.#start, this.minRun);
    }
    this.#length = 0;
  }

  /** The chunk's runs so far, for `absorb` into the file's tracker. */
  partial(): RunPartial {
    const open = this.#length;
    const whole = this.#head < 0 && open > 0 && this.#start === 0;
    return {
      rows: this.#position,
      head: this.#head >= 0 ? this.#head : whole ? open : 0,
      whole,
      tail: open,
      tailStart: open > 0 ? this.#start : this.#position,
      inner: { ...this.#inner },
    };
  }

  /**
   * Appends a chunk's runs as if its rows were fed here. `joins`: the chunk's first row equals the last
   * row fed here (both non-missing), so the open run goes on into the chunk's head.
   */
  absorb(part: RunPartial, joins: boolean): void {
    if (part.rows === 0) return;
    const offset = this.#position;
    if (part.head > 0) {
      if (!(joins && this.#length > 0)) {
        this.#close();
        this.#start = offset;
      }
      this.#length += part.head;
    } else {
      this.#close();
    }
    if (part.whole) {
      this.#position = offset + part.rows;
      return;
    }
    this.#close();
    const inner = part.inner;
    this.#runs += inner.runs;
    this.#covered += inner.covered;
    if (inner.longest > this.#longest) {
      this.#longest = inner.longest;
      this.#longestStart = offset + inner.longestStart;
    }
    this.#start = offset + part.tailStart;
    this.#length = part.tail;
    this.#position = offset + part.rows;
  }

  /** The summary with the open run closed, leaving the tracker as it was. */
  summary(nonMissing: number): ConstantPeriods {
    let longestRun = this.#longest;
    let longestRunStart = this.#longestStart;
    let runs = this.#runs;
    let covered = this.#covered;
    const n = this.#length;
    if (n >= this.minRun) {
      runs++;
      covered += n;
    }
    if (n > longestRun) {
      longestRun = n;
      longestRunStart = this.#start;
    }
    return {
      longestRun,
      longestRunStart,
      runs,
      fractionInRuns: nonMissing > 0 ? covered / nonMissing : 0,
      minRun: this.minRun,
    };
  }
}

function addRun(stats: RunStats, n: number, start: number, minRun: number): void {
  if (n >= minRun) {
    stats.runs++;
    stats.covered += n;
  }
  if (n > stats.longest) {
    stats.longest = n;
    stats.longestStart = start;
  }
}
