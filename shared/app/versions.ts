/**
 * A dataset's versions as people work with them: list (all, or by tag), get, the latest (current) one, a
 * presigned download, tags and a description, what changed between two versions, a version's drift and
 * quality reports, and a person's promotion of a held version. The pipeline's version stage writes them
 * (pipeline/version.ts).
 */
import type { DriftReport } from '../domain/drift/report.js';
import { datasetTableRoot, datasetTableUri } from '../domain/object-key.js';
import type { DatasetProfile } from '../domain/profile/index.js';
import type { QualityReport } from '../domain/quality/types.js';
import { diffVersions } from '../domain/version-diff.js';
import { nextTags, type TagChange } from '../domain/version-tags.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Clock, DatasetStore, DatasetTables, Logger, ObjectStore, VersionStore } from '../ports.js';
import { type ReportMeta, renderDriftHtml, renderQualityHtml } from '../reports/html.js';
import { checkDatasetName, getDataset } from './datasets/records.js';
import { downloadTableVersion } from './io/table-download.js';
import { describeDataFile, fileDataFiles, snapshotDataFiles, versionTableFiles } from './io/table-files.js';
import { checkReadable } from './io/table-vacuum.js';
import type { CatalogDeps } from './pipeline/catalog.js';
import { publishFile } from './pipeline/publish.js';

export interface VersionDeps {
  datasets: DatasetStore;
  versions: VersionStore;
  store: ObjectStore;
  /** The datasets' Delta tables: promotion commits a held version's data file, the files route reads them. */
  tables: DatasetTables;
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
  const [profile, validation, tableProfile] = await Promise.all([
    deps.store.getJson(record.profileKey),
    deps.store.getJson(record.validationReportKey),
    record.table?.profileKey === undefined ? undefined : deps.store.getJson(record.table.profileKey),
  ]);
  // `profile` is the file's (what the gates judged); `tableProfile` the whole table's at this version.
  return { ...record, profile, validation, ...(tableProfile !== undefined && { tableProfile }) };
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
 * `GET …/versions/{v}/data`: the version as Parquet or CSV from its dataset's Delta table at the version
 * (a held version: its staged file). A single-file version is one presigned URL; a multi-file version's
 * Parquet is its files, presigned, and its CSV is made one data file per poll of this route until ready
 * (why, and the bounds, in app/io/table-download.ts). URLs are short-lived: they bypass the API key.
 */
export async function versionDownloadUrl(
  deps: Pick<VersionDeps, 'versions' | 'store' | 'tables' | 'clock'>,
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
  const at = await versionTableFiles(deps, record);
  const download = await downloadTableVersion(deps, at, {
    tenant,
    dataset,
    format,
    name: `${dataset}-v${version}`,
    filesRoute: `/datasets/${dataset}/versions/${version}/files`,
    expiresInSeconds,
  });
  return { dataset, version, ...download };
}

/** A data file of a version as `GET …/versions/{v}/files` lists it. */
export interface VersionDataFile {
  /** Relative to the table root, as the table's log names it. */
  path: string;
  /** Presigned GET URL of the file. */
  url: string;
  size: number;
  /** Rows in the file, from its statistics (null when the writer recorded none). */
  rows: number | null;
  /** Per-column min, max and null count, as the add action carries them (null when it has none). */
  stats: {
    minValues: Record<string, number | boolean | string>;
    maxValues: Record<string, number | boolean | string>;
    nullCount: Record<string, number>;
  } | null;
  /** The file of a held version: under the table root, in no commit until the version is promoted. */
  staged: boolean;
}

export interface VersionFiles {
  dataset: string;
  version: number;
  /** `s3://<bucket>/tables/<tenant>/<dataset>/`. */
  table_uri: string;
  /** The Delta version of the table that this version is; null while the version is held (staged). */
  delta_version: number | null;
  staged: boolean;
  expiresInSeconds: number;
  /** Data files of the table at that Delta version (1 for a staged version: its own). */
  filesTotal: number;
  files: VersionDataFile[];
  nextCursor?: string | undefined;
}

/**
 * `GET …/versions/{v}/files`: the data files of the dataset's Delta table at the version's Delta version,
 * each with a presigned URL (short-lived: they bypass the API key), its rows and statistics, plus the
 * table's URI and that Delta version, so an engine (Spark, Athena, Polars, pandas) can read the table
 * itself, or a client the files. A held version is in no table version yet: its staged data files alone,
 * flagged `staged`. Paged by `limit` + `cursor` over the files in path order.
 */
export async function versionFiles(
  deps: Pick<VersionDeps, 'versions' | 'store' | 'tables'>,
  tenant: string,
  dataset: string,
  version: number,
  page: { limit: number; cursor?: string | undefined },
  expiresInSeconds = 900,
): Promise<VersionFiles> {
  checkDatasetName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || record.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  }
  if (!record.table) {
    throw new NotFoundError(
      `version ${version} of dataset "${dataset}" was made before datasets became tables: its snapshot is at …/versions/${version}/data`,
    );
  }
  const root = datasetTableRoot(tenant, dataset);
  const { bucket } = deps.store;
  const answer = { dataset, version, table_uri: datasetTableUri(bucket, tenant, dataset), expiresInSeconds };
  const sign = (key: string) => deps.store.presignGet(key, expiresInSeconds);
  const deltaVersion = record.table.version;
  if (deltaVersion === undefined) {
    // A held version's data files wait under _staged/ (older held versions: at the table root), one per
    // chunk of a file staged in chunks, paged like a table version's.
    const paths = fileDataFiles(record.sourceFileId, record.table);
    const start = page.cursor === undefined ? 0 : decodeOffset(page.cursor, paths.length);
    const slice = paths.slice(start, start + page.limit);
    const staged = await Promise.all(
      slice.map(async (path): Promise<VersionDataFile> => {
        const { file } = await describeDataFile(deps.store, `${root}${path}`, path);
        const { numRecords, ...stats } = file.stats;
        return {
          path,
          url: await sign(`${root}${path}`),
          size: file.size,
          rows: numRecords,
          stats,
          staged: true,
        };
      }),
    );
    const next = start + slice.length;
    return {
      ...answer,
      delta_version: null,
      staged: true,
      filesTotal: paths.length,
      files: staged,
      ...(next < paths.length && { nextCursor: Buffer.from(String(next)).toString('base64url') }),
    };
  }
  // Its data files may have been vacuumed: 410, found beside the load.
  const [snapshot] = await Promise.all([
    deps.tables.open(root).snapshot(deltaVersion),
    checkReadable(deps.store, { tenant, dataset, deltaVersion, version }),
  ]);
  if (!snapshot) throw new NotFoundError(`the table of dataset "${dataset}" is missing`);
  const all = snapshotDataFiles(snapshot, bucket, root);
  const start = page.cursor === undefined ? 0 : decodeOffset(page.cursor, all.length);
  const slice = all.slice(start, start + page.limit);
  const files = await Promise.all(
    slice.map(async (f): Promise<VersionDataFile> => {
      const { numRecords, ...stats } = f.stats ?? {};
      return {
        path: f.path,
        url: await sign(f.key),
        size: f.size,
        rows: numRecords ?? null,
        stats: f.stats ? (stats as NonNullable<VersionDataFile['stats']>) : null,
        staged: false,
      };
    }),
  );
  const next = start + slice.length;
  return {
    ...answer,
    delta_version: deltaVersion,
    staged: false,
    filesTotal: all.length,
    files,
    ...(next < all.length && { nextCursor: Buffer.from(String(next)).toString('base64url') }),
  };
}

