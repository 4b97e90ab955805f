/**
 * Delta Lake tables: the transaction log of one table (`<root>/_delta_log/`). The store decides the race
 * for a version (a create-only write), so concurrent writers need no lock. Data files are ordinary objects
 * under the table root, written through the ObjectStore before their commit.
 */
import type { Action } from '../domain/delta/actions.js';
import type { LastCheckpoint } from '../domain/delta/snapshot.js';

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
