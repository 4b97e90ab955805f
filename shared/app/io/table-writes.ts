/**
 * Commits one accepted file to its dataset's Delta table by the dataset's write mode (append, append with
 * dedup keys, overwrite, upsert; rules in domain/delta/writes.ts) and schema policy, exactly once per file:
 * the file's txn makes a retried stage, or a promotion racing it, find the commit the first one made, and
 * the counts come back from that commit's operationMetrics. Shared by the version stage and promotion.
 *
 * Data files are named by the file id, plus the version the plan was made for when their content depends
 * on the table (rows left after dedup, files rewritten by an upsert): a plan redone on a newer snapshot
 * writes new names and never changes a file an earlier plan wrote.
 */

import { actionsOf } from '../../domain/delta/actions.js';
import { fitFileToTable, fromDeltaSchema, type SchemaPolicy } from '../../domain/delta/schema.js';
import { type Snapshot, tableSchema } from '../../domain/delta/snapshot.js';
import { type FileStats, fileStats } from '../../domain/delta/stats.js';
import {
  type DataFile,
  dataFilePath,
  dataFilePaths,
  decodeRelativePath,
  fileTransaction,
} from '../../domain/delta/table.js';
import {
  countsFromMetrics,
  keyText,
  mayHoldKeys,
  operationMetrics,
  type WriteCounts,
  type WriteSettings,
  writeKeys,
} from '../../domain/delta/writes.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import type { CellValue, RecordBatch, TableSchema } from '../../domain/table.js';
import type { VersionTable } from '../../domain/version.js';
import { SchemaMismatchError, TableLogCorruptError } from '../../errors.js';
import { openParquet, type ParquetFile, writeParquet } from '../../formats/parquet.js';
import type { DatasetTables, ObjectStore, WritePlan } from '../../ports.js';
import { mapLimit } from '../lifecycle/moves.js';
import { pipeThrough } from './channel.js';
import { openParquetObjects } from './parquet-files.js';
import { describeDataFile, snapshotDataFiles, tableTotals } from './table-files.js';

/** Server-side copies of a chunked file's parts in flight at once. */
const COPY_CONCURRENCY = 8;

export interface TableWriteDeps {
  store: ObjectStore;
  tables: DatasetTables;
}

export interface TableWrite {
  tenant: string;
  dataset: string;
  fileId: string;
  /**
   * The file's canonical Parquet (the staged copy), read, never changed: one key, or the keys of the
   * chunk files it was staged as, in row order, which one commit adds together.
   */
  sourceKeys: string[];
  settings: WriteSettings;
  schemaPolicy: SchemaPolicy;
  /** The table as the caller just read it (undefined: no table yet), so it is not read again. */
  table?: { snapshot: Snapshot | undefined };
}

/** Where a version now is in the table, and what its commit did. */
export type TableWriteResult = VersionTable & { version: number } & WriteCounts;

/**
 * Checks, before anything is written, that the file can join the table as the dataset's settings say:
 * its schema fits (SchemaMismatchError listing every difference) and it has the key columns its mode
 * reads by. For the version stage to quarantine such a file before it takes a version number.
 */
export function checkWritable(
  table: Snapshot | undefined,
  fileSchema: TableSchema,
  settings: WriteSettings,
  policy: SchemaPolicy,
): void {
  const missing = writeKeys(settings).filter((key) => !fileSchema.columns.some((c) => c.name === key));
  if (missing.length > 0) {
    const differences = missing.map((key) => `key column "${key.slice(0, 64)}" is not in the file`);
    throw new SchemaMismatchError(
      `the ${settings.mode} of this dataset matches rows by ${writeKeys(settings).join(', ')}: ${differences.join('; ')}`,
      { differences },
    );
  }
  if (table) fitFileToTable(tableSchema(table), fileSchema, policy);
}

/**
 * Commits the file (see the module's comment) and answers where its version now is in the table.
 */