function decodeOffset(cursor: string, total: number): number {
  const offset = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > total) {
    throw new InvalidInputError('cursor is not one this listing returned');
  }
  return offset;
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
 * version a gate held: its staged data file is committed to the dataset's table first, by the dataset's
 * write mode (on top of the latest table version; the file's txn makes a second promotion, or one racing it, find that commit
 * instead of making another), so a current version is always one the table holds. Promoting a READY one
 * (a rollback to it) commits nothing: its file is in the table already.
 */
export async function promoteVersion(
  deps: Pick<VersionDeps, 'datasets' | 'versions' | 'store' | 'tables' | 'clock' | 'logger'> & CatalogDeps,
  tenant: string,
  dataset: string,
  version: number,
  reason: string,
) {
  checkDatasetName(dataset);
  const held = await deps.versions.getVersion(tenant, dataset, version);
  if (!held || held.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found or not complete`);
  }
  // Versions made before datasets were tables have no data file to commit.
  let table = held.table;
  if (table && table.version === undefined) {
    // The dataset's settings as they are now: the file joins the table as it is now.
    const config = (await deps.datasets.getDataset(tenant, dataset))?.config ?? {};
    table = await publishFile(deps, {
      tenant,
      dataset,
      fileId: held.sourceFileId,
      // Every data file the version stage staged for it (one per chunk of a chunked file), in one commit.
      sourceKeys: fileDataFiles(held.sourceFileId, table).map(
        (path) => `${datasetTableRoot(tenant, dataset)}${path}`,
      ),
      config,
      profileKey: held.profileKey,
    });
    await deps.versions.recordTable(tenant, dataset, version, table);
  }
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
    tableVersion: table?.version,
  });
  return {
    dataset,
    version,
    status: record.status,
    currentVersion: version,
    promotion: record.promotion,
    hold: record.hold,
    ...(table && { table }),
  };
}
