/** Constant periods: runs of one repeated value, tracked one row at a time in assessment order. */
import type { ConstantPeriods } from './types.js';

/** Runs of equal non-missing values, fed one row at a time in assessment order; a missing row ends a run. */
export class RunTracker {
  #position = 0;
  #length = 0;
  #start = 0;
  #longest = 0;
  #longestStart = 0;
  #runs = 0;
  #covered = 0;

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
    if (n === 0) return;
    if (n >= this.minRun) {
      this.#runs++;
      this.#covered += n;
    }
    // Strictly longer: the earliest of equally long runs is the one reported.
    if (n > this.#longest) {
      this.#longest = n;
      this.#longestStart = this.#start;
    }
    this.#length = 0;
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
