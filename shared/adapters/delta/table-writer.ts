/**
 * What the pipeline does to a dataset's Delta table: append data files, creating the table with the first
 * one, exactly once per txn, with a checkpoint every `checkpointInterval` versions. Built on a TableLog
 * (the adapter holds the SDK client); data files are written to the table root before `append` is called.
 */
import { randomUUID } from 'node:crypto';
import type { Action } from '../../domain/delta/actions.js';
import { checkFileFitsTable, datasetTableSchema } from '../../domain/delta/schema.js';
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { checkWritable, tableSchema } from '../../domain/delta/snapshot.js';
import { addDataFile, createTableActions, type DataFile } from '../../domain/delta/table.js';
import type { TableSchema } from '../../domain/table.js';
import { TableCommitConflictError } from '../../errors.js';
import type { TableLog } from '../../ports.js';
import {
  type CommitResult,
  commit,
  findTransactionCommit,
  loadSnapshot,
  writeCheckpoint,
} from './transaction.js';

export const DEFAULT_CHECKPOINT_INTERVAL = 100;

export interface TableWriterOptions {
  /** A checkpoint is written after every commit whose version is a multiple of this (default 100). */
  checkpointInterval?: number;
  /** Versions a commit tries before it gives up with a TransientError (default 50). */
  maxCommitAttempts?: number;
  now?: () => number;
  newId?: () => string;
}

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
}

export interface AppendResult extends Omit<CommitResult, 'winners'> {
  /** This append created the table (version 0). */
  created: boolean;
  /** A checkpoint written after the commit, or why it could not be (the commit stands either way). */
  checkpoint?: { version: number } | { version: number; error: unknown };
}

export class TableWriter {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    readonly log: TableLog,
    private readonly options: TableWriterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  /** The table at `version` (default latest), undefined when it does not exist yet. */
  snapshot(version?: number): Promise<Snapshot | undefined> {
    return loadSnapshot(this.log, version === undefined ? {} : { version });
  }

  /**
   * Adds `files` as one commit. Creates the table when there is none (protocol reader 1 / writer 2, the
   * files' columns all nullable); when another writer creates it first, appends to theirs instead. Throws
   * TableSchemaMismatchError when the files do not fit the table's schema, UnsupportedTableError for a
   * table strata must not write, TableCommitConflictError when a concurrent commit changed the table's
   * protocol or metadata, TransientError when the race for a version was lost too often.
   */
  async append(request: AppendRequest): Promise<AppendResult> {
    const adds: Action[] = request.files.map((file) => ({ add: addDataFile(file) }));
    // Two rounds: the second one appends to a table another writer created while this one tried to.
    for (let round = 1; ; round++) {
      const snapshot = await this.snapshot();
      if (snapshot && request.txn) {
        const seen = snapshot.appTransactions.get(request.txn.appId);
        if (seen?.version === request.txn.version) {
          const version =
            seen.committedIn ?? (await findTransactionCommit(this.log, request.txn, snapshot.version));
          return { version, status: 'duplicate', attempts: 0, created: false };
        }
      }
      let result: CommitResult;
      const common = {
        ...(request.txn && { txn: request.txn }),
        ...(this.options.maxCommitAttempts !== undefined && { maxAttempts: this.options.maxCommitAttempts }),
        now: this.now,
        newId: this.newId,
      };
      if (!snapshot) {
        const create = createTableActions({
          id: this.newId(),
          schema: datasetTableSchema(request.schema),
          createdTime: this.now(),
          ...(request.tableName !== undefined && { name: request.tableName }),
        });
        try {
          result = await commit(this.log, [...create, ...adds], {
            ...common,
            readVersion: -1,
            isBlindAppend: false,
            operationParameters: { mode: 'ErrorIfExists' },
          });
        } catch (error) {
          const lostCreate =
            error instanceof TableCommitConflictError &&
            error.winningVersion === 0 &&
            (error.reason === 'ProtocolChanged' || error.reason === 'MetadataChanged');
          if (lostCreate && round === 1) continue;
          throw error;
        }
      } else {
        checkWritable(snapshot, adds);
        checkFileFitsTable(tableSchema(snapshot), request.schema);
        result = await commit(this.log, adds, {
          ...common,
          readVersion: snapshot.version,
          isBlindAppend: true,
          operationParameters: { mode: 'Append' },
        });
      }
      const { winners: _, ...outcome } = result;
      const checkpoint =
        result.status === 'committed' ? await this.checkpointIfDue(result.version) : undefined;
      return {
        ...outcome,
        created: !snapshot && result.status === 'committed',
        ...(checkpoint && { checkpoint }),
      };
    }
  }

  /** Writes the checkpoint of `version` when it is due; a failure is reported, not thrown. */
  async checkpointIfDue(version: number): Promise<AppendResult['checkpoint']> {
    const interval = this.options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
    if (version === 0 || version % interval !== 0) return undefined;
    try {
      const snapshot = await loadSnapshot(this.log, { version });
      if (snapshot) await writeCheckpoint(this.log, snapshot, this.now());
      return { version };
    } catch (error) {
      return { version, error };
    }
  }
}
