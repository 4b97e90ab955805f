/** A Parquet file's parse: its own schema, read row group by row group. */
import { EmptyFileError, ParseError } from '../../errors.js';
import { type ByteRangeSource, numericRanges, openParquet } from '../../formats/parquet.js';
import type { CellValue, ReadBatch, TableSchema, ValueRange } from '../table.js';
import { convertCell, FAILED } from './infer.js';
import { DEFAULT_MAX_ROW_GROUP_BYTES, type ParsedFile, type ParseOptions } from './parsed-file.js';
import {
  type ColumnPlan,
  Counters,
  checkColumnCount,
  checkColumnName,
  checkErrorRate,
  checkNotEmpty,
  finishPlan,
  overrideFor,
  shown,
  targetName,
} from './plan.js';
import { Deduper } from './row-sink.js';

export async function parseParquet(source: ByteRangeSource, options: ParseOptions): Promise<ParsedFile> {
  const counters = new Counters();
  const maxErrorRate = options.maxErrorRate ?? 0;
  if (source.size === 0) throw new EmptyFileError('the file has 0 bytes');
  const file = await openParquet({
    size: source.size,
    read: async (start, end) => {
      const bytes = await source.read(start, end);
      counters.bytesRead += bytes.byteLength;
      return bytes;
    },
  });
  checkColumnCount(file.schema.columns.length, options);
  checkNotEmpty('parquet', source.size, file.schema.columns.length, file.numRows, options);
  const maxGroupBytes = options.maxRowGroupBytes ?? DEFAULT_MAX_ROW_GROUP_BYTES;
  const huge = file.rowGroups.find((g) => g.uncompressedBytes > maxGroupBytes);
  if (huge !== undefined) {
    // Refused before any row is read: a row group is decoded whole, so its size is the memory it takes.
    throw new ParseError(
      `row group ${huge.index} declares ${huge.uncompressedBytes} uncompressed bytes, more than the ` +
        `${maxGroupBytes} a parse may hold at once; rewrite the file with smaller row groups`,
    );
  }
  const plans: ColumnPlan[] = file.schema.columns.map((c, i) => {
    const target = targetName(c.name, options);
    checkColumnName(target, i, options);
    const override = overrideFor(target, options);
    return { source: c.name, target, type: override ?? c.type, overridden: override !== undefined };
  });
  const keyIndexes = finishPlan(plans, options);
  const sourceTypes = file.schema.columns.map((c) => c.type);
  const schema: TableSchema = {
    columns: plans.map((p, i) => {
      const from = file.schema.columns[i];
      // Text converted to another type may turn null tokens into nulls.
      const nullable = (from?.nullable ?? true) || (from?.type === 'string' && p.type !== 'string');
      return { name: p.target, type: p.type, nullable };
    }),
  };

  async function* batches(): AsyncIterable<ReadBatch> {
    const deduper = new Deduper(keyIndexes);
    const values: CellValue[] = plans.map(() => null);
    // Nothing to convert or deduplicate (the common case): the reader's fresh batches pass as they are,
    // their numeric columns typed (the writer only reads them).
    const passThrough =
      keyIndexes.length === 0 && plans.every((p, i) => !p.overridden || p.type === sourceTypes[i]);
    const read = file.readRowGroups({
      ...(options.rowGroups && { rowGroups: options.rowGroups }),
      typed: passThrough,
    });
    for await (const batch of read) {
      if (passThrough) {
        counters.recordsRead += batch.numRows;
        counters.recordsWritten += batch.numRows;
        if (batch.numRows > 0) {
          yield {
            schema,
            numRows: batch.numRows,
            columns: batch.columns,
            ...(batch.codes && { codes: batch.codes }),
          };
        }
        continue;
      }
      const out: CellValue[][] = plans.map(() => []);
      let rows = 0;
      for (let r = 0; r < batch.numRows; r++) {
        counters.recordsRead++;
        let failed: string | undefined;
        for (let i = 0; i < plans.length; i++) {
          const plan = plans[i] as ColumnPlan;
          const v = batch.columns[i]?.[r] ?? null;
          if (!plan.overridden || plan.type === sourceTypes[i]) {
            values[i] = v;
            continue;
          }
          const converted = convertCell(v, plan.type, sourceTypes[i]);
          if (converted === FAILED) {
            failed ??= `${shown(v)} in column "${plan.target}" is not a ${plan.type}`;
            values[i] = null;
          } else {
            values[i] = converted;
          }
        }
        if (failed !== undefined) {
          counters.fail({ reason: failed, record: counters.recordsRead });
          checkErrorRate(counters, file.numRows, maxErrorRate);
          continue;
        }
        if (deduper.isDuplicate(values)) {
          counters.duplicatesDropped++;
          continue;
        }
        counters.recordsWritten++;
        for (let i = 0; i < values.length; i++) out[i]?.push(values[i] ?? null);
        rows++;
      }
      if (rows > 0) yield { schema, numRows: rows, columns: out };
    }
    counters.finished = performance.now();
  }

  // The statistics of the row groups read, for the columns written as they are read.
  const read = options.rowGroups;
  const inputRanges = numericRanges(
    file.schema,
    read ? file.rowGroups.filter((g) => read.includes(g.index)) : file.rowGroups,
  );
  const ranges: Record<string, ValueRange> = {};
  plans.forEach((p, i) => {
    const range = p.type === sourceTypes[i] ? inputRanges[p.source] : undefined;
    if (range) Object.defineProperty(ranges, p.target, { value: range, enumerable: true });
  });
  return { schema, batches: batches(), metrics: () => counters.snapshot(), renamedColumns: [], ranges };
}
