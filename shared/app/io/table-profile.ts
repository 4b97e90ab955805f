/**
 * The profile of a dataset's whole table at each Delta version strata commits, kept beside the table
 * (`_strata/profiles/v<N>.json`). An append (with or without dedup keys) merges the previous version's
 * profile with the profile of the rows it added — the file's own profile when the data file is the file
 * as staged, else a profile of the data files it wrote — so its cost does not grow with the table.
 * What removes rows (overwrite, upsert) cannot be subtracted from sketches: the table is profiled anew
 * at that version. So is an append on top of a version strata has no profile of (another writer's commit).
 */
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { dataFilePaths } from '../../domain/delta/table.js';
import { datasetTableRoot, tableProfileKey } from '../../domain/object-key.js';
import { createProfiler, type DatasetProfile, mergeProfiles } from '../../domain/profile/index.js';
import type { TableSchema } from '../../domain/table.js';
import { InternalError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';
import { snapshotDataFiles } from './table-files.js';
import { dataFileBatches } from './table-sample.js';
import type { TableWritten } from './table-writes.js';

export interface TableProfileInput {
  tenant: string;
  dataset: string;
  /** The table right after the commit. */
  snapshot: Snapshot;
  schema: TableSchema;
  /** What the commit did. */
  mode: 'append' | 'overwrite' | 'upsert';
  filesRemoved: number;
  /** The data files the commit added, relative to the table root (decoded). */
  added: string[];
  /** The file's profile (the profile stage's), when the added data files are the file as staged. */
  fileProfileKey?: string | undefined;
}

/** How the profile was made: merged from sketches, or read from every data file of the version. */
export type TableProfileSource = 'merged' | 'file' | 'recomputed' | 'existing';

/**
 * Writes the table's profile at `input.snapshot.version` unless it is there already (a retried stage),
 * and answers its key.
 */
export async function profileTableVersion(
  store: ObjectStore,
  input: TableProfileInput,
): Promise<{ key: string; source: TableProfileSource }> {
  const { tenant, dataset, snapshot } = input;
  const key = tableProfileKey(tenant, dataset, snapshot.version);
  if (await store.exists(key)) return { key, source: 'existing' };
  const { profile, source } = await tableProfile(store, input);
  await store.putJson(key, profile);
  return { key, source };
}

async function tableProfile(
  store: ObjectStore,
  input: TableProfileInput,
): Promise<{ profile: DatasetProfile; source: TableProfileSource }> {
  const { tenant, dataset, snapshot, schema } = input;
  const root = datasetTableRoot(tenant, dataset);
  if (input.mode === 'append' && input.filesRemoved === 0) {
    const added = await addedProfile(store, input);
    if (snapshot.version === 0) return { profile: added, source: 'file' };
    const previous = (await store.getJson(tableProfileKey(tenant, dataset, snapshot.version - 1))) as
      | DatasetProfile
      | undefined;
    if (previous) return { profile: mergeProfiles(previous, added), source: 'merged' };
  }
  const files = snapshotDataFiles(snapshot, store.bucket, root);
  return { profile: await profileFiles(store, schema, files), source: 'recomputed' };
}

/** The profile of the rows the commit added. */
async function addedProfile(store: ObjectStore, input: TableProfileInput): Promise<DatasetProfile> {
  if (input.fileProfileKey !== undefined) {
    const profile = (await store.getJson(input.fileProfileKey)) as DatasetProfile | undefined;
    if (!profile) throw new InternalError(`profile ${input.fileProfileKey} is missing`);
    return profile;
  }
  const root = datasetTableRoot(input.tenant, input.dataset);
  return profileFiles(
    store,
    input.schema,
    input.added.map((path) => ({ key: `${root}${path}` })),
  );
}

/** One streaming pass over the data files, in the table's columns (null where a file lacks one). */
async function profileFiles(
  store: ObjectStore,
  schema: TableSchema,
  files: Array<{ key: string }>,
): Promise<DatasetProfile> {
  const profiler = createProfiler(schema);
  for (const file of files) {
    for await (const batch of dataFileBatches(store, schema, file)) profiler.add(batch);
  }
  return profiler.result();
}

/**
 * The table's profile after a file's commit (`written`), merged from the file's own profile when the
 * commit added the file as staged (its data file, unchanged), else as `profileTableVersion` decides.
 */
export function profileWrittenFile(
  store: ObjectStore,
  written: TableWritten,
  file: { tenant: string; dataset: string; fileId: string; profileKey: string },
): Promise<{ key: string; source: TableProfileSource }> {
  const { placement } = written;
  // As staged: the commit added exactly the copies of the staged file (of each of its chunks), whose rows
  // are the rows the file's profile describes.
  const copies = dataFilePaths(file.fileId, placement.chunkCount ?? 1);
  const added = new Set(written.added);
  const asStaged = added.size === copies.length && copies.every((path) => added.has(path));
  return profileTableVersion(store, {
    tenant: file.tenant,
    dataset: file.dataset,
    snapshot: written.snapshot,
    schema: written.schema,
    mode: placement.mode,
    filesRemoved: placement.filesRemoved,
    added: written.added,
    ...(asStaged && { fileProfileKey: file.profileKey }),
  });
}