export async function writeFileToTable(deps: TableWriteDeps, write: TableWrite): Promise<TableWritten> {
  const root = datasetTableRoot(write.tenant, write.dataset);
  const table = deps.tables.open(root);
  const source = await openParquetObjects(deps.store, write.sourceKeys);
  const chunks = write.sourceKeys.length;
  const planner = new WritePlanner(deps.store, root, write, source);
  const result = await table.write({
    txn: fileTransaction(write.fileId),
    tableName: write.dataset,
    plan: (snapshot) => planner.plan(snapshot),
    ...(write.table && { readSnapshot: write.table }),
  });
  let counts = result.plan && planner.countsOf(result.plan);
  let added = result.plan?.adds.map((file) => file.path);
  if (!counts || !added) {
    // A retry: the commit was made before; what it did is in its commitInfo and its add actions.
    const actions = (await table.commitActions(result.version)) ?? [];
    const info = actionsOf(actions, 'commitInfo')[0];
    counts = countsFromMetrics(write.settings.mode, info?.operationMetrics as Record<string, unknown>);
    added = actionsOf(actions, 'add').map((add) => decodeRelativePath(add.path));
    if (!counts) {
      throw new TableLogCorruptError(
        `${table.uri}: commit ${result.version} of file ${write.fileId} says nothing of what it wrote`,
      );
    }
  }
  const at = result.snapshot ?? (await table.snapshot(result.version));
  if (!at)
    throw new TableLogCorruptError(`${table.uri}: version ${result.version} is gone right after its commit`);
  return {
    placement: {
      version: result.version,
      ...ownDataFiles(write.fileId, chunks, added),
      ...counts,
      ...tableTotals(at),
    },
    schema: fromDeltaSchema(tableSchema(at)),
    snapshot: at,
    added,
  };
}

/**
 * What the version record says of the file's own data files (see VersionTable): the first one the commit
 * added for it (a plan adds the file's own data first), and `chunkCount` when they are its chunk files
 * as staged. A file whose rows were all duplicates added none: its data file keeps the name it would have.
 */
function ownDataFiles(
  fileId: string,
  chunks: number,
  added: readonly string[],
): Pick<VersionTable, 'dataFile' | 'chunkCount'> {
  const copies = dataFilePaths(fileId, chunks);
  if (chunks > 1 && copies.every((path) => added.includes(path))) {
    return { dataFile: copies[0] as string, chunkCount: chunks };
  }
  return { dataFile: added[0] ?? dataFilePath(fileId) };
}

export interface TableWritten {
  /** Where the version now is in the table, and what its commit did (what the version record keeps). */
  placement: TableWriteResult;
  /** The table's schema at that version: the columns other engines and the catalog should show. */
  schema: TableSchema;
  /** The table at that version. */
  snapshot: Snapshot;
  /** The data files the commit added, relative to the table root. */
  added: string[];
}

/** Plans (and redoes on a fresher snapshot) the commit of one file; remembers each plan's counts. */
class WritePlanner {
  private readonly counts = new WeakMap<WritePlan, WriteCounts>();
  private readonly incoming: FileStats;

  constructor(
    private readonly store: ObjectStore,
    private readonly root: string,
    private readonly write: TableWrite,
    private readonly source: ParquetFile,
  ) {
    this.incoming = fileStats(source, { indexedColumns: Number.MAX_SAFE_INTEGER });
  }

  countsOf(plan: WritePlan): WriteCounts | undefined {
    return this.counts.get(plan);
  }

