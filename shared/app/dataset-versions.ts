/**
 * A dataset's versions as people work with them: tags and a description on a version, the latest
 * (current) version, and what changed between two versions.
 */

import { isValidName } from '../domain/object-key.js';
import type { DatasetProfile } from '../domain/profile/index.js';
import { diffVersions } from '../domain/version-diff.js';
import { nextTags, type TagChange } from '../domain/version-tags.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { type DatasetReadDeps, getDataset, getVersion } from './datasets.js';

export interface VersionMetadataChange extends TagChange {
  /** Replaces the description; an empty string removes it. */
  description?: string | undefined;
}

/**
 * `PATCH …/versions/{v}`: tags (replaced, or added and removed) and description. The data, schema and
 * reports of the version never change; a version still being written is not found.
 */
export async function updateVersionMetadata(
  deps: Pick<DatasetReadDeps, 'versions'>,
  tenant: string,
  dataset: string,
  version: number,
  change: VersionMetadataChange,
) {
  checkName(dataset);
  // A malformed change fails before anything is read; the tag count is checked again on the stored tags.
  nextTags([], change);
  return deps.versions.updateVersionMetadata(tenant, dataset, version, (current) => ({
    tags: nextTags(current.tags ?? [], change),
    ...(change.description !== undefined && {
      description: change.description === '' ? null : change.description,
    }),
  }));
}

/** The dataset's current version number; NotFoundError when it has none yet. */
export async function currentVersionOf(
  deps: Pick<DatasetReadDeps, 'datasets'>,
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
  deps: Pick<DatasetReadDeps, 'datasets' | 'versions' | 'store'>,
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
  deps: Pick<DatasetReadDeps, 'datasets' | 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  from: VersionRef,
  to: VersionRef,
) {
  checkName(dataset);
  const current =
    from === 'latest' || to === 'latest' ? await currentVersionOf(deps, tenant, dataset) : undefined;
  const resolve = (ref: VersionRef) => (ref === 'latest' ? (current as number) : ref);
  const [a, b] = await Promise.all([
    side(deps, tenant, dataset, resolve(from)),
    side(deps, tenant, dataset, resolve(to)),
  ]);
  return diffVersions(a, b);
}

function checkName(dataset: string): void {
  if (!isValidName(dataset)) throw new InvalidInputError(`invalid dataset name "${dataset}"`);
}

async function side(
  deps: Pick<DatasetReadDeps, 'datasets' | 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
) {
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record) throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  const profile = (await deps.store.getJson(record.profileKey)) as DatasetProfile | undefined;
  return { record, profile: profile ?? undefined };
}
