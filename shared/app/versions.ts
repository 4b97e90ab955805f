/**
 * A dataset's versions as people work with them: list (all, or by tag), get, the latest (current) one, a
 * presigned download, tags and a description, what changed between two versions, a version's drift and
 * quality reports, and a person's promotion of a held version. The pipeline's version stage writes them
 * (pipeline/version.ts).
 */
import type { DriftReport } from '../domain/drift/report.js';
import { csvSnapshotKey } from '../domain/object-key.js';
import type { DatasetProfile } from '../domain/profile/index.js';
import type { QualityReport } from '../domain/quality/types.js';
import { diffVersions } from '../domain/version-diff.js';
import { nextTags, type TagChange } from '../domain/version-tags.js';
import { NotFoundError } from '../errors.js';
import { toCsv } from '../formats/csv-export.js';
import { openParquet } from '../formats/parquet.js';
import type { Clock, DatasetStore, Logger, ObjectStore, VersionStore } from '../ports.js';
import { type ReportMeta, renderDriftHtml, renderQualityHtml } from '../reports/html.js';
import { checkDatasetName, getDataset } from './datasets/records.js';

export interface VersionDeps {
  datasets: DatasetStore;
  versions: VersionStore;
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

// ---------------------------------------------------------------------------------------------------------
// Reading and downloading

export async function listVersions(
  deps: Pick<VersionDeps, 'datasets' | 'versions'>,
  tenant: string,
  dataset: string,
  page: { limit: number; cursor?: string; tag?: string | undefined },
) {
  const record = await getDataset(deps, tenant, dataset);
  const { tag, ...rest } = page;
  // With a tag, only its index partition is read (see dynamo-version-store.ts), not every version.
  const result =
    tag === undefined
      ? await deps.versions.listVersions(tenant, dataset, rest)
      : await deps.versions.listVersionsByTag(tenant, dataset, tag, rest);
  return {
    dataset,
    currentVersion: record.currentVersion,
    ...(tag !== undefined && { tag }),
    versions: result.items,
    nextCursor: result.cursor,
  };
}

export async function getVersion(
  deps: Pick<VersionDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
) {
  checkDatasetName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record) throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  const [profile, validation] = await Promise.all([
    deps.store.getJson(record.profileKey),
    deps.store.getJson(record.validationReportKey),
  ]);
  return { ...record, profile, validation };
}

/** The dataset's current version number; NotFoundError when it has none yet. */
export async function currentVersionOf(
  deps: Pick<VersionDeps, 'datasets'>,
  tenant: string,
  dataset: string,
): Promise<number> {
  const record = await getDataset(deps, tenant, dataset);
  if (record.currentVersion === undefined) {
    throw new NotFoundError(`dataset "${dataset}" has no current version yet`);
  }
  return record.currentVersion;
}

/** `GET …/versions/latest`: the current version, as `GET …/versions/{v}` gives it. */
export async function getLatestVersion(
  deps: Pick<VersionDeps, 'datasets' | 'versions' | 'store'>,
  tenant: string,
  dataset: string,
) {
  return getVersion(deps, tenant, dataset, await currentVersionOf(deps, tenant, dataset));
}

export type VersionRef = number | 'latest';

/**
 * `GET …/versions/{v}/diff/{other}`: schema, row count and per-column profile changes from `from` to
 * `to` (either may be `latest`). Reads the two records and their profiles, never the snapshots.
 */
export async function diffDatasetVersions(
  deps: Pick<VersionDeps, 'datasets' | 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  from: VersionRef,
  to: VersionRef,
) {
  checkDatasetName(dataset);
  const current =
    from === 'latest' || to === 'latest' ? await currentVersionOf(deps, tenant, dataset) : undefined;
  const resolve = (ref: VersionRef) => (ref === 'latest' ? (current as number) : ref);
  const [a, b] = await Promise.all([
    side(deps, tenant, dataset, resolve(from)),
    side(deps, tenant, dataset, resolve(to)),
  ]);
  return diffVersions(a, b);
}

async function side(
  deps: Pick<VersionDeps, 'datasets' | 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
) {
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record) throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  const profile = (await deps.store.getJson(record.profileKey)) as DatasetProfile | undefined;
  return { record, profile: profile ?? undefined };
}

/**
 * Presigned download of a version's snapshot; URLs are short-lived because they bypass the API key.
 * CSV is made from the Parquet snapshot on first request and kept beside it (a version never changes).
 */
