import type { z } from 'zod';
import { reportKey } from '../../domain/object-key.js';
import { createProfiler } from '../../domain/profile/index.js';
import { numericRanges } from '../../formats/parquet.js';
import type { afterValidateSchema, ProfileOutput } from '../../schemas/ingestion.js';
import { openStaged, type StageDeps, stagedKeysOf } from './artifacts.js';

/**
 * Stage 4: the per-column profile of the staged data, written to reports/ — or, when the parse made it
 * while writing the staged file, recorded as the file's.
 */
export async function profileStage(
  deps: StageDeps,
  state: z.infer<typeof afterValidateSchema>,
): Promise<ProfileOutput> {
  const { file, parse } = state;
  if (parse.profileKey !== undefined) {
    // The parse profiled the rows as it wrote them (profileAlong): published as it is.
    await deps.datasets.updateFile(file.tenant, file.fileId, {
      stage: 'profile',
      profileKey: parse.profileKey,
    });
    deps.metrics.add('RowsProfiled', 'Count', parse.rowCount);
    deps.logger.info('file profiled', { fileId: file.fileId, rows: parse.rowCount, by: 'parse' });
    return { profileKey: parse.profileKey, rowCount: parse.rowCount };
  }
  const staged = await openStaged(deps, stagedKeysOf(file, parse));
  const profiler = createProfiler(staged.schema, {
    ranges: numericRanges(staged.schema, staged.rowGroups),
  });
  for await (const batch of staged.readRowGroups({ typed: true })) profiler.add(batch);
  const profile = profiler.result();
  const key = reportKey(file.tenant, file.dataset, file.fileId, 'profile');
  await deps.store.putJson(key, profile);
  await deps.datasets.updateFile(file.tenant, file.fileId, { stage: 'profile', profileKey: key });
  deps.metrics.add('RowsProfiled', 'Count', profile.rowCount);
  deps.logger.info('file profiled', { fileId: file.fileId, rows: profile.rowCount });
  return { profileKey: key, rowCount: profile.rowCount };
}
