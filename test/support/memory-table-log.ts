/**
 * Delta table logs in memory, for unit tests of what writes and reads dataset tables: commits are kept as
 * the newline-delimited JSON S3 would hold and parsed back on read, a commit of an existing version loses
 * (the create-only put), checkpoints go through the real Parquet encoding.
 */

import { decodeCheckpoint, encodeCheckpoint } from '../../shared/adapters/delta/checkpoint-parquet.js';
import {
  type Action,
  commitFileName,
  parseCommit,
  serializeCommit,
} from '../../shared/domain/delta/actions.js';
import type { LastCheckpoint } from '../../shared/domain/delta/snapshot.js';
import type { TableLog, TableLogListing, TableLogs } from '../../shared/ports.js';

class MemoryTableLog implements TableLog {
  readonly commits = new Map<number, string>();
  readonly checkpoints = new Map<number, Uint8Array>();
  last: LastCheckpoint | undefined;

  constructor(readonly uri: string) {}

  async list(fromVersion: number): Promise<TableLogListing> {
    const ascending = (versions: Iterable<number>) =>
      [...versions].filter((v) => v >= fromVersion).sort((a, b) => a - b);
    return { commits: ascending(this.commits.keys()), checkpoints: ascending(this.checkpoints.keys()) };
  }

  async readCommit(version: number): Promise<Action[] | undefined> {
    const text = this.commits.get(version);
    return text === undefined ? undefined : parseCommit(text, version);
  }

  async writeCommit(version: number, actions: readonly Action[]): Promise<'committed' | 'exists'> {
    if (this.commits.has(version)) return 'exists';
    this.commits.set(version, serializeCommit(actions));
    return 'committed';
  }

  async readCheckpoint(version: number): Promise<Action[] | undefined> {
    const bytes = this.checkpoints.get(version);
    return bytes === undefined ? undefined : decodeCheckpoint(bytes, version);
  }

  async writeCheckpoint(version: number, actions: readonly Action[]): Promise<{ sizeInBytes: number }> {
    const bytes = encodeCheckpoint(actions);
    this.checkpoints.set(version, bytes);
    return { sizeInBytes: bytes.byteLength };
  }

  async readLastCheckpoint(): Promise<LastCheckpoint | undefined> {
    return this.last;
  }

  async writeLastCheckpoint(last: LastCheckpoint): Promise<void> {
    this.last = last;
  }

  /** The commit files' names, as a listing of `_delta_log/` shows them. */
  commitNames(): string[] {
    return [...this.commits.keys()].sort((a, b) => a - b).map(commitFileName);
  }
}

/** The logs of one in-memory bucket, by table root. */
export class MemoryTableLogs implements TableLogs {
  readonly logs = new Map<string, MemoryTableLog>();

  constructor(readonly bucket = 'data') {}

  open(tableRoot: string): MemoryTableLog {
    let log = this.logs.get(tableRoot);
    if (!log) {
      log = new MemoryTableLog(`s3://${this.bucket}/${tableRoot.replace(/\/$/, '')}`);
      this.logs.set(tableRoot, log);
    }
    return log;
  }
}
