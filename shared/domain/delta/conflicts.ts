/**
 * Whether a commit that lost the race for a version may be committed on top of the winner, under Delta's
 * default isolation level (WriteSerializable). The rules are the reference implementation's
 * (Spark's ConflictChecker, which delta-rs's conflict_checker.rs follows), checked in this order:
 *
 * 1. The winner changed the protocol → ProtocolChanged (strata writes reader 1 / writer 2 only, so any
 *    upgrade may bring duties it does not know).
 * 2. The winner changed the metadata (schema, configuration) → MetadataChanged.
 * 3. The loser read the table (it is not a blind append) and the winner added files the loser should have
 *    read → ConcurrentAppend. A winner marked `isBlindAppend` added rows that may be serialised after the
 *    loser, so its files are not counted unless the loser also changes the metadata. A winner without the
 *    flag (delta-rs writes none) counts as not blind.
 * 4. The winner removed (with dataChange) files the loser read → ConcurrentDeleteRead. A blind append read
 *    none; any other transaction is taken to have read the whole table, as strata has no predicates.
 * 5. Both remove the same file → ConcurrentDeleteDelete.
 * 6. Both set a txn of the same appId → ConcurrentTransaction (the same appId and version means the loser
 *    is a retry of the winner; the committer recognises that before asking here).
 *
 * Consequences: blind appends commute with each other and with anything but protocol and metadata
 * changes; an overwrite (removes + adds, reads the whole table) conflicts with concurrent removes and
 * non-blind adds. delta-rs is stricter in one place: without a predicate it counts every file of the read
 * snapshot as read, so it fails even a blind append on a concurrent delete; the reference does not.
 */
import type { TableConflictReason } from '../../errors.js';
import { type Action, actionsOf, fileKey, type LogEntry } from './actions.js';

export interface PendingCommit {
  /** The actions the loser wants to commit (without commitInfo). */
  actions: readonly Action[];
  /** Only adds data files and read nothing of the table. */
  isBlindAppend: boolean;
}

export interface Conflict {
  reason: TableConflictReason;
  winningVersion: number;
  detail: string;
}

export function findConflict(pending: PendingCommit, winner: LogEntry): Conflict | undefined {
  const conflict = (reason: TableConflictReason, detail: string): Conflict => ({
    reason,
    winningVersion: winner.version,
    detail,
  });
  const won = winner.actions;
  if (actionsOf(won, 'protocol').length > 0)
    return conflict('ProtocolChanged', 'the winner changed the protocol');
  if (actionsOf(won, 'metaData').length > 0) {
    return conflict('MetadataChanged', 'the winner changed the table metadata');
  }

  const readsTable = !pending.isBlindAppend;
  const changesMetadata = actionsOf(pending.actions, 'metaData').length > 0;
  const winnerIsBlind = actionsOf(won, 'commitInfo').some((info) => info.isBlindAppend === true);
  if (readsTable) {
    const added = actionsOf(won, 'add');
    const counted = winnerIsBlind && !changesMetadata ? [] : added;
    const first = counted[0];
    if (first)
      return conflict('ConcurrentAppend', `the winner added ${first.path}, which this commit did not read`);
    const removed = actionsOf(won, 'remove').find((r) => r.dataChange);
    if (removed)
      return conflict('ConcurrentDeleteRead', `the winner removed ${removed.path}, which this commit read`);
  }

  const ours = new Set(actionsOf(pending.actions, 'remove').map(fileKey));
  const both = actionsOf(won, 'remove').find((r) => ours.has(fileKey(r)));
  if (both) return conflict('ConcurrentDeleteDelete', `both commits remove ${both.path}`);

  const appIds = new Set(actionsOf(pending.actions, 'txn').map((t) => t.appId));
  const same = actionsOf(won, 'txn').find((t) => appIds.has(t.appId));
  if (same) return conflict('ConcurrentTransaction', `both commits set the txn of app "${same.appId}"`);
  return undefined;
}

/** The winner is the committed form of this very transaction: it holds the same appId at the same version. */
export function holdsTransaction(entry: LogEntry, txn: { appId: string; version: number }): boolean {
  return actionsOf(entry.actions, 'txn').some((t) => t.appId === txn.appId && t.version === txn.version);
}
