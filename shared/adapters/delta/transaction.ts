/**
 * Reading and committing a Delta table through its TableLog: snapshot loading (newest checkpoint at or
 * before the version, then the commits after it), optimistic commits with conflict resolution and
 * bounded retries, idempotency through txn actions, and checkpoints. No SDK here: the log is the port.
 */
import { randomUUID } from 'node:crypto';
import { type Action, actionsOf, type LogEntry, type Txn } from '../../domain/delta/actions.js';
import { findConflict, holdsTransaction } from '../../domain/delta/conflicts.js';
import { checkpointActions, lastCheckpointFor, replay, type Snapshot } from '../../domain/delta/snapshot.js';
import { commitActions } from '../../domain/delta/table.js';
import {
  NotFoundError,
  TableCommitConflictError,
  TableLogCorruptError,
  TransientError,
} from '../../errors.js';
import type { TableLog } from '../../ports.js';

/** Commits read at once while loading a snapshot. */
const READ_CONCURRENCY = 8;

async function readCommits(log: TableLog, versions: readonly number[]): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (let i = 0; i < versions.length; i += READ_CONCURRENCY) {
    const batch = versions.slice(i, i + READ_CONCURRENCY);
    const read = await Promise.all(
      batch.map(async (version) => {
        const actions = await log.readCommit(version);
        if (!actions)
          throw new TableLogCorruptError(`commit ${version} of ${log.uri} was listed but is gone`);
        return { version, actions };
      }),
    );
    entries.push(...read);
  }
  return entries;
}

/**
 * The table at `version` (default: the latest), or undefined when the table has no log yet. Starts from
 * the newest classic checkpoint at or before the version (found through `_last_checkpoint`, else by
 * listing), and replays the commits after it. Throws NotFoundError for a version the table does not have
 * yet, TableLogCorruptError for a log with gaps.
 */
export async function loadSnapshot(
  log: TableLog,
  options: { version?: number; ignoreCheckpoints?: boolean } = {},
): Promise<Snapshot | undefined> {
  const target = options.version;
  const last = options.ignoreCheckpoints ? undefined : await log.readLastCheckpoint();
  const hint = last && (target === undefined || last.version <= target) ? last.version : 0;
  let listing = await log.list(hint);
  if (hint > 0 && !listing.checkpoints.includes(hint)) listing = await log.list(0);
  const latest = Math.max(-1, ...listing.commits, ...listing.checkpoints);
  if (latest < 0) return undefined;
  if (target !== undefined && target > latest) {
    throw new NotFoundError(`${log.uri} has no version ${target} (latest is ${latest})`);
  }
  const upTo = target ?? latest;
  const checkpoint = options.ignoreCheckpoints
    ? undefined
    : [...listing.checkpoints].reverse().find((v) => v <= upTo);
  if (checkpoint !== undefined) {
    const actions = await log.readCheckpoint(checkpoint);
    if (actions) {
      const after = listing.commits.filter((v) => v > checkpoint && v <= upTo);
      return replay({ version: checkpoint, actions }, await readCommits(log, after));
    }
  }
  const commits = (checkpoint === undefined ? listing : await log.list(0)).commits.filter((v) => v <= upTo);
  if (commits[0] !== 0)
    throw new TableLogCorruptError(`${log.uri} has neither commit 0 nor a usable checkpoint`);
  return replay(undefined, await readCommits(log, commits));
}

export interface CommitOptions {
  /** The version the actions were decided on; -1 when the commit creates the table. */
  readVersion: number;
  /** The commit only adds data files and read nothing of the table (it commutes with other appends). */
  isBlindAppend: boolean;
  /**
   * Makes the commit idempotent: it carries `txn {appId, version}`, and a commit of the log that already
   * holds this pair is taken as this commit done before (status 'duplicate').
   */
  txn?: { appId: string; version: number };
  /** commitInfo.operation (default WRITE) and its parameters. */
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, string>;
  /** Versions tried before giving up with a TransientError (default 50: n writers racing need up to n). */
  maxAttempts?: number;
  now?: () => number;
  newId?: () => string;
}

export interface CommitResult {
  /** The version that holds the actions. */
  version: number;
  /** 'duplicate': an earlier attempt of the same txn had committed them (at `version`). */
  status: 'committed' | 'duplicate';
  /** Versions tried (1 when nobody else committed meanwhile). */
  attempts: number;
  /** The commits of other writers read while retrying, ascending. */
  winners: LogEntry[];
  /** The commit's actions as written (with commitInfo and txn). */
  actions: Action[];
}

