/**
 * Time queries over a version's rows: "the last N by timestamp" and "rows in [start, end)". The rules
 * here are pure: which row groups can hold matching rows (from their min/max statistics), the order to
 * read them in, and how to keep the N latest rows without holding the rest. The app layer does the I/O.
 *
 * A query reads a table's data files (or one file): files are chosen and ordered by their statistics the
 * way row groups are within a file. Rows are ordered by the tuple (timestamp, file, row group, row in
 * group), files by their place in the table version's path order, so equal timestamps still have one
 * total order: results are deterministic and a page cursor can point between two of them.
 */
import { InvalidInputError } from '../errors.js';
import type { FileStats } from './delta/stats.js';
import type { ColumnSchema } from './table.js';

/** Where a row sits and when it happened. */
export interface RowPosition {
  t: number;
  /** The file's index in the table version's data files, in path order (0 for a single file). */
  file: number;
  group: number;
  row: number;
}

export function comparePositions(a: RowPosition, b: RowPosition): number {
  return a.t - b.t || a.file - b.file || a.group - b.group || a.row - b.row;
}

/**
 * What a data file's statistics (its add action's) say of a time column: the range of its values, and
 * whether it has any at all (no rows, or only nulls). Bounds a writer did not record stay unknown, and a
 * file with unknown bounds must be read. Timestamps are ISO 8601 strings in the statistics (Delta's
 * encoding, truncated to milliseconds, as strata's values are); numbers for int and float columns.
 */
export function fileTimeRange(
  stats: FileStats | undefined,
  column: ColumnSchema,
): { empty: boolean; min?: number | undefined; max?: number | undefined } {
  if (!stats) return { empty: false };
  const nulls = stats.nullCount[column.name];
  if (stats.numRecords === 0 || (nulls !== undefined && nulls >= stats.numRecords)) return { empty: true };
  const bound = (value: unknown): number | undefined => {
    if (column.type === 'timestamp') {
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      return Number.isNaN(ms) ? undefined : ms;
    }
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const min = bound(stats.minValues[column.name]);
  const max = bound(stats.maxValues[column.name]);
  // One bound without the other is as good as none for ordering and skipping.
  return min === undefined || max === undefined ? { empty: false } : { empty: false, min, max };
}

/** A row group of a file, or a file of a table: its index, rows, and the time column's bounds. */
export interface GroupRange {
  index: number;
  numRows: number;
  /** The timestamp column's statistics; absent when the writer did not record them. */
  min?: number | undefined;
  max?: number | undefined;
}

/**
 * An instant from a query string: ISO 8601 (with or without a zone; without one it is UTC), or epoch
 * digits. Epoch values below 10^11 are seconds (that is until year 5138), larger ones milliseconds:
 * clients send both, and the two ranges do not overlap for any real date.
 */
export function parseInstant(text: string, name: string): number {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  // A date-time without a zone would be read as local time by Date.parse; the platform's rule is UTC.
  const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(zoned);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed) || Number.isNaN(ms)) {
    throw new InvalidInputError(
      `${name} must be an ISO 8601 instant or epoch seconds/milliseconds: "${text}"`,
    );
  }
  return ms;
}

/** Row groups that may hold a timestamp in [start, end); a group without statistics must be read. */
export function groupsInRange(groups: readonly GroupRange[], start?: number, end?: number): number[] {
  return groups
    .filter((g) => {
      if (g.numRows === 0) return false;
      if (g.min === undefined || g.max === undefined) return true;
      if (start !== undefined && g.max < start) return false;
      if (end !== undefined && g.min >= end) return false;
      return true;
    })
    .map((g) => g.index);
}

export type Direction = 'latest' | 'earliest';

/**
 * Row groups in the order a query reads them: for the latest rows, newest maximum first; for the
 * earliest, oldest minimum first. Groups without statistics come first (they could hold anything).
 * Reading stops once N rows are kept and the next group cannot beat them: see `BoundedRows.canStop`.
 */
export function groupsInReadOrder(groups: readonly GroupRange[], direction: Direction): GroupRange[] {
  const nonEmpty = groups.filter((g) => g.numRows > 0);
  return direction === 'latest'
    ? nonEmpty.sort(
        (a, b) =>
          (b.max ?? Number.POSITIVE_INFINITY) - (a.max ?? Number.POSITIVE_INFINITY) || b.index - a.index,
      )
    : nonEmpty.sort(
        (a, b) =>
          (a.min ?? Number.NEGATIVE_INFINITY) - (b.min ?? Number.NEGATIVE_INFINITY) || a.index - b.index,
      );
}

/**
 * Keeps the N latest (or earliest) rows seen, by position order, in a heap whose root is the kept row
 * a newcomer must beat: memory is O(N) whatever the file size, and each row costs O(log N).
 */
export class BoundedRows<T> {
  private readonly heap: Array<{ at: RowPosition; value: T }> = [];
  /** +1: the root is the smallest kept position (latest mode); −1: the largest (earliest mode). */
  private readonly sign: number;

  constructor(
    private readonly n: number,
    private readonly direction: Direction,
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidInputError('the row count must be a positive integer');
    this.sign = direction === 'latest' ? 1 : -1;
  }

  get size(): number {
    return this.heap.length;
  }

  /** The kept row a newcomer must beat, once N rows are kept. */
  get threshold(): RowPosition | undefined {
    return this.heap.length === this.n ? this.heap[0]?.at : undefined;
  }

  offer(at: RowPosition, value: () => T): void {
    if (this.heap.length < this.n) {
      this.heap.push({ at, value: value() });
      this.up(this.heap.length - 1);
      return;
    }
    const root = this.heap[0];
    if (root && this.sign * comparePositions(at, root.at) > 0) {
      this.heap[0] = { at, value: value() };
      this.down(0);
    }
  }

  /**
   * Whether no later group in read order can contribute: its newest timestamp is older than every kept
   * row (latest mode), or its oldest is newer than every kept row (earliest mode).
   */
  canStop(group: GroupRange): boolean {
    const threshold = this.threshold;
    if (threshold === undefined) return false;
    if (this.direction === 'latest') return group.max !== undefined && group.max < threshold.t;
    return group.min !== undefined && group.min > threshold.t;
  }

  /** The kept rows, oldest first. */
  sorted(): Array<{ at: RowPosition; value: T }> {
    return [...this.heap].sort((a, b) => comparePositions(a.at, b.at));
  }

  private up(i: number): void {
    let child = i;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.less(child, parent)) {
        this.swap(child, parent);
        child = parent;
      } else return;
    }
  }

  private down(i: number): void {
    let parent = i;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.less(left, smallest)) smallest = left;
      if (right < this.heap.length && this.less(right, smallest)) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    return a !== undefined && b !== undefined && this.sign * comparePositions(a.at, b.at) < 0;
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return;
    this.heap[i] = b;
    this.heap[j] = a;
  }
}
