/**
 * The actions strata commits: a new table (protocol + metaData + its first files) and data files, each
 * commit with a commitInfo that says what it was. Ids and clocks come from the caller (no I/O here).
 */

import { chunkSuffix } from '../object-key.js';
import type { Action, AddFile, CommitInfo, Metadata, RemoveFile, Txn } from './actions.js';
import { STRATA_PROTOCOL } from './actions.js';
import { type DeltaStructType, serializeSchema } from './schema.js';
import { type FileStats, serializeStats } from './stats.js';

/**
 * The data file an accepted file becomes, relative to the table root: named by the file id, so a retried
 * version stage finds the one it wrote (never a second), and two files of a dataset never share a name.
 */
export function dataFilePath(fileId: string): string {
  return `part-${fileId}.parquet`;
}

/**
 * Where a held file's data waits, relative to the table root, until a person promotes it: under `_staged/`
 * because Delta readers and vacuums (delta-rs, Spark) skip paths starting with `_`, so to them it is
 * neither the table's data nor garbage to delete. Promotion commits it through the dataset's write mode.
 */
export function stagedDataFilePath(fileId: string): string {
  return `_staged/${dataFilePath(fileId)}`;
}

/**
 * The data file chunk `index` of a file staged in chunks becomes (`part-<fileId>-c<iiiii>.parquet`): named
 * by the file id and the chunk, so a retry finds each copy it made, and a file staged whole keeps the
 * name `dataFilePath` gives it.
 */
export function chunkDataFilePath(fileId: string, index: number): string {
  return `part-${fileId}-c${chunkSuffix(index)}.parquet`;
}

/** Where chunk `index` of a held file waits until promotion (see stagedDataFilePath). */
export function stagedChunkDataFilePath(fileId: string, index: number): string {
  return `_staged/${chunkDataFilePath(fileId, index)}`;
}

/**
 * The data files a file staged as `chunks` files becomes, in chunk order: one file keeps the name
 * `dataFilePath` gives it (so tables written before chunks read the same), more are named by chunk.
 */
export function dataFilePaths(fileId: string, chunks: number, staged = false): string[] {
  if (chunks <= 1) return [staged ? stagedDataFilePath(fileId) : dataFilePath(fileId)];
  return Array.from({ length: chunks }, (_, i) =>
    staged ? stagedChunkDataFilePath(fileId, i) : chunkDataFilePath(fileId, i),
  );
}

/**
 * The txn that commits a file's data file: one appId per file at version 1, so the version stage retried
 * and a person's promotion of a held version both commit it once between them.
 */
export function fileTransaction(fileId: string): { appId: string; version: number } {
  return { appId: `strata-file-${fileId}`, version: 1 };
}

/**
 * The object key of an add action's path in `bucket`: relative paths (URI-encoded) sit under the table
 * root; an absolute `s3://` or `s3a://` URI (other writers may use them) names its own key. Undefined for
 * a file in another bucket or store, which strata cannot read with its grants.
 */
export function dataFileKey(bucket: string, tableRoot: string, path: string): string | undefined {
  const absolute = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(path);
  if (absolute) return absolute[1] === bucket ? decodeRelativePath(absolute[2] ?? '') : undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return undefined;
  return `${tableRoot}${decodeRelativePath(path)}`;
}

export interface NewTable {
  /** A GUID. */
  id: string;
  schema: DeltaStructType;
  name?: string;
  description?: string;
  createdTime: number;
  configuration?: Record<string, string>;
}

/** The protocol and metadata of a new, unpartitioned Parquet table. */
export function createTableActions(table: NewTable): Action[] {
  const metaData: Metadata = {
    id: table.id,
    ...(table.name !== undefined && { name: table.name }),
    ...(table.description !== undefined && { description: table.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(table.schema),
    partitionColumns: [],
    createdTime: table.createdTime,
    configuration: table.configuration ?? {},
  };
  return [{ protocol: STRATA_PROTOCOL }, { metaData }];
}

export interface DataFile {
  /** Relative to the table root, e.g. `part-<file id>.parquet`. */
  path: string;
  size: number;
  modificationTime: number;
  stats: FileStats;
  tags?: Record<string, string>;
}

/**
 * The add action of a new data file. The path is URI-encoded as the protocol requires (a relative URI);
 * strata's own names need no escaping, but a `%` or space in one must not be read as an escape.
 */
export function addDataFile(file: DataFile): AddFile {
  return {
    path: encodeRelativePath(file.path),
    partitionValues: {},
    size: file.size,
    modificationTime: file.modificationTime,
    dataChange: true,
    stats: serializeStats(file.stats),
    ...(file.tags && { tags: file.tags }),
  };
}

/** Percent-encodes each segment of a relative path, keeping `/` as the separator. */
export function encodeRelativePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export function decodeRelativePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // Other writers do not always escape `%`; an undecodable path is taken literally.
    return path;
  }
}

export interface CommitDescription {
  operation: string;
  operationParameters?: Record<string, unknown>;
  isBlindAppend: boolean;
  /** What the commit did, as strings (Delta's convention): rows and files added, removed, updated. */
  operationMetrics?: Record<string, string>;
  /** A unique id of this commit attempt. */
  txnId: string;
  timestamp: number;
}

export const ENGINE_INFO = 'strata';

/** commitInfo goes first: the protocol requires that when in-commit timestamps are on, and it does no harm. */
export function commitActions(
  actions: readonly Action[],
  description: CommitDescription,
  txn?: Txn,
): Action[] {
  const commitInfo: CommitInfo = {
    timestamp: description.timestamp,
    operation: description.operation,
    operationParameters: description.operationParameters ?? {},
    isBlindAppend: description.isBlindAppend,
    ...(description.operationMetrics && { operationMetrics: description.operationMetrics }),
    txnId: description.txnId,
    engineInfo: ENGINE_INFO,
  };
  return [{ commitInfo }, ...actions, ...(txn ? [{ txn }] : [])];
}

/**
 * The remove action of a live file: it keeps the add's size, statistics and partition values
 * (extendedFileMetadata), so vacuum and readers of the tombstone know what went, and the deletion time
 * from which the file's retention is counted.
 */
export function removeDataFile(add: AddFile, deletionTimestamp: number): RemoveFile {
  return {
    path: add.path,
    deletionTimestamp,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.stats !== undefined && { stats: add.stats }),
    ...(add.tags && { tags: add.tags }),
    ...(add.deletionVector && { deletionVector: add.deletionVector }),
  };
}
