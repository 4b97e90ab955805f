/**
 * A dataset's Delta table as the use cases meet it: a file's data file described from its Parquet footer
 * (size, time, per-file statistics: what its add action carries), and the data
 * files a version of the table reads. Shared by the version stage, promotion, the rows and the files
 * routes; helpers, not use cases.
 */
import { fromDeltaSchema } from '../../domain/delta/schema.js';
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { rowCount, tableSchema } from '../../domain/delta/snapshot.js';
import { type FileStats, fileStats, parseStats } from '../../domain/delta/stats.js';
import {
  chunkDataFilePath,
  type DataFile,
  dataFileKey,
  dataFilePath,
  dataFilePaths,
  decodeRelativePath,
} from '../../domain/delta/table.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import type { TableSchema } from '../../domain/table.js';
import type { VersionRecord, VersionTable } from '../../domain/version.js';
import { NotFoundError, UnsupportedTableError } from '../../errors.js';
import { openParquet } from '../../formats/parquet.js';
import type { DatasetTables, ObjectStore } from '../../ports.js';
import { checkReadable } from './table-vacuum.js';

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

/**
 * What a version's rows are in its dataset's table: the table at the version's Delta version (every data
 * file of that version, the schema of its metadata), or, for a held version (staged in no commit), its
 * staged data files alone (one, or one per chunk of a file staged in chunks). `deltaVersion` is null for the staged file. VersionVacuumedError (410) when
 * vacuum deleted data files of that Delta version.
 */
export interface TableVersionFiles {
  root: string;
  uri: string;
  deltaVersion: number | null;
  schema: TableSchema;
  files: TableDataFile[];
}

export async function versionTableFiles(
  deps: TableDeps,
  record: Pick<VersionRecord, 'tenant' | 'dataset' | 'version' | 'table' | 'sourceFileId'>,
): Promise<TableVersionFiles> {
  const { tenant, dataset } = record;
  const root = datasetTableRoot(tenant, dataset);
  const table = deps.tables.open(root);
  if (!record.table) {
    throw new NotFoundError(
      `version ${record.version} of dataset "${dataset}" was made before datasets became tables: its rows are in no table`,
    );
  }
  if (record.table.version === undefined) {
    const described = await Promise.all(
      fileDataFiles(record.sourceFileId, record.table).map(async (path) => {
        const key = `${root}${path}`;
        const { file, schema } = await describeDataFile(deps.store, key, path);
        return { schema, file: { path, key, size: file.size, stats: file.stats } };
      }),
    );
    return {
      root,
      uri: table.uri,
      deltaVersion: null,
      // The chunks of one file were written with one schema; the first one's is theirs.
      schema: (described[0] as { schema: TableSchema }).schema,
      files: described.map((d) => d.file),
    };
  }
  // Its data files may have been vacuumed: 410, found beside the load.
  const [snapshot] = await Promise.all([
    table.snapshot(record.table.version),
    checkReadable(deps.store, {
      tenant,
      dataset,
      deltaVersion: record.table.version,
      version: record.version,
    }),
  ]);
  if (!snapshot) throw new NotFoundError(`the table of dataset "${dataset}" is missing`);
  return {
    root,
    uri: table.uri,
    deltaVersion: snapshot.version,
    schema: fromDeltaSchema(tableSchema(snapshot)),
    files: snapshotDataFiles(snapshot, deps.store.bucket, root),
  };
}

/**
 * The data files that hold a version's own file's rows, relative to the table root, in row order: the one
 * its record names, or its chunk files (`chunkCount`) — under `_staged/` while the version is held.
 */
export function fileDataFiles(
  fileId: string,
  table: Pick<VersionTable, 'version' | 'dataFile' | 'chunkCount'>,
): string[] {
  return table.chunkCount === undefined || table.chunkCount <= 1
    ? [table.dataFile]
    : dataFilePaths(fileId, table.chunkCount, table.version === undefined);
}

/**
 * The source file whose rows a data file holds, when strata wrote it (`part-<fileId>.parquet`, or
 * `part-<fileId>-c<iiiii>.parquet` for a chunk of a file staged in chunks: see dataFilePath and
 * chunkDataFilePath); undefined for a file another writer added.
 */
export function dataFileSourceId(path: string): string | undefined {
  const chunk = /^part-(.+)-c(\d{5})\.parquet$/.exec(path);
  if (chunk && chunkDataFilePath(chunk[1] as string, Number(chunk[2])) === path) return chunk[1];
  const match = /^part-(.+)\.parquet$/.exec(path);
  return match && dataFilePath(match[1] as string) === path ? match[1] : undefined;
}