  async plan(snapshot: Snapshot | undefined): Promise<WritePlan> {
    const { settings, schemaPolicy } = this.write;
    const fit = snapshot
      ? fitFileToTable(tableSchema(snapshot), this.source.schema, schemaPolicy)
      : { widened: [], fileSchema: this.source.schema };
    const next = (snapshot?.version ?? -1) + 1;
    const keys = writeKeys(settings);
    let planned: { plan: Omit<WritePlan, 'operationMetrics'>; counts: Omit<WriteCounts, 'mode'> };
    if (!snapshot || settings.mode === 'overwrite' || keys.length === 0) {
      planned = await this.plainWrite(snapshot, fit.fileSchema, fit.widened, next);
    } else if (settings.mode === 'upsert') {
      planned = await this.upsert(snapshot, fit.fileSchema, fit.widened, keys, next);
    } else {
      planned = await this.dedupAppend(snapshot, fit.fileSchema, fit.widened, keys, next);
    }
    const counts: WriteCounts = { mode: settings.mode, ...planned.counts };
    const plan: WritePlan = {
      ...planned.plan,
      evolvedSchema: 'evolved' in fit ? fit.evolved : undefined,
      operationMetrics: operationMetrics(counts),
    };
    this.counts.set(plan, counts);
    return plan;
  }

  /** Append or overwrite: the file as it is (a copy), or its rows written anew when columns widen. */
  private async plainWrite(
    snapshot: Snapshot | undefined,
    schema: TableSchema,
    widened: string[],
    next: number,
  ) {
    const overwrite = this.write.settings.mode === 'overwrite' && snapshot !== undefined;
    const files =
      widened.length === 0
        ? await this.copySource()
        : [await this.writeRows(this.rewrittenPath(next), schema, this.sourceBatches(schema))];
    const removes = overwrite ? [...snapshot.files.keys()] : [];
    const rowsRemoved = overwrite ? sumRows(snapshot, removes) : 0;
    const counts = zeroCounts({
      filesAdded: files.length,
      filesRemoved: removes.length,
      rowsAdded: files.reduce((sum, file) => sum + file.stats.numRecords, 0),
      rowsRemoved,
    });
    return {
      plan: {
        schema,
        adds: files,
        removes,
        blindAppend: !overwrite,
        operation: 'WRITE',
        operationParameters: { mode: overwrite ? 'Overwrite' : 'Append' },
      },
      counts,
    };
  }

  /** Append with dedup keys: only the rows whose key the table (as read) does not hold. */
  private async dedupAppend(
    snapshot: Snapshot,
    schema: TableSchema,
    widened: string[],
    keys: string[],
    next: number,
  ) {
    const held = new Set<string>();
    for (const file of this.candidates(snapshot, keys)) {
      const parquet = await this.open(file.key);
      const present = keys.filter((k) => parquet.schema.columns.some((c) => c.name === k));
      // A table file without a key column (added later by schema evolution) holds nulls there: no key.
      if (present.length < keys.length) continue;
      for await (const batch of parquet.readRowGroups({ columns: keys })) {
        for (let r = 0; r < batch.numRows; r++) {
          const text = keyText(batch.columns.map((column) => column[r] ?? null));
          if (text !== undefined) held.add(text);
        }
      }
    }
    let duplicates = 0;
    const indexes = keys.map((k) => schema.columns.findIndex((c) => c.name === k));
    const keep = (batch: RecordBatch, r: number): boolean => {
      const text = keyText(indexes.map((i) => batch.columns[i]?.[r] ?? null));
      if (text !== undefined && held.has(text)) {
        duplicates++;
        return false;
      }
      return true;
    };
    // Counting needs a pass anyway; a file with no duplicate is committed as it is.
    const rows = await this.filteredRows(schema, keep);
    const files =
      duplicates === 0 && widened.length === 0
        ? await this.copySource()
        : rows.numRows > 0
          ? [await this.writeRows(this.rewrittenPath(next), schema, one(rows))]
          : [];
    return {
      plan: {
        schema,
        adds: files,
        removes: [],
        blindAppend: false,
        operation: 'WRITE',
        operationParameters: { mode: 'Append', dedupKeys: keys },
      },
      counts: zeroCounts({ filesAdded: files.length, rowsAdded: rows.numRows, rowsDuplicate: duplicates }),
    };
  }