export const DEFAULT_MAX_COMMIT_ATTEMPTS = 50;

/**
 * Commits `actions` (without commitInfo, which is added, and without the txn, added from `options.txn`)
 * as version `readVersion + 1`. When another writer has that version, reads the winners, stops if one of
 * them is this very commit (its commitInfo.txnId: a write whose response was lost) or holds the same txn,
 * throws TableCommitConflictError if one does not commute with this commit (conflicts.ts), and otherwise
 * tries again after the newest. Throws TransientError after `maxAttempts` lost races.
 */
export async function commit(
  log: TableLog,
  actions: readonly Action[],
  options: CommitOptions,
): Promise<CommitResult> {
  const now = options.now ?? Date.now;
  const txnId = (options.newId ?? randomUUID)();
  const txn: Txn | undefined = options.txn && { ...options.txn, lastUpdated: now() };
  if (actionsOf(actions, 'commitInfo').length > 0 || actionsOf(actions, 'txn').length > 0) {
    throw new TypeError('commit() adds commitInfo and txn itself');
  }
  const body = commitActions(
    actions,
    {
      operation: options.operation ?? 'WRITE',
      operationParameters: options.operationParameters ?? {},
      ...(options.operationMetrics && { operationMetrics: options.operationMetrics }),
      isBlindAppend: options.isBlindAppend,
      txnId,
      timestamp: now(),
    },
    txn,
  );
  const pending = { actions: body, isBlindAppend: options.isBlindAppend };
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_COMMIT_ATTEMPTS;
  const winners: LogEntry[] = [];
  let version = options.readVersion + 1;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if ((await log.writeCommit(version, body)) === 'committed') {
      return { version, status: 'committed', attempts: attempt, winners, actions: body };
    }
    const listed = (await log.list(version)).commits;
    if (listed[0] !== version || listed.some((v, i) => v !== version + i)) {
      throw new TableLogCorruptError(
        `${log.uri}: version ${version} exists but the log from it is not contiguous`,
      );
    }
    for (const entry of await readCommits(log, listed)) {
      if (actionsOf(entry.actions, 'commitInfo').some((info) => info.txnId === txnId)) {
        return { version: entry.version, status: 'committed', attempts: attempt, winners, actions: body };
      }
      if (options.txn && holdsTransaction(entry, options.txn)) {
        return {
          version: entry.version,
          status: 'duplicate',
          attempts: attempt,
          winners,
          actions: entry.actions,
        };
      }
      const conflict = findConflict(pending, entry);
      if (conflict)
        throw new TableCommitConflictError(conflict.reason, conflict.winningVersion, conflict.detail);
      winners.push(entry);
    }
    version = (listed.at(-1) ?? version) + 1;
  }
  throw new TransientError(
    `${log.uri}: lost the race for ${maxAttempts} versions in a row (last tried ${version - 1}); retry later`,
  );
}

/**
 * The version whose commit holds `txn`, scanning commits from `upTo` down. When the log no longer has
 * that commit (cleaned up up to a checkpoint), returns the version after the newest missing commit: the
 * oldest version the log still shows to include the txn.
 */
export async function findTransactionCommit(
  log: TableLog,
  txn: { appId: string; version: number },
  upTo: number,
): Promise<number> {
  for (let high = upTo; high >= 0; high -= READ_CONCURRENCY) {
    const versions: number[] = [];
    for (let v = high; v > high - READ_CONCURRENCY && v >= 0; v--) versions.push(v);
    const entries = await Promise.all(
      versions.map(async (version) => ({ version, actions: await log.readCommit(version) })),
    );
    for (const { version, actions } of entries) {
      if (!actions) return version + 1;
      if (holdsTransaction({ version, actions }, txn)) return version;
    }
  }
  return 0;
}

/**
 * Writes the classic checkpoint of `snapshot` and points `_last_checkpoint` at it unless it already
 * points at a newer one. Two writers of one version write the same state, so the later simply wins.
 */
export async function writeCheckpoint(log: TableLog, snapshot: Snapshot, nowMs: number): Promise<void> {
  const actions = checkpointActions(snapshot, nowMs);
  const { sizeInBytes } = await log.writeCheckpoint(snapshot.version, actions);
  const current = await log.readLastCheckpoint();
  if (!current || current.version < snapshot.version) {
    await log.writeLastCheckpoint(lastCheckpointFor(snapshot.version, actions, sizeInBytes));
  }
}
