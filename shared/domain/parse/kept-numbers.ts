/**
 * The numbers a CSV file's first pass reads while it infers types (ints, floats and timestamps, as
 * convertBytes makes them of that type), by data record, for the columns that may still turn out numeric:
 * kept with the file's bytes and spans, they let the second pass take each number instead of parsing its
 * field again (number and timestamp parsing was a fifth of the second pass). A column that turns out text
 * or boolean is dropped as soon as it does; the arrays are sized from the file's size, a quarter over
 * (pages past what is written are never touched).
 */
import type { ColumnType } from '../table.js';
import type { ColumnInference } from './infer.js';

export class KeptNumbers {
  private columns: (Float64Array | undefined)[] = [];
  /** The first data record kept (those before were read as text while the header was decided). */
  private first = -1;
  private capacity = 0;

  constructor(private readonly expectedBytes: number) {}

  /**
   * Keeps `values[i]` (NaN: a null or not a number) of data record `record` (counted from 0), whose
   * bytes end at `offset` in the file. Columns whose inference has settled on text or booleans are let go.
   */
  keep(record: number, offset: number, values: Float64Array, inference: readonly ColumnInference[]): void {
    if (this.first < 0) this.start(record, offset, inference);
    const at = record - this.first;
    if (at >= this.capacity) this.grow(at + 1);
    const columns = this.columns;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i];
      if (column === undefined) continue;
      const kind = (inference[i] as ColumnInference).kind;
      if (kind === 'string' || kind === 'bool') columns[i] = undefined;
      else column[at] = values[i] as number;
    }
  }

  /**
   * What pass 2 reads, by column: the kept numbers of the columns of `types` that are numeric and were
   * not overridden (whose kept values are what converting their fields gives), else undefined; `first`
   * is the data record of index 0.
   */
  settled(
    types: readonly ColumnType[],
    overridden: readonly boolean[],
  ): { columns: (Float64Array | undefined)[]; first: number } | undefined {
    if (this.first < 0) return undefined;
    const columns = this.columns.map((column, i) => {
      const type = types[i];
      const numeric = type === 'int' || type === 'float' || type === 'timestamp';
      return numeric && !overridden[i] ? column : undefined;
    });
    return columns.some((c) => c !== undefined) ? { columns, first: this.first } : undefined;
  }

  private start(record: number, offset: number, inference: readonly ColumnInference[]): void {
    this.first = record;
    // Records of the size of those so far, a quarter over.
    const perRecord = Math.max(1, offset / (record + 1));
    this.capacity = Math.max(1024, Math.ceil((1.25 * this.expectedBytes) / perRecord));
    this.columns = inference.map((c) =>
      c.kind === 'string' || c.kind === 'bool' ? undefined : new Float64Array(this.capacity),
    );
  }

  private grow(needed: number): void {
    this.capacity = Math.max(needed, 2 * this.capacity);
    this.columns = this.columns.map((column) => {
      if (column === undefined) return undefined;
      const grown = new Float64Array(this.capacity);
      grown.set(column);
      return grown;
    });
  }
}
