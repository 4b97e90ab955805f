/** The file lifecycle: use counts, moves between prefixes, retention, consumption claims. */
import type { FileRecord, FileStatus } from '../domain/file-record.js';
import type { ConsumptionResult, MoveMarker, RetentionPolicy } from '../domain/lifecycle.js';
import type { FileFacts } from '../domain/statistics.js';

export type UsageOutcome =
  /** This call recorded the job's use (once per file and job, whoever calls). */
  | { outcome: 'counted'; record: FileRecord }
  /** The job was already recorded for the file. */
  | { outcome: 'already-counted'; record: FileRecord }
  /** The file is in a status that is not served for training (deprecated, quarantined, duplicate). */
  | { outcome: 'not-consumable'; record: FileRecord }
  | { outcome: 'missing' };

export type BeginMoveOutcome =
  | { outcome: 'started' }
  /** Another move of the file is under way (or was interrupted): finish that one first. */
  | { outcome: 'in-progress'; marker: MoveMarker }
  /** The record is no longer at the move's source (status or key changed): nothing to move. */
  | { outcome: 'record-changed' }
  /** Another file has claimed the destination key: move to the fallback key instead. */
  | { outcome: 'key-taken' };

export interface CompleteMoveOutcome {
  /** `updated` by this call, `already-done` by an earlier one, or `conflict`: the record went elsewhere. */
  outcome: 'updated' | 'already-done' | 'conflict';
  record: FileRecord | undefined;
}

export interface StoredRetentionPolicy {
  tenant: string;
  policy: RetentionPolicy;
  updatedAt: string;
}

export interface ConsumptionClaim {
  tenant: string;
  trainingSetId: string;
  jobId: string;
  startedAt: string;
  /** Set once the consumption completed; a repeated call returns it. */
  result?: ConsumptionResult | undefined;
}

export interface FileFilter {
  /** ISO instant: only files uploaded strictly before it (a key range of the status index). */
  uploadedBefore?: string | undefined;
  minUsage?: number | undefined;
  notDeleted?: boolean | undefined;
}

/** The lifecycle's view of the metadata table: use counts, move markers, policies, consumption claims. */
export interface LifecycleStore {
  /** Strongly consistent: move decisions must not act on a stale status. */
  getFileConsistent(tenant: string, fileId: string): Promise<FileRecord | undefined>;
  /** Adds one use by the job unless that job is already recorded for the file (atomic, one request). */
  recordUsage(
    tenant: string,
    fileId: string,
    /** `trainingSetId`: the set the job read the file through; absent when the job marked the file itself. */
    usage: { jobId: string; trainingSetId?: string | undefined; at: string },
  ): Promise<UsageOutcome>;
  /**
   * Writes the marker (owned by its `leaseOwner`) if the file has none, its record is still at the
   * marker's source and no other file has claimed the destination key; claims the key for the file.
   */
  beginMove(marker: MoveMarker): Promise<BeginMoveOutcome>;
  getMove(tenant: string, fileId: string): Promise<MoveMarker | undefined>;
  /** Takes over a move whose lease ran out (or was released); undefined while another owner holds it. */
  takeMove(marker: MoveMarker, owner: string, until: string, now: string): Promise<MoveMarker | undefined>;
  /** Gives the lease up at once (the owner failed); the next worker may take the move over. */
  releaseMove(marker: MoveMarker): Promise<void>;
  /** Points the marker at the fallback destination (only while the caller still owns the move). */
  redirectMove(marker: MoveMarker, toKey: string): Promise<MoveMarker>;
  /** Status, key, key version, status index and history in one conditional update. */
  completeMove(marker: MoveMarker, keyVersion: string, at: string): Promise<CompleteMoveOutcome>;
  /** Removes the marker if it is still this move. */
  clearMove(marker: MoveMarker): Promise<void>;
  /** Pending markers of one tenant, or of every tenant. */
  listMoves(tenant?: string): AsyncIterable<MoveMarker>;
  /** USED/ARCHIVED → DEPRECATED (record only), refused while a move of the file is pending. */
  deprecateFile(
    tenant: string,
    fileId: string,
    from: FileStatus,
    at: string,
    reason: string,
  ): Promise<boolean>;
  /**
   * Records that a DEPRECATED file's object was deleted (once), releasing its content-hash claim in the
   * same transaction (only its own), so the same bytes uploaded again are a new file.
   */
  markDeleted(
    file: Pick<FileRecord, 'tenant' | 'fileId' | 'dataset' | 'sha256'>,
    at: string,
  ): Promise<boolean>;
  filesInStatus(tenant: string, status: FileStatus, filter?: FileFilter): AsyncIterable<FileRecord>;
  /** The few attributes statistics need, for every file of the tenant. */
  fileFacts(tenant: string): AsyncIterable<FileFacts>;
  getRetentionPolicy(tenant: string): Promise<StoredRetentionPolicy | undefined>;
  putRetentionPolicy(stored: StoredRetentionPolicy): Promise<void>;
  listRetentionPolicies(): AsyncIterable<StoredRetentionPolicy>;
  /** The claim of a (training set, job), created by the first call. */
  claimConsumption(
    tenant: string,
    trainingSetId: string,
    jobId: string,
    at: string,
  ): Promise<ConsumptionClaim>;
  /** Stores the result unless one is stored already; returns the stored one (first writer wins). */
  completeConsumption(claim: ConsumptionClaim, result: ConsumptionResult): Promise<ConsumptionResult>;
}
