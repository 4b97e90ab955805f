/**
 * Delta Lake tables: the transaction log of one table (`<root>/_delta_log/`). The store decides the race
 * for a version (a create-only write), so concurrent writers need no lock. Data files are ordinary objects
 * under the table root, written through the ObjectStore before their commit.
 */
import type { Action } from '../domain/delta/actions.js';
import type { DeltaStructType } from '../domain/delta/schema.js';
import type { LastCheckpoint, Snapshot } from '../domain/delta/snapshot.js';
import type { DataFile } from '../domain/delta/table.js';
import type { TableSchema } from '../domain/table.js';

export interface TableLogListing {
  /** Versions of the commit files present, ascending. */
  commits: number[];
  /** Versions of the classic checkpoints present, ascending. */
  checkpoints: number[];
}

export interface TableLog {
  /** Where the table is, for messages and for other engines (`s3://bucket/tables/t/d`). */
  readonly uri: string;
  /** Commits and checkpoints whose version is `fromVersion` or later. */
  list(fromVersion: number): Promise<TableLogListing>;
  /** The actions of one commit, or undefined when there is no such version. */
  readCommit(version: number): Promise<Action[] | undefined>;
  /**
   * Creates the commit file of `version` unless it exists: 'exists' means another writer has that
   * version (never overwritten). Throws TransientError when the store failed in a way a retry may fix.
   */
  writeCommit(version: number, actions: readonly Action[]): Promise<'committed' | 'exists'>;
  /** The actions of the classic checkpoint of `version`, or undefined when there is none. */
  readCheckpoint(version: number): Promise<Action[] | undefined>;
  /** Writes (or replaces: every writer of one version writes the same state) a classic checkpoint. */
  writeCheckpoint(version: number, actions: readonly Action[]): Promise<{ sizeInBytes: number }>;
  readLastCheckpoint(): Promise<LastCheckpoint | undefined>;
  writeLastCheckpoint(last: LastCheckpoint): Promise<void>;
}

/** The logs of the tables in one bucket, by table root (`tables/<tenant>/<dataset>/`). */
export interface TableLogs {
  open(tableRoot: string): TableLog;
}

/** Data files to commit to a table as one append (written under the table root beforehand). */
export interface AppendRequest {
  /** The strata schema of the files (strata's canonical Parquet); the table is created with it. */
  schema: TableSchema;
  /** The files to add, already written under the table root. */
  files: DataFile[];
  /**
   * Makes the append idempotent: a table that already holds `txn {appId, version}` gets nothing new, and
   * the result names the version that added the files (status 'duplicate').
   */
  txn?: { appId: string; version: number };
  /** `metaData.name` when this append creates the table. */
  tableName?: string;
  /**
   * Columns of the files that the table lacks are added to the table's schema in the same commit
   * (evolveTableSchema); without it such files are refused with SchemaMismatchError.
   */
  evolveSchema?: boolean;
}

export interface AppendResult {
  /** The version that holds the files. */
  version: number;
  /** 'duplicate': an earlier append of the same txn had committed them (at `version`). */
  status: 'committed' | 'duplicate';
  /** Versions tried (1 when nobody else committed meanwhile; 0 for a duplicate found before trying). */
  attempts: number;
  /** This append created the table (version 0). */
  created: boolean;
  /** A checkpoint written after the commit, or why it could not be (the commit stands either way). */
  checkpoint?: { version: number } | { version: number; error: unknown };
}

/**
 * What one commit does to a table, decided on the snapshot it reads. Data files it adds are written under
 * the table root before the plan is returned.
 */
export interface WritePlan {
  /** The strata schema of the added files (strata's canonical Parquet); a new table is created with it. */
  schema: TableSchema;
  adds: DataFile[];
  /** Paths, as the log names them, of live files of the read snapshot that this commit removes. */
  removes: string[];
  /**
   * The commit only adds files and read nothing of the table, so it commutes with concurrent appends.
   * False for anything that looked at the table's rows (dedup, upsert) or removes files (overwrite).
   */
  blindAppend: boolean;
  /** The table's schema after the commit, when it adds columns (a metaData action). */
  evolvedSchema?: DeltaStructType | undefined;
  /** commitInfo.operation: WRITE, MERGE, ... */
  operation: string;
  operationParameters: Record<string, unknown>;
  /** commitInfo.operationMetrics (Delta writes them as strings): what a retry reads back. */
  operationMetrics?: Record<string, string>;
}

export interface WriteRequest {
  /**
   * Makes the write idempotent: a table that already holds `txn {appId, version}` gets nothing new, and
   * the result names the version that committed it (status 'duplicate', no plan made).
   */
  txn?: { appId: string; version: number };
  /** `metaData.name` when this write creates the table. */
  tableName?: string;
  /**
   * Decides the commit on `snapshot` (undefined: the table does not exist yet). Called again on a fresh
   * snapshot when a concurrent commit made the last plan stale (it read or removed what that one changed).
   */
  plan(snapshot: Snapshot | undefined): Promise<WritePlan>;
  /**
   * The table as the caller read it just before (undefined inside: there was no table), planned on first
   * instead of reading the log again. A stale one costs nothing but a lost race: the commit then meets
   * the newer versions and is checked against them like any other.
   */
  readSnapshot?: { snapshot: Snapshot | undefined };
}

export interface WriteResult extends AppendResult {
  /** The plan that was committed; absent for a duplicate. */
  plan?: WritePlan;
  /** The table right after this commit, built from what was read and written (absent for a duplicate). */
  snapshot?: Snapshot;
}

/**
 * A dataset's Delta table as the use cases write and read it: its state at a version (time travel) and
 * appends of data files, exactly once per txn. Data files are ordinary objects under the table root,
 * written through the ObjectStore first.
 */
export interface DatasetTable {
  /** `s3://<bucket>/<table root without the trailing slash>`, for messages. */
  readonly uri: string;
  /** The table at `version` (default: the latest), undefined while it has no log. NotFoundError for a version it does not have yet. */
  snapshot(version?: number): Promise<Snapshot | undefined>;
  /**
   * Adds the files as one commit, creating the table with the first one. Throws SchemaMismatchError
   * when they do not fit the table, UnsupportedTableError for a table strata must not write, and
   * TransientError when the race for a version was lost too often.
   */
  append(request: AppendRequest): Promise<AppendResult>;
  /**
   * One commit decided by `request.plan` on the latest snapshot (adds, removes, a schema change), redone
   * from a fresh snapshot when a concurrent commit conflicts with it under Delta's rules. Same errors as
   * append.
   */
  write(request: WriteRequest): Promise<WriteResult>;
  /** The actions of the commit of `version` (its commitInfo says what it did), undefined when gone. */
  commitActions(version: number): Promise<Action[] | undefined>;
}

/** The dataset tables of the data bucket, by table root (`tables/<tenant>/<dataset>/`). */
export interface DatasetTables {
  open(tableRoot: string): DatasetTable;
}
