/**
 * Vacuum of datasets' Delta tables: the data files that commits removed (an overwrite, an upsert's
 * rewritten files) stay in storage for time travel until the tenant's table retention has passed since
 * their removal; then vacuum deletes them. Lives with the lifecycle because it is the retention policy
 * applied to tables: the same per-tenant policy (`tableRetentionDays`), the same daily scheduler, and the
 * function that already deletes under a retention rule.
 *
 * Before deleting anything it records the oldest Delta version still readable (`_strata/vacuum.json`
 * beside the table), so readers of an older version answer 410 rather than fail on a missing file. What
 * it deletes is planned by domain/delta/vacuum.ts: tombstones of the latest snapshot only.
 */
import { DAY_MS, parseVacuumRecord, planVacuum, type VacuumRecord } from '../../domain/delta/vacuum.js';
import { DEFAULT_TABLE_RETENTION_DAYS } from '../../domain/lifecycle.js';
import { datasetTableRoot, datasetTableVacuumKey } from '../../domain/object-key.js';
import { isStrataError, NotFoundError } from '../../errors.js';
import type {
  Clock,
  DatasetStore,
  DatasetTables,
  LifecycleStore,
  Logger,
  MetadataStore,
  ObjectStore,
} from '../../ports.js';
import { checkDatasetName } from '../datasets/records.js';
import { mapLimit } from './moves.js';

export interface VacuumDeps {
  lifecycle: Pick<LifecycleStore, 'getRetentionPolicy'>;
  datasets: Pick<DatasetStore, 'getDataset'>;
  metadata: Pick<MetadataStore, 'listDatasets'>;
  store: ObjectStore;
  tables: DatasetTables;
  clock: Clock;
  logger: Logger;
}

/** Files listed in an answer stop here; the totals count everything. */
const LIST_LIMIT = 1000;
const CONCURRENCY = 8;

export interface VacuumResult {
  dataset: string;
  dryRun: boolean;
  /** The table version whose tombstones were read (null: the dataset has no table yet). */
  deltaVersion: number | null;
  retentionDays: number;
  /** Files removed before this instant are deleted. */
  removedBefore: string;
  /** Deleted (or, in a dry run, would be), in key order. */
  files: Array<{ path: string; size: number; removedInVersion: number }>;
  totals: {
    /** Files deleted (would be). */
    files: number;
    bytes: number;
    /** Removed files still within the retention: kept for time travel. */
    retained: number;
    /** Due, but already gone (an earlier vacuum): nothing to do. */
    alreadyGone: number;
  };
  /** Versions of the table older than this cannot be read once this vacuum is done (null: all can). */
  oldestReadableVersion: number | null;
  truncated: boolean;
}

/** The tenant's table retention: the stored policy's, else Delta's default week. */
async function retentionDaysOf(deps: Pick<VacuumDeps, 'lifecycle'>, tenant: string): Promise<number> {
  const stored = await deps.lifecycle.getRetentionPolicy(tenant);
  return stored?.policy.tableRetentionDays ?? DEFAULT_TABLE_RETENTION_DAYS;
}

/**
 * `POST /datasets/{name}/vacuum` and the scheduler's per-dataset step: deletes the data files of the
 * dataset's table whose removal is older than the retention (a dry run only answers which). Repeating it
 * deletes nothing more.
 */
