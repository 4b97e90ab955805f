/**
 * Publishing an accepted file: its commit to the dataset's Delta table by the dataset's write mode and
 * schema policy, the table's profile at the new version, and the table's entry in the catalog. What the
 * version stage does for a file within the gates, and a promotion for a held one; each step is safe to
 * repeat (the file's txn, the profile's key, the catalog's idempotent registration).
 */
import { type DatasetConfig, schemaPolicyOf, writeSettingsOf } from '../../domain/dataset.js';
import type { Snapshot } from '../../domain/delta/snapshot.js';
import type { VersionTable } from '../../domain/version.js';
import { profileWrittenFile } from '../io/table-profile.js';
import { type TableWriteDeps, writeFileToTable } from '../io/table-writes.js';
import { type CatalogDeps, registerDatasetTable } from './catalog.js';

export interface PublishedFile {
  tenant: string;
  dataset: string;
  fileId: string;
  /**
   * The file's canonical Parquet: the staged copy, or a held file's data file under `_staged/`; a file
   * staged in chunks has one key per chunk, in row order, all committed together.
   */
  sourceKeys: string[];
  /** The dataset's config as it is now (write mode, key columns, schema policy). */
  config: DatasetConfig;
  /** The file's own profile (the profile stage's), merged into the table's on an append. */
  profileKey: string;
  /** The table as the caller just read it (undefined inside: no table yet), so it is not read again. */
  table?: { snapshot: Snapshot | undefined };
}

/** Commits, profiles and catalogs the file; answers where its version is in the table (to record). */
export async function publishFile(
  deps: TableWriteDeps & CatalogDeps,
  file: PublishedFile,
): Promise<VersionTable & { version: number }> {
  const { tenant, dataset, fileId } = file;
  const written = await writeFileToTable(deps, {
    tenant,
    dataset,
    fileId,
    sourceKeys: file.sourceKeys,
    settings: writeSettingsOf(file.config),
    schemaPolicy: schemaPolicyOf(file.config),
    ...(file.table && { table: file.table }),
  });
  const profile = await profileWrittenFile(deps.store, written, {
    tenant,
    dataset,
    fileId,
    profileKey: file.profileKey,
  });
  // With the table's schema after the commit, not the file's: columns the file lacks stay listed.
  await registerDatasetTable(deps, tenant, dataset, written.schema);
  return { ...written.placement, profileKey: profile.key };
}
