/**
 * A table's state at a version, replayed from a checkpoint (or from version 0) and the commits after it,
 * by the protocol's "Action Reconciliation": the latest protocol and metaData win; per `appId` the latest
 * txn wins; per logical file `(path, deletion vector)` the newest add or remove wins, adds being the live
 * files and removes the tombstones (kept for VACUUM until they expire). commitInfo is not state.
 */
import { TableLogCorruptError, UnsupportedTableError } from '../../errors.js';
import {
  type Action,
  type AddFile,
  fileKey,
  type LogEntry,
  type Metadata,
  type Protocol,
  type RemoveFile,
  type Txn,
} from './actions.js';
import { type DeltaStructType, parseSchemaString } from './schema.js';
import { parseStats } from './stats.js';

export interface AppTransaction extends Txn {
  /** The commit that holds this txn, when replay saw it in a commit (a checkpoint does not say). */
  committedIn?: number;
}

export interface Snapshot {
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  /** Live logical files by fileKey (the path when there is no deletion vector). */
  files: Map<string, AddFile>;
  /** Removed logical files by fileKey, until they expire. */
  tombstones: Map<string, RemoveFile>;
  /**
   * Per tombstone (same key), a version from which on the file is out of the table: the commit that
   * removed it, or, for a tombstone a checkpoint carried, the checkpoint's version (the remove is at or
   * before it). Vacuum reads it to tell which versions lose a file it deletes.
   */
  removedIn: Map<string, number>;
  appTransactions: Map<string, AppTransaction>;
}

/** A checkpoint's content: the reconciled actions of every version up to and including `version`. */
export interface CheckpointEntry {
  version: number;
  actions: Action[];
}

/**
 * Replays `commits` (ascending, contiguous) on top of `checkpoint`, or from version 0 without one.
 * Throws TableLogCorruptError on a gap, or when the result has no protocol or metadata.
 */
export function replay(checkpoint: CheckpointEntry | undefined, commits: readonly LogEntry[]): Snapshot {
  const state = new ReplayState();
  let version = -1;
  if (checkpoint) {
    // A checkpoint's actions are already reconciled; applied in one go like a commit.
    state.apply(checkpoint.actions, undefined, checkpoint.version);
    version = checkpoint.version;
  }
  for (const commit of commits) {
    if (commit.version <= version) continue;
    if (commit.version !== version + 1) {
      throw new TableLogCorruptError(
        `the log has no version ${version + 1} before version ${commit.version}`,
      );
    }
    state.apply(commit.actions, commit.version, commit.version);
    version = commit.version;
  }
  return state.snapshot(version);
}

/** Applies one more commit to a snapshot (a writer's own commit, winners it read): no re-read needed. */
export function advance(snapshot: Snapshot, commit: LogEntry): Snapshot {
  if (commit.version !== snapshot.version + 1) {
    throw new TableLogCorruptError(`version ${commit.version} does not follow ${snapshot.version}`);
  }
  const state = ReplayState.from(snapshot);
  state.apply(commit.actions, commit.version, commit.version);
  return state.snapshot(commit.version);
}

class ReplayState {
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  files = new Map<string, AddFile>();
  tombstones = new Map<string, RemoveFile>();
  removedIn = new Map<string, number>();
  appTransactions = new Map<string, AppTransaction>();

  static from(snapshot: Snapshot): ReplayState {
    const state = new ReplayState();
    state.protocol = snapshot.protocol;
    state.metadata = snapshot.metadata;
    state.files = new Map(snapshot.files);
    state.tombstones = new Map(snapshot.tombstones);
    state.removedIn = new Map(snapshot.removedIn);
    state.appTransactions = new Map(snapshot.appTransactions);
    return state;
  }

  /** `version`: the commit's (undefined for a checkpoint); `removedIn`: what its removes record. */
  apply(actions: readonly Action[], version: number | undefined, removedIn: number): void {
    // Actions within a commit are not ordered; a valid commit never adds and removes one logical file,
    // so removes first then adds gives the same state as any order.
    for (const action of actions) {
      if ('remove' in action) {
        const key = fileKey(action.remove);
        this.files.delete(key);
        this.tombstones.set(key, action.remove);
        this.removedIn.set(key, removedIn);
      }
    }
    for (const action of actions) {
      if ('add' in action) {
        const key = fileKey(action.add);
        this.tombstones.delete(key);
        this.removedIn.delete(key);
        this.files.set(key, action.add);
      } else if ('protocol' in action) {
        this.protocol = action.protocol;
      } else if ('metaData' in action) {
        this.metadata = action.metaData;
      } else if ('txn' in action) {
        const { txn } = action;
        this.appTransactions.set(txn.appId, version === undefined ? txn : { ...txn, committedIn: version });
      }
    }
  }

  snapshot(version: number): Snapshot {
    if (version < 0) throw new TableLogCorruptError('the table has no commits');
    if (!this.protocol) throw new TableLogCorruptError(`version ${version} of the table has no protocol`);
    if (!this.metadata) throw new TableLogCorruptError(`version ${version} of the table has no metadata`);
    return {
      version,
      protocol: this.protocol,
      metadata: this.metadata,
      files: this.files,
      tombstones: this.tombstones,
      removedIn: this.removedIn,
      appTransactions: this.appTransactions,
    };
  }
}

