/**
 * What the pipeline does to a dataset's Delta table: commits planned on the latest snapshot (appends,
 * overwrites, upserts), creating the table with the first one, exactly once per txn, adding the columns a
 * file brings when asked to, with a checkpoint every
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
import { advance, checkWritable, replay, tableSchema } from '../../domain/delta/snapshot.js';
import { addDataFile, createTableActions, removeDataFile } from '../../domain/delta/table.js';
import { TableCommitConflictError, TransientError } from '../../errors.js';
import type {
  AppendRequest,
  AppendResult,
  DatasetTable,
  DatasetTables,
  TableLog,
  TableLogs,
  WritePlan,
  WriteRequest,
  WriteResult,
} from '../../ports.js';
import {
  type CommitResult,
  commit,
  findTransactionCommit,
  loadSnapshot,
  writeCheckpoint,
} from './transaction.js';

export type { AppendRequest, AppendResult, WritePlan, WriteRequest, WriteResult } from '../../ports.js';

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
   * SchemaMismatchError when the files do not fit the table's schema, UnsupportedTableError for a
   * table strata must not write, TableCommitConflictError when a concurrent commit does not commute with
   * this one for another reason, TransientError when the race for a version was lost too often.
   */
  append(request: AppendRequest): Promise<AppendResult> {
    return this.write({
      ...(request.txn && { txn: request.txn }),
      ...(request.tableName !== undefined && { tableName: request.tableName }),
      plan: async (snapshot) => {
        const evolvedSchema =
          snapshot && request.evolveSchema
            ? evolveTableSchema(tableSchema(snapshot), request.schema)
            : undefined;
        if (snapshot && !evolvedSchema) checkFileFitsTable(tableSchema(snapshot), request.schema);
        return {
          schema: request.schema,
          adds: request.files,
          removes: [],
          blindAppend: true,
          evolvedSchema,
          operation: 'WRITE',
          operationParameters: { mode: 'Append', ...(evolvedSchema && { mergeSchema: true }) },
        };
      },
    });
  }

  /**
   * One commit of what `request.plan` decides on the latest snapshot. A plan that read the table (not a
   * blind append) and lost to a commit it should have read, or that removes a file another commit
   * removed, is decided again on a fresh snapshot (nothing was committed); so is one that lost the
   * creation of the table, or to a schema change. Errors as `append`.
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    for (let round = 1; ; round++) {
      const snapshot =
        round === 1 && request.readSnapshot ? request.readSnapshot.snapshot : await this.snapshot();
      if (snapshot && request.txn) {
        const seen = snapshot.appTransactions.get(request.txn.appId);
        if (seen?.version === request.txn.version) {
          const version =
            seen.committedIn ?? (await findTransactionCommit(this.log, request.txn, snapshot.version));
          return { version, status: 'duplicate', attempts: 0, created: false };
        }
      }
      const plan = await request.plan(snapshot);
      let result: CommitResult;
      try {
        result = await this.commitPlan(snapshot, plan, request);
      } catch (error) {
        if (!isRedoable(error, snapshot === undefined)) throw error;
        if (round < MAX_REDO_ROUNDS) continue;
        throw new TransientError(
          `${this.log.uri}: the table changed under ${round} writes in a row; retry later`,
          { cause: error },
        );
      }
      const { winners, actions, ...outcome } = result;
      if (result.status === 'duplicate') return { ...outcome, created: false };
      const own = { version: result.version, actions };
      const after = snapshot ? [...winners, own].reduce(advance, snapshot) : replay(undefined, [own]);
      const checkpoint = await this.checkpointIfDue(result.version, after);
      return {
        ...outcome,
        created: !snapshot,
        plan,
        snapshot: after,
        ...(checkpoint && { checkpoint }),
      };
    }
  }

  commitActions(version: number): Promise<Action[] | undefined> {
    return this.log.readCommit(version);
  }

  /** One attempt at the commit of `plan` decided on `snapshot` (none: the table is created). */
  private commitPlan(
    snapshot: Snapshot | undefined,
    plan: WritePlan,
    request: WriteRequest,
  ): Promise<CommitResult> {
    const adds: Action[] = plan.adds.map((file) => ({ add: addDataFile(file) }));
    const common = {
      ...(request.txn && { txn: request.txn }),
      ...(this.options.maxCommitAttempts !== undefined && { maxAttempts: this.options.maxCommitAttempts }),
      ...(plan.operationMetrics && { operationMetrics: plan.operationMetrics }),
      operation: plan.operation,
      now: this.now,
      newId: this.newId,
    };
    if (!snapshot) {
      const create = createTableActions({
        id: this.newId(),
        schema: datasetTableSchema(plan.schema),
        createdTime: this.now(),
        ...(request.tableName !== undefined && { name: request.tableName }),
      });
      return commit(this.log, [...create, ...adds], {
        ...common,
        readVersion: -1,
        isBlindAppend: false,
        operationParameters: { ...plan.operationParameters, mode: 'ErrorIfExists' },
      });
    }
    const deletedAt = this.now();
    const removes: Action[] = plan.removes.map((path) => {
      const live = snapshot.files.get(path);
      if (!live) throw new TypeError(`the plan removes ${path}, which is not a live file of the table`);
      return { remove: removeDataFile(live, deletedAt) };
    });
    const metaData = plan.evolvedSchema && {
      ...snapshot.metadata,
      schemaString: serializeSchema(plan.evolvedSchema),
    };
    const actions: Action[] = [...(metaData ? [{ metaData }] : []), ...removes, ...adds];
    checkWritable(snapshot, actions);
    return commit(this.log, actions, {
      ...common,
      readVersion: snapshot.version,
      isBlindAppend: plan.blindAppend && !metaData && removes.length === 0,
      operationParameters: plan.operationParameters,
    });
  }

  /** Writes the checkpoint of `version` when it is due; a failure is reported, not thrown. */
  async checkpointIfDue(version: number, known?: Snapshot): Promise<AppendResult['checkpoint']> {
    const interval = this.options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
    if (version === 0 || version % interval !== 0) return undefined;
    try {
      const snapshot = known?.version === version ? known : await loadSnapshot(this.log, { version });
      if (snapshot) await writeCheckpoint(this.log, snapshot, this.now());
      return { version };
    } catch (error) {
      return { version, error };
    }
  }
}

/**
 * Whether a write that failed with `error` may be decided again on a fresh read of the table (nothing
 * was committed): it lost the creation of the table to another writer; or a commit it lost to changed
 * the schema, added files it should have read, removed files it read, or removed a file it removes too.
 * A changed protocol is never redone: strata may not know the new duties.
 */
function isRedoable(error: unknown, creating: boolean): boolean {
  if (!(error instanceof TableCommitConflictError)) return false;
  if (creating) {
    return (
      error.winningVersion === 0 && (error.reason === 'ProtocolChanged' || error.reason === 'MetadataChanged')
    );
  }
  return (
    error.reason === 'MetadataChanged' ||
    error.reason === 'ConcurrentAppend' ||
    error.reason === 'ConcurrentDeleteRead' ||
    error.reason === 'ConcurrentDeleteDelete'
  );
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