export async function vacuumDataset(
  deps: VacuumDeps,
  tenant: string,
  dataset: string,
  request: { dryRun: boolean; retentionDays?: number | undefined },
): Promise<VacuumResult> {
  checkDatasetName(dataset);
  if (!(await deps.datasets.getDataset(tenant, dataset))) {
    throw new NotFoundError(`dataset "${dataset}" not found`);
  }
  const retentionDays = request.retentionDays ?? (await retentionDaysOf(deps, tenant));
  const nowMs = deps.clock.now().getTime();
  const retentionMs = retentionDays * DAY_MS;
  const result: VacuumResult = {
    dataset,
    dryRun: request.dryRun,
    deltaVersion: null,
    retentionDays,
    removedBefore: new Date(nowMs - retentionMs).toISOString(),
    files: [],
    totals: { files: 0, bytes: 0, retained: 0, alreadyGone: 0 },
    oldestReadableVersion: null,
    truncated: false,
  };
  const root = datasetTableRoot(tenant, dataset);
  const snapshot = await deps.tables.open(root).snapshot();
  const recorded = await readRecord(deps.store, tenant, dataset);
  result.oldestReadableVersion = recorded?.oldestReadableVersion ?? null;
  if (!snapshot) return result;
  result.deltaVersion = snapshot.version;
  const plan = planVacuum(snapshot, { bucket: deps.store.bucket, tableRoot: root, nowMs, retentionMs });
  result.totals.retained = plan.retained;

  // What is still there, and its size (the remove action's size is optional in the protocol).
  const present = (
    await mapLimit(plan.candidates, CONCURRENCY, async (candidate) => {
      try {
        const info = await deps.store.stat({ bucket: deps.store.bucket, key: candidate.key });
        return { ...candidate, size: info.size };
      } catch (error) {
        if (isStrataError(error) && error.name === 'ObjectMissingError') return undefined;
        throw error;
      }
    })
  ).filter((c) => c !== undefined);
  result.totals.alreadyGone = plan.candidates.length - present.length;

  const oldest = Math.max(recorded?.oldestReadableVersion ?? 0, plan.oldestReadableVersion ?? 0);
  if (plan.oldestReadableVersion !== undefined) result.oldestReadableVersion = oldest;
  if (
    !request.dryRun &&
    plan.oldestReadableVersion !== undefined &&
    oldest > (recorded?.oldestReadableVersion ?? -1)
  ) {
    // First the record, then the deletes: a reader never meets a missing file without the 410 that explains it.
    await writeRecord(deps.store, tenant, dataset, {
      oldestReadableVersion: oldest,
      vacuumedAt: new Date(nowMs).toISOString(),
      retentionDays,
    });
  }
  await mapLimit(present, CONCURRENCY, async (candidate) => {
    if (!request.dryRun) await deps.store.delete(candidate.key);
  });
  for (const candidate of present) {
    result.totals.files++;
    result.totals.bytes += candidate.size;
    if (result.files.length < LIST_LIMIT) {
      result.files.push({
        path: candidate.path,
        size: candidate.size,
        removedInVersion: candidate.removedIn,
      });
    } else {
      result.truncated = true;
    }
  }
  deps.logger.info(request.dryRun ? 'vacuum planned' : 'vacuum applied', {
    tenant,
    dataset,
    deltaVersion: snapshot.version,
    retentionDays,
    oldestReadableVersion: result.oldestReadableVersion,
    ...result.totals,
  });
  return result;
}

async function readRecord(store: ObjectStore, tenant: string, dataset: string) {
  return parseVacuumRecord(await store.getJson(datasetTableVacuumKey(tenant, dataset)));
}

/**
 * Writes the record, never moving it back: two vacuums of one table at once (the schedule and a person)
 * each write what they planned, so the writer reads the record again and restores the higher version if
 * the other one overwrote it with a lower one in between.
 */
async function writeRecord(store: ObjectStore, tenant: string, dataset: string, record: VacuumRecord) {
  const key = datasetTableVacuumKey(tenant, dataset);
  for (let attempt = 0; attempt < 3; attempt++) {
    await store.putJson(key, record);
    const stored = parseVacuumRecord(await store.getJson(key));
    if (stored && stored.oldestReadableVersion >= record.oldestReadableVersion) return;
  }
}

export interface TenantVacuumResult {
  datasets: number;
  files: number;
  bytes: number;
  failed: Array<{ dataset: string; error: string }>;
}

/**
 * Vacuums every dataset of the tenant with its table retention (the daily schedule). One dataset's
 * failure is reported and does not stop the others.
 */
export async function vacuumTenant(deps: VacuumDeps, tenant: string): Promise<TenantVacuumResult> {
  const retentionDays = await retentionDaysOf(deps, tenant);
  const result: TenantVacuumResult = { datasets: 0, files: 0, bytes: 0, failed: [] };
  let cursor: string | undefined;
  do {
    const page = await deps.metadata.listDatasets(tenant, { limit: 100, ...(cursor && { cursor }) });
    for (const summary of page.items) {
      try {
        const done = await vacuumDataset(deps, tenant, summary.dataset, { dryRun: false, retentionDays });
        result.datasets++;
        result.files += done.totals.files;
        result.bytes += done.totals.bytes;
      } catch (error) {
        deps.logger.error('vacuum failed', { tenant, dataset: summary.dataset, error });
        result.failed.push({
          dataset: summary.dataset,
          error: error instanceof Error ? error.name : 'Error',
        });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return result;
}