export function tableSchema(snapshot: Snapshot): DeltaStructType {
  return parseSchemaString(snapshot.metadata.schemaString);
}

/** Rows in the table by its files' statistics, or undefined when a file has none. */
export function rowCount(snapshot: Snapshot): number | undefined {
  let rows = 0;
  for (const file of snapshot.files.values()) {
    const stats = file.stats === undefined ? undefined : parseStats(file.stats);
    if (!stats) return undefined;
    rows += stats.numRecords;
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
// What strata may write

/**
 * Throws UnsupportedTableError unless strata can honour every writer duty of the table: protocol up to
 * reader 1 / writer 2 (no table features), no column invariants (writer 2 makes them binding, and strata
 * does not evaluate SQL), and no data removal from a `delta.appendOnly` table.
 */
export function checkWritable(snapshot: Snapshot, actions: readonly Action[]): void {
  const { protocol, metadata } = snapshot;
  if (protocol.minReaderVersion > 1 || protocol.minWriterVersion > 2) {
    throw new UnsupportedTableError(
      `the table needs reader ${protocol.minReaderVersion} / writer ${protocol.minWriterVersion}; ` +
        'strata writes tables up to reader 1 / writer 2',
    );
  }
  if (metadata.schemaString.includes('"delta.invariants"')) {
    throw new UnsupportedTableError('the table has column invariants, which strata cannot enforce');
  }
  const removesData = actions.some((a) => 'remove' in a && a.remove.dataChange);
  if (removesData && metadata.configuration['delta.appendOnly']?.toLowerCase() === 'true') {
    throw new UnsupportedTableError(
      'the table is append-only (delta.appendOnly) and the commit removes data',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoints

/** `delta.deletedFileRetentionDuration`'s default: tombstones are kept a week. */
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/**
 * The retention of tombstones from the table's `delta.deletedFileRetentionDuration` ("interval 1 week",
 * Spark's calendar-interval text). A value this reader cannot parse keeps tombstones forever: keeping a
 * tombstone too long only delays VACUUM, dropping one too early can let it delete a file a reader needs.
 */
export function tombstoneRetentionMs(metadata: Metadata): number {
  const text = metadata.configuration['delta.deletedFileRetentionDuration'];
  if (text === undefined) return DEFAULT_TOMBSTONE_RETENTION_MS;
  const match = /^\s*interval\s+(\d+)\s+([a-z]+?)s?\s*$/i.exec(text);
  const unit = match?.[2] ? UNIT_MS[match[2].toLowerCase()] : undefined;
  if (!match?.[1] || unit === undefined) return Number.POSITIVE_INFINITY;
  return Number(match[1]) * unit;
}

/**
 * The actions of a checkpoint of `snapshot` (the protocol's "Checkpoints" under writer requirements):
 * protocol, metadata, every txn, every live file, and the tombstones not yet expired at `nowMs` (one
 * without a deletion time is kept). No commitInfo. Removes carry neither stats nor tags.
 */
export function checkpointActions(snapshot: Snapshot, nowMs: number): Action[] {
  const retention = tombstoneRetentionMs(snapshot.metadata);
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];
  for (const { committedIn: _, ...txn } of snapshot.appTransactions.values()) actions.push({ txn });
  for (const add of snapshot.files.values()) actions.push({ add });
  for (const remove of snapshot.tombstones.values()) {
    const at = remove.deletionTimestamp;
    if (at !== undefined && at + retention < nowMs) continue;
    const { stats: _s, tags: _t, ...tombstone } = remove;
    actions.push({ remove: tombstone });
  }
  return actions;
}

/** `_delta_log/_last_checkpoint` (the protocol's "Last Checkpoint File Schema"). */
export interface LastCheckpoint {
  version: number;
  /** Actions (rows) in the checkpoint. */
  size: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

export function lastCheckpointFor(
  version: number,
  actions: readonly Action[],
  sizeInBytes: number,
): LastCheckpoint {
  return {
    version,
    size: actions.length,
    sizeInBytes,
    numOfAddFiles: actions.filter((a) => 'add' in a).length,
  };
}

export function parseLastCheckpoint(text: string): LastCheckpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A reader that cannot use the hint lists the log instead.
    return undefined;
  }
  const o = value as Partial<Record<keyof LastCheckpoint | 'parts', unknown>> | null;
  if (typeof o !== 'object' || o === null) return undefined;
  // A multi-part checkpoint: this reader reads classic ones only, and lists the log instead.
  if (o.parts !== undefined && o.parts !== null) return undefined;
  if (typeof o.version !== 'number' || !Number.isSafeInteger(o.version) || o.version < 0) return undefined;
  return {
    version: o.version,
    size: typeof o.size === 'number' ? o.size : 0,
    ...(typeof o.sizeInBytes === 'number' && { sizeInBytes: o.sizeInBytes }),
    ...(typeof o.numOfAddFiles === 'number' && { numOfAddFiles: o.numOfAddFiles }),
  };
}
