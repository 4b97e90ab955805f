/** Read and configure datasets, their versions and files: the use cases behind the dataset routes. */
import type { DatasetConfig } from '../domain/dataset.js';
import type { FileStatus } from '../domain/file-record.js';
import { isValidName } from '../domain/object-key.js';
import type { ValidationSuite } from '../domain/validation/index.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { toCsv } from '../formats/csv-export.js';
import { openParquet } from '../formats/parquet.js';
import type { DatasetStore, MetadataStore, ObjectStore, VersionStore } from '../ports.js';

export interface DatasetReadDeps {
  datasets: DatasetStore;
  versions: VersionStore;
  metadata: MetadataStore;
  store: ObjectStore;
}

function checkName(dataset: string): void {
  if (!isValidName(dataset)) throw new InvalidInputError(`invalid dataset name "${dataset}"`);
}

export async function getDataset(deps: Pick<DatasetReadDeps, 'datasets'>, tenant: string, dataset: string) {
  checkName(dataset);
  const record = await deps.datasets.getDataset(tenant, dataset);
  // Datasets exist once a file arrived or a setting was made; anything else is unknown to this tenant.
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  return record;
}

export async function listVersions(
  deps: Pick<DatasetReadDeps, 'datasets' | 'versions'>,
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
  deps: Pick<DatasetReadDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
) {
  checkName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record) throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  const [profile, validation] = await Promise.all([
    deps.store.getJson(record.profileKey),
    deps.store.getJson(record.validationReportKey),
  ]);
  return { ...record, profile, validation };
}

export async function getFile(deps: Pick<DatasetReadDeps, 'metadata'>, tenant: string, fileId: string) {
  const record = await deps.metadata.getFile(tenant, fileId);
  if (!record) throw new NotFoundError(`file "${fileId}" not found`);
  return record;
}

export async function setDatasetConfig(
  deps: Pick<DatasetReadDeps, 'datasets'>,
  tenant: string,
  dataset: string,
  config: DatasetConfig,
) {
  checkName(dataset);
  await deps.datasets.putDatasetConfig(tenant, dataset, config);
  return { dataset, config };
}

/**
 * Presigned download of a version's snapshot; URLs are short-lived because they bypass the API key.
 * CSV is made from the Parquet snapshot on first request and kept beside it (a version never changes).
 */
export async function versionDownloadUrl(
  deps: Pick<DatasetReadDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
  format: 'parquet' | 'csv',
  expiresInSeconds = 900,
) {
  checkName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || record.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  }
  let key = record.snapshotKey;
  if (format === 'csv') {
    key = record.snapshotKey.replace(/\.parquet$/, '.csv');
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

/** Replaces the dataset's validation suite; it applies to files that arrive from now on. */
export async function setValidationSuite(
  deps: Pick<DatasetReadDeps, 'datasets'>,
  tenant: string,
  dataset: string,
  suite: ValidationSuite,
) {
  checkName(dataset);
  await deps.datasets.putValidationSuite(tenant, dataset, suite, 'api', false);
  return { dataset, suite };
}

export async function listFiles(
  deps: Pick<DatasetReadDeps, 'metadata'>,
  tenant: string,
  query: { status?: FileStatus; type?: string; dataset?: string; limit: number; cursor?: string },
) {
  if (query.dataset !== undefined) checkName(query.dataset);
  const page = await deps.metadata.listFiles(tenant, {
    status: query.status,
    dataset: query.dataset,
    dataType: query.type,
    limit: query.limit,
    cursor: query.cursor,
  });
  return { files: page.items, nextCursor: page.cursor };
}
