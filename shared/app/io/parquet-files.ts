/**
 * Several Parquet files read as one: a file too big for one function is staged as chunk files, and every
 * stage after it (validate, profile, quality, drift, the table commit) reads them as the one file they
 * are, in chunk order, through the same ParquetFile interface a single staged file has.
 */
import type { ColumnSchema, RecordBatch, TableSchema } from '../../domain/table.js';
import { InternalError, InvalidInputError, SchemaMismatchError } from '../../errors.js';
import {
  openParquet,
  type ParquetFile,
  type ParquetRowGroupInfo,
  type ReadRowGroupsOptions,
} from '../../formats/parquet.js';
import type { ObjectStore } from '../../ports.js';
import { mapLimit } from '../lifecycle/moves.js';

/** Footers fetched at once: enough to hide the latency of many small reads, few enough for the sockets. */
const OPEN_CONCURRENCY = 16;

/**
 * Opens the Parquet objects at `keys` (reading only their footers) as one file, in the order given. One
 * key answers that file itself.
 */
export async function openParquetObjects(
  store: Pick<ObjectStore, 'bucket' | 'openRange'>,
  keys: readonly string[],
): Promise<ParquetFile> {
  const files = await mapLimit(keys, OPEN_CONCURRENCY, async (key) =>
    openParquet(await store.openRange({ bucket: store.bucket, key })),
  );
  return concatParquetFiles(files);
}

/**
 * The files as one: their rows in file order, their row groups numbered on from one file to the next.
 * The files must have the same columns (names and types, in the same order); a column is nullable when
 * it is in any of them (a chunk without a null in it may have been written REQUIRED). The creator is the
 * first file's. A single file is answered as it is.
 */
export function concatParquetFiles(files: readonly ParquetFile[]): ParquetFile {
  const [first] = files;
  if (!first) throw new InternalError('no Parquet file to read: a staged file has at least one part');
  if (files.length === 1) return first;
  const schema = mergedSchema(files);
  const nullable = new Map(schema.columns.map((c) => [c.name, c.nullable]));
  // Global row group index → (file, local index).
  const owners: Array<{ file: ParquetFile; local: number }> = [];
  const rowGroups: ParquetRowGroupInfo[] = [];
  let numRows = 0;
  for (const file of files) {
    numRows += file.numRows;
    for (const group of file.rowGroups) {
      owners.push({ file, local: group.index });
      rowGroups.push({ ...group, index: rowGroups.length });
    }
  }

  async function* readRowGroups(options: ReadRowGroupsOptions = {}): AsyncIterable<RecordBatch> {
    const indexes = options.rowGroups ?? rowGroups.map((g) => g.index);
    for (const i of indexes) {
      if (!Number.isInteger(i) || i < 0 || i >= rowGroups.length) {
        throw new InvalidInputError(`row group ${i} does not exist (the files have ${rowGroups.length})`);
      }
    }
    const names = options.columns ?? schema.columns.map((c) => c.name);
    for (const name of names) {
      if (!nullable.has(name)) throw new InvalidInputError(`column "${name}" is not in the file`);
    }
    // Every batch says what the files say together, whichever file it came from.
    const batchSchema: TableSchema = {
      columns: names.map((name) => schema.columns.find((c) => c.name === name) as ColumnSchema),
    };
    // Consecutive row groups of one file are read by one call, so that file reads ahead as it would alone.
    let start = 0;
    while (start < indexes.length) {
      const owner = owners[indexes[start] as number] as { file: ParquetFile; local: number };
      const local: number[] = [owner.local];
      let end = start + 1;
      while (end < indexes.length && owners[indexes[end] as number]?.file === owner.file) {
        local.push((owners[indexes[end] as number] as { local: number }).local);
        end++;
      }
      const read = { rowGroups: local, columns: names, typed: options.typed ?? false };
      for await (const batch of owner.file.readRowGroups(read)) {
        // Typed columns only when asked for, and then the interface gives the caller a ReadBatch.
        yield { ...batch, schema: batchSchema } as RecordBatch;
      }
      start = end;
    }
  }

  return { schema, numRows, rowGroups, createdBy: first.createdBy, readRowGroups };
}

/** The files' common columns, nullable where any file has them nullable; SchemaMismatchError otherwise. */
function mergedSchema(files: readonly ParquetFile[]): TableSchema {
  const columns = (files[0] as ParquetFile).schema.columns.map((c) => ({ ...c }));
  const differences: string[] = [];
  files.forEach((file, f) => {
    const theirs = file.schema.columns;
    if (theirs.length !== columns.length) {
      differences.push(`part ${f} has ${theirs.length} columns, part 0 has ${columns.length}`);
      return;
    }
    theirs.forEach((column, i) => {
      const ours = columns[i] as ColumnSchema;
      if (column.name !== ours.name || column.type !== ours.type) {
        differences.push(
          `column ${i} of part ${f} is "${column.name.slice(0, 64)}" (${column.type}), of part 0 "${ours.name.slice(0, 64)}" (${ours.type})`,
        );
      } else if (column.nullable) {
        ours.nullable = true;
      }
    });
  });
  if (differences.length > 0) {
    throw new SchemaMismatchError(
      `the parts of the staged file do not have the same columns: ${differences.slice(0, 10).join('; ')}`,
      { differences },
    );
  }
  return { columns };
}
