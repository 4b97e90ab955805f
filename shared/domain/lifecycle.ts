/**
 * The lifecycle of a file after ingestion: which statuses follow which, where the object of each status
 * lives, when use makes a file USED or ARCHIVED, and what a retention policy deprecates and deletes.
 * Pure rules; the move protocol that applies them to S3 and DynamoDB is in app/lifecycle.
 */
import { z } from 'zod';
import type { FileRecord, FileStatus } from './file-record.js';
import type { LifecyclePrefix } from './object-key.js';

// ---------------------------------------------------------------------------------------------------------
// The state machine

/**
 * Allowed transitions. FRESH → QUARANTINED is the pipeline's; the rest are the lifecycle's. DEPRECATED,
 * QUARANTINED and DUPLICATE are terminal: a deprecated file is only ever deleted (its record stays).
 */
export const TRANSITIONS: Readonly<Record<FileStatus, readonly FileStatus[]>> = {
  FRESH: ['USED', 'QUARANTINED'],
  USED: ['ARCHIVED', 'DEPRECATED'],
  ARCHIVED: ['DEPRECATED'],
  DEPRECATED: [],
  QUARANTINED: [],
  DUPLICATE: [],
};

export function canTransition(from: FileStatus, to: FileStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The prefix an object of this status lives under, or undefined when the status does not move the
 * object: a DEPRECATED file stays where it was until it is deleted, a QUARANTINED one keeps its original
 * in fresh/ (the pipeline copies it to quarantine/), a DUPLICATE is never touched.
 */
export function prefixOf(status: FileStatus): LifecyclePrefix | undefined {
  switch (status) {
    case 'FRESH':
      return 'fresh';
    case 'USED':
      return 'used';
    case 'ARCHIVED':
      return 'archived';
    default:
      return undefined;
  }
}

/** Whether the transition moves the object to another prefix (copy → verify → record → delete). */
export function movesObject(from: FileStatus, to: FileStatus): boolean {
  const target = prefixOf(to);
  return canTransition(from, to) && target !== undefined && target !== prefixOf(from);
}

/** The facts about use that decide a file's status. */
export type UsageFacts = Pick<FileRecord, 'status' | 'usageCount'>;

/**
 * The status the file's use calls for, one step at a time (undefined: it is where it belongs). A used
 * FRESH file becomes USED; a USED file used more than `archiveAfterUses` times becomes ARCHIVED. The
 * rule reads the state, not an event, so a retry, a concurrent worker or the repair pass all reach the
 * same answer.
 */
export function nextStatusForUse(file: UsageFacts, archiveAfterUses: number): FileStatus | undefined {
  const uses = file.usageCount ?? 0;
  if (file.status === 'FRESH' && uses >= 1) return 'USED';
  if (file.status === 'USED' && uses > archiveAfterUses) return 'ARCHIVED';
  return undefined;
}

/** Only files whose data is still served can be consumed by a training job. */
export const CONSUMABLE_STATUSES: readonly FileStatus[] = ['FRESH', 'USED', 'ARCHIVED'];

// ---------------------------------------------------------------------------------------------------------
// Retention

const DAY_MS = 24 * 60 * 60 * 1000;

/** Per-tenant retention policy (stored, applied daily by the scheduler, or on demand by POST /cleanup). */
export const retentionPolicySchema = z
  .object({
    /** USED and ARCHIVED files uploaded more than this many days ago become DEPRECATED. */
    daysOld: z.number().int().min(0).max(36_500),
    /** A DEPRECATED file's object is deleted this many days after it was deprecated. */
    graceDays: z.number().int().min(0).max(3_650).default(7),
    /** A USED file used more than this many times is ARCHIVED (0: archived after its first use). */
    archiveAfterUses: z.number().int().min(0).max(1_000_000).default(3),
    /**
     * Vacuum deletes a dataset table's data files this many days after a commit removed them (Delta's
     * `deletedFileRetentionDuration`, a week by default); until then time travel reads the versions that
     * had them. At least a day: a reader that loaded the previous version a moment ago must find its files.
     */
    tableRetentionDays: z.number().int().min(1).max(3_650).default(7),
  })
  .strict();

export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;

export const DEFAULT_GRACE_DAYS = 7;
export const DEFAULT_TABLE_RETENTION_DAYS = 7;

/** A stored policy with the settings added since it was stored filled in with their defaults. */
export function withPolicyDefaults(
  policy: Omit<RetentionPolicy, 'tableRetentionDays'> & { tableRetentionDays?: number | undefined },
): RetentionPolicy {
  return { ...policy, tableRetentionDays: policy.tableRetentionDays ?? DEFAULT_TABLE_RETENTION_DAYS };
}
export const DEFAULT_ARCHIVE_AFTER_USES = 3;

/** The cut-offs of a cleanup: deprecate what was uploaded before one, delete what was deprecated before. */
export function cleanupCutoffs(
  policy: Pick<RetentionPolicy, 'daysOld' | 'graceDays'>,
  now: Date,
): { deprecateUploadedBefore: string; deleteDeprecatedBefore: string } {
  return {
    deprecateUploadedBefore: new Date(now.getTime() - policy.daysOld * DAY_MS).toISOString(),
    deleteDeprecatedBefore: new Date(now.getTime() - policy.graceDays * DAY_MS).toISOString(),
  };
}

export type CleanupFacts = Pick<
  FileRecord,
  'fileId' | 'status' | 'uploadedAt' | 'deprecatedAt' | 'deletedAt'
>;

/**
 * Age is counted from the upload (the order of the status index, so the candidates are one key range).
 * "Older than N days" is strict: a file uploaded exactly at the cut-off stays.
 */
export function isDueForDeprecation(file: CleanupFacts, daysOld: number, now: Date): boolean {
  if (file.status !== 'USED' && file.status !== 'ARCHIVED') return false;
  return file.uploadedAt < cleanupCutoffs({ daysOld, graceDays: 0 }, now).deprecateUploadedBefore;
}

/** A DEPRECATED file whose grace period is over (inclusive: grace 0 deletes at once) and not deleted yet. */
export function isDueForDeletion(file: CleanupFacts, graceDays: number, now: Date): boolean {
  if (file.status !== 'DEPRECATED' || file.deletedAt !== undefined || file.deprecatedAt === undefined) {
    return false;
  }
  return file.deprecatedAt <= cleanupCutoffs({ daysOld: 0, graceDays }, now).deleteDeprecatedBefore;
}

export interface CleanupPlan {
  deprecate: string[];
  delete: string[];
}

/**
 * What one cleanup run does: deprecate the files past `daysOld`, then delete the deprecated files past
 * their grace, including the ones deprecated in this very run when the grace is 0. A dry run returns this
 * plan; the real run carries it out.
 */
export function planCleanup(
  files: readonly CleanupFacts[],
  policy: Pick<RetentionPolicy, 'daysOld' | 'graceDays'>,
  now: Date,
): CleanupPlan {
  const plan: CleanupPlan = { deprecate: [], delete: [] };
  const at = now.toISOString();
  for (const file of files) {
    if (isDueForDeprecation(file, policy.daysOld, now)) {
      plan.deprecate.push(file.fileId);
      const deprecated = { ...file, status: 'DEPRECATED' as const, deprecatedAt: at };
      if (isDueForDeletion(deprecated, policy.graceDays, now)) plan.delete.push(file.fileId);
    } else if (isDueForDeletion(file, policy.graceDays, now)) {
      plan.delete.push(file.fileId);
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------------------
// The move marker

/**
 * The durable intent of one move, written before the first byte is copied. Whoever finds it (the mover,
 * a concurrent worker, the repair pass) can finish the move from whatever step it stopped at, because
 * every step is idempotent and the marker names everything they need.
 */
export interface MoveMarker {
  moveId: string;
  tenant: string;
  fileId: string;
  bucket: string;
  from: FileStatus;
  to: FileStatus;
  fromKey: string;
  /** The exact S3 version moved; a newer upload to the same key is another file and is left alone. */
  fromVersionId?: string | undefined;
  toKey: string;
  /** The destination is the fallback key (the natural one held another object). */
  fallback: boolean;
  reason: string;
  jobId?: string | undefined;
  createdAt: string;
  /**
   * One worker at a time carries a move out (S3 copies are not reliably create-only: MinIO overwrites):
   * the owner's token and until when it holds the move. An interrupted owner releases it; a crashed one's
   * lease runs out and the next worker takes the move over.
   */
  leaseOwner: string;
  leaseUntil: string;
}

/**
 * The S3 version id of the object at the record's key, when known: after a move the one we copied, before
 * it the uploaded version (`objectVersion` falls back to the ETag on an unversioned bucket, which is not a
 * version id).
 */
export function versionAtKey(file: Pick<FileRecord, 'objectVersion' | 'keyVersion'>): string | undefined {
  const v = file.keyVersion ?? file.objectVersion;
  return v === UNVERSIONED || /^[0-9a-f]{32}(-\d+)?$/.test(v) ? undefined : v;
}

/** `keyVersion` of a copy on an unversioned bucket (so it never falls back to the upload's version). */
export const UNVERSIONED = 'unversioned';

// ---------------------------------------------------------------------------------------------------------
// Consumption

/** Lists in a consumption answer stop here: the answer is stored in one item for repeated calls. */
export const CONSUMPTION_LIST_LIMIT = 1000;

export interface ConsumptionResult {
  trainingSetId: string;
  jobId: string;
  consumedAt: string;
  /** Files in the training set. */
  files: number;
  /** Files whose use by this job was recorded through this training set. */
  counted: string[];
  /** Files the job had already used through another training set: a (file, job) counts once. */
  countedBefore: string[];
  skipped: Array<{ fileId: string; reason: 'missing' | 'not-consumable'; status?: FileStatus }>;
  /** Status changes this job's use caused. */
  moved: Array<{ fileId: string; from: FileStatus; to: FileStatus; at: string }>;
  /** Some list reached CONSUMPTION_LIST_LIMIT entries. */
  truncated: boolean;
}

/**
 * The answer to a consumption, read from the files' state rather than from what one call did: a usage
 * entry names the job and training set, a status change names the job. Every caller, concurrent or
 * repeated, therefore computes the same answer once the files are settled.
 */
export function summarizeConsumption(input: {
  trainingSetId: string;
  jobId: string;
  consumedAt: string;
  fileIds: readonly string[];
  records: ReadonlyMap<string, FileRecord | undefined>;
}): ConsumptionResult {
  const { trainingSetId, jobId } = input;
  const result: ConsumptionResult = {
    trainingSetId,
    jobId,
    consumedAt: input.consumedAt,
    files: input.fileIds.length,
    counted: [],
    countedBefore: [],
    skipped: [],
    moved: [],
    truncated: false,
  };
  const push = <T>(list: T[], item: T) => {
    if (list.length < CONSUMPTION_LIST_LIMIT) list.push(item);
    else result.truncated = true;
  };
  for (const fileId of input.fileIds) {
    const record = input.records.get(fileId);
    if (!record) {
      push(result.skipped, { fileId, reason: 'missing' });
      continue;
    }
    const uses = (record.usageHistory ?? []).filter((u) => u.jobId === jobId);
    if (uses.some((u) => u.trainingSetId === trainingSetId)) push(result.counted, fileId);
    else if (uses.length > 0) push(result.countedBefore, fileId);
    else push(result.skipped, { fileId, reason: 'not-consumable', status: record.status });
    for (const change of record.stateHistory ?? []) {
      if (change.jobId === jobId)
        push(result.moved, { fileId, from: change.from, to: change.to, at: change.at });
    }
  }
  return result;
}