export async function versionDownloadUrl(
  deps: Pick<VersionDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
  format: 'parquet' | 'csv',
  expiresInSeconds = 900,
) {
  checkDatasetName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || record.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  }
  let key = record.snapshotKey;
  if (format === 'csv') {
    key = csvSnapshotKey(record.snapshotKey);
    if (!(await deps.store.exists(key))) {
      const source = await deps.store.openRange({ bucket: deps.store.bucket, key: record.snapshotKey });
      const snapshot = await openParquet(source);
      await deps.store.write(key, toCsv(snapshot.schema, snapshot.readRowGroups()), {
        contentType: 'text/csv',
      });
    }
  }
  const url = await deps.store.presignGet(key, expiresInSeconds, `${dataset}-v${version}.${format}`);
  return { dataset, version, format, url, expiresInSeconds };
}

// ---------------------------------------------------------------------------------------------------------
// Tags and description

export interface VersionMetadataChange extends TagChange {
  /** Replaces the description; an empty string removes it. */
  description?: string | undefined;
}

/**
 * `PATCH …/versions/{v}`: tags (replaced, or added and removed) and description. The data, schema and
 * reports of the version never change; a version still being written is not found.
 */
export async function updateVersionMetadata(
  deps: Pick<VersionDeps, 'versions'>,
  tenant: string,
  dataset: string,
  version: number,
  change: VersionMetadataChange,
) {
  checkDatasetName(dataset);
  // A malformed change fails before anything is read; the tag count is checked again on the stored tags.
  nextTags([], change);
  return deps.versions.updateVersionMetadata(tenant, dataset, version, (current) => ({
    tags: nextTags(current.tags ?? [], change),
    ...(change.description !== undefined && {
      description: change.description === '' ? null : change.description,
    }),
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Reports and promotion

export type ReportName = 'drift' | 'drift.html' | 'quality' | 'quality.html';

/** A version's drift or quality report: the parsed JSON document, or the HTML text. */
export async function getVersionReport(
  deps: Pick<VersionDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
  report: ReportName,
): Promise<{ kind: 'json'; document: unknown } | { kind: 'html'; html: string }> {
  checkDatasetName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || record.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  }
  const [kind, format] = report.split('.') as ['drift' | 'quality', 'html' | undefined];
  const keys = record[kind];
  if (!keys) {
    throw new NotFoundError(
      `version ${version} of dataset "${dataset}" has no ${kind} report (made before ${kind} checks)`,
    );
  }
  const document = await deps.store.getJson(keys.reportKey);
  if (document === undefined) throw new NotFoundError(`the ${kind} report of version ${version} is missing`);
  if (format === 'html') {
    // Rendered from the JSON with the version record, not read from the HTML the stage stored: that
    // was written before the version stage gave the file its number, and says "not versioned", which
    // was true of the file then and stays so in the stored bytes.
    const meta: ReportMeta = {
      tenant,
      dataset,
      version,
      fileId: record.sourceFileId,
      sourceKey: record.sourceKey,
      // The stage ran moments before the version was committed; the report records no time of its own.
      createdAt: record.createdAt,
    };
    const html =
      kind === 'drift'
        ? renderDriftHtml(document as DriftReport, meta)
        : renderQualityHtml(document as QualityReport, meta);
    return { kind: 'html', html };
  }
  return {
    kind: 'json',
    document: {
      dataset,
      version,
      status: record.status,
      ...(record.hold && { hold: record.hold }),
      ...(record.promotion && { promotion: record.promotion }),
      report: document,
    },
  };
}

/**
 * Makes a version current on a person's say-so, with their reason recorded on the version. Meant for a
 * version a gate held; promoting a READY one (a rollback to it) works the same way.
 */
export async function promoteVersion(
  deps: Pick<VersionDeps, 'versions' | 'clock' | 'logger'>,
  tenant: string,
  dataset: string,
  version: number,
  reason: string,
) {
  checkDatasetName(dataset);
  const record = await deps.versions.promoteVersion(tenant, dataset, version, {
    reason,
    at: deps.clock.now().toISOString(),
  });
  deps.logger.info('version promoted', {
    tenant,
    dataset,
    version,
    reason,
    previousCurrent: record.promotion?.previousCurrent,
    wasHeld: record.hold !== undefined,
  });
  return {
    dataset,
    version,
    status: record.status,
    currentVersion: version,
    promotion: record.promotion,
    hold: record.hold,
  };
}
