/**
 * The actions strata commits: a new table (protocol + metaData + its first files) and data files, each
 * commit with a commitInfo that says what it was. Ids and clocks come from the caller (no I/O here).
 */
import type { Action, AddFile, CommitInfo, Metadata, Txn } from './actions.js';
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
    txnId: description.txnId,
    engineInfo: ENGINE_INFO,
  };
  return [{ commitInfo }, ...actions, ...(txn ? [{ txn }] : [])];
}
