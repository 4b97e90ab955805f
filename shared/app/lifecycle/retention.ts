/**
 * Retention: the per-tenant policy, the cleanup it drives (USED/ARCHIVED files past `daysOld` become
 * DEPRECATED; a DEPRECATED file's object is deleted after `graceDays`, its record stays with `deletedAt`),
 * and the daily run of the scheduler over every tenant with a policy.
 */
import type { FileRecord, FileStatus } from '../../domain/file-record.js';
import {
  cleanupCutoffs,
  DEFAULT_GRACE_DAYS,
  nextStatusForUse,
  planCleanup,
  type RetentionPolicy,
  versionAtKey,
  withPolicyDefaults,
} from '../../domain/lifecycle.js';
import { InvalidInputError, isStrataError, NotFoundError } from '../../errors.js';
import type { ObjectInfo, StoredRetentionPolicy } from '../../ports.js';
import { type MoveDeps, mapLimit, type ReconcileResult, reconcileMoves, settleFile } from './moves.js';
import { type VacuumDeps, vacuumTenant } from './vacuum.js';

export async function putRetentionPolicy(
  deps: Pick<MoveDeps, 'lifecycle' | 'clock'>,
  tenant: string,
  policy: RetentionPolicy,
): Promise<StoredRetentionPolicy> {
  const stored = { tenant, policy, updatedAt: deps.clock.now().toISOString() };
  await deps.lifecycle.putRetentionPolicy(stored);
  return stored;
}

export async function getRetentionPolicy(
  deps: Pick<MoveDeps, 'lifecycle'>,
  tenant: string,
): Promise<StoredRetentionPolicy> {
  const stored = await deps.lifecycle.getRetentionPolicy(tenant);
  if (!stored) throw new NotFoundError('no retention policy is set for this tenant');
  // A policy stored before a setting existed answers with the setting's default, which is what applies.
  return { ...stored, policy: withPolicyDefaults(stored.policy) };
}

/** Lists in a cleanup answer stop here (the totals always count everything). */
const LIST_LIMIT = 1000;
const CONCURRENCY = 8;

export interface CleanupRequest {
  /** Overrides the stored policy's `daysOld` for this run. */
  daysOld?: number | undefined;
  dryRun: boolean;
}

export interface CleanupResult {
  dryRun: boolean;
  policy: { daysOld: number; graceDays: number };
  /** Deprecates files uploaded before this instant; deletes files deprecated before the other. */
  cutoffs: ReturnType<typeof cleanupCutoffs>;
  /** Deprecated (or, in a dry run, would be). */
  deprecated: Array<{ fileId: string; key: string; from: FileStatus; uploadedAt: string; size: number }>;
  /** Objects deleted after their grace period (or would be). */
  deleted: Array<{ fileId: string; key: string; size: number }>;
  /** Due, but changed or moving at the time: the next run looks again. */
  skipped: Array<{ fileId: string; reason: string }>;
  totals: { deprecated: number; deleted: number; bytesDeleted: number; skipped: number };
  truncated: boolean;
}

export async function cleanup(
  deps: MoveDeps,
  tenant: string,
  request: CleanupRequest,
): Promise<CleanupResult> {
  const stored = await deps.lifecycle.getRetentionPolicy(tenant);
  const daysOld = request.daysOld ?? stored?.policy.daysOld;
  if (daysOld === undefined) {
    throw new InvalidInputError('days_old is required: this tenant has no stored retention policy');
  }
  const policy = { daysOld, graceDays: stored?.policy.graceDays ?? DEFAULT_GRACE_DAYS };
  const now = deps.clock.now();
  const cutoffs = cleanupCutoffs(policy, now);

  // Only the candidates are read: a key range of the status index for the old ones, plus the deprecated
  // files not yet deleted.
  const candidates: FileRecord[] = [];
  for (const status of ['USED', 'ARCHIVED'] as const) {
    for await (const file of deps.lifecycle.filesInStatus(tenant, status, {
      uploadedBefore: cutoffs.deprecateUploadedBefore,
    })) {
      candidates.push(file);
    }
  }
  for await (const file of deps.lifecycle.filesInStatus(tenant, 'DEPRECATED', { notDeleted: true })) {
    candidates.push(file);
  }
  const plan = planCleanup(candidates, policy, now);
  const byId = new Map(candidates.map((f) => [f.fileId, f]));
  const result: CleanupResult = {
    dryRun: request.dryRun,
    policy,
    cutoffs,
    deprecated: [],
    deleted: [],
    skipped: [],
    totals: { deprecated: 0, deleted: 0, bytesDeleted: 0, skipped: 0 },
    truncated: false,
  };
  const list = <T>(items: T[], item: T) => {
    if (items.length < LIST_LIMIT) items.push(item);
    else result.truncated = true;
  };
  const skip = (fileId: string, reason: string) => {
    result.totals.skipped++;
    list(result.skipped, { fileId, reason });
  };

  const at = now.toISOString();
  const notDeprecated = new Set<string>();
  await mapLimit(plan.deprecate, CONCURRENCY, async (fileId) => {
    const file = byId.get(fileId) as FileRecord;
    const done =
      request.dryRun ||
      (await deps.lifecycle.deprecateFile(
        tenant,
        fileId,
        file.status,
        at,
        `retention: uploaded more than ${daysOld} days ago`,
      ));
    if (!done) {
      notDeprecated.add(fileId);
      return skip(fileId, 'changed or moving; the next run looks again');
    }
    result.totals.deprecated++;
    list(result.deprecated, {
      fileId,
      key: file.key,
      from: file.status,
      uploadedAt: file.uploadedAt,
      size: file.size,
    });
  });
  await mapLimit(plan.delete, CONCURRENCY, async (fileId) => {
    if (notDeprecated.has(fileId)) return;
    const file = byId.get(fileId) as FileRecord;
    if (!request.dryRun) {
      await deleteObjectOf(deps, file);
      // Already marked by a concurrent run: the object is gone either way, count it once.
      if (!(await deps.lifecycle.markDeleted(file, at))) return;
    }
    result.totals.deleted++;
    result.totals.bytesDeleted += file.size;
    list(result.deleted, { fileId, key: file.key, size: file.size });
  });
  deps.logger.info(request.dryRun ? 'cleanup planned' : 'cleanup applied', {
    tenant,
    ...policy,
    ...result.totals,
  });
  return result;
}