  /**
   * Upsert, copy-on-write: the file's rows (the last per key) are added; every table file whose
   * statistics may hold one of their keys is read, and one that does hold one is replaced by a copy
   * without those rows (or simply removed when nothing is left).
   */
  private async upsert(
    snapshot: Snapshot,
    schema: TableSchema,
    widened: string[],
    keys: string[],
    next: number,
  ) {
    const indexes = keys.map((k) => schema.columns.findIndex((c) => c.name === k));
    const source = await this.filteredRows(schema, () => true);
    // The last row per key wins within the file; rows with a null key are all kept.
    const lastRow = new Map<string, number>();
    for (let r = 0; r < source.numRows; r++) {
      const text = keyText(indexes.map((i) => source.columns[i]?.[r] ?? null));
      if (text !== undefined) lastRow.set(text, r);
    }
    const incoming = selectRows(source, (r) => {
      const text = keyText(indexes.map((i) => source.columns[i]?.[r] ?? null));
      return text === undefined || lastRow.get(text) === r;
    });
    const removes: string[] = [];
    const adds: DataFile[] = [];
    const matched = new Set<string>();
    let rowsUpdated = 0;
    let rowsCopied = 0;
    let rewritten = 0;
    for (const file of this.candidates(snapshot, keys)) {
      const parquet = await this.open(file.key);
      const at = keys.map((k) => parquet.schema.columns.findIndex((c) => c.name === k));
      if (at.some((i) => i < 0)) continue;
      const batches: RecordBatch[] = [];
      for await (const batch of parquet.readRowGroups()) batches.push(batch);
      const whole = concatBatches(parquet.schema, batches);
      const kept = selectRows(whole, (r) => {
        const text = keyText(at.map((i) => whole.columns[i]?.[r] ?? null));
        if (text === undefined || !lastRow.has(text)) return true;
        matched.add(text);
        return false;
      });
      if (kept.numRows === whole.numRows) continue;
      rowsUpdated += whole.numRows - kept.numRows;
      removes.push(file.logPath);
      if (kept.numRows > 0) {
        rowsCopied += kept.numRows;
        adds.push(await this.writeRows(this.rewrittenPath(next, ++rewritten), parquet.schema, one(kept)));
      }
    }
    const unchanged = incoming.numRows === source.numRows && widened.length === 0;
    const files = unchanged
      ? await this.copySource()
      : [await this.writeRows(this.rewrittenPath(next), schema, one(incoming))];
    adds.unshift(...files);
    return {
      plan: {
        schema,
        adds,
        removes,
        blindAppend: false,
        operation: 'MERGE',
        operationParameters: { mode: 'Upsert', keyColumns: keys },
      },
      counts: zeroCounts({
        filesAdded: adds.length,
        filesRemoved: removes.length,
        rowsAdded: incoming.numRows - matched.size,
        rowsRemoved: 0,
        rowsUpdated,
        rowsCopied,
      }),
    };
  }

  /** Live files of the snapshot whose statistics may hold one of the incoming keys, in path order. */
  private candidates(snapshot: Snapshot, keys: string[]) {
    // The remove action names the file as the log does (URI-encoded); the listing gives it decoded.
    const logPaths = new Map([...snapshot.files.keys()].map((path) => [decodeRelativePath(path), path]));
    return snapshotDataFiles(snapshot, this.store.bucket, this.root)
      .filter((file) => mayHoldKeys(file.stats, this.incoming, keys))
      .map((file) => ({ ...file, logPath: logPaths.get(file.path) ?? file.path }));
  }

  private async open(key: string): Promise<ParquetFile> {
    return openParquet(await this.store.openRange({ bucket: this.store.bucket, key }));
  }

