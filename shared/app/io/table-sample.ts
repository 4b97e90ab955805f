/**
 * Reading a table version's rows across its data files, whole or as a seeded sample (the rules of the
 * sample are pure, in domain/table-sample.ts). Rows come out as batches of the table's columns: a file
 * written before a column joined the table reads null there. A file no sampled row falls in is never
 * opened, and within a file only the row groups holding sampled rows are read.
 */

import type { CellValue, RecordBatch, TableSchema } from '../../domain/table.js';
import { allocateSample, sampleIndexes, seedOf } from '../../domain/table-sample.js';
import { openParquet, type ParquetFile } from '../../formats/parquet.js';
import type { ObjectStore } from '../../ports.js';
import type { TableDataFile, TableVersionFiles } from './table-files.js';

export interface TableScanOptions {
  /** Columns to read (the table's, in its order, when absent). Unknown names are ignored. */
  columns?: readonly string[] | undefined;
  /** Rows at most: a larger table is sampled across its files. Default: every row. */
  maxRows?: number | undefined;
  /** Seed of the sample: the same seed and table version give the same rows. */
  seed?: string | undefined;
}

/** What a scan read, for the report that used it. */
export interface TableScanSummary {
  /** The Delta version read; null for a held version's staged file. */
  deltaVersion: number | null;
  /** Rows of the table version (its files' statistics, else their footers). */
  rowsTotal: number;
  /** Rows handed out (all of them, or the sample). */
  rowsRead: number;
  filesTotal: number;
  /** Files opened (a sampled scan skips files no sampled row falls in). */
  filesRead: number;
  sampled: boolean;
}

/**
 * Hands every row (or the sample) of the table version to `onBatch`, one batch per row group read, with
 * the table's (requested) columns. Sequential: memory holds one row group of one file at a time.
 */
export async function scanTable(
  store: ObjectStore,
  table: Pick<TableVersionFiles, 'deltaVersion' | 'schema' | 'files'>,
  options: TableScanOptions,
  onBatch: (batch: RecordBatch) => void | Promise<void>,
): Promise<TableScanSummary> {
  const wanted = options.columns === undefined ? undefined : new Set(options.columns);
  const schema: TableSchema = {
    columns: table.schema.columns.filter((c) => wanted === undefined || wanted.has(c.name)),
  };
  const opened = new Map<string, ParquetFile>();
  const open = async (file: TableDataFile) => {
    let parquet = opened.get(file.key);
    if (!parquet) {
      parquet = await openParquet(await store.openRange({ bucket: store.bucket, key: file.key }));
      opened.set(file.key, parquet);
    }
    return parquet;
  };
  // The statistics' row counts when the writer recorded them (strata always does), else the footer's.
  const rows: number[] = [];
  for (const file of table.files) {
    rows.push(file.stats?.numRecords ?? (await open(file)).numRows);
  }
  const rowsTotal = rows.reduce((a, b) => a + b, 0);
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const sampled = rowsTotal > maxRows;
  const shares = sampled ? allocateSample(rows, maxRows) : rows;
  const seed = options.seed ?? '';
  const summary: TableScanSummary = {
    deltaVersion: table.deltaVersion,
    rowsTotal,
    rowsRead: 0,
    filesTotal: table.files.length,
    filesRead: 0,
    sampled,
  };
  for (const [i, file] of table.files.entries()) {
    const share = shares[i] ?? 0;
    if (share === 0) {
      opened.delete(file.key);
      continue;
    }
    const parquet = await open(file);
    opened.delete(file.key);
    summary.filesRead++;
    const names = schema.columns
      .map((c) => c.name)
      .filter((n) => parquet.schema.columns.some((c) => c.name === n));
    // By the footer's own count: the statistics said how many to take, the footer says where rows are.
    const picks =
      share >= parquet.numRows
        ? undefined
        : sampleIndexes(parquet.numRows, share, seedOf(`${seed}\u0000${file.path}`));
    let groupStart = 0;
    let next = 0;
    for (const group of parquet.rowGroups) {
      const start = groupStart;
      const end = start + group.numRows;
      groupStart = end;
      let chosen: number[] | undefined;
      if (picks) {
        chosen = [];
        while (next < picks.length && (picks[next] ?? end) < end)
          chosen.push((picks[next++] ?? start) - start);
        if (chosen.length === 0) continue;
      }
      for await (const batch of parquet.readRowGroups({ rowGroups: [group.index], columns: names })) {
        const out = project(batch, schema, chosen);
        summary.rowsRead += out.numRows;
        await onBatch(out);
      }
    }
  }
  return summary;
}

/** Every row of one data file, one batch per row group, in the columns of `schema` (null where it lacks one). */
export async function* dataFileBatches(
  store: ObjectStore,
  schema: TableSchema,
  file: Pick<TableDataFile, 'key'>,
): AsyncIterable<RecordBatch> {
  const parquet = await openParquet(await store.openRange({ bucket: store.bucket, key: file.key }));
  const names = schema.columns
    .map((c) => c.name)
    .filter((n) => parquet.schema.columns.some((c) => c.name === n));
  for await (const batch of parquet.readRowGroups({ columns: names }))
    yield project(batch, schema, undefined);
}

/** The batch's rows (all, or the chosen ones) in the columns of `schema`; a column it lacks is null. */
function project(batch: RecordBatch, schema: TableSchema, rows: readonly number[] | undefined): RecordBatch {
  const numRows = rows?.length ?? batch.numRows;
  const columns = schema.columns.map((c): CellValue[] => {
    const at = batch.schema.columns.findIndex((b) => b.name === c.name);
    const cells = batch.columns[at];
    if (at < 0 || !cells) return new Array<CellValue>(numRows).fill(null);
    return rows ? rows.map((r) => cells[r] ?? null) : cells;
  });
  return { schema, numRows, columns };
}
