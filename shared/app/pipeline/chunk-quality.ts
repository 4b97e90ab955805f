/**
 * Quality of a file parsed in chunks, assessed in the chunks. After validation a third Distributed Map
 * runs the chunk function once more per chunk: its staged rows are assessed with a mergeable assessor
 * against the whole file's profile (the merge's, so outlier fences and constant-period lengths are the
 * file's), and the state is stored (chunkQualityKey). The quality stage folds the states in chunk order
 * (`createQualityMerge`) instead of reading every chunk file itself. The fold gives one pass's report when
 * one pass would not buffer the rows (no time column, or more than `maxBufferedRows`, as any file big
 * enough to be chunked with the default `chunkBytes`); a smaller file with a time column is assessed in one
 * pass over its chunk files, which estimates noise (domain/quality/partial.ts), and the merge tells the
 * machine to skip the Map for it (`assess: false`). So is a file whose states are missing or do not add up
 * to the profile's rows (made for another parse of the file).
 */
import type { z } from 'zod';
import { chunkQualityKey, stagedChunkKey } from '../../domain/object-key.js';
import type { DatasetProfile } from '../../domain/profile/index.js';
import {
  createQualityAssessor,
  createQualityMerge,
  DistinctRows,
  decodeQualityPartial,
  encodeQualityPartial,
  MAX_ROWS_PER_SET,
  mergesAsOnePass,
  type QualityOptions,
  type QualityPartial,
  type QualityReport,
  rowPartitions,
} from '../../domain/quality/index.js';
import type { TableSchema } from '../../domain/table.js';
import { InternalError, InvalidInputError, isStrataError } from '../../errors.js';
import type { chunkStateSchema } from '../../schemas/ingestion.js';
import { type FileState, openStaged, readBlob, type StageDeps, writeBlob } from './artifacts.js';

type FileRef = Pick<FileState, 'tenant' | 'dataset' | 'fileId'>;

/** The file's profile (written by the merge before the quality Map runs). */
export async function readProfile(deps: Pick<StageDeps, 'store'>, key: string): Promise<DatasetProfile> {
  const profile = (await deps.store.getJson(key)) as DatasetProfile | undefined;
  if (!profile) throw new InternalError(`profile ${key} is missing`);
  return profile;
}

/**
 * The options a chunk's rows are assessed with: the dataset's time column when the file has it (one it
 * lacks is the quality stage's error to report, by its name, not a chunk's).
 */
function chunkOptions(schema: TableSchema, timeColumn: string | undefined): QualityOptions {
  return timeColumn !== undefined && schema.columns.some((c) => c.name === timeColumn) ? { timeColumn } : {};
}

/**
 * Whether a chunked file's quality is assessed in its chunks (the Assess Map runs, and the quality stage
 * folds their states): exactly when the fold gives one pass's report (mergesAsOnePass). Options the
 * quality stage refuses answer no: that stage then reports them, by name, in its one pass.
 */
export function assessesInChunks(
  schema: TableSchema,
  profile: DatasetProfile,
  timeColumn: string | undefined,
): boolean {
  try {
    return mergesAsOnePass(schema, profile, chunkOptions(schema, timeColumn));
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
}

/** The quality Map's item: one chunk's staged rows assessed against the file's profile, the state stored. */
export async function assessChunk(
  deps: StageDeps,
  state: z.infer<typeof chunkStateSchema> & { assess: { profileKey: string } },
): Promise<{ index: number; rows: number }> {
  const { file, chunk } = state;
  const [dataset, staged, profile] = await Promise.all([
    deps.datasets.getDataset(file.tenant, file.dataset),
    openStaged(deps, [stagedChunkKey(file.tenant, file.dataset, file.fileId, chunk.index)]),
    readProfile(deps, state.assess.profileKey),
  ]);
  const timeColumn = dataset?.driftSettings?.timeColumn;
  const options = chunkOptions(staged.schema, timeColumn);
  // A file the quality stage assesses in one pass anyway needs no states (the Map is skipped for it, but
  // settings may change between the merge and this item).
  if (!assessesInChunks(staged.schema, profile, timeColumn)) return { index: chunk.index, rows: 0 };
  const assessor = createQualityAssessor(staged.schema, profile, { ...options, mergeable: true });
  for await (const batch of staged.readRowGroups({ typed: true })) assessor.add(batch);
  const partial = assessor.partial();
  const bytes = encodeQualityPartial(partial);
  await writeBlob(deps, chunkQualityKey(file.tenant, file.dataset, file.fileId, chunk.index), bytes);
  deps.logger.info('chunk quality assessed', { fileId: file.fileId, chunk: chunk.index, rows: partial.rows });
  return { index: chunk.index, rows: partial.rows };
}

/**
 * The file's report folded from its chunks' states, read one after another (only one is held at a time
 * besides the merged state); undefined when one is missing or unreadable, or they do not add up to the
 * profile's rows: the stage then assesses the chunk files in one pass. A file with more rows than one
 * distinct-row set holds (`rowsPerSet`) has its duplicate rows counted one partition of the row hashes at
 * a time, each a further pass over the states (mergeQuality's passes, over S3): memory stays one set's
 * whatever the file's size, at the cost of reading the states again.
 */
export async function mergeChunkQuality(
  deps: Pick<StageDeps, 'store' | 'logger'>,
  file: FileRef,
  chunkCount: number,
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
  rowsPerSet = MAX_ROWS_PER_SET,
): Promise<QualityReport | undefined> {
  const count = rowPartitions(profile.rowCount, rowsPerSet);
  const merge = createQualityMerge(schema, profile, options, { index: 0, count });
  const fallBack = (reason: string, chunk?: number) => {
    deps.logger.warn('chunk quality states not merged: the file is assessed in one pass', {
      fileId: file.fileId,
      reason,
      ...(chunk !== undefined && { chunk }),
    });
    return undefined;
  };
  /** Each state in chunk order; the reason the fold cannot go on, or undefined. */
  const eachState = async (take: (partial: QualityPartial) => void): Promise<string | undefined> => {
    // The next state is fetched while this one folds in.
    const read = (i: number) => readBlob(deps, chunkQualityKey(file.tenant, file.dataset, file.fileId, i));
    let next = chunkCount > 0 ? read(0) : undefined;
    for (let i = 0; i < chunkCount; i++) {
      const bytes = await next;
      next = i + 1 < chunkCount ? read(i + 1) : undefined;
      if (!bytes) return `chunk ${i}: missing`;
      try {
        take(decodeQualityPartial(bytes));
      } catch (error) {
        if (!isStrataError(error) || error.name !== 'InvalidInputError') throw error;
        return `chunk ${i}: ${error.message}`;
      }
    }
    return undefined;
  };
  const stopped = await eachState((partial) => merge.add(partial));
  if (stopped) return fallBack(stopped);
  let elsewhere = 0;
  for (let index = 1; index < count; index++) {
    const rows = new DistinctRows(profile.rowCount, { index, count });
    const stoppedAt = await eachState((partial) => rows.add(partial.rowHashes));
    if (stoppedAt) return fallBack(stoppedAt);
    elsewhere += rows.size;
  }
  if (count > 1)
    deps.logger.info('duplicate rows counted in partitions', { fileId: file.fileId, partitions: count });
  try {
    return merge.result(elsewhere);
  } catch (error) {
    if (!isStrataError(error) || error.name !== 'InvalidInputError') throw error;
    return fallBack(error.message);
  }
}
