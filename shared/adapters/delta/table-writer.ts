/**
 * What the pipeline does to a dataset's Delta table: append data files, creating the table with the first
 * one, exactly once per txn, adding the columns a file brings when asked to, with a checkpoint every
 * `checkpointInterval` versions. Built on a TableLog (the adapter holds the SDK client); data files are
 * written to the table root before `append` is called.
 */
import { randomUUID } from 'node:crypto';
import type { Action } from '../../domain/delta/actions.js';
import {
  checkFileFitsTable,
  datasetTableSchema,
  evolveTableSchema,
  serializeSchema,
} from '../../domain/delta/schema.js';
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { checkWritable, tableSchema } from '../../domain/delta/snapshot.js';
import { addDataFile, createTableActions } from '../../domain/delta/table.js';
import { TableCommitConflictError, TransientError } from '../../errors.js';
import type {
  AppendRequest,
  AppendResult,
  DatasetTable,
  DatasetTables,
  TableLog,
  TableLogs,
} from '../../ports.js';
import {
  type CommitResult,
  commit,
  findTransactionCommit,
  loadSnapshot,
  writeCheckpoint,
} from './transaction.js';

export type { AppendRequest, AppendResult } from '../../ports.js';

export const DEFAULT_CHECKPOINT_INTERVAL = 100;

/**
 * Times an append reads the table again after losing to a commit it must not be put on top of: a new
 * table another writer created first, a concurrent schema change, or (for an append that changes the
 * schema itself) a concurrent append. Nothing was committed when that happens, so the append is redone.
 */
const MAX_REDO_ROUNDS = 10;

export interface TableWriterOptions {
  /** A checkpoint is written after every commit whose version is a multiple of this (default 100). */
  checkpointInterval?: number;
  /** Versions a commit tries before it gives up with a TransientError (default 50). */
  maxCommitAttempts?: number;
  now?: () => number;
  newId?: () => string;
}

export class TableWriter implements DatasetTable {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    readonly log: TableLog,
    private readonly options: TableWriterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  get uri(): string {
    return this.log.uri;
  }

  /** The table at `version` (default latest), undefined when it does not exist yet. */
  snapshot(version?: number): Promise<Snapshot | undefined> {
    return loadSnapshot(this.log, version === undefined ? {} : { version });
  }

  /**
   * Adds `files` as one commit. Creates the table when there is none (protocol reader 1 / writer 2, the
   * files' columns all nullable); when another writer creates it first, appends to theirs instead. With
   * `evolveSchema`, columns the table lacks are added by the same commit (a metaData action; such a
   * commit is not a blind append, so a concurrent append makes it read the table again). Throws
   * TableSchemaMismatchError when the files do not fit the table's schema, UnsupportedTableError for a
   * table strata must not write, TableCommitConflictError when a concurrent commit does not commute with
   * this one for another reason, TransientError when the race for a version was lost too often.
   */
  async append(request: AppendRequest): Promise<AppendResult> {
    const adds: Action[] = request.files.map((file) => ({ add: addDataFile(file) }));
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
      try {
        result = await this.commitOn(snapshot, adds, request);
      } catch (error) {
        if (!isRedoable(error, snapshot === undefined)) throw error;
        if (round < MAX_REDO_ROUNDS) continue;
        throw new TransientError(
          `${this.log.uri}: the table changed under ${round} appends in a row; retry later`,
          { cause: error },
        );
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

  /** One attempt at the commit of `adds` decided on `snapshot` (none: the table is created). */
  private commitOn(
    snapshot: Snapshot | undefined,
    adds: Action[],
    request: AppendRequest,
  ): Promise<CommitResult> {
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
      return commit(this.log, [...create, ...adds], {
        ...common,
        readVersion: -1,
        isBlindAppend: false,
        operationParameters: { mode: 'ErrorIfExists' },
      });
    }
    checkWritable(snapshot, adds);
    const current = tableSchema(snapshot);
    const evolved = request.evolveSchema ? evolveTableSchema(current, request.schema) : undefined;
    if (!evolved) {
      checkFileFitsTable(current, request.schema);
      return commit(this.log, adds, {
        ...common,
        readVersion: snapshot.version,
        isBlindAppend: true,
        operationParameters: { mode: 'Append' },
      });
    }
    const metaData = { ...snapshot.metadata, schemaString: serializeSchema(evolved) };
    return commit(this.log, [{ metaData }, ...adds], {
      ...common,
      readVersion: snapshot.version,
      isBlindAppend: false,
      operationParameters: { mode: 'Append', mergeSchema: true },
    });
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

/**
 * Whether an append that failed with `error` may be redone from a fresh read of the table: it lost the
 * creation of the table to another writer, or lost to a commit that changed the schema (the files may
 * still fit the new one), or, changing the schema itself, to an append it had not read.
 */
function isRedoable(error: unknown, creating: boolean): boolean {
  if (!(error instanceof TableCommitConflictError)) return false;
  if (creating) {
    return (
      error.winningVersion === 0 && (error.reason === 'ProtocolChanged' || error.reason === 'MetadataChanged')
    );
  }
  return error.reason === 'MetadataChanged' || error.reason === 'ConcurrentAppend';
}

/** The writers of the tables of one bucket, one per table root. */
export class TableWriters implements DatasetTables {
  constructor(
    private readonly logs: TableLogs,
    private readonly options: TableWriterOptions = {},
  ) {}

  open(tableRoot: string): TableWriter {
    return new TableWriter(this.logs.open(tableRoot), this.options);
  }
}
