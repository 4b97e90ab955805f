/**
 * A dataset's Delta table as the use cases meet it: a file's data file described from its Parquet footer
 * (size, time, per-file statistics: what its add action carries), committed once per file, and the data
 * files a version of the table reads. Shared by the version stage, promotion, the rows and the files
 * routes; helpers, not use cases.
 */
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { rowCount } from '../../domain/delta/snapshot.js';
import { type FileStats, fileStats, parseStats } from '../../domain/delta/stats.js';
import {
  type DataFile,
  dataFileKey,
  dataFilePath,
  decodeRelativePath,
  fileTransaction,
} from '../../domain/delta/table.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import type { TableSchema } from '../../domain/table.js';
import type { VersionTable } from '../../domain/version.js';
import { UnsupportedTableError } from '../../errors.js';
import { openParquet } from '../../formats/parquet.js';
import type { DatasetTables, ObjectStore } from '../../ports.js';

export interface TableDeps {
  store: ObjectStore;
  tables: DatasetTables;
}

/** A data file under the table root as its add action describes it, and the strata schema it holds. */
export async function describeDataFile(
  store: ObjectStore,
  key: string,
  path: string,
): Promise<{ file: DataFile & { stats: FileStats }; schema: TableSchema }> {
  const info = await store.stat({ bucket: store.bucket, key });
  const footer = await openParquet(
    await store.openRange({ bucket: store.bucket, key, versionId: info.versionId }),
  );
  return {
    // The object's own time, not the clock's: a retry describes the same file the same way.
    file: { path, size: info.size, modificationTime: info.lastModified.getTime(), stats: fileStats(footer) },
    schema: footer.schema,
  };
}

/**
 * Commits a file's data file (already under the table root) to its dataset's table, once: the file's txn
 * makes a retried stage and a repeated promotion find the commit the first one made. Columns the table
 * lacks join it in the same commit. Answers where the version now is in the table.
 */
export async function commitDataFile(
  deps: TableDeps,
  tenant: string,
  dataset: string,
  fileId: string,
): Promise<VersionTable & { version: number }> {
  const root = datasetTableRoot(tenant, dataset);
  const path = dataFilePath(fileId);
  const { file, schema } = await describeDataFile(deps.store, `${root}${path}`, path);
  const table = deps.tables.open(root);
  const result = await table.append({
    schema,
    files: [file],
    txn: fileTransaction(fileId),
    tableName: dataset,
    evolveSchema: true,
  });
  const at = await table.snapshot(result.version);
  return {
    version: result.version,
    dataFile: path,
    rowsAdded: file.stats.numRecords,
    ...(at && tableTotals(at)),
  };
}

/** The table's rows and files at a snapshot, from the log alone. */
export function tableTotals(snapshot: Snapshot): Pick<VersionTable, 'rowsTotal' | 'filesTotal'> {
  const rows = rowCount(snapshot);
  return { filesTotal: snapshot.files.size, ...(rows !== undefined && { rowsTotal: rows }) };
}

/** A live data file of a table version, with what its add action says about it. */
export interface TableDataFile {
  /** The add action's path, decoded. */
  path: string;
  /** Its object key in the data bucket. */
  key: string;
  size: number;
  stats?: FileStats | undefined;
}

/**
 * The data files of a snapshot, in path order (one order for every reader of that version, which is
 * what makes a page cursor over them stable). Throws UnsupportedTableError for a file outside the data
 * bucket (an absolute path another writer used), which strata can neither read nor hand out.
 */
export function snapshotDataFiles(snapshot: Snapshot, bucket: string, tableRoot: string): TableDataFile[] {
  // Reader 2 maps column names to physical ones, reader 3 brings features (deletion vectors, ...): strata
  // reads files by column name, which only a reader-1 table promises is right.
  if (snapshot.protocol.minReaderVersion > 1) {
    throw new UnsupportedTableError(
      `the table needs reader ${snapshot.protocol.minReaderVersion}; strata reads tables of reader 1`,
    );
  }
  const files: TableDataFile[] = [];
  for (const add of snapshot.files.values()) {
    const key = dataFileKey(bucket, tableRoot, add.path);
    if (key === undefined) {
      throw new UnsupportedTableError(`data file ${add.path} is outside the data bucket`);
    }
    const stats = add.stats === undefined ? undefined : parseStats(add.stats);
    files.push({ path: decodeRelativePath(add.path), key, size: add.size, stats });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