/**
 * A delete marker on the file's key, unless a newer object holds it (that one is another file, and ours
 * is then already a noncurrent version). The old version stays until the noncurrent-version rule.
 */
async function deleteObjectOf(deps: MoveDeps, file: FileRecord): Promise<void> {
  let current: ObjectInfo;
  try {
    current = await deps.store.stat({ bucket: file.bucket, key: file.key });
  } catch (error) {
    if (isStrataError(error) && error.name === 'ObjectMissingError') return;
    throw error;
  }
  const version = versionAtKey(file);
  if (version !== undefined && current.versionId !== version) return;
  await deps.store.delete(file.key);
}

export interface ScheduleRequest {
  /** Only these tenants (an operator's run); the daily schedule runs every tenant with a policy. */
  tenants?: string[] | undefined;
}

export interface ScheduleResult {
  moves: ReconcileResult;
  tenants: Array<
    | {
        tenant: string;
        settled: number;
        deprecated: number;
        deleted: number;
        skipped: number;
        /** Table data files vacuumed, their bytes, and datasets whose vacuum failed. */
        vacuumed: { files: number; bytes: number; failed: number };
      }
    | { tenant: string; error: string }
  >;
}

/**
 * The scheduled run: finish every interrupted move first (so no file is caught between prefixes), then,
 * for each tenant with a policy, archive what its use calls for, apply the retention policy, and vacuum
 * its datasets' tables. One tenant's failure is reported and does not stop the others.
 */
export async function runLifecycleSchedule(
  deps: MoveDeps & VacuumDeps,
  request: ScheduleRequest = {},
): Promise<ScheduleResult> {
  const only = request.tenants === undefined ? undefined : new Set(request.tenants);
  const moves: ReconcileResult = { repaired: 0, busy: 0, failed: [] };
  for (const tenant of only ?? [undefined]) {
    const done = await reconcileMoves(deps, tenant);
    moves.repaired += done.repaired;
    moves.busy += done.busy;
    moves.failed.push(...done.failed);
  }
  const result: ScheduleResult = { moves, tenants: [] };
  for await (const stored of deps.lifecycle.listRetentionPolicies()) {
    if (only && !only.has(stored.tenant)) continue;
    try {
      const settled = await settleByUse(deps, stored.tenant, stored.policy);
      const cleaned = await cleanup(deps, stored.tenant, { dryRun: false });
      const vacuumed = await vacuumTenant(deps, stored.tenant);
      result.tenants.push({
        tenant: stored.tenant,
        settled,
        deprecated: cleaned.totals.deprecated,
        deleted: cleaned.totals.deleted,
        skipped: cleaned.totals.skipped,
        vacuumed: { files: vacuumed.files, bytes: vacuumed.bytes, failed: vacuumed.failed.length },
      });
    } catch (error) {
      deps.logger.error('retention policy could not be applied', { tenant: stored.tenant, error });
      result.tenants.push({ tenant: stored.tenant, error: error instanceof Error ? error.name : 'Error' });
    }
  }
  return result;
}

/**
 * Files whose status lags their use: a FRESH file counted by a consumption that stopped before its move,
 * and USED files past the threshold (which a policy change may lower). Returns how many moved.
 */
async function settleByUse(deps: MoveDeps, tenant: string, policy: RetentionPolicy): Promise<number> {
  const lagging: FileRecord[] = [];
  for await (const file of deps.lifecycle.filesInStatus(tenant, 'FRESH', { minUsage: 1 })) lagging.push(file);
  const minUsage = policy.archiveAfterUses + 1;
  for await (const file of deps.lifecycle.filesInStatus(tenant, 'USED', { minUsage })) lagging.push(file);
  const cause = {
    reason: `lifecycle schedule: status follows use (archive after ${policy.archiveAfterUses})`,
  };
  const settled = await mapLimit(lagging, CONCURRENCY, async (file) => {
    if (nextStatusForUse(file, policy.archiveAfterUses) === undefined) return false;
    const after = await settleFile(deps, file, policy.archiveAfterUses, cause);
    return after?.status !== file.status;
  });
  return settled.filter(Boolean).length;
}