  /** The staged file as it is: each of its staged files copied to a data file of its own, in order. */
  private async copySource(): Promise<Array<DataFile & { stats: FileStats }>> {
    const { fileId, sourceKeys } = this.write;
    const paths = dataFilePaths(fileId, sourceKeys.length);
    return mapLimit(paths, COPY_CONCURRENCY, async (path, i) => {
      const key = `${this.root}${path}`;
      // Create-only: a retry finds the copy its first attempt made.
      await this.store.copy({ bucket: this.store.bucket, key: sourceKeys[i] as string }, key);
      return (await describeDataFile(this.store, key, path)).file;
    });
  }

  private rewrittenPath(version: number, part?: number): string {
    const base = dataFilePath(this.write.fileId).replace(/\.parquet$/, '');
    return `${base}-v${version}${part === undefined ? '' : `-${part}`}.parquet`;
  }

  private async writeRows(
    path: string,
    schema: TableSchema,
    batches: AsyncIterable<RecordBatch>,
  ): Promise<DataFile & { stats: FileStats }> {
    const key = `${this.root}${path}`;
    await pipeThrough<Uint8Array, void>(
      async (push) => {
        await writeParquet(schema, batches, push);
      },
      async (chunks) => {
        await this.store.write(key, chunks, { contentType: 'application/vnd.apache.parquet' });
      },
    );
    return (await describeDataFile(this.store, key, path)).file;
  }

  /** The source's rows under `schema` (widened columns as doubles: the values are the same numbers). */
  private async *sourceBatches(schema: TableSchema): AsyncIterable<RecordBatch> {
    for await (const batch of this.source.readRowGroups()) yield { ...batch, schema };
  }

  private async filteredRows(
    schema: TableSchema,
    keep: (batch: RecordBatch, row: number) => boolean,
  ): Promise<RecordBatch> {
    const parts: RecordBatch[] = [];
    for await (const batch of this.sourceBatches(schema)) {
      parts.push(selectRows(batch, (r) => keep(batch, r)));
    }
    return concatBatches(schema, parts);
  }
}

/** The counts of a plan: what it names, the rest zero (the mode is set by the planner). */
function zeroCounts(
  counts: Partial<Omit<WriteCounts, 'mode'>> & { filesAdded: number; rowsAdded: number },
): Omit<WriteCounts, 'mode'> {
  return {
    filesRemoved: 0,
    rowsRemoved: 0,
    rowsUpdated: 0,
    rowsDuplicate: 0,
    rowsCopied: 0,
    ...counts,
  };
}

function sumRows(snapshot: Snapshot, paths: string[]): number {
  let rows = 0;
  for (const path of paths) {
    const stats = snapshot.files.get(path)?.stats;
    if (stats === undefined) continue;
    try {
      const parsed = JSON.parse(stats) as { numRecords?: unknown };
      if (typeof parsed.numRecords === 'number') rows += parsed.numRecords;
    } catch {
      // A file another writer described badly counts as unknown rows, not a failed write.
    }
  }
  return rows;
}

function selectRows(batch: RecordBatch, keep: (row: number) => boolean): RecordBatch {
  const rows: number[] = [];
  for (let r = 0; r < batch.numRows; r++) if (keep(r)) rows.push(r);
  if (rows.length === batch.numRows) return batch;
  return {
    schema: batch.schema,
    numRows: rows.length,
    columns: batch.columns.map((column) => rows.map((r) => column[r] ?? null)),
  };
}

function concatBatches(schema: TableSchema, batches: RecordBatch[]): RecordBatch {
  if (batches.length === 1 && batches[0]) return { ...batches[0], schema };
  const columns: CellValue[][] = schema.columns.map(() => []);
  let numRows = 0;
  for (const batch of batches) {
    numRows += batch.numRows;
    columns.forEach((column, i) => {
      const cells = batch.columns[i] ?? [];
      for (let r = 0; r < batch.numRows; r++) column.push(cells[r] ?? null);
    });
  }
  return { schema, numRows, columns };
}

async function* one(batch: RecordBatch): AsyncIterable<RecordBatch> {
  if (batch.numRows > 0) yield batch;
}
